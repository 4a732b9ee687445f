package tokenizer_test

// Conformance with Hugging Face's own tokenizers library (the Rust library behind the
// transformers pipeline the model was trained and evaluated through), run as a peer:
// testdata/hfpeer.mjs encodes the same generated corpus with the same tokenizer.json
// through the library's Node binding (npm package "tokenizers", pinned in
// package.json), and every text must give the same token ids, the same character
// offsets (both in code points: the binding's encode_char_offsets counts Unicode
// scalar values) and the same word indices.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/intro-aws-go/intro-aws-go/handson/qabot/tokenizer"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

const installHint = "run `make test-setup` (it installs testtools/package.json)"

// peerEncoding is one text as the library encodes it.
type peerEncoding struct {
	IDs     []int64  `json:"ids"`
	Offsets [][2]int `json:"offsets"`
	Words   []*int   `json:"words"`
}

// runPeer encodes corpus with the library, once for the whole corpus.
func runPeer(t *testing.T, tokenizerPath string, corpus []string) []peerEncoding {
	t.Helper()
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, project.TestToolsDir, "node_modules", "tokenizers", "package.json")); err != nil {
		t.Fatalf("the reference tokenizer (npm package tokenizers) is not installed: %s", installHint)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run the reference tokenizer: install Node.js 20 or later, then %s", installHint)
	}
	dir := t.TempDir()
	corpusPath, outPath := filepath.Join(dir, "corpus.json"), filepath.Join(dir, "out.json")
	data, err := json.Marshal(corpus)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corpusPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "hfpeer.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, tokenizerPath, corpusPath, outPath)
	cmd.Dir = filepath.Join(root, project.TestToolsDir) // hfpeer.mjs requires from its working directory
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reference tokenizer: %v: %s", err, out)
	}
	data, err = os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	var encs []peerEncoding
	if err := json.Unmarshal(data, &encs); err != nil {
		t.Fatal(err)
	}
	if len(encs) != len(corpus) {
		t.Fatalf("reference tokenizer gave %d encodings for %d texts", len(encs), len(corpus))
	}
	return encs
}

// isScalar reports whether r can be a character of a (UTF-8 or JSON) text.
func isScalar(r rune) bool { return r >= 0 && r <= unicode.MaxRune && (r < 0xD800 || r > 0xDFFF) }

// Emoji sequences: ZWJ families and professions, VS16, skin tones, keycaps, flags
// (regional indicator pairs and tag sequences).
var emojiSequences = []string{
	"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧\u200d👦", "👩\u200d💻", "🧑🏽\u200d🚀", "🏳\ufe0f\u200d🌈",
	"❤\ufe0f", "☺\ufe0e", "✌🏿", "👋🏻", "👍🏼", "🤝🏾", "1\ufe0f\u20e3", "#\ufe0f\u20e3", "*\u20e3",
	"🇯🇵", "🇺🇸🇫🇷", "🇦", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	"😀", "🫠", "🥹", "🪿", "🫨", "\U0001FAE9", "©\ufe0f", "™", "👁\u200d🗨", "🐻\u200d❄\ufe0f",
}

// Words for the vocabulary: accents (precomposed and in vocabulary both ways),
// Japanese, and the pieces the emoji sequences normalize to.
var vocabWords = []string{
	"cafe", "café", "ete", "été", "naive", "naïve", "resume", "résumé", "uber", "über",
	"strasse", "straße", "ss", "i̇", "ıi", "σοφια", "σοφία", "ΣΟΦΙΑ", "ελλας", "οδος", "οδοσ",
	"です", "ます", "古池や", "かえる", "カエル", "ｶｴﾙ", "가", "한국어", "ko", "##re", "##an",
	"がくせい", "かくせい", "ﬁ", "fi", "Å", "Å", "å", "ǅ", "ǆ", "ⅰ", "Ⅰ",
}

// corpus generates the texts. Every scalar value of every plane appears, assigned or
// not, as a word of its own and inside a word, so every general category of every
// Unicode version is covered; then targeted cases: combining sequences, emoji
// sequences, whitespace and controls, CJK block boundaries, very long words, accents
// and case, and random mixtures of all of these.
func corpus() (everyCodePoint, targeted []string) {
	rng := rand.New(rand.NewPCG(14, 2026))
	var out []string

	// 1. Every code point: "c xcy " 32 at a time.
	var b strings.Builder
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !isScalar(r) {
			continue
		}
		fmt.Fprintf(&b, "%c x%cy ", r, r)
		if n++; n == 32 {
			out = append(out, b.String())
			b.Reset()
			n = 0
		}
	}
	everyCodePoint = append(out, b.String())
	out = nil

	// 2. Combining sequences: every mark (Mn, Mc, Me) after letters, and random stacks
	// of marks whose combining classes differ (canonical reordering), on letters,
	// precomposed letters, hangul syllables and jamo, Devanagari, and at a word start.
	var marks []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
			marks = append(marks, r)
		}
	}
	bases := []rune{'a', 'E', 'é', 'Å', 'ı', 'İ', 'Σ', 'ж', '가', 'ᄀ', 'क', 'か', 'ｶ', '漢', '1', '!', ' ', '\u200d', 0x0378, 0x1F600}
	for i, m := range marks {
		out = append(out, fmt.Sprintf("%c%c %c%c%cz", bases[i%len(bases)], m, m, bases[(i+7)%len(bases)], m))
	}
	for i := 0; i < 3000; i++ {
		var s strings.Builder
		for w := 0; w < 1+rng.IntN(4); w++ {
			s.WriteRune(bases[rng.IntN(len(bases))])
			for k := 0; k < rng.IntN(5); k++ {
				s.WriteRune(marks[rng.IntN(len(marks))])
			}
			if rng.IntN(3) == 0 {
				s.WriteByte(' ')
			}
		}
		out = append(out, s.String())
	}

	// 3. Emoji sequences alone, inside words, after letters, and repeated.
	for _, e := range emojiSequences {
		out = append(out, e, "a"+e+"b", "Hello "+e+"!", e+e+e, "古池や"+e)
	}

	// 4. Whitespace and controls: every White_Space, C0, C1 and format character
	// between words, doubled, at the start and at the end.
	var special []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.In(r, unicode.White_Space, unicode.Cc, unicode.Cf) || r == 0xFFFD || r == 0xFEFF {
			special = append(special, r)
		}
	}
	for _, r := range special {
		out = append(out, fmt.Sprintf("ab%ccd %c%cef%c", r, r, r, r), fmt.Sprintf("%cé%cÉ", r, r))
	}

	// 5. CJK: the first and last code point of every range the library or the original
	// BERT code treats as Chinese, and of every block of Han characters, with their
	// neighbours, alone, inside words and in runs.
	edges := []rune{0x4E00, 0x9FFF, 0x3400, 0x4DBF, 0x20000, 0x2A6DF, 0x2A700, 0x2B73F, 0x2B740, 0x2B81F,
		0x2B820, 0x2B91F, 0x2B920, 0x2CEAF, 0xF900, 0xFAFF, 0x2F800, 0x2FA1F}
	for _, rt := range []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul} {
		for _, r16 := range rt.R16 {
			edges = append(edges, rune(r16.Lo), rune(r16.Hi))
		}
		for _, r32 := range rt.R32 {
			edges = append(edges, rune(r32.Lo), rune(r32.Hi))
		}
	}
	for _, e := range edges {
		for _, r := range []rune{e - 1, e, e + 1} {
			out = append(out, fmt.Sprintf("x%cx %c%c%c 漢%c字", r, r, r, r, r))
		}
	}
	out = append(out, "古池や蛙飛び込む水の音", "名前は桃太郎です。", "東京タワーはＴｏｋｙｏ　Ｔｏｗｅｒ", "한국어 텍스트", "中文，标点！")

	// 6. Very long words around max_input_chars_per_word (100), counted after
	// normalization: removed controls do not count, decomposed or lowercased
	// characters that grow do.
	for _, unit := range []string{"a", "é", "É", "İ", "x\u200b", "ab", "a漢", "😀", "e\u0301", "ﬁ", "ǅ"} {
		for _, k := range []int{49, 50, 51, 99, 100, 101, 150} {
			w := strings.Repeat(unit, k)
			out = append(out, w, "a "+w+" b", w+"!")
		}
	}

	// 7. Accents and case, including Greek final sigma, Turkish dotted and dotless i,
	// German sharp s, ligatures, compatibility characters, title case.
	out = append(out, "CAFÉ À Paris, été", "Café café CAFÉ cafe\u0301", "ΣΟΦΙΑ σοφία ΟΔΟΣ οδος", "İstanbul ıi İI",
		"Straße STRASSE", "ﬁne ﬂow", "Ǆemal ǅemal", "Ⅻ ⅻ", "Å Å Å", "Ωmega Ω", "ŉ", "ẞ", "K", "Ａｂｃ",
		"がくせい ガクセイ ｶﾞｸｾｲ", "Ελλάς", "Ἀθῆναι", "Việt Nam", "ﬀ", "ǰ", "ΐ")
	out = append(out, vocabWords...)

	// 8. Random mixtures of everything above.
	pools := [][]rune{special, marks, bases, edges, []rune("abc XYZ éÉ .,!?-'\"()[]{}#@&*")}
	for i := 0; i < 5000; i++ {
		var s strings.Builder
		for k := 0; k < 1+rng.IntN(30); k++ {
			switch rng.IntN(6) {
			case 0:
				s.WriteString(emojiSequences[rng.IntN(len(emojiSequences))])
			case 1:
				s.WriteString(vocabWords[rng.IntN(len(vocabWords))])
			case 2:
				r := rune(rng.IntN(unicode.MaxRune + 1))
				if isScalar(r) {
					s.WriteRune(r)
				}
			default:
				p := pools[rng.IntN(len(pools))]
				s.WriteRune(p[rng.IntN(len(p))])
			}
		}
		out = append(out, s.String())
	}

	// 9. Added tokens written literally: split off before normalization, longest
	// first, next to text, accents and spaces.
	out = append(out, "[SEP]", "a[SEP]b", "[CLS] q [SEP] c [SEP]", "[[SEP]]", "[SEP", "[sep]", "[SEP][SEP]",
		"É[MASK]é", " [UNK] ", "x\u200b[PAD]\u200bx", "漢[SEP]字", "[SE\u200bP]", "👨\u200d[SEP]\u200d👩", "[MASK]]")
	for i := 0; i < 500; i++ {
		var s strings.Builder
		for k := 0; k < 1+rng.IntN(8); k++ {
			switch rng.IntN(3) {
			case 0:
				s.WriteString([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[", "]", "SEP"}[rng.IntN(8)])
			case 1:
				s.WriteString(vocabWords[rng.IntN(len(vocabWords))])
			default:
				p := pools[rng.IntN(len(pools))]
				s.WriteRune(p[rng.IntN(len(p))])
			}
		}
		out = append(out, s.String())
	}
	for i, s := range out {
		out[i] = strings.ToValidUTF8(s, "")
	}
	return everyCodePoint, out
}

// vocabulary: the special tokens, ASCII with continuations, every code point of
// planes 0 and 1, every other assigned one and one in 64 of the rest as a word, one in three as a
// continuation, and the words above: so that characters the normalizer keeps, maps
// or removes lead to different ids.
func vocabulary() []string {
	vocab := tinymodel.Tiny().Vocabulary()
	seen := map[string]bool{}
	for _, v := range vocab {
		seen[v] = true
	}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			vocab = append(vocab, s)
		}
	}
	for r := rune(128); r <= unicode.MaxRune; r++ {
		if !isScalar(r) || unicode.IsSpace(r) {
			continue
		}
		assigned := unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Cc, unicode.Cf)
		// Planes 0 and 1 entirely: there case pairs newer than Go's tables live
		// (Unicode 16 and 17), so that a lowercase mapping of another Unicode version
		// would give another id.
		if assigned || r <= 0x1FFFF || r%64 == 0 {
			add(string(r))
			if r%3 == 0 {
				add("##" + string(r))
			}
		}
	}
	for _, w := range vocabWords {
		add(w)
		add("##" + w)
	}
	return vocab
}

// configs are the BertNormalizer settings compared: the cased and uncased tokenizers
// tinymodel writes (on the whole corpus), and two more combinations of the options
// (on the targeted texts only, to keep the test's time down).
var configs = []struct {
	name      string
	lowercase bool
	edit      func(normalizer map[string]any)
	whole     bool
}{
	{"cased", false, nil, true},
	{"uncased", true, nil, true},
	{"lowercase-keep-accents", true, func(n map[string]any) { n["strip_accents"] = false }, false},
	{"no-cleaning-strip-accents", false, func(n map[string]any) {
		n["clean_text"], n["handle_chinese_chars"], n["strip_accents"] = false, false, true
	}, false},
}

func TestConformanceWithHuggingFaceTokenizers(t *testing.T) {
	everyCodePoint, targeted := corpus()
	vocab := vocabulary()
	for _, cfg := range configs {
		texts := targeted
		if cfg.whole {
			texts = append(slices.Clip(everyCodePoint), targeted...)
		}
		codePoints := 0
		for _, s := range texts {
			codePoints += len([]rune(s))
		}
		t.Run(cfg.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := tinymodel.WriteTokenizer(path, vocab, cfg.lowercase); err != nil {
				t.Fatal(err)
			}
			if cfg.edit != nil {
				editNormalizer(t, path, cfg.edit)
			}
			tok, err := tokenizer.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			want := runPeer(t, path, texts)
			t1 := time.Now()
			agree, shown := 0, 0
			for i, text := range texts {
				got := tok.Encode(text)
				if diff := compare(got, want[i]); diff == "" {
					agree++
				} else if shown++; shown <= 15 {
					t.Errorf("%+q: %s", text, diff)
				}
			}
			t.Logf("timing: peer %v, ours %v", t1.Sub(t0), time.Since(t1))
			pct := 100 * float64(agree) / float64(len(texts))
			t.Logf("%s: %d of %d texts (%d code points) agree with Hugging Face tokenizers: %.4f%%", cfg.name, agree, len(texts), codePoints, pct)
			if agree != len(texts) {
				t.Errorf("%d texts disagree", len(texts)-agree)
			}
		})
	}
}

func editNormalizer(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc["normalizer"].(map[string]any))
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// compare describes the first difference between our tokens and the library's.
func compare(got []tokenizer.Token, want peerEncoding) string {
	render := func(ids []int64, off [][2]int, words []int) string {
		var parts []string
		for i := range ids {
			parts = append(parts, fmt.Sprintf("%d@%d:%d/w%d", ids[i], off[i][0], off[i][1], words[i]))
		}
		return strings.Join(parts, " ")
	}
	ids := make([]int64, len(got))
	off := make([][2]int, len(got))
	words := make([]int, len(got))
	for i, tk := range got {
		ids[i], off[i], words[i] = tk.ID, [2]int{tk.Start, tk.End}, tk.Word
	}
	wantWords := make([]int, len(want.Words))
	for i, w := range want.Words {
		wantWords[i] = -1
		if w != nil {
			wantWords[i] = *w
		}
	}
	if slices.Equal(ids, want.IDs) && slices.Equal(off, want.Offsets) && slices.Equal(words, wantWords) {
		return ""
	}
	return fmt.Sprintf("\n  ours %s\n  HF   %s", render(ids, off, words), render(want.IDs, want.Offsets, wantWords))
}

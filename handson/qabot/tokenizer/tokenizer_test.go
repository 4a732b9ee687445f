package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// tokenizerJSON writes a tokenizer.json in the shape Hugging Face saves for BERT.
func tokenizerJSON(t *testing.T, vocab []string, lowercase bool) []byte {
	t.Helper()
	ids := map[string]int{}
	for i, v := range vocab {
		ids[v] = i
	}
	doc := map[string]any{
		"version": "1.0",
		"normalizer": map[string]any{
			"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
			"strip_accents": nil, "lowercase": lowercase,
		},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"model": map[string]any{
			"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": ids,
		},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var specials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

func mustParse(t *testing.T, vocab []string, lowercase bool) *Tokenizer {
	t.Helper()
	tok, err := Parse(tokenizerJSON(t, append(append([]string{}, specials...), vocab...), lowercase))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// render shows tokens as "piece@start:end/word" using the original text, so a wrong
// offset shows up as a wrong piece.
func render(tok *Tokenizer, text string, tokens []Token) string {
	names := map[int64]string{}
	for k, v := range tok.vocab {
		names[v] = k
	}
	runes := []rune(text)
	var parts []string
	for _, tk := range tokens {
		parts = append(parts, fmt.Sprintf("%s=%q@%d:%d/w%d", names[tk.ID], string(runes[tk.Start:tk.End]), tk.Start, tk.End, tk.Word))
	}
	return strings.Join(parts, " ")
}

func TestEncodeSplitsWordsPunctuationAndPieces(t *testing.T) {
	tok := mustParse(t, []string{"She", "named", "the", "baby", "Momo", "##taro", ".", ",", "'", "s"}, false)
	text := "She named the baby Momotaro's, Momotaro."
	got := render(tok, text, tok.Encode(text))
	want := `She="She"@0:3/w0 named="named"@4:9/w1 the="the"@10:13/w2 baby="baby"@14:18/w3 ` +
		`Momo="Momo"@19:23/w4 ##taro="taro"@23:27/w4 '="'"@27:28/w5 s="s"@28:29/w6 ,=","@29:30/w7 ` +
		`Momo="Momo"@31:35/w8 ##taro="taro"@35:39/w8 .="."@39:40/w9`
	if got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeUnknownWordIsOneToken(t *testing.T) {
	tok := mustParse(t, []string{"a", "b", "##b"}, false)
	text := "ab xyz b"
	got := render(tok, text, tok.Encode(text))
	// "ab": "a" then "##b"; "xyz" cannot be split at all and becomes one [UNK].
	want := `a="a"@0:1/w0 ##b="b"@1:2/w0 [UNK]="xyz"@3:6/w1 b="b"@7:8/w2`
	if got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeJapaneseOffsetsAreCodePoints(t *testing.T) {
	tok := mustParse(t, []string{"名", "前", "は", "桃", "太", "郎", "です", "。", "Café"}, false)
	text := "Café: 名前は桃太郎です。"
	got := render(tok, text, tok.Encode(text))
	// CJK ideographs are words of their own; hiragana stays together; offsets count
	// code points, so é and each kanji count as one.
	want := `Café="Café"@0:4/w0 [UNK]=":"@4:5/w1 名="名"@6:7/w2 前="前"@7:8/w3 は="は"@8:9/w4 ` +
		`桃="桃"@9:10/w5 太="太"@10:11/w6 郎="郎"@11:12/w7 です="です"@12:14/w8 。="。"@14:15/w9`
	if got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeUncasedStripsAccentsButKeepsOriginalOffsets(t *testing.T) {
	tok := mustParse(t, []string{"cafe", "ete", "a", "paris"}, true)
	text := "CAFÉ À Paris, été"
	got := render(tok, text, tok.Encode(text))
	want := `cafe="CAFÉ"@0:4/w0 a="À"@5:6/w1 paris="Paris"@7:12/w2 [UNK]=","@12:13/w3 ete="été"@14:17/w4`
	if got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeDropsControlsAndSplitsOnUnicodeSpaces(t *testing.T) {
	tok := mustParse(t, []string{"ab", "cd"}, false)
	// U+200B (format, Cf) is removed, U+3000 (ideographic space) separates words.
	text := "a\u200bb\u3000cd\tab"
	got := render(tok, text, tok.Encode(text))
	want := `ab="a\u200bb"@0:3/w0 cd="cd"@4:6/w1 ab="ab"@7:9/w2`
	if got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeTooLongWordIsUnknown(t *testing.T) {
	tok := mustParse(t, []string{"a", "##a"}, false)
	long := strings.Repeat("a", 101)
	tokens := tok.Encode(long + " a")
	if len(tokens) != 2 || tokens[0].ID != tok.unkID || tokens[0].End != 101 || tokens[1].Start != 102 {
		t.Errorf("Encode(101×a + a) = %+v, want [UNK] for the long word then a", tokens)
	}
}

func TestSpecialTokenIDs(t *testing.T) {
	tok := mustParse(t, nil, false)
	if tok.PAD() != 0 || tok.CLS() != 2 || tok.SEP() != 3 || tok.VocabSize() != 5 {
		t.Errorf("PAD %d CLS %d SEP %d size %d", tok.PAD(), tok.CLS(), tok.SEP(), tok.VocabSize())
	}
}

func TestParseRejectsWhatItCannotReproduce(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":      `{`,
		"bpe":           `{"model":{"type":"BPE","vocab":{"a":0}}}`,
		"no unk":        `{"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"a":0,"[CLS]":1,"[SEP]":2}}}`,
		"no cls":        `{"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"[SEP]":2}}}`,
		"other norm":    `{"normalizer":{"type":"NFKC"},"model":{"type":"WordPiece","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2}}}`,
		"other pretok":  `{"pre_tokenizer":{"type":"Metaspace"},"model":{"type":"WordPiece","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2}}}`,
		"empty vocab":   `{"model":{"type":"WordPiece","vocab":{}}}`,
		"missing model": `{}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted %s", name, doc)
		}
	}
}

// The two cases of issue 14, as Hugging Face tokenizers gives them (the conformance
// test checks every code point against the library itself): an unassigned code point
// is not a removed control, and U+2B820 is not in the library's CJK ranges.
func TestEncodeFollowsTheLibraryNotTheStandard(t *testing.T) {
	tok := mustParse(t, []string{"a", "##b", "x", "##x"}, false)
	for text, want := range map[string]string{
		"a\u0378b":       `[UNK]="a\u0378b"@0:3/w0`,
		"x\U0002B820x":   "[UNK]=\"x\U0002B820x\"@0:3/w0",
		"x\U0002B920x":   "x=\"x\"@0:1/w0 [UNK]=\"\U0002B920\"@1:2/w1 x=\"x\"@2:3/w2",
		"a\u200d\u200db": "a=\"a\"@0:1/w0 ##b=\"b\"@3:4/w0",
	} {
		if got := render(tok, text, tok.Encode(text)); got != want {
			t.Errorf("Encode(%+q):\n got %s\nwant %s", text, got, want)
		}
	}
}

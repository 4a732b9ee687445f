// Package tokenizer is a pure-Go BERT WordPiece tokenizer that reads a Hugging Face
// tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece model) and gives, for
// every token, its id, the word it belongs to and its span in the original text in
// Unicode code points. It reproduces what the Rust `tokenizers` library does for
// these three components, so that answers map back to the exact characters of the
// context, Japanese and accented text included.
//
// Added tokens ("[CLS]", "[SEP]", ... in added_tokens) written literally in the text
// are split off before normalization and keep their ids, as the library does for
// tokens with normalized false (all of BERT's). Not implemented (not used by
// distilbert-base-cased-distilled-squad): added tokens with normalized, single_word,
// lstrip or rstrip set (they are ignored), and normalizers or models other than the
// BERT ones.
package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
)

// Token is one WordPiece token of a text.
type Token struct {
	ID int64
	// Start and End delimit the token in the original text: text[Start:End] in code
	// points (runes), End exclusive.
	Start, End int
	// Word is the index of the pre-tokenizer word (whitespace/punctuation split) the
	// token belongs to; the tokens of one word share it.
	Word int
}

// Tokenizer encodes text with a WordPiece vocabulary.
type Tokenizer struct {
	vocab        map[string]int64
	unkID        int64
	prefix       string
	maxWordChars int
	cleanText    bool
	chineseChars bool
	stripAccents bool
	lowercase    bool
	clsID, sepID int64
	padID        int64
	vocabSize    int
	added        []addedToken
	addedFirst   string // the first characters of the added tokens
}

// addedToken is an entry of added_tokens matched literally in the original text.
type addedToken struct {
	content []rune
	id      int64
}

// file is the part of tokenizer.json this package reads.
type file struct {
	AddedTokens []struct {
		ID         int64  `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	Model struct {
		Type                    string           `json:"type"`
		UnkToken                string           `json:"unk_token"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int              `json:"max_input_chars_per_word"`
		Vocab                   map[string]int64 `json:"vocab"`
	} `json:"model"`
	PostProcessor *struct {
		Type string                     `json:"type"`
		Cls  []any                      `json:"cls"` // BertProcessing: ["[CLS]", 101]
		Sep  []any                      `json:"sep"`
		Spec map[string]json.RawMessage `json:"special_tokens"` // TemplateProcessing
	} `json:"post_processor"`
}

// Load reads a tokenizer.json file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse reads the contents of a tokenizer.json.
func Parse(data []byte) (*Tokenizer, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %w", err)
	}
	if f.Model.Type != "WordPiece" {
		return nil, fmt.Errorf("model type %q: only WordPiece (BERT) tokenizers are supported", f.Model.Type)
	}
	if len(f.Model.Vocab) == 0 {
		return nil, fmt.Errorf("WordPiece model has an empty vocabulary")
	}
	if f.PreTokenizer != nil && f.PreTokenizer.Type != "BertPreTokenizer" {
		return nil, fmt.Errorf("pre_tokenizer %q: only BertPreTokenizer is supported", f.PreTokenizer.Type)
	}
	t := &Tokenizer{
		vocab:        f.Model.Vocab,
		prefix:       "##",
		maxWordChars: f.Model.MaxInputCharsPerWord,
		vocabSize:    len(f.Model.Vocab),
	}
	if f.Model.ContinuingSubwordPrefix != nil {
		t.prefix = *f.Model.ContinuingSubwordPrefix
	}
	if t.maxWordChars <= 0 {
		t.maxWordChars = 100
	}
	unk := f.Model.UnkToken
	if unk == "" {
		unk = "[UNK]"
	}
	var ok bool
	if t.unkID, ok = t.vocab[unk]; !ok {
		return nil, fmt.Errorf("unknown token %q is not in the vocabulary", unk)
	}
	if n := f.Normalizer; n != nil {
		if n.Type != "BertNormalizer" {
			return nil, fmt.Errorf("normalizer %q: only BertNormalizer is supported", n.Type)
		}
		t.cleanText = n.CleanText == nil || *n.CleanText
		t.chineseChars = n.HandleChineseChars == nil || *n.HandleChineseChars
		t.lowercase = n.Lowercase == nil || *n.Lowercase
		// strip_accents null means "follow lowercase", as in BERT.
		t.stripAccents = t.lowercase
		if n.StripAccents != nil {
			t.stripAccents = *n.StripAccents
		}
	}
	cls, sep := "[CLS]", "[SEP]"
	if p := f.PostProcessor; p != nil && p.Type == "BertProcessing" && len(p.Cls) > 0 && len(p.Sep) > 0 {
		cls, _ = p.Cls[0].(string)
		sep, _ = p.Sep[0].(string)
	}
	for name, dst := range map[string]*int64{cls: &t.clsID, sep: &t.sepID} {
		id, ok := t.vocab[name]
		if !ok {
			return nil, fmt.Errorf("special token %q is not in the vocabulary", name)
		}
		*dst = id
	}
	t.padID = t.vocab["[PAD]"] // 0 when absent, as in BERT vocabularies
	for _, a := range f.AddedTokens {
		if a.Content != "" && !a.Normalized && !a.SingleWord && !a.Lstrip && !a.Rstrip {
			t.added = append(t.added, addedToken{[]rune(a.Content), a.ID})
			t.addedFirst += string([]rune(a.Content)[0])
		}
	}
	return t, nil
}

// CLS, SEP and PAD are the ids of BERT's special tokens.
func (t *Tokenizer) CLS() int64 { return t.clsID }
func (t *Tokenizer) SEP() int64 { return t.sepID }
func (t *Tokenizer) PAD() int64 { return t.padID }

// VocabSize is the number of entries in the vocabulary.
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// ID returns the id of a vocabulary entry.
func (t *Tokenizer) ID(token string) (int64, bool) {
	id, ok := t.vocab[token]
	return id, ok
}

// Encode tokenizes text without special tokens.
func (t *Tokenizer) Encode(text string) []Token {
	src := []rune(text)
	var out []Token
	w := 0
	// Added tokens are found in the original text first (leftmost, then longest, as
	// the library's Aho-Corasick search); the text between them is tokenized on its own.
	start := 0
	for i := 0; i < len(src); {
		a, ok := t.addedAt(src[i:])
		if !ok {
			i++
			continue
		}
		out, w = t.encodeSegment(out, w, src[start:i], start)
		out = append(out, Token{ID: a.id, Start: i, End: i + len(a.content), Word: w})
		w++
		i += len(a.content)
		start = i
	}
	out, _ = t.encodeSegment(out, w, src[start:], start)
	return out
}

// addedAt returns the longest added token at the start of text.
func (t *Tokenizer) addedAt(text []rune) (addedToken, bool) {
	var best addedToken
	if len(t.added) == 0 || !strings.ContainsRune(t.addedFirst, text[0]) {
		return best, false
	}
	for _, a := range t.added {
		if len(a.content) > len(best.content) && len(a.content) <= len(text) && slices.Equal(text[:len(a.content)], a.content) {
			best = a
		}
	}
	return best, best.content != nil
}

// encodeSegment appends the tokens of src, which starts at offset in the text; words
// are numbered from w. It returns the next word number.
func (t *Tokenizer) encodeSegment(out []Token, w int, src []rune, offset int) ([]Token, int) {
	if len(src) == 0 {
		return out, w
	}
	n := t.normalize(src)
	for _, word := range preTokenize(n.runes) {
		for _, piece := range t.wordPiece(n.runes[word[0]:word[1]]) {
			s, e := word[0]+piece.start, word[0]+piece.end
			out = append(out, Token{ID: piece.id, Start: offset + n.origin[s], End: offset + n.origin[e-1] + 1, Word: w})
		}
		w++
	}
	return out, w
}

// normalized is text during normalization: origin[i] is the index in the original
// text of the character that runes[i] is aligned with.
type normalized struct {
	runes  []rune
	origin []int
}

// change is one character of a transformation, as in the Rust library's
// NormalizedString::transform: delta 0 replaces the next original character, delta
// -n replaces it and removes the n after it, delta 1 is inserted and aligned with the
// last character replaced.
type change struct {
	r     rune
	delta int
}

// transform applies changes the way NormalizedString::transform does. Alignment is
// positional: the k-th replacing character takes the alignment of the k-th remaining
// character, even when a canonical reordering moved characters around.
func (n *normalized) transform(changes []change) {
	runes := make([]rune, 0, len(changes))
	origin := make([]int, 0, len(changes))
	next := 0
	for _, c := range changes {
		o := 0 // inserted before anything was replaced: the library aligns it with 0..0
		if c.delta > 0 {
			if next > 0 {
				o = n.origin[next-1]
			}
		} else {
			o = n.origin[next]
			next += 1 - c.delta
		}
		runes = append(runes, c.r)
		origin = append(origin, o)
	}
	n.runes, n.origin = runes, origin
}

// normalize applies BertNormalizer, step by step over the whole text in the Rust
// library's order: clean text, Chinese characters, strip accents (NFD, then remove
// nonspacing marks), lowercase.
func (t *Tokenizer) normalize(src []rune) normalized {
	n := normalized{runes: src, origin: make([]int, len(src))}
	for i := range n.origin {
		n.origin[i] = i
	}
	var changes []change
	if t.cleanText {
		n.filter(func(r rune) bool { return !(r == 0 || r == 0xFFFD || isControl(r)) })
		for i, r := range n.runes {
			if isWhitespace(r) {
				n.runes[i] = ' '
			}
		}
	}
	if t.chineseChars {
		changes = changes[:0]
		for _, r := range n.runes {
			if isChineseChar(r) {
				changes = append(changes, change{' ', 0}, change{r, 1}, change{' ', 1})
			} else {
				changes = append(changes, change{r, 0})
			}
		}
		n.transform(changes)
	}
	if t.stripAccents {
		n.transform(nfd(n.runes))
		n.filter(func(r rune) bool { return !isNonspacingMark(r) })
	}
	if t.lowercase {
		changes = changes[:0]
		for _, r := range n.runes {
			for k, l := range toLower(r) {
				changes = append(changes, change{l, min(k, 1)})
			}
		}
		n.transform(changes)
	}
	return n
}

// filter keeps the characters for which keep is true, as NormalizedString::filter:
// the kept characters keep their own alignment.
func (n *normalized) filter(keep func(rune) bool) {
	runes, origin := make([]rune, 0, len(n.runes)), make([]int, 0, len(n.origin))
	for i, r := range n.runes {
		if keep(r) {
			runes = append(runes, r)
			origin = append(origin, n.origin[i])
		}
	}
	n.runes, n.origin = runes, origin
}

// toLower is Rust's char::to_lowercase: the full (possibly multi-character) mapping.
func toLower(r rune) []rune {
	if l, ok := lowercaseTable[r]; ok {
		return l
	}
	return []rune{r}
}

// preTokenize is BertPreTokenizer: split on whitespace (dropped) and punctuation
// (each mark its own word). It returns [start, end) ranges of runes.
func preTokenize(text []rune) [][2]int {
	var words [][2]int
	start := -1
	flush := func(end int) {
		if start >= 0 {
			words = append(words, [2]int{start, end})
			start = -1
		}
	}
	for i, r := range text {
		switch {
		case unicode.IsSpace(r):
			flush(i)
		case isPunctuation(r):
			flush(i)
			words = append(words, [2]int{i, i + 1})
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(text))
	return words
}

type piece struct {
	id         int64
	start, end int // runes, relative to the word
}

// wordPiece splits one word greedily, longest match first; a word that cannot be
// split entirely becomes one unknown token.
func (t *Tokenizer) wordPiece(word []rune) []piece {
	if len(word) > t.maxWordChars {
		return []piece{{t.unkID, 0, len(word)}}
	}
	var pieces []piece
	var key strings.Builder
	for start := 0; start < len(word); {
		found := false
		for end := len(word); end > start; end-- {
			key.Reset()
			if start > 0 {
				key.WriteString(t.prefix)
			}
			key.WriteString(string(word[start:end]))
			if id, ok := t.vocab[key.String()]; ok {
				pieces = append(pieces, piece{id, start, end})
				start = end
				found = true
				break
			}
		}
		if !found {
			return []piece{{t.unkID, 0, len(word)}}
		}
	}
	return pieces
}

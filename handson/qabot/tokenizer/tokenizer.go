// Package tokenizer is a pure-Go BERT WordPiece tokenizer that reads a Hugging Face
// tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece model) and gives, for
// every token, its id, the word it belongs to and its span in the original text in
// Unicode code points. It reproduces what the Rust `tokenizers` library does for
// these three components, so that answers map back to the exact characters of the
// context, Japanese and accented text included.
//
// Not implemented (not used by distilbert-base-cased-distilled-squad): added tokens
// written literally in the input text (a literal "[SEP]" is tokenized as ordinary
// text), and normalizers or models other than the BERT ones.
package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
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
}

// file is the part of tokenizer.json this package reads.
type file struct {
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
	normalized, origin := t.normalize(src)
	var out []Token
	for w, word := range preTokenize(normalized) {
		for _, piece := range t.wordPiece(normalized[word[0]:word[1]]) {
			s, e := word[0]+piece.start, word[0]+piece.end
			out = append(out, Token{ID: piece.id, Start: origin[s], End: origin[e-1] + 1, Word: w})
		}
	}
	return out
}

// normalize applies BertNormalizer. origin[i] is the index in src of the character
// that normalized[i] came from.
func (t *Tokenizer) normalize(src []rune) (normalized []rune, origin []int) {
	normalized = make([]rune, 0, len(src))
	origin = make([]int, 0, len(src))
	emit := func(r rune, i int) {
		normalized = append(normalized, r)
		origin = append(origin, i)
	}
	for i, r := range src {
		if t.cleanText {
			if r == 0 || r == 0xFFFD || isControl(r) {
				continue
			}
			if isWhitespace(r) {
				r = ' '
			}
		}
		if t.chineseChars && isChineseChar(r) {
			emit(' ', i)
			emit(r, i)
			emit(' ', i)
			continue
		}
		if !t.stripAccents && !t.lowercase {
			emit(r, i)
			continue
		}
		parts := []rune{r}
		if t.stripAccents {
			parts = parts[:0]
			for _, d := range norm.NFD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					parts = append(parts, d)
				}
			}
		}
		for _, p := range parts {
			if t.lowercase {
				for _, l := range strings.ToLower(string(p)) {
					emit(l, i)
				}
			} else {
				emit(p, i)
			}
		}
	}
	return normalized, origin
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

// isWhitespace: tab, newline, carriage return and Unicode White_Space.
func isWhitespace(r rune) bool { return unicode.IsSpace(r) }

// isControl: Unicode "Other" categories (Cc, Cf, Cs, Co, Cn) except the whitespace
// controls tab, newline and carriage return.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z) // Cn: unassigned
}

// isPunctuation: ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~)
// and every Unicode punctuation category.
func isPunctuation(r rune) bool {
	if r < 128 {
		return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
	}
	return unicode.IsPunct(r)
}

// isChineseChar: the CJK Unified Ideographs blocks BERT surrounds with spaces (kana
// and hangul are not among them).
func isChineseChar(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F, r >= 0x2B740 && r <= 0x2B81F, r >= 0x2B820 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF, r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}

package tokenizer

//go:generate sh -c "node lowercase_gen.mjs && gofmt -w lowercase_table.go"

import (
	"slices"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// The character classes of the Rust library, which are not all of the same Unicode
// version (the model only ever saw what the library produced, so we follow it, not
// the newest standard):
//
//   - control, punctuation and nonspacing mark come from the crate unicode_categories
//     0.1.1, whose tables were generated (in 2016) from Unicode 8.0 UnicodeData.txt: a
//     character assigned after 8.0 is in none of them (U+08D4..U+08E1, Unicode 9.0
//     marks, are kept by strip_accents), and is_other is Cc, Cf or Co only, so an
//     unassigned code point (Cn) is an ordinary character, not a removed control;
//   - NFD (strip_accents) comes from unicode-normalization-alignments 0.1.12, whose
//     tables are Unicode 9.0.0: characters assigned later neither decompose nor reorder;
//   - whitespace and lowercase come from Rust's standard library (char::is_whitespace,
//     char::to_lowercase), of the compiler's Unicode version (lowercase_table.go).
//
// Go's unicode package has Unicode 15.0 data. Canonical decompositions and combining
// classes never change once assigned (Unicode's stability policy), so 15.0 data
// restricted to what 9.0 assigned (x/text's rangetable.Assigned) is the 9.0 NFD. The
// general categories did change for a few characters; restricted to what 8.0 assigned
// and corrected by categoryChanged8, 15.0 gives the crate's classes.
// conformance_test.go checks every code point against the library.
var (
	assigned8 = rangetable.Assigned("8.0.0")
	assigned9 = rangetable.Assigned("9.0.0")
)

func inUnicode8(r rune) bool { return unicode.Is(assigned8, r) }

// categoryChanged8 are the characters assigned by Unicode 8.0 whose category, as far
// as control, punctuation and nonspacing mark go, differs between the crate's 8.0
// tables and Go's 15.0 ones (found by the conformance test over every code point;
// each is the category listed in the crate's tables): their 8.0 category.
var categoryChanged8 = map[rune]*unicode.RangeTable{
	0x166D:  unicode.Po, // CANADIAN SYLLABICS CHI SIGN: Po in 8.0, So in 15.0
	0x111C9: unicode.Po, // SHARADA SANDHI MARK: Po in 8.0, Mn in 15.0
	0x1734:  unicode.Mn, // HANUNOO SIGN PAMUDPOD: Mn in 8.0, Mc in 15.0
	0x1885:  unicode.Lo, // MONGOLIAN LETTER ALI GALI BALUDA: Lo in 8.0, Mn in 15.0
	0x1886:  unicode.Lo, // MONGOLIAN LETTER ALI GALI THREE BALUDA: Lo in 8.0, Mn in 15.0
	0xA9BD:  unicode.Mc, // JAVANESE CONSONANT SIGN KERET: Mc in 8.0, Mn in 15.0
}

// in8 reports whether r had one of the categories in Unicode 8.0.
func in8(r rune, categories ...*unicode.RangeTable) bool {
	if !inUnicode8(r) {
		return false
	}
	if c, ok := categoryChanged8[r]; ok {
		return slices.Contains(categories, c)
	}
	return unicode.In(r, categories...)
}

func inUnicode9(r rune) bool { return unicode.Is(assigned9, r) }

// isWhitespace: tab, newline, carriage return and Unicode White_Space (char::is_whitespace).
func isWhitespace(r rune) bool { return unicode.IsSpace(r) }

// isControl: Cc, Cf and Co of Unicode 8.0 except the whitespace controls tab, newline
// and carriage return.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if r < 0x80 {
		return r < 0x20 || r == 0x7F
	}
	return in8(r, unicode.Cc, unicode.Cf, unicode.Co)
}

// isPunctuation: ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~)
// and the Unicode 8.0 punctuation categories.
func isPunctuation(r rune) bool {
	if r < 128 {
		return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
	}
	return in8(r, unicode.Pc, unicode.Pd, unicode.Pe, unicode.Pf, unicode.Pi, unicode.Po, unicode.Ps)
}

// isNonspacingMark: Mn of Unicode 8.0.
func isNonspacingMark(r rune) bool { return r >= 0x300 && in8(r, unicode.Mn) }

// isChineseChar: the ranges of the Rust library's is_chinese_char. They are the CJK
// Unified Ideographs blocks of the original BERT code except that the library starts
// its fifth range at U+2B920, where BERT's starts at U+2B820 (so U+2B820..U+2B91F, in
// Extension E, are ordinary letters here). Kana and hangul are not among them.
func isChineseChar(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F, r >= 0x2B740 && r <= 0x2B81F, r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF, r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}

// Hangul syllable decomposition constants (Unicode §3.12).
const (
	hangulBase             = 0xAC00
	hangulCount            = 11172
	jamoL, jamoV, jamoT    = 0x1100, 0x1161, 0x11A7
	jamoVCount, jamoTCount = 21, 28
)

// decompose9 is the full canonical decomposition of r in Unicode 9.0.
func decompose9(r rune) []rune {
	if r < 0xC0 {
		return []rune{r}
	}
	if s := r - hangulBase; s >= 0 && s < hangulCount {
		l, v, t := jamoL+s/(jamoVCount*jamoTCount), jamoV+(s%(jamoVCount*jamoTCount))/jamoTCount, jamoT+s%jamoTCount
		if t == jamoT {
			return []rune{l, v}
		}
		return []rune{l, v, t}
	}
	if inUnicode9(r) {
		if d := norm.NFD.PropertiesString(string(r)).Decomposition(); d != nil {
			return []rune(string(d))
		}
	}
	return []rune{r}
}

// ccc9 is the canonical combining class of r in Unicode 9.0.
func ccc9(r rune) uint8 {
	if r < 0x300 || !inUnicode9(r) {
		return 0
	}
	return norm.NFD.PropertiesString(string(r)).CCC()
}

// nfd decomposes text canonically the way unicode-normalization-alignments does: each
// character's decomposition is appended (its first character replaces the original,
// the others are inserted), and the characters with a nonzero combining class since
// the last starter are stably sorted by class, carrying their change along.
func nfd(text []rune) []change {
	type pending struct {
		change
		class uint8
	}
	out := make([]change, 0, len(text))
	var buf []pending
	flush := func() {
		slices.SortStableFunc(buf, func(a, b pending) int { return int(a.class) - int(b.class) })
		for _, p := range buf {
			out = append(out, p.change)
		}
		buf = buf[:0]
	}
	for _, r := range text {
		for k, d := range decompose9(r) {
			c := ccc9(d)
			if c == 0 {
				flush()
			}
			buf = append(buf, pending{change{d, min(k, 1)}, c})
		}
	}
	flush()
	return out
}

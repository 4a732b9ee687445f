// Package textcheck is the one check every free-text input of the project goes
// through (Bashoutter's API and page, the serverless clients' writes, runtask's
// context and question, bashoutter post-many): it accepts all printable Unicode text,
// Japanese and emoji sequences included (U+200D ZERO WIDTH JOINER, variation
// selectors, skin tones, keycaps, regional-indicator and tag flags), and refuses
// exactly the characters that cannot be stored or shown safely, naming the first one
// and its position in one line.
//
// Refused:
//   - invalid UTF-8 (including UTF-8-encoded surrogates);
//   - C0 controls U+0000–U+001F (NUL included), DEL U+007F and C1 controls
//     U+0080–U+009F, except, in multi-line text (Text), line feed, carriage return
//     before a line feed, and tab;
//   - the line and paragraph separators U+2028 and U+2029 in one-line fields (Line);
//   - the bidirectional embeddings, overrides and isolates U+202A–U+202E and
//     U+2066–U+2069, which reorder the text displayed after them (the "Trojan Source"
//     trick); the invisible marks LRM, RLM and ALM (U+200E, U+200F, U+061C) are kept,
//     as right-to-left text needs them;
//   - U+FFFD REPLACEMENT CHARACTER: it stands for text already lost, most often an
//     unpaired surrogate such as "\ud800" in JSON, which Go's encoding/json (and
//     browsers) decode to U+FFFD;
//   - the 66 noncharacters (U+FDD0–U+FDEF and the last two code points of every
//     plane), reserved by Unicode for internal use, never for interchange.
//
// Everything else is accepted, unassigned code points too: a code point that the Go
// tables do not know yet may be tomorrow's emoji.
//
// The page's check (handson/bashoutter/web/app.js) implements the same rules.
package textcheck

import (
	"fmt"
	"unicode/utf8"
)

// Error says which character was refused and where.
type Error struct {
	// Position is the 1-based index of the character (code point) in the text; for
	// invalid UTF-8, of the first byte that does not decode.
	Position int
	// Rune is the refused character; utf8.RuneError for invalid UTF-8.
	Rune rune
	// Byte is the undecodable byte, for invalid UTF-8.
	Byte    byte
	invalid bool
	reason  string
}

func (e *Error) Error() string {
	if e.invalid {
		return fmt.Sprintf("character %d is not valid UTF-8 (byte 0x%02X); save or send the text as UTF-8", e.Position, e.Byte)
	}
	return fmt.Sprintf("character %d, %s, is not allowed: %s", e.Position, Describe(e.Rune), e.reason)
}

// Line checks one-line text: a name, a title, a line of a haiku.
func Line(s string) error { return check(s, false) }

// Text checks text that may span several lines: a question, a context, a message.
func Text(s string) error { return check(s, true) }

func check(s string, multiline bool) error {
	pos := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		pos++
		if r == utf8.RuneError && size <= 1 {
			return &Error{Position: pos, Rune: r, Byte: s[i], invalid: true}
		}
		next := ""
		if i+size < len(s) {
			next = s[i+size:]
		}
		if reason := refused(r, next, multiline); reason != "" {
			return &Error{Position: pos, Rune: r, reason: reason}
		}
		i += size
	}
	return nil
}

// refused is why r is not allowed, or "" when it is; next is the text after r.
func refused(r rune, next string, multiline bool) string {
	switch {
	case r == '\n' || r == '\t':
		if multiline {
			return ""
		}
		if r == '\n' {
			return "this field is one line"
		}
		return "this field is one line of text; use spaces"
	case r == '\r':
		if multiline && len(next) > 0 && next[0] == '\n' {
			return ""
		}
		if multiline {
			return "a carriage return is a line break only before a line feed"
		}
		return "this field is one line"
	case r < 0x20 || (r >= 0x7F && r <= 0x9F):
		return "control characters cannot be shown"
	case r == 0x2028 || r == 0x2029:
		if multiline {
			return ""
		}
		return "this field is one line"
	case (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
		return "bidirectional formatting characters can reorder how the text around them is displayed"
	case r == utf8.RuneError:
		return "it replaces text that was lost before it arrived (invalid UTF-8, or an unpaired surrogate such as \\ud800 in JSON)"
	case IsNoncharacter(r):
		return "noncharacters are reserved for internal use"
	}
	return ""
}

// IsNoncharacter reports whether r is one of Unicode's 66 noncharacters.
func IsNoncharacter(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || (r >= 0 && r <= utf8.MaxRune && r&0xFFFE == 0xFFFE)
}

// Describe names a character as "U+202E RIGHT-TO-LEFT OVERRIDE (Cf)": the names of
// the characters this package refuses, the code point and category otherwise.
func Describe(r rune) string {
	if n, ok := names[r]; ok {
		return fmt.Sprintf("U+%04X %s", r, n)
	}
	switch {
	case r < 0x20 || (r >= 0x7F && r <= 0x9F):
		return fmt.Sprintf("U+%04X (control, Cc)", r)
	case IsNoncharacter(r):
		return fmt.Sprintf("U+%04X (noncharacter, Cn)", r)
	}
	return fmt.Sprintf("U+%04X %q", r, r)
}

// names of the refused characters (Unicode names, or the control codes' aliases).
var names = map[rune]string{
	0x00: "NULL (control, Cc)", 0x07: "BELL (control, Cc)", 0x08: "BACKSPACE (control, Cc)",
	0x09: "CHARACTER TABULATION (tab, Cc)", 0x0A: "LINE FEED (line break, Cc)", 0x0B: "LINE TABULATION (control, Cc)",
	0x0C: "FORM FEED (control, Cc)", 0x0D: "CARRIAGE RETURN (line break, Cc)", 0x1B: "ESCAPE (control, Cc)",
	0x7F: "DELETE (control, Cc)", 0x85: "NEXT LINE (control, Cc)",
	0x2028: "LINE SEPARATOR (Zl)", 0x2029: "PARAGRAPH SEPARATOR (Zp)",
	0x202A: "LEFT-TO-RIGHT EMBEDDING (bidi, Cf)", 0x202B: "RIGHT-TO-LEFT EMBEDDING (bidi, Cf)",
	0x202C: "POP DIRECTIONAL FORMATTING (bidi, Cf)", 0x202D: "LEFT-TO-RIGHT OVERRIDE (bidi, Cf)",
	0x202E: "RIGHT-TO-LEFT OVERRIDE (bidi, Cf)", 0x2066: "LEFT-TO-RIGHT ISOLATE (bidi, Cf)",
	0x2067: "RIGHT-TO-LEFT ISOLATE (bidi, Cf)", 0x2068: "FIRST STRONG ISOLATE (bidi, Cf)",
	0x2069: "POP DIRECTIONAL ISOLATE (bidi, Cf)", 0xFFFD: "REPLACEMENT CHARACTER (So)",
}

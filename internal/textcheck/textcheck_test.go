package textcheck

import (
	"errors"
	"strings"
	"testing"
)

// Real-world text that must pass both checks.
var accepted = []string{
	"古池や👨\u200d👩\u200d👧", "芭蕉", "蛙飛び込む", "水の音", "Café", "cafe\u0301", "ｶﾀｶﾅ",
	"👍🏽 ok", "❤\ufe0f", "1\ufe0f\u20e3", "#\ufe0f\u20e3", "🇯🇵🇫🇷", "🏳\ufe0f\u200d🌈",
	"🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", // Scotland: tag sequence
	"שלום\u200f!", "مرحبا\u061c", "a\u200cb", "soft\u00adhyphen", "\U0001FAE9", // U+1FAE9: Unicode 16, unknown to Go 15 tables
	"\U000F0000", "a\u0378b", "x\U0002B820x", "",
}

func TestAcceptsPrintableText(t *testing.T) {
	for _, s := range accepted {
		if err := Line(s); err != nil {
			t.Errorf("Line(%+q) = %v", s, err)
		}
		if err := Text(s); err != nil {
			t.Errorf("Text(%+q) = %v", s, err)
		}
	}
	if err := Text("one\ntwo\r\nthree\tfour\u2028five"); err != nil {
		t.Errorf("Text with line breaks and a tab: %v", err)
	}
}

func TestRefusesAndSaysWhichCharacterWhere(t *testing.T) {
	for _, c := range []struct {
		text      string
		multiline bool
		want      string
	}{
		{"ab\x00c", true, "character 3, U+0000 NULL (control, Cc), is not allowed"},
		{"古池\nや", false, "character 3, U+000A LINE FEED (line break, Cc), is not allowed: this field is one line"},
		{"a\tb", false, "character 2, U+0009 CHARACTER TABULATION"},
		{"a\rb", true, "character 2, U+000D CARRIAGE RETURN"},
		{"a\x1b[31m", true, "character 2, U+001B ESCAPE"},
		{"a\u0085", true, "character 2, U+0085 NEXT LINE"},
		{"a\u009b", true, "character 2, U+009B (control, Cc)"},
		{"a\x7f", true, "character 2, U+007F DELETE"},
		{"👨\u200d👩 \u202etxt.exe", true, "character 5, U+202E RIGHT-TO-LEFT OVERRIDE (bidi, Cf), is not allowed: bidirectional"},
		{"\u2066x\u2069", true, "character 1, U+2066 LEFT-TO-RIGHT ISOLATE"},
		{"a\u2029b", false, "character 2, U+2029 PARAGRAPH SEPARATOR"},
		{"a\ufffd", true, "character 2, U+FFFD REPLACEMENT CHARACTER (So), is not allowed: it replaces text that was lost"},
		{"a\ufdd0", true, "character 2, U+FDD0 (noncharacter, Cn)"},
		{"a\U0010FFFF", true, "character 2, U+10FFFF (noncharacter, Cn)"},
		{"日本\xff語", true, "character 3 is not valid UTF-8 (byte 0xFF)"},
		{"a\xed\xa0\x80", true, "character 2 is not valid UTF-8 (byte 0xED)"}, // an encoded surrogate
	} {
		check := Line
		if c.multiline {
			check = Text
		}
		err := check(c.text)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+q: err = %v, want one line starting %q", c.text, err, c.want)
		}
	}
}

func TestNoncharacters(t *testing.T) {
	n := 0
	for r := rune(0); r <= 0x10FFFF; r++ {
		if IsNoncharacter(r) {
			n++
		}
	}
	if n != 66 {
		t.Errorf("%d noncharacters, Unicode has 66", n)
	}
}

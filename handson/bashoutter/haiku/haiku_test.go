package haiku

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

const basho = `{"username": "松尾芭蕉", "first": "閑さや", "second": "岩にしみ入る", "third": "蝉の声"}`

func isBadRequest(err error) bool {
	var bad *BadRequestError
	return errors.As(err, &bad)
}

func TestParsePostTrimsAndAccepts(t *testing.T) {
	h, err := ParsePost(`{"username":"  Bashō ","first":"古池や","second":" 蛙飛び込む","third":"水の音 "}`, false)
	if err != nil {
		t.Fatal(err)
	}
	if h != (Post{Username: "Bashō", First: "古池や", Second: "蛙飛び込む", Third: "水の音"}) {
		t.Errorf("parsed %+v", h)
	}
	// Exactly at the limits is fine.
	max := strings.Repeat("字", MaxLineRunes)
	body, _ := json.Marshal(Post{Username: strings.Repeat("名", MaxUsernameRune), First: max, Second: max, Third: max})
	if _, err := ParsePost(string(body), false); err != nil {
		t.Errorf("a haiku at the limits was refused: %v", err)
	}
}

func TestParsePostRefusesInvisibleTricks(t *testing.T) {
	for name, field := range map[string]string{
		"NUL":            `a\u0000b`,
		"tab":            "a\\tb",
		"bidi override":  `a\u202eb`,
		"lone surrogate": `a\ud800b`,
	} {
		_, err := ParsePost(`{"username":"u","first":"`+field+`","second":"b","third":"c"}`, false)
		if !isBadRequest(err) {
			t.Errorf("%s: err = %v, want a 400", name, err)
		}
	}
	if _, err := ParsePost("{\"username\":\"\xff\",\"first\":\"a\",\"second\":\"b\",\"third\":\"c\"}", false); err == nil ||
		!strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: err = %v", err)
	}
}

// unsafeToShow lists, independently of internal/textcheck, what no accepted field may
// contain: controls, line breaks, bidi embeddings/overrides/isolates, U+FFFD.
func unsafeToShow(r rune) bool {
	return r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0x2028 || r == 0x2029 ||
		(r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError
}

func TestParsePostAcceptsEmojiSequences(t *testing.T) {
	for _, first := range []string{"古池や👨‍👩‍👧", "古池や❤️", "古池や👋🏽", "古池や1️⃣", "古池や🇯🇵", "古池や🏳️‍🌈"} {
		body, _ := json.Marshal(Post{Username: "芭蕉", First: first, Second: "蛙飛び込む", Third: "水の音"})
		h, err := ParsePost(string(body), false)
		if err != nil || h.First != first {
			t.Errorf("%+q: %+v, %v", first, h, err)
		}
	}
}

func TestParsePostSaysWhichCharacter(t *testing.T) {
	_, err := ParsePost(`{"username":"u","first":"古池\u202eや","second":"b","third":"c"}`, false)
	want := "first: character 3, U+202E RIGHT-TO-LEFT OVERRIDE (bidi, Cf), is not allowed"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %q…", err, want)
	}
}

// FuzzParsePost: whatever arrives as a POST body, the parser answers either a clean
// haiku or a *BadRequestError with a readable message (the API's 400, see
// api.StatusOf); it never panics. The seed corpus is in testdata/fuzz/FuzzParsePost;
// `make test` fuzzes for a bounded time.
func FuzzParsePost(f *testing.F) {
	f.Add(basho, false)
	f.Add(`{"username":"a","first":"b","second":"c","third":"d","likes":100}`, false)
	f.Add("eyJ1c2VybmFtZSI6ImEiLCJmaXJzdCI6ImIiLCJzZWNvbmQiOiJjIiwidGhpcmQiOiJkIn0=", true)
	f.Add(`null`, false)
	f.Fuzz(func(t *testing.T, body string, isBase64 bool) {
		h, err := ParsePost(body, isBase64)
		if err != nil {
			if !isBadRequest(err) {
				t.Fatalf("error %v (%T) is not a *BadRequestError: the API would answer 500", err, err)
			}
			if msg := err.Error(); msg == "" || !utf8.ValidString(msg) {
				t.Fatalf("unreadable message %q", msg)
			}
			return
		}
		for name, v := range map[string]string{"username": h.Username, "first": h.First, "second": h.Second, "third": h.Third} {
			limit := MaxLineRunes
			if name == "username" {
				limit = MaxUsernameRune
			}
			if v == "" || v != strings.TrimSpace(v) || utf8.RuneCountInString(v) > limit || !utf8.ValidString(v) ||
				strings.ContainsFunc(v, unsafeToShow) {
				t.Fatalf("accepted %s = %q", name, v)
			}
		}
		// What was accepted is accepted again, unchanged, when sent back as JSON.
		again, _ := json.Marshal(h)
		h2, err := ParsePost(string(again), false)
		if err != nil || h2 != h {
			t.Fatalf("round trip of %+v gave %+v, %v", h, h2, err)
		}
	})
}

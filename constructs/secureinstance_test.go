package constructs

import (
	"os/exec"
	"testing"
)

// The quoted word is what a POSIX shell reads back, byte for byte, whatever it holds:
// key pair names may be any printable ASCII (x;id, it's, $(id)).
func TestShellQuoteRoundTripsThroughSh(t *testing.T) {
	for _, word := range []string{"my-key", "x;id", "it's", "$(id)", "`id`", `a"b\c`, "two  spaces", "'", "''", "~", "*", "a$HOME", "!x"} {
		quoted := shellQuote(word)
		out, err := exec.Command("sh", "-c", "printf %s "+quoted).Output()
		if err != nil {
			t.Fatalf("%q → %s: %v", word, quoted, err)
		}
		if string(out) != word {
			t.Errorf("%q → %s → sh read %q", word, quoted, out)
		}
	}
	if got := shellQuote(".ssh/my-key.pem"); got != ".ssh/my-key.pem" {
		t.Errorf("a plain name is quoted: %s", got)
	}
}

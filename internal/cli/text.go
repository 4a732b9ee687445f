package cli

import (
	"fmt"
	"strings"
)

// OneLine keeps a message on one line: AWS messages and wrapped errors sometimes
// span several, and every client promises one line per error.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Plural is "1 job", "3 jobs" (English plurals of the words the clients count).
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

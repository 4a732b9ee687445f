// Package haiku is what Bashoutter stores and how a posted haiku is checked. It uses
// the standard library and internal/textcheck only, so its fuzz test builds and runs
// fast.
package haiku

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/intro-aws-go/intro-aws-go/internal/textcheck"
)

// Post is the body of POST /haiku.
type Post struct {
	Username string `json:"username"`
	First    string `json:"first"`
	Second   string `json:"second"`
	Third    string `json:"third"`
}

// Limits on what a post may contain. They keep an item far below DynamoDB's 400 KB and
// the page readable; a haiku is three short lines.
const (
	MaxBodyBytes    = 4096
	MaxLineRunes    = 64
	MaxUsernameRune = 32
)

// BadRequestError is a client mistake: the API answers 400 with its message.
type BadRequestError struct{ Message string }

func (e *BadRequestError) Error() string { return e.Message }

// BadRequest formats a *BadRequestError.
func BadRequest(format string, args ...any) error {
	return &BadRequestError{Message: fmt.Sprintf(format, args...)}
}

// ParsePost reads and checks the body of POST /haiku. Every problem is a
// *BadRequestError with a message a person can act on; nothing in body can make it
// panic or fail otherwise.
func ParsePost(body string, isBase64 bool) (Post, error) {
	raw := []byte(body)
	if isBase64 {
		decoded, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return Post{}, BadRequest("the body is marked base64 but is not valid base64")
		}
		raw = decoded
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return Post{}, BadRequest(`the body is empty; send JSON like {"username": "Basho", "first": "...", "second": "...", "third": "..."}`)
	}
	if len(raw) > MaxBodyBytes {
		return Post{}, BadRequest("the body is %d bytes; the limit is %d", len(raw), MaxBodyBytes)
	}
	if !utf8.Valid(raw) {
		return Post{}, BadRequest("the body is not valid UTF-8 text")
	}

	var h Post
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return Post{}, jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Post{}, BadRequest("the body has more after its JSON object; send exactly one object")
	}

	fields := []struct {
		name  string
		value *string
		max   int
	}{
		{"username", &h.Username, MaxUsernameRune},
		{"first", &h.First, MaxLineRunes},
		{"second", &h.Second, MaxLineRunes},
		{"third", &h.Third, MaxLineRunes},
	}
	for _, f := range fields {
		v := strings.TrimSpace(*f.value)
		switch {
		case v == "":
			return Post{}, BadRequest("%s is missing or empty", f.name)
		case utf8.RuneCountInString(v) > f.max:
			return Post{}, BadRequest("%s is %d characters long; the limit is %d", f.name, utf8.RuneCountInString(v), f.max)
		}
		// Each field is one line of any printable text: emoji sequences (ZWJ, variation
		// selectors, skin tones, flags) and Japanese are welcome; controls, line
		// breaks and bidi overrides are not.
		if err := textcheck.Line(v); err != nil {
			return Post{}, BadRequest("%s: %v", f.name, err)
		}
		*f.value = v
	}
	return h, nil
}

// jsonProblem explains a decoding error in the API's terms.
func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return BadRequest("%s must be a string", typeErr.Field)
	case errors.As(err, &typeErr):
		return BadRequest("the body must be a JSON object, not %s", typeErr.Value)
	case errors.As(err, &syntaxErr):
		return BadRequest("the body is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("the body is not valid JSON (it ends too early)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return BadRequest("%s; the fields are username, first, second and third", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return BadRequest("the body is not a valid haiku: %v", err)
	}
}

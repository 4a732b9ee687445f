package awsenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// DeadlineError: a call got no answer within its overall deadline (every try and
// back-off included).
type DeadlineError struct {
	Service, Operation string
	After              time.Duration
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("no answer from %s %s within %s, even after retries: check your network connection (and AWS_ENDPOINT_URL, if set), then run again",
		e.Service, e.Operation, e.After)
}

// Timeout makes a DeadlineError a timeout for code that asks.
func (e *DeadlineError) Timeout() bool { return true }

var errCallDeadline = errors.New("call deadline")

// deadlineAPIOptions puts callDeadline first in every operation's middleware stack,
// so it encloses the retry loop.
func deadlineAPIOptions(d time.Duration) []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(callDeadline{d}, middleware.Before)
	}}
}

// callDeadline bounds one call. A streaming answer (an io.ReadCloser field named
// Body, as in s3.GetObjectOutput) is read after the call returns: its context then
// lives until the body is closed, with no deadline but the caller's.
type callDeadline struct{ d time.Duration }

func (callDeadline) ID() string { return "IntroAwsGoCallDeadline" }

func (m callDeadline) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(m.d, func() { cancel(errCallDeadline) })
	out, md, err := next.HandleInitialize(ctx, in)
	timer.Stop()
	if err != nil && errors.Is(context.Cause(ctx), errCallDeadline) {
		err = &DeadlineError{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx), After: m.d}
	}
	if err != nil || !wrapBody(out.Result, func() { cancel(nil) }) {
		cancel(nil)
	}
	return out, md, err
}

var readCloserType = reflect.TypeFor[io.ReadCloser]()

// wrapBody replaces result's Body with one that calls done when closed; false when
// result has no body.
func wrapBody(result any, done func()) bool {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	f := v.Elem().FieldByName("Body")
	if !f.IsValid() || !f.CanSet() || f.Type() != readCloserType || f.IsNil() {
		return false
	}
	f.Set(reflect.ValueOf(io.ReadCloser(&closeHook{ReadCloser: f.Interface().(io.ReadCloser), done: done})))
	return true
}

type closeHook struct {
	io.ReadCloser
	done func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.done()
	return err
}

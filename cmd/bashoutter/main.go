// Command bashoutter is hands-on #6's client, replacing the course's client.py:
//
//	go run ./cmd/bashoutter post-many 100 --concurrency 10   # watch Lambda scale out
//	go run ./cmd/bashoutter list                             # the newest haiku
//	go run ./cmd/bashoutter clear                            # delete every haiku
//	go run ./cmd/bashoutter local                            # the app on localhost, no AWS
//
// The API's URL comes from the Bashoutter stack's ApiUrl output (in the region of your
// AWS CLI profile), or from --api-url (for example the local mode's).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/local"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
	"github.com/intro-aws-go/intro-aws-go/internal/textcheck"
)

func main() { cli.Main(newProgram()) }

// run is the whole client; it returns the exit code (the tests call it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newProgram().Run(ctx, args, strings.NewReader(""), stdout, stderr)
}

// flags are every command's flags.
type flags struct {
	apiURL             string
	concurrency, limit int
	yes                bool
	port, apiPort      int
}

func newProgram() *cli.Program {
	f := &flags{}
	apiURL := func(fs *flag.FlagSet) {
		fs.StringVar(&f.apiURL, "api-url", "", "the API to call, e.g. the local mode's http://127.0.0.1:8081 (default: the Bashoutter stack's ApiUrl output)")
	}
	return &cli.Program{
		Name:    "bashoutter",
		Summary: "the client of hands-on #6 (Bashoutter), in place of the course's client.py",
		Commands: []*cli.Command{
			{Name: "post-many", Args: "N", MinArgs: 1, MaxArgs: 1, Summary: "post N haiku, C at a time (watch Lambda scale out)",
				Example: "bashoutter post-many 100 --concurrency 10",
				Flags: func(fs *flag.FlagSet) {
					apiURL(fs)
					fs.IntVar(&f.concurrency, "concurrency", 5, "send at most `C` requests at once (1 to 64)")
				},
				Run: f.postMany},
			{Name: "list", Summary: "print the newest haiku", Example: "bashoutter list --limit 5",
				Flags: func(fs *flag.FlagSet) {
					apiURL(fs)
					fs.IntVar(&f.limit, "limit", bashoutter.DefaultPageSize, fmt.Sprintf("show the newest `N` (1 to %d)", bashoutter.MaxPageSize))
				},
				Run: f.list},
			{Name: "clear", Summary: "delete every haiku (asks first unless --yes)", Example: "bashoutter clear --yes",
				Flags: func(fs *flag.FlagSet) {
					apiURL(fs)
					fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
				},
				Run: f.clear},
			{Name: "local", Summary: "run the page and the API on localhost against a local DynamoDB (moto); nothing in AWS",
				Example: "bashoutter local --port 8090 --api-port 8091",
				Flags: func(fs *flag.FlagSet) {
					fs.IntVar(&f.port, "port", 8080, "the page's `PORT` on 127.0.0.1")
					fs.IntVar(&f.apiPort, "api-port", 8081, "the API's `PORT` on 127.0.0.1")
				},
				Run: f.runLocal},
		},
	}
}

// client calls the haiku API.
type client struct {
	base string
	http *http.Client
}

// newClient finds the API: --api-url, else the stack's output.
func newClient(ctx context.Context, c *cli.Call, apiURL string) (*client, error) {
	if apiURL != "" {
		if err := checkURL(apiURL); err != nil {
			return nil, err
		}
	} else {
		cfg, err := c.AWS(ctx)
		if err != nil {
			return nil, err
		}
		if apiURL, err = awsenv.Output(ctx, cfg, bashoutter.StackName, bashoutter.OutputApiUrl); err != nil {
			return nil, err
		}
	}
	return &client{base: strings.TrimRight(apiURL, "/"), http: &http.Client{Timeout: 30 * time.Second}}, nil
}

func checkURL(apiURL string) error {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return cli.Usagef("--api-url %q is not an http(s) URL, e.g. https://abc123.execute-api.ap-northeast-1.amazonaws.com", apiURL)
	}
	return nil
}

// errThrottled is API Gateway's 429: the stage's rate limit.
var errThrottled = errors.New("throttled")

// throttleBackoff is the AWS SDK's back-off (exponential, full jitter), for what API
// Gateway asks to retry, which a plain HTTP client has to retry itself.
var throttleBackoff = retry.NewExponentialJitterBackoff(5 * time.Second)

// maxTries bounds the tries of a request that failed with a 5xx or a lost connection;
// maxThrottledTries those of a request the stage throttled (429), which only asks to
// come back later: with 20 requests at once against a stage of 10 requests/s, a
// request may be throttled many times in a row before its turn comes.
const (
	maxTries          = 7
	maxThrottledTries = 20
)

// do sends one request, retrying with back-off what API Gateway asks to retry (at most
// maxTries in all), and decodes a JSON answer into out (when not nil). It reports how
// many attempts were throttled. Retried: 429 (the stage's throttling) and 503 (not
// processed) for every request; for GET and DELETE, which can be repeated safely, also
// other 5xx and a lost connection. A POST is not repeated after a 500 or a lost
// connection: the haiku may have been stored, and a second one would be a duplicate.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
func (c *client) do(ctx context.Context, method, path string, body, out any) (throttled int, err error) {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	for attempt := 1; ; attempt++ {
		raw, err := c.send(ctx, method, path, payload)
		if err == nil {
			if out != nil {
				if err := json.Unmarshal(raw, out); err != nil {
					return throttled, fmt.Errorf("%s %s: the answer is not the API's JSON (%v): is --api-url the Bashoutter API?", method, path, err)
				}
			}
			return throttled, nil
		}
		if errors.Is(err, errThrottled) {
			throttled++
		} else if ctx.Err() != nil || !retryable(err, method != http.MethodPost) {
			return throttled, err
		}
		if attempt >= maxTries && (!errors.Is(err, errThrottled) || attempt >= maxThrottledTries) {
			return throttled, fmt.Errorf("%w after %d tries", err, attempt)
		}
		wait, _ := throttleBackoff.BackoffDelay(attempt, err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return throttled, ctx.Err()
		}
	}
}

// retryable says whether a failed request (other than a 429) may be sent again: a 503
// always (API Gateway did not process it); other 5xx but 501, and a lost connection,
// only when repeating the request is safe.
func retryable(err error, idempotent bool) bool {
	var h *httpError
	if errors.As(err, &h) {
		return h.status == http.StatusServiceUnavailable ||
			idempotent && h.status >= 500 && h.status != http.StatusNotImplemented
	}
	return idempotent
}

// send makes one request and returns the answer's body (at most 1 MiB).
func (c *client) send(ctx context.Context, method, path string, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("%s %s: %w (HTTP 429)", method, path, errThrottled)
	case resp.StatusCode >= 300:
		var m struct{ Message string }
		_ = json.Unmarshal(raw, &m)
		if m.Message == "" {
			m.Message = strings.TrimSpace(string(raw))
		}
		return nil, &httpError{status: resp.StatusCode, message: fmt.Sprintf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, m.Message)}
	}
	return raw, nil
}

type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return e.message }

// The course's haiku (Matsuo Bashō).
var basho = map[string]string{"username": "松尾芭蕉", "first": "閑さや", "second": "岩にしみ入る", "third": "蝉の声"}

func (f *flags) postMany(ctx context.Context, call *cli.Call) error {
	n, err := strconv.Atoi(call.Args[0])
	if err != nil || n < 1 || n > 100000 {
		return cli.Usagef("post-many %s: the number must be from 1 to 100000", call.Args[0])
	}
	if f.concurrency < 1 || f.concurrency > 64 {
		return cli.Usagef("--concurrency %d: use 1 to 64", f.concurrency)
	}
	c, err := newClient(ctx, call, f.apiURL)
	if err != nil {
		return err
	}
	start := time.Now()
	var throttled atomic.Int64
	created, err := cli.Parallel(ctx, n, f.concurrency, func(int) error {
		th, err := c.do(ctx, http.MethodPost, "/haiku", basho, nil)
		throttled.Add(int64(th))
		if err == nil {
			fmt.Fprint(call.Stdout, ".")
		}
		return err
	})
	elapsed := time.Since(start)
	fmt.Fprintf(call.Stdout, "\nPosted %d of %d haiku to %s in %.1fs (%.0f/s), %d at a time.\n",
		created, n, c.base, elapsed.Seconds(), float64(created)/elapsed.Seconds(), f.concurrency)
	if th := throttled.Load(); th > 0 {
		fmt.Fprintf(call.Stdout, "%d requests were throttled (HTTP 429: the API stage limits the request rate) and retried.\n", th)
	}
	if err != nil && ctx.Err() != nil {
		return cli.Interrupted(fmt.Sprintf("%d of %d haiku were posted", created, n))
	}
	return err
}

func (f *flags) list(ctx context.Context, call *cli.Call) error {
	if f.limit < 1 || f.limit > bashoutter.MaxPageSize {
		return cli.Usagef("--limit %d: give 1 to %d", f.limit, bashoutter.MaxPageSize)
	}
	c, err := newClient(ctx, call, f.apiURL)
	if err != nil {
		return err
	}
	var page bashoutter.Page
	if _, err := c.do(ctx, http.MethodGet, "/haiku?limit="+strconv.Itoa(f.limit), nil, &page); err != nil {
		return err
	}
	for _, h := range page.Items {
		fmt.Fprintf(call.Stdout, "%s  %s %s %s  — %s  ♥%d  %s\n", h.CreatedAt, shown(h.First), shown(h.Second), shown(h.Third), shown(h.Username), h.Likes, h.ItemID)
	}
	switch {
	case len(page.Items) == 0:
		fmt.Fprintln(call.Stdout, "No haiku yet.")
	case page.Next != "" && f.limit < bashoutter.MaxPageSize:
		fmt.Fprintf(call.Stdout, "(more: list --limit %d shows up to %d at once)\n", bashoutter.MaxPageSize, bashoutter.MaxPageSize)
	case page.Next != "":
		fmt.Fprintf(call.Stdout, "(more: the API gives at most %d at once; the page's \"More\" button pages through all)\n", bashoutter.MaxPageSize)
	}
	return nil
}

// shown is a field as the terminal may print it: as is when internal/textcheck accepts
// it, quoted with escapes otherwise (an item written to the table by other means could
// hold terminal escape sequences or bidi overrides).
func shown(s string) string {
	if textcheck.Line(s) != nil {
		return fmt.Sprintf("%+q", s)
	}
	return s
}

// clear lists every haiku, asks (unless --yes), and deletes them; only the haiku
// the API really deleted are counted (a 404: someone deleted it meanwhile).
func (f *flags) clear(ctx context.Context, call *cli.Call) error {
	c, err := newClient(ctx, call, f.apiURL)
	if err != nil {
		return err
	}
	ids, err := c.allIDs(ctx)
	if err != nil || len(ids) == 0 {
		if err == nil {
			fmt.Fprintf(call.Stdout, "No haiku to delete at %s.\n", c.base)
		}
		return err
	}
	if !f.yes {
		if ok, err := cli.Confirm(call, fmt.Sprintf("Delete all %d haiku at %s?", len(ids), c.base)); !ok {
			if err == nil {
				fmt.Fprintln(call.Stdout, "Nothing deleted.")
				err = cli.ErrReported
			}
			return err
		}
	}
	deleted, gone, err := c.deleteAll(ctx, ids, call.Stdout)
	fmt.Fprintf(call.Stdout, "\nDeleted %d haiku", deleted)
	if gone > 0 {
		fmt.Fprintf(call.Stdout, " (%d more were already gone)", gone)
	}
	fmt.Fprintln(call.Stdout, ".")
	if err != nil && ctx.Err() != nil {
		return cli.Interrupted(fmt.Sprintf("%d of %d haiku deleted", deleted, len(ids)))
	}
	return err
}

// allIDs pages through the whole table.
func (c *client) allIDs(ctx context.Context) ([]string, error) {
	var ids []string
	next := ""
	for {
		var page bashoutter.Page
		path := "/haiku?limit=" + strconv.Itoa(bashoutter.MaxPageSize)
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		if _, err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, h := range page.Items {
			ids = append(ids, h.ItemID)
		}
		if next = page.Next; next == "" {
			return ids, nil
		}
	}
}

// deleteAll deletes ids, 5 at a time: deleted counts 2xx answers, gone 404s.
func (c *client) deleteAll(ctx context.Context, ids []string, progress io.Writer) (deleted, gone int, err error) {
	var goneCount atomic.Int64
	done, err := cli.Parallel(ctx, len(ids), 5, func(i int) error {
		_, err := c.do(ctx, http.MethodDelete, "/haiku/"+url.PathEscape(ids[i]), nil, nil)
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusNotFound {
			goneCount.Add(1)
			return nil
		}
		if err == nil {
			fmt.Fprint(progress, ".")
		}
		return err
	})
	gone = int(goneCount.Load())
	return done - gone, gone, err
}

// runLocal is `make bashoutter-local`: moto's DynamoDB, the table, the page and the API.
func (f *flags) runLocal(ctx context.Context, call *cli.Call) error {
	port, apiPort, stdout := f.port, f.apiPort, call.Stdout
	for _, p := range []struct {
		flag string
		n    int
	}{{"--port", port}, {"--api-port", apiPort}} {
		if p.n < 1 || p.n > 65535 {
			return cli.Usagef("%s %d: a TCP port is 1 to 65535", p.flag, p.n)
		}
	}
	if port == apiPort {
		return cli.Usagef("--port and --api-port are both %d: the page and the API need two ports", port)
	}
	root, err := project.Root()
	if err != nil {
		return err
	}
	moto, err := testenv.StartMotoServer()
	if err != nil {
		return fmt.Errorf("the local mode needs moto for DynamoDB: %w", err)
	}
	defer moto.Stop()
	db := dynamodb.NewFromConfig(moto.Config())
	if err := api.CreateTable(ctx, db, "bashoutter-local"); err != nil {
		return err
	}
	h := &api.Handler{Store: &api.Store{DB: db, Table: "bashoutter-local"}}
	servers, err := local.Start(local.Options{
		Handler: h, WebDir: root + "/handson/bashoutter/web",
		SiteAddr: fmt.Sprintf("127.0.0.1:%d", port), APIAddr: fmt.Sprintf("127.0.0.1:%d", apiPort),
	})
	if err != nil {
		return err
	}
	defer servers.Close()
	fmt.Fprintf(stdout, "Bashoutter runs locally (DynamoDB: moto at %s, nothing in AWS).\n", moto.Endpoint)
	fmt.Fprintf(stdout, "  page: %s (or %s)\n  API:  %s  (try: curl %s/haiku)\n", servers.SiteURL, servers.LocalhostURL, servers.APIURL, servers.APIURL)
	fmt.Fprintf(stdout, "  load: bin/bashoutter post-many 50 --api-url %s   (or go run ./cmd/bashoutter ...)\n", servers.APIURL)
	fmt.Fprintf(stdout, "The API is throttled as in AWS: %d requests/s, bursts of %d.\n", bashoutter.StageRateLimit, bashoutter.StageBurstLimit)
	fmt.Fprintln(stdout, "Ctrl-C stops it; the haiku are forgotten.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nStopped.")
	return nil
}

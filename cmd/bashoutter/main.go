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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/local"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

const usage = `usage: bashoutter <command> [flags]

commands:
  post-many N [--concurrency C]   post N haiku, C at a time (default 5)
  list [--limit N]                print the newest haiku (default 20)
  clear                           delete every haiku
  local [--port P] [--api-port Q] run the page and the API on localhost against a local DynamoDB (moto)

flags of post-many, list and clear:
  --api-url URL   the API to call (default: the Bashoutter stack's ApiUrl output)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cli.Run(ctx, args, stdout, stderr, usage, dispatch)
}

func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	switch cmd, rest := args[0], args[1:]; cmd {
	case "post-many":
		return postMany(ctx, rest, stdout)
	case "list":
		return list(ctx, rest, stdout)
	case "clear":
		return clearAll(ctx, rest, stdout)
	case "local":
		return runLocal(ctx, rest, stdout)
	default:
		return fmt.Errorf("unknown command %q: the commands are post-many, list, clear and local (bashoutter --help)", cmd)
	}
}

// flags parses a subcommand's flags; positional arguments may come before them.
func flags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	define(fs)
	return cli.Parse(fs, args, "bashoutter --help")
}

// client calls the haiku API.
type client struct {
	base string
	http *http.Client
}

func newClient(ctx context.Context, apiURL string) (*client, error) {
	if apiURL == "" {
		cfg, err := awsenv.Load(ctx, "", "")
		if err != nil {
			return nil, err
		}
		if apiURL, err = awsenv.Output(ctx, cfg, handsons.Bashoutter, "ApiUrl"); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("--api-url %q is not an http(s) URL, e.g. https://abc123.execute-api.ap-northeast-1.amazonaws.com", apiURL)
	}
	return &client{base: strings.TrimRight(apiURL, "/"), http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// errThrottled is API Gateway's 429: the stage's rate limit.
var errThrottled = errors.New("throttled")

// do sends one request, retrying with back-off what API Gateway asks to retry, and
// decodes a JSON answer into out (when not nil). It reports how many attempts were
// throttled. Retried: 429 (the stage's throttling) and 503 (not processed) for every
// request; for GET and DELETE, which can be repeated safely, also other 5xx and a lost
// connection. A POST is not repeated after a 500 or a lost connection: the haiku may
// have been stored, and a second one would be a duplicate.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
func (c *client) do(ctx context.Context, method, path string, body, out any) (throttled int, err error) {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	wait := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(payload))
		if err != nil {
			return throttled, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		idempotent := method != http.MethodPost
		backOff := func() error {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
			wait = min(2*wait, 5*time.Second)
			return nil
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if idempotent && attempt < 6 && ctx.Err() == nil {
				if err := backOff(); err != nil {
					return throttled, err
				}
				continue
			}
			return throttled, fmt.Errorf("%s %s: %w", method, path, err)
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			throttled++
			if attempt == 6 {
				return throttled, fmt.Errorf("%s %s: %w (HTTP 429) after %d tries", method, path, errThrottled, attempt+1)
			}
			if err := backOff(); err != nil {
				return throttled, err
			}
			continue
		case attempt < 6 && (resp.StatusCode == http.StatusServiceUnavailable || idempotent && resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented):
			if err := backOff(); err != nil {
				return throttled, err
			}
			continue
		case resp.StatusCode >= 300:
			var m struct{ Message string }
			_ = json.Unmarshal(raw, &m)
			if m.Message == "" {
				m.Message = strings.TrimSpace(string(raw))
			}
			return throttled, &httpError{status: resp.StatusCode, message: fmt.Sprintf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, m.Message)}
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				return throttled, fmt.Errorf("%s %s: the answer is not the API's JSON (%v): is --api-url the Bashoutter API?", method, path, err)
			}
		}
		return throttled, nil
	}
}

type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return e.message }

// The course's haiku (Matsuo Bashō).
var basho = map[string]string{"username": "松尾芭蕉", "first": "閑さや", "second": "岩にしみ入る", "third": "蝉の声"}

func postMany(ctx context.Context, args []string, stdout io.Writer) error {
	var apiURL string
	var concurrency int
	pos, err := flags("post-many", args, func(fs *flag.FlagSet) {
		fs.StringVar(&apiURL, "api-url", "", "")
		fs.IntVar(&concurrency, "concurrency", 5, "")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("post-many: give the number of haiku, e.g. post-many 100")
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n < 1 || n > 100000 {
		return fmt.Errorf("post-many %s: the number must be from 1 to 100000", pos[0])
	}
	if concurrency < 1 || concurrency > 64 {
		return fmt.Errorf("--concurrency %d: use 1 to 64", concurrency)
	}
	c, err := newClient(ctx, apiURL)
	if err != nil {
		return err
	}
	start := time.Now()
	var throttled atomic.Int64
	created, err := cli.Parallel(ctx, n, concurrency, func(int) error {
		th, err := c.do(ctx, http.MethodPost, "/haiku", basho, nil)
		throttled.Add(int64(th))
		if err == nil {
			fmt.Fprint(stdout, ".")
		}
		return err
	})
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "\nPosted %d of %d haiku to %s in %.1fs (%.0f/s), %d at a time.\n",
		created, n, c.base, elapsed.Seconds(), float64(created)/elapsed.Seconds(), concurrency)
	if th := throttled.Load(); th > 0 {
		fmt.Fprintf(stdout, "%d requests were throttled (HTTP 429: the API stage limits the request rate) and retried.\n", th)
	}
	return err
}

func list(ctx context.Context, args []string, stdout io.Writer) error {
	var apiURL string
	var limit int
	if _, err := flags("list", args, func(fs *flag.FlagSet) {
		fs.StringVar(&apiURL, "api-url", "", "")
		fs.IntVar(&limit, "limit", api.DefaultPageSize, "")
	}); err != nil {
		return err
	}
	c, err := newClient(ctx, apiURL)
	if err != nil {
		return err
	}
	var page api.Page
	if _, err := c.do(ctx, http.MethodGet, "/haiku?limit="+strconv.Itoa(limit), nil, &page); err != nil {
		return err
	}
	for _, h := range page.Items {
		fmt.Fprintf(stdout, "%s  %s %s %s  — %s  ♥%d  %s\n", h.CreatedAt, h.First, h.Second, h.Third, h.Username, h.Likes, h.ItemID)
	}
	if len(page.Items) == 0 {
		fmt.Fprintln(stdout, "No haiku yet.")
	} else if page.Next != "" {
		fmt.Fprintf(stdout, "(more: list --limit %d shows up to %d at once)\n", limit, api.MaxPageSize)
	}
	return nil
}

// clearAll deletes page after page until the API lists nothing.
func clearAll(ctx context.Context, args []string, stdout io.Writer) error {
	var apiURL string
	if _, err := flags("clear", args, func(fs *flag.FlagSet) { fs.StringVar(&apiURL, "api-url", "", "") }); err != nil {
		return err
	}
	c, err := newClient(ctx, apiURL)
	if err != nil {
		return err
	}
	deleted := 0
	for {
		var page api.Page
		if _, err := c.do(ctx, http.MethodGet, "/haiku?limit="+strconv.Itoa(api.MaxPageSize), nil, &page); err != nil {
			return err
		}
		if len(page.Items) == 0 {
			break
		}
		if _, err := cli.Parallel(ctx, len(page.Items), 5, func(i int) error {
			_, err := c.do(ctx, http.MethodDelete, "/haiku/"+url.PathEscape(page.Items[i].ItemID), nil, nil)
			var he *httpError
			if errors.As(err, &he) && he.status == http.StatusNotFound {
				return nil // deleted meanwhile by someone else
			}
			return err
		}); err != nil {
			return err
		}
		deleted += len(page.Items)
		fmt.Fprint(stdout, ".")
	}
	fmt.Fprintf(stdout, "\nDeleted %d haiku; the table is empty.\n", deleted)
	return nil
}

// runLocal is `make bashoutter-local`: moto's DynamoDB, the table, the page and the API.
func runLocal(ctx context.Context, args []string, stdout io.Writer) error {
	var port, apiPort int
	if _, err := flags("local", args, func(fs *flag.FlagSet) {
		fs.IntVar(&port, "port", 8080, "")
		fs.IntVar(&apiPort, "api-port", 8081, "")
	}); err != nil {
		return err
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
	fmt.Fprintf(stdout, "  page: %s\n  API:  %s  (try: curl %s/haiku)\n", servers.SiteURL, servers.APIURL, servers.APIURL)
	fmt.Fprintf(stdout, "  load: go run ./cmd/bashoutter post-many 50 --api-url %s\n", servers.APIURL)
	fmt.Fprintf(stdout, "The API is throttled as in AWS: %d requests/s, bursts of %d.\n", api.StageRateLimit, api.StageBurstLimit)
	fmt.Fprintln(stdout, "Ctrl-C stops it; the haiku are forgotten.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nStopped.")
	return nil
}

package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/local"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// The client runs against the local mode (the same handler as in AWS, behind the local
// API Gateway stand-in with the stage's throttling), and finds the API through the
// stack's outputs in moto's CloudFormation.
func setup(t *testing.T) (*testenv.Moto, *local.Servers, *api.Store) {
	t.Helper()
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	s, store := serveLocal(t, dynamodb.NewFromConfig(moto.Config()))
	return moto, s, store
}

// serveLocal creates the haiku table through db and serves the page and the API on
// loopback ports until the test ends.
func serveLocal(t *testing.T, db *dynamodb.Client) (*local.Servers, *api.Store) {
	t.Helper()
	if err := api.CreateTable(context.Background(), db, "haiku"); err != nil {
		t.Fatal(err)
	}
	store := &api.Store{DB: db, Table: "haiku"}
	root, _ := project.Root()
	s, err := local.Start(local.Options{
		Handler: &api.Handler{Store: store, Logf: t.Logf}, WebDir: filepath.Join(root, "handson/bashoutter/web"),
		SiteAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, store
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func count(t *testing.T, store *api.Store) int {
	t.Helper()
	page, err := store.List(context.Background(), bashoutter.MaxPageSize, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

func TestPostManyListClearThroughTheStackOutput(t *testing.T) {
	moto, s, store := setup(t)
	moto.CreateStack(t, "Bashoutter", map[string]string{"ApiUrl": s.APIURL, "SiteUrl": s.SiteURL})

	// 30 posts, 8 at a time, against a stage that allows 10/s with bursts of 20: some
	// are throttled (429) and retried, and all 30 arrive.
	code, out, errOut := runCmd(t, "post-many", "30", "--concurrency", "8")
	if code != 0 || !strings.Contains(out, "Posted 30 of 30 haiku to "+s.APIURL) {
		t.Fatalf("post-many = %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "throttled (HTTP 429") {
		t.Errorf("30 requests at once against a burst of 20 were not throttled?\n%s", out)
	}
	if n := count(t, store); n != 30 {
		t.Errorf("%d haiku in the table, want 30", n)
	}

	code, out, _ = runCmd(t, "list", "--limit", "5")
	if code != 0 || strings.Count(out, "閑さや 岩にしみ入る 蝉の声  — 松尾芭蕉  ♥0") != 5 || !strings.Contains(out, "(more: list --limit 100 shows up to 100 at once)") {
		t.Errorf("list = %d\n%s", code, out)
	}

	code, out, errOut = runCmd(t, "clear", "--yes")
	if code != 0 || !strings.Contains(out, "Deleted 30 haiku.") {
		t.Fatalf("clear = %d\n%s\n%s", code, out, errOut)
	}
	if n := count(t, store); n != 0 {
		t.Errorf("%d haiku left after clear", n)
	}
	if code, out, _ := runCmd(t, "list"); code != 0 || strings.TrimSpace(out) != "No haiku yet." {
		t.Errorf("list after clear = %d %q", code, out)
	}
}

func TestApiUrlFlagNeedsNoAWS(t *testing.T) {
	_, s, store := setup(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9") // nothing listens: the flag must not need AWS
	if code, out, errOut := runCmd(t, "post-many", "3", "--api-url", s.APIURL+"/"); code != 0 || !strings.Contains(out, "Posted 3 of 3") {
		t.Fatalf("post-many --api-url = %d\n%s%s", code, out, errOut)
	}
	if n := count(t, store); n != 3 {
		t.Errorf("%d haiku, want 3", n)
	}
}

// Every mistake ends in one line that says what to do: exit 2 for bad usage (checked
// before anything is sent), 1 for a failure.
func TestMistakesAreOneLine(t *testing.T) {
	setup(t) // moto's CloudFormation has no Bashoutter stack
	cases := map[string]struct {
		args []string
		code int
		want string
	}{
		"not deployed":    {[]string{"post-many", "1"}, 1, "error: stack Bashoutter is not deployed in us-east-1: run `npx cdk deploy Bashoutter`"},
		"no count":        {[]string{"post-many"}, 2, "error: post-many needs 1 argument: bashoutter post-many N [flags] (see bashoutter post-many --help)"},
		"bad count":       {[]string{"post-many", "many"}, 2, "error: post-many many: the number must be from 1 to 100000"},
		"bad flag":        {[]string{"clear", "--force"}, 2, "error: clear: flag provided but not defined: -force (see bashoutter clear --help)"},
		"extra argument":  {[]string{"clear", "extra"}, 2, "error: clear takes no arguments, got 1 (see bashoutter clear --help)"},
		"bad url":         {[]string{"list", "--api-url", "ftp://x"}, 2, `error: --api-url "ftp://x" is not an http(s) URL`},
		"bad limit":       {[]string{"list", "--limit", "500"}, 2, "error: --limit 500: give 1 to 100"},
		"unknown":         {[]string{"post"}, 2, `error: unknown command "post"`},
		"bad concurrency": {[]string{"post-many", "5", "--concurrency", "0"}, 2, "error: --concurrency 0: use 1 to 64"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCmd(t, c.args...)
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			if code != c.code || len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Errorf("exit %d, stderr %q; want %d and one line starting %q", code, errOut, c.code, c.want)
			}
		})
	}
}

// clear asks first (without a terminal it refuses unless --yes), and counts only the
// haiku it deleted: those deleted by someone else meanwhile (404) are not counted.
func TestClearAsksAndCountsTrueDeletions(t *testing.T) {
	_, s, store := setup(t)
	if code, _, errOut := runCmd(t, "post-many", "5", "--api-url", s.APIURL); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := runCmd(t, "clear", "--api-url", s.APIURL); code != 2 || errOut != "error: bashoutter clear needs a confirmation: run it in a terminal, or add --yes\n" {
		t.Errorf("clear without a terminal = %d %q", code, errOut)
	}
	if n := count(t, store); n != 5 {
		t.Fatalf("%d haiku after a refused clear, want 5", n)
	}
	cli.IsTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { cli.IsTerminal = terminal })
	clear := func(answer io.Reader) (int, string, string) {
		var out, errOut bytes.Buffer
		code := newProgram().Run(context.Background(), []string{"clear", "--api-url", s.APIURL}, answer, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := clear(strings.NewReader("n\n")); code != 1 || !strings.Contains(errOut, "Delete all 5 haiku at "+s.APIURL+"? Type yes to confirm: ") || !strings.Contains(out, "Nothing deleted.") {
		t.Errorf("answering n = %d %q %q", code, out, errOut)
	}
	// While the learner reads the question, someone else deletes two of the five.
	answer := &sideEffect{Reader: strings.NewReader("yes\n"), do: func() {
		page, _ := store.List(context.Background(), 2, "")
		for _, h := range page.Items {
			if err := store.Delete(context.Background(), h.ItemID); err != nil {
				t.Error(err)
			}
		}
	}}
	if code, out, errOut := clear(answer); code != 0 || !strings.Contains(out, "Deleted 3 haiku (2 more were already gone).") {
		t.Errorf("clear = %d %q %q", code, out, errOut)
	}
	if n := count(t, store); n != 0 {
		t.Errorf("%d haiku left", n)
	}
}

type sideEffect struct {
	io.Reader
	do   func()
	done bool
}

func (s *sideEffect) Read(p []byte) (int, error) {
	if !s.done {
		s.done = true
		s.do()
	}
	return s.Reader.Read(p)
}

var terminal = cli.IsTerminal

// --region/--profile anywhere, and --help on every command, exit 0.
func TestGlobalFlagsAndHelp(t *testing.T) {
	setup(t)
	t.Setenv("AWS_REGION", "")
	for _, args := range [][]string{{"--region", "eu-west-1", "list"}, {"list", "--region=eu-west-1"}} {
		if code, _, errOut := runCmd(t, args...); code != 1 || !strings.HasPrefix(errOut, "error: stack Bashoutter is not deployed in eu-west-1") {
			t.Errorf("%q = %d %q", args, code, errOut)
		}
	}
	for _, args := range [][]string{{"--profile", "nope", "list"}, {"list", "--profile", "nope"}} {
		if code, _, errOut := runCmd(t, args...); code != 1 || !strings.HasPrefix(errOut, `error: AWS profile "nope" not found`) {
			t.Errorf("%q = %d %q", args, code, errOut)
		}
	}
	for _, c := range newProgram().Commands {
		for _, args := range [][]string{{c.Name, "--help"}, {"help", c.Name}, {c.Name, "-h", "--region", "x"}} {
			code, out, errOut := runCmd(t, args...)
			if code != 0 || errOut != "" || !strings.Contains(out, "bashoutter "+c.Name+": ") || !strings.Contains(out, "Example:\n  bashoutter "+c.Name) {
				t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
			}
		}
	}
}

func TestApiErrorsAreReported(t *testing.T) {
	_, s, _ := setup(t)
	// An API that answers 404 for every route: the client says what it got.
	code, _, errOut := runCmd(t, "list", "--api-url", s.SiteURL)
	if code != 1 || !strings.Contains(errOut, "GET /haiku?limit=20: HTTP 404") {
		t.Errorf("list against the page's server = %d %q", code, errOut)
	}
}

// Issue 14: list prints accepted text as is, emoji sequences included, and anything
// else escaped, so an item cannot drive the terminal.
func TestListShowsFieldsSafely(t *testing.T) {
	for in, want := range map[string]string{
		"古池や👨\u200d👩\u200d👧": "古池や👨\u200d👩\u200d👧",
		"a\x1b[2Jb":          `"a\x1b[2Jb"`,
		"x\u202ey":           `"x\u202ey"`,
	} {
		if got := shown(in); got != want {
			t.Errorf("shown(%+q) = %q, want %q", in, got, want)
		}
	}
}

// Bad ports are usage errors (exit 2), found before moto is started (issue 13).
func TestLocalRefusesBadPorts(t *testing.T) {
	for args, want := range map[string]string{
		"--port 99999":                  "error: --port 99999: a TCP port is 1 to 65535\n",
		"--api-port 0":                  "error: --api-port 0: a TCP port is 1 to 65535\n",
		"--port 18095 --api-port 18095": "error: --port and --api-port are both 18095: the page and the API need two ports\n",
	} {
		code, out, errOut := runCmd(t, append([]string{"local"}, strings.Fields(args)...)...)
		if code != cli.ExitUsage || out != "" || errOut != want {
			t.Errorf("local %s = %d %q %q", args, code, out, errOut)
		}
	}
}

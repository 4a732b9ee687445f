package local

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// startLocal runs the local mode on free ports against a fresh moto.
func startLocal(t *testing.T, rate, burst int) (*Servers, *api.Store) {
	t.Helper()
	moto := testenv.StartMoto(t)
	db := dynamodb.NewFromConfig(moto.Config())
	if err := api.CreateTable(context.Background(), db, "haiku"); err != nil {
		t.Fatal(err)
	}
	store := &api.Store{DB: db, Table: "haiku"}
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Options{
		Handler: &api.Handler{Store: store, Logf: t.Logf}, WebDir: filepath.Join(root, "handson", "bashoutter", "web"),
		SiteAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", RateLimit: rate, BurstLimit: burst,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, store
}

func send(t *testing.T, method, url, origin, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

func TestLocalModeServesPageConfigAndAPI(t *testing.T) {
	s, _ := startLocal(t, 100, 100)
	resp, body := send(t, "GET", s.SiteURL+"/", "", "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Bashoutter") {
		t.Errorf("page = %d %.80s", resp.StatusCode, body)
	}
	if _, body := send(t, "GET", s.SiteURL+"/config.json", "", ""); body != `{"apiUrl":"`+s.APIURL+`"}` {
		t.Errorf("config.json = %s, want the API's URL", body)
	}
	resp, body = send(t, "POST", s.APIURL+"/haiku", s.SiteURL, `{"username":"a","first":"b","second":"c","third":"d"}`, "Content-Type", "application/json")
	if resp.StatusCode != 201 || !strings.Contains(body, `"likes":0`) {
		t.Fatalf("POST = %d %s", resp.StatusCode, body)
	}
	id := body[strings.Index(body, `"item_id":"`)+11:][:32]
	if resp, body := send(t, "PATCH", s.APIURL+"/haiku/"+id, s.SiteURL, ""); resp.StatusCode != 200 || !strings.Contains(body, `"likes":1`) {
		t.Errorf("PATCH = %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "DELETE", s.APIURL+"/haiku/"+id, s.SiteURL, ""); resp.StatusCode != 204 || body != "" {
		t.Errorf("DELETE = %d %q", resp.StatusCode, body)
	}
	// Routes API Gateway would not match.
	for _, mr := range [][2]string{{"PUT", "/haiku"}, {"GET", "/haiku/" + id}, {"GET", "/"}, {"DELETE", "/haiku/a/b"}} {
		if resp, body := send(t, mr[0], s.APIURL+mr[1], "", ""); resp.StatusCode != 404 || body != `{"message":"Not Found"}` {
			t.Errorf("%s %s = %d %s, want API Gateway's 404", mr[0], mr[1], resp.StatusCode, body)
		}
	}
}

// CORS as the HTTP API configures it: the site's origins only (127.0.0.1 and localhost,
// same port).
func TestLocalModeCorsAllowsTheSiteOnly(t *testing.T) {
	s, _ := startLocal(t, 100, 100)
	if want := strings.Replace(s.SiteURL, "127.0.0.1", "localhost", 1); s.LocalhostURL != want {
		t.Fatalf("LocalhostURL = %q, want %q", s.LocalhostURL, want)
	}
	for _, site := range []string{s.SiteURL, s.LocalhostURL} {
		resp, _ := send(t, "OPTIONS", s.APIURL+"/haiku", site, "", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != site ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PATCH") ||
			resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
			t.Errorf("preflight from the site %s = %d %v", site, resp.StatusCode, resp.Header)
		}
		if resp, _ := send(t, "GET", s.APIURL+"/haiku", site, ""); resp.Header.Get("Access-Control-Allow-Origin") != site || resp.Header.Get("Vary") != "Origin" {
			t.Errorf("GET from the site %s: %v, want Access-Control-Allow-Origin %s and Vary: Origin", site, resp.Header, site)
		}
	}
	otherPort := "http://localhost:1" // the page's name on another port: another origin
	for _, origin := range []string{"http://evil.example", "null", otherPort, s.APIURL, "http://[::1]" + strings.TrimPrefix(s.SiteURL, "http://127.0.0.1")} {
		resp, _ := send(t, "OPTIONS", s.APIURL+"/haiku", origin, "", "Access-Control-Request-Method", "DELETE")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("preflight from %s allowed: %v", origin, resp.Header)
		}
		resp, _ = send(t, "GET", s.APIURL+"/haiku", origin, "")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET from %s readable by the browser: %v", origin, resp.Header)
		}
	}
}

func TestLocalModeThrottlesLikeTheStage(t *testing.T) {
	s, _ := startLocal(t, 1, 3)
	var codes []int
	for i := 0; i < 5; i++ {
		resp, _ := send(t, "GET", s.APIURL+"/haiku", "", "")
		codes = append(codes, resp.StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("statuses %v, want a burst of 3 then 429", codes)
	}
	time.Sleep(1100 * time.Millisecond)
	if resp, _ := send(t, "GET", s.APIURL+"/haiku", "", ""); resp.StatusCode != 200 {
		t.Errorf("after a second: %d, want a refilled token", resp.StatusCode)
	}
}

// TestPageInChromium drives the real page in headless Chromium (see
// testdata/page.test.mjs) and then checks, in DynamoDB, what the clicks left behind.
func TestPageInChromium(t *testing.T) {
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	chromium := os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium not found at %s: install it (Debian: apt-get install chromium; `make test` does it as root) or set CHROMIUM_PATH", chromium)
	}
	nodeModules := filepath.Join(root, project.TestToolsDir, "node_modules")
	if _, err := os.Stat(filepath.Join(nodeModules, "playwright-core")); err != nil {
		t.Fatal("playwright-core is not installed in testtools/node_modules: run `make test-setup`")
	}
	s, store := startLocal(t, 0, 0) // the stage's own limits
	shot := filepath.Join(root, "artifacts", "bashoutter-page.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(shot)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", filepath.Join("testdata", "page.test.mjs"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules, "SITE_URL="+s.SiteURL, "LOCALHOST_URL="+s.LocalhostURL, "CHROMIUM_PATH="+chromium, "SCREENSHOT="+shot)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test page.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the browser test failed: %v", err)
	}

	// What the browser did is in the table: the three haiku it kept, one liked twice,
	// one with the family emoji (man, woman, girl joined by U+200D) stored as typed,
	// and the one posted from the page opened at localhost.
	page, err := store.List(context.Background(), 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range page.Items {
		got = append(got, fmt.Sprintf("%s%s/%d", h.First, h.Second, h.Likes))
	}
	if strings.Join(got, " ") != "夏草や兵どもが/0 菜の花や月は東に/0 古池や👨\u200d👩\u200d👧蛙飛び込む/0 古池や蛙飛び込む/2" {
		t.Errorf("table after the browser test: %v", got)
	}
	if info, err := os.Stat(shot); err != nil || info.Size() < 10_000 {
		t.Errorf("screenshot %s missing or empty: %v", shot, err)
	}
}

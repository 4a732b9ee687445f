package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// assembly is the app synthesized once for all tests, as the CLI would.
var (
	assemblyOnce sync.Once
	assemblyDir  string
)

func synthesized(t *testing.T) string {
	t.Helper()
	assemblyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cost-assembly-")
		if err != nil {
			t.Fatal(err)
		}
		if err := testenv.SynthAppTo(dir, nil); err != nil {
			t.Fatal(err)
		}
		assemblyDir = dir
	})
	if assemblyDir == "" {
		t.Fatal("synthesis failed in an earlier test")
	}
	return assemblyDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if assemblyDir != "" {
		os.RemoveAll(assemblyDir)
	}
	os.Exit(code)
}

func costOf(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"--cdk-out", synthesized(t)}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func estimates(t *testing.T, region string) map[string]estimate {
	t.Helper()
	code, out, errOut := costOf(t, "--json", "--region", region)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var list []estimate
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	byStack := map[string]estimate{}
	for _, e := range list {
		byStack[e.Stack] = e
	}
	return byStack
}

func TestEveryResourceIsPricedOrFree(t *testing.T) {
	for _, region := range regions() {
		byStack := estimates(t, region)
		if len(byStack) < 4 {
			t.Fatalf("only %d stacks estimated", len(byStack))
		}
		for stack, e := range byStack {
			if len(e.Unpriced) != 0 {
				t.Errorf("%s %s: not priced: %v", region, stack, e.Unpriced)
			}
			if len(e.Examples) == 0 {
				t.Errorf("%s %s: no worked example", region, stack)
			}
		}
	}
}

// Hand-computed from the price table (Tokyo).
func TestTotalsMatchHandComputedValues(t *testing.T) {
	byStack := estimates(t, "ap-northeast-1")
	cases := map[string]struct{ hourly, idle float64 }{
		// t3.micro + public IPv4 + 8 GiB gp3; left running, all of it bills all month.
		"MyFirstEc2": {0.0136 + 0.005 + 8*0.096/730, (0.0136+0.005)*730 + 8*0.096},
		// g4dn.xlarge + IPv4 + the image's volume (assumed 100 GiB) + the idle alarm;
		// idle, the alarm has stopped the instance: the volume and the alarm remain.
		"Ec2ForDl": {0.71 + 0.005 + 100*0.096/730 + 0.10/730, 100*0.096 + 0.10},
	}
	for stack, want := range cases {
		got := byStack[stack]
		if math.Abs(got.Hourly-want.hourly) > 1e-9 || math.Abs(got.Idle-want.idle) > 1e-9 {
			t.Errorf("%s: %.6f/h %.6f/month, want %.6f/h %.6f/month", stack, got.Hourly, got.Idle, want.hourly, want.idle)
		}
	}
	if batch := byStack["SimpleBatch"]; batch.Idle > 1 || batch.Hourly < 10 {
		t.Errorf("SimpleBatch: %.2f/h at 64 vCPUs, %.2f/month idle: want many GPUs running, nothing idle but the image", batch.Hourly, batch.Idle)
	}
}

func TestUnknownTypeIsReportedNotSkipped(t *testing.T) {
	tpl := template{Resources: map[string]resource{
		"Thing":  {Type: "AWS::Foo::Bar", Properties: map[string]any{}},
		"Big":    {Type: "AWS::EC2::Instance", Properties: map[string]any{"InstanceType": "x2iedn.32xlarge"}},
		"Policy": {Type: "AWS::IAM::Policy"},
	}}
	e := estimateStack("Test", tpl, "us-east-1", priceTable["us-east-1"], 0)
	if strings.Join(e.Unpriced, ",") != "Big (AWS::EC2::Instance),Thing (AWS::Foo::Bar)" {
		t.Errorf("not priced = %v", e.Unpriced)
	}
	var out bytes.Buffer
	printEstimate(&out, e, priceTable["us-east-1"], false)
	for _, want := range []string{"AWS::Foo::Bar: this resource type is not in the price table", "instance type x2iedn.32xlarge is not in the price table (try --live)", "not priced: Big (AWS::EC2::Instance), Thing (AWS::Foo::Bar) — the totals leave them out"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

var update = flag.Bool("update", false, "rewrite the READMEs' cost tables from the output")

// README.ja.md shows the same tables, as cost prints them (in English).
func TestReadmeCostTableIsTheOutput(t *testing.T) {
	for _, name := range []string{"README.md", "README.ja.md"} {
		readmeCostTableIsTheOutput(t, name)
	}
}

func readmeCostTableIsTheOutput(t *testing.T, name string) {
	readmePath := filepath.Join(moduleRoot(t), name)
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range regions() {
		code, out, errOut := costOf(t, "--markdown", "--region", region)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		begin, end := "<!-- cost "+region+" -->\n", "<!-- end cost "+region+" -->"
		i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
		if i < 0 || j < i {
			t.Fatalf("%s has no %q ... %q block", name, begin, end)
		}
		if *update {
			readme = append(readme[:i+len(begin):i+len(begin)], append([]byte(out), readme[j:]...)...)
			if err := os.WriteFile(readmePath, readme, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got := string(readme[i+len(begin) : j]); got != out {
			t.Errorf("%s's %s cost table differs from `go run ./cmd/cost --region %s --markdown` (go test ./cmd/cost -run Readme -update rewrites it):\n--- README\n%s--- output\n%s", name, region, region, got, out)
		}
	}
}

func TestTextOutputAndErrors(t *testing.T) {
	code, out, _ := costOf(t, "MyFirstEc2")
	if code != 0 || !strings.HasPrefix(out, "MyFirstEc2 in ap-northeast-1 (Asia Pacific (Tokyo)), embedded prices of ") ||
		!strings.Contains(out, "t3.micro on-demand") || !strings.Contains(out, "TOTAL") || strings.Contains(out, "Ec2ForDl") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, _, errOut := costOf(t, "--region", "eu-west-1")
	if code != 2 || errOut != "error: no prices for \"eu-west-1\": the table has ap-northeast-1 and us-east-1 (pass --region)\n" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = costOf(t, "NoSuchStack")
	if code != 2 || !strings.HasPrefix(errOut, `error: no stack "NoSuchStack" in the cloud assembly; the stacks are MyFirstEc2, Ec2ForDl`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--cdk-out", t.TempDir()}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "run `make synth` first") {
		t.Errorf("empty cdk.out: exit %d, stderr %q", code, stderr.String())
	}
}

func TestStaleness(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "cdk.out")
	write := func(path string, at time.Time) {
		t.Helper()
		full := filepath.Join(root, path)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(full, at, at)
	}
	now := time.Now()
	if stale, _ := isStale(root, out); !stale {
		t.Error("missing cdk.out is not stale")
	}
	write("cdk.json", now.Add(-2*time.Hour))
	write("stacks/a.go", now.Add(-time.Hour))
	write("cdk.out/manifest.json", now.Add(-30*time.Minute))
	write("stacks/a_test.go", now) // tests do not change templates
	write("node_modules/x.go", now)
	if stale, err := isStale(root, out); err != nil || stale {
		t.Errorf("fresh cdk.out: stale=%v err=%v", stale, err)
	}
	write("handson/page/index.html", now)
	if stale, _ := isStale(root, out); !stale {
		t.Error("a newer handson file does not make cdk.out stale")
	}
}

// TestLivePrices runs --live against a stand-in for the Price List API (moto does not
// serve it) that checks each request and answers in the API's JSON format.
func TestLivePrices(t *testing.T) { checkLivePrices(t, nil) }

// TestFaultsLivePrices: --live under every fault scenario that applies
// (internal/testenv/scenarios.go) gives the same prices.
func TestFaultsLivePrices(t *testing.T) {
	for _, sc := range testenv.TransientScenarios("pricing") {
		// --live Ec2ForDl makes one call: the fault falls on it (then its retries).
		for i := range sc.Rules {
			sc.Rules[i].Every, sc.Rules[i].Limit = 1, max(sc.Rules[i].Burst, 1)
		}
		t.Run(sc.Name, func(t *testing.T) {
			var faults *testenv.FaultProxy
			checkLivePrices(t, func(target string) string {
				faults = testenv.StartFaults(t, target, sc)
				return faults.URL
			})
			faults.RequireHit(t, "cost --live Ec2ForDl")
		})
	}
}

// checkLivePrices runs the check; front (if not nil) puts something in front of the stand-in.
func checkLivePrices(t *testing.T, front func(target string) string) {
	var mu sync.Mutex
	asked := map[string]bool{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in struct {
			ServiceCode string
			Filters     []struct{ Type, Field, Value string }
		}
		json.Unmarshal(body, &in)
		filters := map[string]string{}
		for _, f := range in.Filters {
			if f.Type != "TERM_MATCH" {
				t.Errorf("filter type %q", f.Type)
			}
			filters[f.Field] = f.Value
		}
		if r.Header.Get("X-Amz-Target") != "AWSPriceListService.GetProducts" || in.ServiceCode != "AmazonEC2" ||
			!strings.Contains(r.Header.Get("Authorization"), "/us-east-1/pricing/aws4_request") ||
			filters["location"] != "Asia Pacific (Tokyo)" || filters["operatingSystem"] != "Linux" || filters["tenancy"] != "Shared" {
			t.Errorf("unexpected request %s %s", r.Header.Get("X-Amz-Target"), body)
		}
		mu.Lock()
		asked[filters["instanceType"]] = true
		mu.Unlock()
		product := map[string]any{"product": map[string]any{"attributes": map[string]string{"instanceType": filters["instanceType"]}},
			"terms": map[string]any{"OnDemand": map[string]any{"X.JRTCKXETXF": map[string]any{"priceDimensions": map[string]any{
				"X.JRTCKXETXF.6YS6EN2CT7": map[string]any{"unit": "Hrs", "pricePerUnit": map[string]string{"USD": "1.2345000000"}}}}}}}
		raw, _ := json.Marshal(product)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"FormatVersion": "aws_v1", "PriceList": []string{string(raw)}})
	}))
	defer server.Close()
	endpoint := server.URL
	if front != nil {
		endpoint = front(server.URL)
	}
	t.Setenv("AWS_ENDPOINT_URL_PRICING", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)

	code, out, errOut := costOf(t, "--live", "Ec2ForDl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "EC2 prices from the AWS Price List API") || !regexp.MustCompile(`g4dn.xlarge on-demand, stops itself when idle +\$1\.23/h +\$1\.23 `).MatchString(out) {
		t.Errorf("live price not used:\n%s", out)
	}
	if !asked["g4dn.xlarge"] || len(asked) != 1 {
		t.Errorf("asked for %v, want g4dn.xlarge only", asked)
	}
}

func moduleRoot(t *testing.T) string {
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The defect: `npx cdk deploy MyFirstEc2 -c instance_type=t4g.micro` must not
// change what cost says the GPU hands-on costs, and cost says which options it priced.
func TestPricesWhatEachStackIsBuiltWithAndSaysWhichOptions(t *testing.T) {
	dir := testenv.SynthApp(t, map[string]any{"instance_type": "t4g.micro"})
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--cdk-out", dir, "Ec2ForDl", "MyFirstEc2"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	gpu, first, _ := strings.Cut(out.String(), "\n\nMyFirstEc2 in ")
	if !strings.Contains(gpu, "g4dn.xlarge on-demand") || strings.Contains(gpu, "t4g") ||
		!strings.Contains(gpu, "  options: the stack's defaults (no -c option reached Ec2ForDl in the last synth)") {
		t.Errorf("Ec2ForDl:\n%s", gpu)
	}
	if !strings.Contains(first, "t4g.micro on-demand") || !strings.Contains(first, "  options: -c instance_type=t4g.micro (from the last synth") {
		t.Errorf("MyFirstEc2:\n%s", first)
	}
	hourly := regexp.MustCompile(`TOTAL\s+\$([0-9.]+)/h`).FindStringSubmatch(gpu)
	if hourly == nil || hourly[1] < "0.7" {
		t.Errorf("Ec2ForDl per hour %v, want the g4dn.xlarge's $0.7x", hourly)
	}
}

// --help says what cost does (no bare "Usage of cost:"), flags go anywhere, and bad
// usage is one line with exit 2, found before anything is read.
func TestHelpAndFlags(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"Ec2ForDl", "-h"}, {"--profile", "p", "--region", "us-east-1", "-h"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != 0 || errOut.String() != "" || !strings.Contains(out.String(), "cost: price every resource") ||
			!strings.Contains(out.String(), "Example:\n  cost Ec2ForDl") || strings.Contains(out.String(), "Usage of cost") {
			t.Errorf("%q = %d %q\n%s", args, code, errOut.String(), out.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--cdk-out", t.TempDir(), "--bogus"}, &out, &errOut); code != 2 ||
		errOut.String() != "error: cost: flag provided but not defined: -bogus (see cost --help)\n" {
		t.Errorf("unknown flag = %d %q", code, errOut.String())
	}
	code, a, _ := costOf(t, "MyFirstEc2", "--region", "us-east-1", "--profile", "x")
	code2, b, _ := costOf(t, "--profile=x", "--region=us-east-1", "MyFirstEc2")
	if code != 0 || code2 != 0 || a != b || !strings.HasPrefix(a, "MyFirstEc2 in us-east-1") {
		t.Errorf("flags after and before: %d %d\n%s\n%s", code, code2, a, b)
	}
}

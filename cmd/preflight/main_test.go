package main

// preflight runs against real EC2 APIs served by moto (instance types, zones, offerings,
// running instances). moto does not serve Service Quotas values, so a small fake
// speaks that API's JSON protocol, checks every request it receives (signature scope,
// target, body) and answers from a table.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

const region = "ap-northeast-1"

var moto *testenv.Moto

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, &moto)) }

// quota is one row of the fake's table. Applied=false makes GetServiceQuota answer
// NoSuchResourceException, as AWS does for quotas the account never changed.
type quota struct {
	Name    string
	Value   float64
	Applied bool
}

type quotasFake struct {
	t      *testing.T
	quotas map[string]quota
	mu     sync.Mutex
	asked  []string // "Target code"
}

func (f *quotasFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	auth := r.Header.Get("Authorization")
	body, _ := io.ReadAll(r.Body)
	var in struct{ ServiceCode, QuotaCode string }
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		f.t.Errorf("service quotas: unexpected %s %s", r.Method, r.URL.Path)
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		f.t.Errorf("service quotas: content type %q", r.Header.Get("Content-Type"))
	case !strings.Contains(auth, "/"+region+"/servicequotas/aws4_request"):
		f.t.Errorf("service quotas: request not signed for %s/servicequotas: %q", region, auth)
	case json.Unmarshal(body, &in) != nil || in.ServiceCode != "ec2":
		f.t.Errorf("service quotas: body %s", body)
	}
	f.mu.Lock()
	f.asked = append(f.asked, strings.TrimPrefix(target, "ServiceQuotasV20190624.")+" "+in.QuotaCode)
	f.mu.Unlock()

	q, known := f.quotas[in.QuotaCode]
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch target {
	case "ServiceQuotasV20190624.GetServiceQuota":
		if !known || !q.Applied {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"NoSuchResourceException","Message":"The request failed because the specified quota %s does not exist."}`, in.QuotaCode)
			return
		}
	case "ServiceQuotasV20190624.GetAWSDefaultServiceQuota":
		if !known {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"NoSuchResourceException","Message":"no such quota"}`)
			return
		}
	default:
		f.t.Errorf("service quotas: unexpected target %q", target)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"Quota": map[string]any{
		"ServiceCode": "ec2", "QuotaCode": in.QuotaCode, "QuotaName": q.Name, "Value": q.Value, "Unit": "None", "Adjustable": true,
	}})
}

// setup points the SDK at moto (EC2) and at a fresh quotas fake, with clean state.
func setup(t *testing.T, quotas map[string]quota) *quotasFake {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	fake := &quotasFake{t: t, quotas: quotas}
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)
	moto.SetEnv(t)
	ssmFake = startSSMStandIn(t) // moto for SSM, plus the DLAMI's public parameters (images_test.go)
	t.Setenv("AWS_REGION", region)
	t.Setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", server.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return fake
}

func runPreflight(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// oneLine fails unless s is exactly one line starting with prefix and containing parts.
func oneLine(t *testing.T, what, s, prefix string, parts ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], prefix) {
		t.Fatalf("%s = %q, want one line starting %q", what, s, prefix)
	}
	for _, p := range parts {
		if !strings.Contains(lines[0], p) {
			t.Errorf("%s = %q\n  lacks %q", what, lines[0], p)
		}
	}
}

var gQuotas = map[string]quota{
	"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 8, Applied: true},
	"L-3819A6DF": {Name: "All G and VT Spot Instance Requests", Value: 0},
}

func TestEnoughQuota(t *testing.T) {
	fake := setup(t, gQuotas)
	code, out, errOut := runPreflight(t, "Ec2ForDl")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	oneLine(t, "stdout", out, "ok: Ec2ForDl can start 1 × on-demand g4dn.xlarge (4 vCPUs) in ap-northeast-1a",
		`"Running On-Demand G and VT instances" (L-DB2E81BA) allows 8 vCPUs, 0 in use`)
	if got := strings.Join(fake.asked, ","); got != "GetServiceQuota L-DB2E81BA" {
		t.Errorf("asked %s, want the on-demand G quota only", got)
	}
}

func TestZeroQuotaSaysWhatToRaise(t *testing.T) {
	// Never changed by the account: the default (0) comes from GetAWSDefaultServiceQuota.
	fake := setup(t, map[string]quota{"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 0}})
	code, out, _ := runPreflight(t, "Ec2ForDl")
	if code != exitProblem {
		t.Fatalf("exit %d, want %d", code, exitProblem)
	}
	oneLine(t, "stdout", out, "raise quota: Ec2ForDl needs 1 × on-demand g4dn.xlarge (4 vCPUs) in ap-northeast-1",
		`"Running On-Demand G and VT instances" (L-DB2E81BA) is 0 vCPUs with 0 in use; raise it by 4 to 4`,
		"aws service-quotas request-service-quota-increase --region ap-northeast-1 --service-code ec2 --quota-code L-DB2E81BA --desired-value 4",
		"https://ap-northeast-1.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/L-DB2E81BA")
	if got := strings.Join(fake.asked, ","); got != "GetServiceQuota L-DB2E81BA,GetAWSDefaultServiceQuota L-DB2E81BA" {
		t.Errorf("asked %s", got)
	}
}

func TestSpotUsesTheSpotQuota(t *testing.T) {
	quotas := map[string]quota{
		"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 0, Applied: true},
		"L-3819A6DF": {Name: "All G and VT Spot Instance Requests", Value: 4, Applied: true},
	}
	fake := setup(t, quotas)
	code, out, _ := runPreflight(t, "--spot", "Ec2ForDl")
	if code != exitOK {
		t.Fatalf("spot: exit %d, stdout %q", code, out)
	}
	oneLine(t, "spot", out, "ok: Ec2ForDl can start 1 × spot g4dn.xlarge (4 vCPUs)", "(L-3819A6DF) allows 4 vCPUs")
	if got := strings.Join(fake.asked, ","); got != "GetServiceQuota L-3819A6DF" {
		t.Errorf("spot asked %s", got)
	}

	setup(t, quotas)
	code, out, _ = runPreflight(t, "Ec2ForDl") // same account, on-demand: 0
	if code != exitProblem {
		t.Fatalf("on-demand: exit %d", code)
	}
	oneLine(t, "on-demand", out, "raise quota:", "L-DB2E81BA")
}

func TestRunningInstancesCountAgainstTheQuota(t *testing.T) {
	setup(t, map[string]quota{"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 4, Applied: true}})
	client := ec2.NewFromConfig(moto.Config(), func(o *ec2.Options) { o.Region = region })
	images, err := client.DescribeImages(context.Background(), &ec2.DescribeImagesInput{})
	if err != nil || len(images.Images) == 0 {
		t.Fatalf("moto images: %v", err)
	}
	for _, typ := range []ec2types.InstanceType{"g4dn.xlarge", "t3.micro"} { // t3 counts against another quota
		if _, err := client.RunInstances(context.Background(), &ec2.RunInstancesInput{
			ImageId: images.Images[0].ImageId, InstanceType: typ, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := runPreflight(t, "--instance-type", "g4dn.2xlarge", "Ec2ForDl")
	if code != exitProblem {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneLine(t, "stdout", out, "raise quota: Ec2ForDl needs 1 × on-demand g4dn.2xlarge (8 vCPUs)",
		"is 4 vCPUs with 4 in use; raise it by 8 to 12", "--desired-value 12")
}

func TestCountAndStandardFamily(t *testing.T) {
	setup(t, map[string]quota{"L-1216C47A": {Name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", Value: 5, Applied: true}})
	code, out, _ := runPreflight(t, "MyFirstEc2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	oneLine(t, "stdout", out, "ok: MyFirstEc2 can start 1 × on-demand t3.micro (2 vCPUs)", "(L-1216C47A) allows 5 vCPUs")

	setup(t, map[string]quota{"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 16, Applied: true}})
	code, out, _ = runPreflight(t, "SimpleBatch", "--count", "9")
	if code != exitProblem {
		t.Fatalf("exit %d: %s", code, out)
	}
	oneLine(t, "stdout", out, "raise quota: SimpleBatch needs 9 × on-demand g4dn.xlarge (36 vCPUs)", "raise it by 20 to 36")
}

func TestZoneThatLacksTheType(t *testing.T) {
	setup(t, gQuotas)
	code, out, _ := runPreflight(t, "--zone", "ap-northeast-1b", "Ec2ForDl")
	if code != exitProblem {
		t.Fatalf("exit %d: %s", code, out)
	}
	oneLine(t, "stdout", out, "not offered: g4dn.xlarge is not offered in ap-northeast-1b, the zone Ec2ForDl uses",
		"npx cdk deploy Ec2ForDl -c Ec2ForDl:availability_zone=ap-northeast-1a", "ap-northeast-1a, ap-northeast-1c, ap-northeast-1d")
}

func TestUnknownInstanceType(t *testing.T) {
	setup(t, gQuotas)
	code, out, errOut := runPreflight(t, "--instance-type", "g4dn.xlarg")
	if code != exitProblem || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneLine(t, "stderr", errOut, `error: unknown instance type "g4dn.xlarg" in ap-northeast-1: check the spelling`)
}

func TestNoCredentials(t *testing.T) {
	setup(t, gQuotas)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	code, out, errOut := runPreflight(t, "Ec2ForDl")
	if code != exitProblem || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneLine(t, "stderr", errOut, "error: no AWS credentials found: run `aws configure`")
}

func TestNoRegionAndBadArguments(t *testing.T) {
	setup(t, gQuotas)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	code, _, errOut := runPreflight(t)
	if code != exitProblem {
		t.Fatalf("exit %d", code)
	}
	oneLine(t, "no region", errOut, "error: no AWS region: pass --region")

	t.Setenv("AWS_REGION", region)
	code, _, errOut = runPreflight(t, "Bashoutter")
	if code != cli.ExitUsage {
		t.Fatalf("exit %d", code)
	}
	oneLine(t, "unknown stack", errOut, `error: unknown stack "Bashoutter": preflight checks Ec2ForDl, MyFirstEc2, SimpleBatch`)

	code, _, errOut = runPreflight(t, "--instance-type", "u-6tb1.metal")
	if code != exitProblem {
		t.Fatalf("exit %d", code)
	}
	oneLine(t, "unknown family", errOut, "error: ")

	// Arguments are checked before AWS: no region, and still the stack is what is wrong.
	t.Setenv("AWS_REGION", "")
	for _, args := range [][]string{{"Bashoutter"}, {"--count", "0"}, {"Ec2ForDl", "SimpleBatch"}, {"--spot=maybe"}} {
		if code, _, errOut := runPreflight(t, args...); code != cli.ExitUsage || strings.Contains(errOut, "region") {
			t.Errorf("%q = %d %q; want a usage error about the arguments", args, code, errOut)
		}
	}
}

func TestHelpAndGlobalFlags(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"Ec2ForDl", "-h"}, {"--region", "x", "--profile", "y", "-h"}} {
		code, out, errOut := runPreflight(t, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage:\n  preflight [STACK] [flags]") || !strings.Contains(out, "Example:\n  preflight Ec2ForDl") ||
			!strings.Contains(out, "--profile NAME") || !strings.Contains(out, "Exit status: 0 the deploy can start its instances") {
			t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
		}
	}
	setup(t, gQuotas)
	for _, args := range [][]string{{"--profile", "nope", "Ec2ForDl"}, {"Ec2ForDl", "--profile=nope"}} {
		if code, _, errOut := runPreflight(t, args...); code != exitProblem || !strings.HasPrefix(errOut, `error: AWS profile "nope" not found`) {
			t.Errorf("%q = %d %q", args, code, errOut)
		}
	}
}

// Ctrl-C while AWS has not answered yet (issue 13): "interrupted", exit 130, never
// the SDK's "context canceled" as a failure.
func TestInterruptIsNotAFailure(t *testing.T) {
	silent := testenv.StartSilentEndpoint(t)
	t.Setenv("AWS_ENDPOINT_URL", silent.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-silent.Accepted; cancel() }() // Ctrl-C once a request is waiting
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"Ec2ForDl"}, &out, &errOut)
	if code != cli.ExitInterrupted || errOut.String() != "interrupted: preflight stopped before it finished\n" {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

package main

// The image-parameter check. moto serves AWS's public Amazon Linux parameters
// (/aws/service/ami-amazon-linux-latest/..., per region) but not the Deep Learning AMI's,
// and it refuses to create parameters under /aws/ as AWS does. So SSM requests go to a
// small stand-in that answers GetParameter and GetParametersByPath under
// /aws/service/deeplearning/ from a table (checking each request) and forwards every
// other request to moto.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

const dlamiPrefix = "/aws/service/deeplearning/"

func dlamiParam(arch, amiType string) string {
	return "/aws/service/deeplearning/ami/" + arch + "/" + amiType + "/latest/ami-id"
}

// publicDlamis is a region's DLAMI parameters as AWS's release notes list them in
// 2026-10: x86_64 PyTorch up to 2.12, arm64 up to 2.11 ("Deep Learning ARM64 AMI OSS
// Nvidia Driver GPU PyTorch 2.11 (Ubuntu 24.04) 20261009"), and other lines that the
// suggestion must skip. More than one page (10) per architecture.
func publicDlamis() map[string]string {
	m := map[string]string{}
	add := func(arch string, types ...string) {
		for i, typ := range types {
			m[dlamiParam(arch, typ)] = fmt.Sprintf("ami-%s%02d%s", map[string]string{"x86_64": "0a", "arm64": "0b"}[arch], i, strings.Repeat("0", 13))
		}
	}
	add("x86_64",
		"oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04", "oss-nvidia-driver-gpu-pytorch-2.11-ubuntu-24.04",
		"oss-nvidia-driver-gpu-pytorch-2.10-ubuntu-22.04", "oss-nvidia-driver-gpu-pytorch-2.9-amazon-linux-2023",
		"base-oss-nvidia-driver-gpu-ubuntu-24.04", "base-oss-nvidia-driver-gpu-amazon-linux-2023",
		"oss-nvidia-driver-gpu-tensorflow-2.18-ubuntu-22.04", "neuron-ubuntu-24.04", "neuron-pytorch-2.9-ubuntu-24.04",
		"base-oss-nvidia-driver-gpu-ubuntu-22.04", "oss-nvidia-driver-gpu-pytorch-2.8-ubuntu-24.04")
	add("arm64",
		"oss-nvidia-driver-gpu-pytorch-2.9-ubuntu-24.04", "oss-nvidia-driver-gpu-pytorch-2.11-ubuntu-24.04",
		"oss-nvidia-driver-gpu-pytorch-2.10-ubuntu-24.04", "oss-nvidia-driver-gpu-pytorch-2.7-ubuntu-22.04",
		"base-oss-nvidia-driver-gpu-ubuntu-24.04", "base-oss-nvidia-driver-gpu-ubuntu-22.04",
		"base-oss-nvidia-driver-gpu-amazon-linux-2023", "oss-nvidia-driver-gpu-pytorch-2.6-ubuntu-22.04",
		"oss-nvidia-driver-gpu-pytorch-2.8-ubuntu-24.04", "oss-nvidia-driver-gpu-pytorch-2.9-amazon-linux-2023",
		"base-ubuntu-24.04")
	return m
}

type ssmStandIn struct {
	t      *testing.T
	moto   http.Handler
	mu     sync.Mutex
	params map[string]string // the public DLAMI parameters of the region
	asked  []string          // "Action name-or-path" of the DLAMI requests
}

var ssmFake *ssmStandIn

// startSSMStandIn points the SDK's SSM client at a fresh stand-in in front of moto.
func startSSMStandIn(t *testing.T) *ssmStandIn {
	t.Helper()
	target, err := url.Parse(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	f := &ssmStandIn{t: t, moto: httputil.NewSingleHostReverseProxy(target), params: publicDlamis()}
	server := httptest.NewServer(f)
	t.Cleanup(server.Close)
	t.Setenv("AWS_ENDPOINT_URL_SSM", server.URL)
	return f
}

func (f *ssmStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
	var in struct {
		Name, Path, NextToken string
		Recursive             bool
		MaxResults            int
	}
	json.Unmarshal(body, &in)
	if !strings.HasPrefix(in.Name, dlamiPrefix) && !strings.HasPrefix(in.Path+"/", dlamiPrefix) {
		f.moto.ServeHTTP(w, r) // everything else, Amazon Linux's public parameters included
		return
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/"+region+"/ssm/aws4_request") {
		f.t.Errorf("ssm: request not signed for %s/ssm: %q", region, auth)
	}
	f.mu.Lock()
	f.asked = append(f.asked, action+" "+in.Name+in.Path)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	param := func(name string) map[string]any {
		return map[string]any{"Name": name, "Type": "String", "Value": f.params[name], "Version": 1, "DataType": "aws:ec2:image",
			"ARN": "arn:aws:ssm:" + region + "::parameter" + name}
	}
	switch action {
	case "GetParameter":
		if _, ok := f.params[in.Name]; !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ParameterNotFound","message":""}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"Parameter": param(in.Name)})
	case "GetParametersByPath":
		// Every DLAMI parameter is 3 levels below the architecture: only a recursive
		// listing finds them. AWS answers at most 10 per page.
		if !in.Recursive || strings.HasSuffix(in.Path, "/") {
			f.t.Errorf("ssm: GetParametersByPath %+v, want a recursive listing of a path without a trailing slash", in)
		}
		var names []string
		for name := range f.params {
			if strings.HasPrefix(name, in.Path+"/") {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		size := in.MaxResults
		if size == 0 || size > 10 {
			size = 10
		}
		start, _ := strconv.Atoi(in.NextToken)
		end := min(start+size, len(names))
		page := []map[string]any{}
		for _, name := range names[min(start, end):end] {
			page = append(page, param(name))
		}
		out := map[string]any{"Parameters": page}
		if end < len(names) {
			out["NextToken"] = strconv.Itoa(end)
		}
		json.NewEncoder(w).Encode(out)
	default:
		f.t.Errorf("ssm: unexpected action %q under %s", action, dlamiPrefix)
		w.WriteHeader(http.StatusBadRequest)
	}
}

func (f *ssmStandIn) requests() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.asked, ", ")
}

func TestImageParameterOfEachStack(t *testing.T) {
	setup(t, map[string]quota{
		"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 64, Applied: true},
		"L-1216C47A": {Name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", Value: 5, Applied: true},
	})
	// MyFirstEc2: Amazon Linux 2023 of the type's architecture, as moto serves it.
	real := ssm.NewFromConfig(moto.Config(), func(o *ssm.Options) { o.Region = region })
	for typ, arch := range map[string]string{"t3.micro": "x86_64", "t4g.micro": "arm64"} {
		name := "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
		want, err := real.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Fatalf("moto has no %s: %v", name, err)
		}
		code, out, errOut := runPreflight(t, "MyFirstEc2", "--instance-type", typ)
		if code != exitOK {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", typ, code, out, errOut)
		}
		oneLine(t, typ, out, "ok: MyFirstEc2 can start 1 × on-demand "+typ, "; image "+aws.ToString(want.Parameter.Value)+" from "+name)
	}

	// Ec2ForDl on the default g4dn.xlarge: the x86_64 PyTorch 2.12 DLAMI.
	code, out, _ := runPreflight(t, "Ec2ForDl")
	if code != exitOK {
		t.Fatalf("Ec2ForDl: exit %d, stdout %q", code, out)
	}
	x86 := dlamiParam("x86_64", "oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04")
	oneLine(t, "Ec2ForDl", out, "ok: Ec2ForDl can start", "; image "+ssmFake.params[x86]+" from "+x86)

	// SimpleBatch reads no public parameter: Batch picks its GPU image itself.
	before := ssmFake.requests()
	code, out, _ = runPreflight(t, "SimpleBatch")
	if code != exitOK || strings.Contains(out, "image") || ssmFake.requests() != before {
		t.Errorf("SimpleBatch: exit %d, stdout %q, DLAMI requests %q", code, out, ssmFake.requests())
	}
}

func TestGravitonDlami(t *testing.T) {
	setup(t, map[string]quota{
		"L-DB2E81BA": {Name: "Running On-Demand G and VT instances", Value: 8, Applied: true},
		"L-3819A6DF": {Name: "All G and VT Spot Instance Requests", Value: 8, Applied: true},
	})
	arm211 := dlamiParam("arm64", "oss-nvidia-driver-gpu-pytorch-2.11-ubuntu-24.04")
	arm212 := dlamiParam("arm64", "oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04")

	// The arm64 default is the newest arm64 PyTorch DLAMI AWS publishes (2.11): it exists.
	code, out, _ := runPreflight(t, "Ec2ForDl", "--instance-type", "g5g.xlarge", "--zone", "ap-northeast-1c")
	if code != exitOK {
		t.Fatalf("g5g default: exit %d, stdout %q", code, out)
	}
	oneLine(t, "g5g default", out, "ok: Ec2ForDl can start 1 × on-demand g5g.xlarge (4 vCPUs) in ap-northeast-1c", "; image "+ssmFake.params[arm211]+" from "+arm211)
	if got := ssmFake.requests(); got != "GetParameter "+arm211 {
		t.Errorf("DLAMI requests %q, want one GetParameter", got)
	}

	// The x86_64 line's version on arm64 does not exist: say so, and name the one that
	// does, with the whole deploy command.
	ssmFake.asked = nil
	code, out, _ = runPreflight(t, "Ec2ForDl", "--instance-type", "g5g.xlarge", "--zone", "ap-northeast-1c", "--spot", "--dlami-parameter", arm212)
	if code != exitProblem {
		t.Fatalf("arm64 2.12: exit %d, want %d; stdout %q", code, exitProblem, out)
	}
	oneLine(t, "arm64 2.12", out, "missing image: Ec2ForDl (g5g.xlarge, arm64) reads the public SSM parameter "+arm212+", which does not exist in ap-northeast-1",
		"the newest PyTorch DLAMI for arm64 there is "+arm211,
		"`npx cdk deploy Ec2ForDl -c Ec2ForDl:spot=true -c Ec2ForDl:instance_type=g5g.xlarge -c dlami_parameter="+arm211+"`")
	// One GetParameter, then the listing, page by page (11 arm64 parameters: 2 pages).
	want := "GetParameter " + arm212 + ", GetParametersByPath /aws/service/deeplearning/ami/arm64, GetParametersByPath /aws/service/deeplearning/ami/arm64"
	if got := ssmFake.requests(); got != want {
		t.Errorf("DLAMI requests\n  %s\nwant\n  %s", got, want)
	}

	// A region that publishes no arm64 PyTorch DLAMI at all.
	for name := range ssmFake.params {
		if strings.Contains(name, "/arm64/oss-nvidia-driver-gpu-pytorch") {
			delete(ssmFake.params, name)
		}
	}
	code, out, _ = runPreflight(t, "Ec2ForDl", "--instance-type", "g5g.xlarge", "--zone", "ap-northeast-1c")
	if code != exitProblem {
		t.Fatalf("no arm64 DLAMI: exit %d; stdout %q", code, out)
	}
	oneLine(t, "no arm64 DLAMI", out, "missing image: Ec2ForDl (g5g.xlarge, arm64) reads the public SSM parameter "+arm211,
		"the region publishes no PyTorch DLAMI for arm64: choose another region (--region) or instance type (--instance-type)")
}

func TestDlamiParameterIsEc2ForDlsOnly(t *testing.T) {
	setup(t, gQuotas)
	code, out, errOut := runPreflight(t, "MyFirstEc2", "--dlami-parameter", dlamiParam("x86_64", "oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04"))
	if code != cli.ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneLine(t, "stderr", errOut, "error: --dlami-parameter is Ec2ForDl's image (-c dlami_parameter); MyFirstEc2 does not read it")
}

// Both problems at once: the zone lacks the type and the image is missing; each has
// its line.
func TestMissingImageAndZoneBothReported(t *testing.T) {
	setup(t, gQuotas)
	code, out, _ := runPreflight(t, "Ec2ForDl", "--instance-type", "g5g.xlarge", "--dlami-parameter", dlamiParam("arm64", "oss-nvidia-driver-gpu-pytorch-2.12-ubuntu-24.04"))
	if code != exitProblem {
		t.Fatalf("exit %d; stdout %q", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "missing image: ") || !strings.HasPrefix(lines[1], "not offered: g5g.xlarge is not offered in ap-northeast-1a") {
		t.Errorf("stdout %q, want a missing-image line and a not-offered line", out)
	}
}

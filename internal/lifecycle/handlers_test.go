package lifecycle

import (
	"archive/zip"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// responseServer stands in for the pre-signed S3 URL to which a custom resource's
// handler PUTs its answer (the ResponseURL of the event). It speaks HTTPS, as that URL
// does: CDK's Node.js providers send the answer with the https module only.
type responseServer struct {
	srv     *httptest.Server
	caFile  string
	mu      sync.Mutex
	answers map[string]map[string]any // by path
}

func newResponseServer(t *testing.T) *responseServer {
	rs := &responseServer{answers: map[string]map[string]any{}}
	rs.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var answer map[string]any
		if req.Method != http.MethodPut || json.Unmarshal(body, &answer) != nil {
			http.Error(w, "want a PUT of a JSON answer", http.StatusBadRequest)
			return
		}
		rs.mu.Lock()
		rs.answers[req.URL.Path] = answer
		rs.mu.Unlock()
	}))
	t.Cleanup(rs.srv.Close)
	rs.caFile = filepath.Join(t.TempDir(), "response-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rs.srv.Certificate().Raw})
	if err := os.WriteFile(rs.caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return rs
}

func (rs *responseServer) answer(path string) map[string]any {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.answers[path]
}

var (
	layersMu sync.Mutex
	layers   = map[string]string{} // layer zip → unpacked directory
)

// unpackLayer unzips a Lambda layer asset once per test binary (Lambda puts it at /opt).
func unpackLayer(t *testing.T, zipPath string) string {
	layersMu.Lock()
	defer layersMu.Unlock()
	if dir, ok := layers[zipPath]; ok {
		return dir
	}
	dir, err := os.MkdirTemp(work, "layer-")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(dst, dir+string(filepath.Separator)) {
			t.Fatalf("layer entry %q escapes the layer", f.Name)
		}
		if f.FileInfo().IsDir() {
			os.MkdirAll(dst, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		src, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode()|0o600)
		if err == nil {
			_, err = io.Copy(out, src)
			out.Close()
		}
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	layers[zipPath] = dir
	return dir
}

// assetPath is the cdk.out path of the file asset a template's S3Key names.
func assetPath(t *testing.T, stack string, s3Key any) string {
	key, _ := s3Key.(string)
	hash := strings.TrimSuffix(key, ".zip")
	manifest := readJSON(t, filepath.Join(outdir, stack+".assets.json"))
	f, ok := manifest["files"].(map[string]any)[hash].(map[string]any)
	if !ok {
		t.Fatalf("%s: no file asset %s", stack, key)
	}
	p := f["source"].(map[string]any)["path"].(string)
	if !filepath.IsAbs(p) {
		p = filepath.Join(outdir, p)
	}
	return p
}

// runHandler sends one CloudFormation request (Create or Delete) to the custom
// resource's real handler, from the synthesized asset of its function, and returns its
// answer. Its output goes where Lambda sends it: the function's log group.
func (r *stackRun) runHandler(ctx context.Context, cr *customResource, requestType string) map[string]any {
	t := r.t
	tplRes := resources(r.template)
	fn := props(tplRes[cr.Function])
	code := fn["Code"].(map[string]any)
	asset := assetPath(t, r.name, code["S3Key"])
	runtime, _ := fn["Runtime"].(string)
	if fn["Handler"] != "index.handler" {
		t.Fatalf("%s: handler %v, the runners call index.handler", cr.Function, fn["Handler"])
	}

	path := "/" + cr.LogicalID + "/" + requestType
	event := map[string]any{
		"RequestType": requestType, "ServiceToken": cr.Props["ServiceToken"],
		"ResponseURL": r.handlers.srv.URL + path, "StackId": r.stackID,
		"RequestId": fmt.Sprintf("lifecycle-%s-%s", cr.LogicalID, requestType), "ResourceType": cr.Type,
		"LogicalResourceId": cr.LogicalID, "ResourceProperties": asCloudFormationSends(cr.Props),
	}
	if requestType != "Create" {
		event["PhysicalResourceId"] = cr.Physical
	}
	eventFile := filepath.Join(t.TempDir(), "event.json")
	raw, _ := json.Marshal(event)
	if err := os.WriteFile(eventFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	testdata := filepath.Join(root, "internal", "lifecycle", "testdata")
	var cmd *exec.Cmd
	switch {
	case strings.HasPrefix(runtime, "nodejs"):
		cmd = exec.CommandContext(ctx, "node", "--require", filepath.Join(testdata, "response_port.js"), filepath.Join(testdata, "run_node_handler.js"), asset, eventFile)
	case strings.HasPrefix(runtime, "python"):
		layersProp, _ := fn["Layers"].([]any)
		if len(layersProp) != 1 {
			t.Fatalf("%s: %d layers, the runner knows the AWS CLI layer only", cr.Function, len(layersProp))
		}
		layerID, _ := layersProp[0].(map[string]any)["Ref"].(string)
		layerZip := assetPath(t, r.name, props(tplRes[layerID])["Content"].(map[string]any)["S3Key"])
		cmd = exec.CommandContext(ctx, "python3", filepath.Join(testdata, "run_python_handler.py"), asset, unpackLayer(t, layerZip), eventFile)
	default:
		t.Fatalf("%s: runtime %s has no runner", cr.Function, runtime)
	}
	cmd.Env = append(handlerEnv(), "NODE_PATH="+filepath.Join(root, project.TestToolsDir, "node_modules"), "NODE_EXTRA_CA_CERTS="+r.handlers.caFile,
		"SSL_CERT_FILE="+r.handlers.caFile, "LIFECYCLE_RESPONSE_PORT="+r.handlers.srv.URL[strings.LastIndex(r.handlers.srv.URL, ":")+1:],
		"AWS_DEFAULT_REGION="+region, "AWS_MAX_ATTEMPTS=2")
	out, err := cmd.CombinedOutput()
	r.lambdaLogs(ctx, cr.Function, string(out))
	answer := r.handlers.answer(path)
	if err != nil || answer == nil {
		t.Fatalf("%s %s handler (%s, %s): %v, answer %v\n%s", cr.Type, requestType, runtime, filepath.Base(asset), err, answer, out)
	}
	if answer["Status"] != "SUCCESS" {
		t.Fatalf("%s %s handler answered %v\n%s", cr.Type, requestType, answer, out)
	}
	t.Logf("%s %s: real handler (%s, %s) answered SUCCESS", cr.LogicalID, requestType, runtime, filepath.Base(asset))
	return answer
}

// asCloudFormationSends renders property values as CloudFormation sends them to a custom
// resource: every scalar as a string (true → "true", 10 → "10"); maps and lists kept.
func asCloudFormationSends(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = asCloudFormationSends(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = asCloudFormationSends(e)
		}
		return out
	case string:
		return x
	case nil:
		return x
	}
	return fmt.Sprint(v)
}

// handlerEnv is the environment of a process that talks to moto with another SDK:
// moto's, less the empty AWS_PROFILE (boto3 reads it as a profile named "").
func handlerEnv() []string {
	var env []string
	for _, kv := range append(os.Environ(), moto.Env()...) {
		if !strings.HasPrefix(kv, "AWS_PROFILE=") {
			env = append(env, kv)
		}
	}
	return env
}

// lambdaLogs writes a function's output where Lambda does: the log group of its
// LoggingConfig, or else /aws/lambda/<function name>, which Lambda creates on the first
// run (outside the stack, with no retention).
func (r *stackRun) lambdaLogs(ctx context.Context, function, output string) {
	t := r.t
	group := "/aws/lambda/" + r.physical[function]
	if ref, ok := testenv.Dig(resources(r.template)[function], "Properties", "LoggingConfig", "LogGroup", "Ref").(string); ok {
		group = r.physical[ref]
	}
	logs := cloudwatchlogs.NewFromConfig(r.cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil && !strings.Contains(err.Error(), "ResourceAlreadyExists") {
		t.Fatal(err)
	}
	putLogLines(t, ctx, logs, group, strings.Split(strings.TrimSpace(output), "\n"))
}

var streamSeq int

func putLogLines(t *testing.T, ctx context.Context, logs *cloudwatchlogs.Client, group string, lines []string) {
	t.Helper()
	streamSeq++
	stream := fmt.Sprintf("2026/11/30/[$LATEST]%032x", streamSeq)
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("log stream in %s: %v", group, err)
	}
	now := time.Now().UnixMilli()
	var events []logtypes.InputLogEvent
	for _, l := range lines {
		if l == "" {
			l = "(empty line)"
		}
		events = append(events, logtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(now)})
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatalf("log events in %s: %v", group, err)
	}
}

package main

// A test double for the one thing moto cannot do without Docker: move Batch jobs
// through their states. It sits in front of moto_server on 127.0.0.1, forwards every
// request (S3, SSM, CloudWatch Logs, Batch) to it, checks each Batch request the
// client sends, and rewrites the job states of DescribeJobs and ListJobs answers
// along a per-job plan. When a job "runs", it does what the training container would
// do: it writes the metrics file into moto's S3 after every epoch, and log lines into
// moto's CloudWatch Logs when the job fails.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// jobPlan is the life of one job as the proxy plays it: one state per DescribeJobs
// call that asks for the job; the last state stays.
type jobPlan struct {
	States   []string
	Reclaim  int      // the 0-based step at which a spot host is reclaimed (0: never)
	ExitCode int      // for a final FAILED
	Reason   string   // statusReason of a final FAILED
	LogLines []string // what the failing container printed
}

var (
	successPlan = jobPlan{States: []string{"SUBMITTED", "PENDING", "RUNNABLE", "RUNNABLE", "STARTING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"}}
	// A spot host is reclaimed while the job runs: back to RUNNABLE, a second attempt.
	spotPlan = jobPlan{States: []string{"SUBMITTED", "RUNNABLE", "STARTING", "RUNNING", "RUNNABLE", "STARTING", "RUNNING", "RUNNING", "SUCCEEDED"}, Reclaim: 4}
	failPlan = jobPlan{States: []string{"SUBMITTED", "RUNNABLE", "STARTING", "RUNNING", "RUNNING", "FAILED"}, ExitCode: 1,
		Reason:   "Essential container in task exited",
		LogLines: []string{"epoch 1/20: train_loss 2.3012 val_loss 2.3020 val_accuracy 11.35% (9.8 s)", "Traceback (most recent call last):", "RuntimeError: CUDA error: out of memory"}}
	stuckPlan = jobPlan{States: []string{"SUBMITTED", "RUNNABLE"}}
)

type proxyJob struct {
	id, name   string
	point      gridPoint
	plan       jobPlan
	step       int // index into plan.States of the state last shown
	shown      bool
	terminated string // reason given to TerminateJob
	wroteLog   bool
}

func (j *proxyJob) state() string {
	if j.terminated != "" {
		return "FAILED"
	}
	return j.plan.States[j.step]
}

type batchProxy struct {
	t        *testing.T
	srv      *httptest.Server
	moto     *url.URL
	s3       *s3.Client
	logs     *cloudwatchlogs.Client
	fx       fixture
	planFor  func(name string) jobPlan
	ceStatus string          // DescribeComputeEnvironments rewrite: "" leaves moto's answer
	onOp     func(op string) // called for each Batch request (tests act at an exact point)

	mu   sync.Mutex
	jobs map[string]*proxyJob
	ops  []string
}

// fixture is what `cdk deploy SimpleBatch` would have created, made directly in moto.
type fixture struct {
	Bucket, JobQueue, JobDefinition, LogGroup string
}

func newBatchProxy(t *testing.T, m *testenv.Moto, fx fixture, planFor func(string) jobPlan) *batchProxy {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Config()
	p := &batchProxy{t: t, moto: target, fx: fx, planFor: planFor, jobs: map[string]*proxyJob{},
		s3:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		logs: cloudwatchlogs.NewFromConfig(cfg)}
	p.srv = httptest.NewServer(p) // 127.0.0.1 only
	t.Cleanup(p.srv.Close)
	return p
}

// config is the SDK configuration a client under test uses: everything goes through
// the proxy.
func (p *batchProxy) config() aws.Config {
	return (&testenv.Moto{Endpoint: p.srv.URL}).Config()
}

func (p *batchProxy) opsSeen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ops...)
}

var batchAuth = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=testing/\d{8}/` + testenv.Region + `/batch/aws4_request,`)

func (p *batchProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		httputil.NewSingleHostReverseProxy(p.moto).ServeHTTP(w, r) // S3, SSM, Logs
		return
	}
	op := strings.TrimPrefix(r.URL.Path, "/v1/")
	body, err := io.ReadAll(r.Body)
	if err != nil || int64(len(body)) < r.ContentLength {
		return // the client hung up mid-request (the interrupt test)
	}
	p.mu.Lock()
	p.ops = append(p.ops, op)
	onOp := p.onOp
	p.mu.Unlock()
	if onOp != nil {
		onOp(op)
	}
	if r.Method != http.MethodPost || !batchAuth.MatchString(r.Header.Get("Authorization")) {
		p.reject(w, op, fmt.Sprintf("%s %s with Authorization %q: not a signed Batch call for %s", r.Method, r.URL.Path, r.Header.Get("Authorization"), testenv.Region))
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		p.reject(w, op, "body is not JSON: "+string(body))
		return
	}
	switch op {
	case "submitjob":
		if problem := p.checkSubmit(req); problem != "" {
			p.reject(w, op, problem)
			return
		}
		status, resp := p.forward(r, body)
		var out struct{ JobID string }
		if status == http.StatusOK && json.Unmarshal(resp, &out) == nil && out.JobID != "" {
			name := req["jobName"].(string)
			point, _ := pointFromArgs(toStrings(testenv.Dig(req, "containerOverrides", "command")))
			p.mu.Lock()
			p.jobs[out.JobID] = &proxyJob{id: out.JobID, name: name, point: point, plan: p.planFor(name)}
			p.mu.Unlock()
		}
		writeJSON(w, status, resp)
	case "describejobs":
		status, resp := p.forward(r, body)
		writeJSON(w, status, p.rewriteJobs(resp, "jobs", true))
	case "listjobs":
		want, _ := req["jobStatus"].(string)
		if want == "" {
			want = "RUNNING" // Batch's default
		}
		if req["jobQueue"] != p.fx.JobQueue {
			p.reject(w, op, fmt.Sprintf("ListJobs on queue %v, want %s", req["jobQueue"], p.fx.JobQueue))
			return
		}
		delete(req, "jobStatus") // moto lists every job; the proxy filters by its own states
		all, _ := json.Marshal(req)
		status, resp := p.forward(r, all)
		writeJSON(w, status, p.filterList(p.rewriteJobs(resp, "jobSummaryList", false), want))
	case "terminatejob":
		reason, _ := req["reason"].(string)
		p.mu.Lock()
		j := p.jobs[fmt.Sprint(req["jobId"])]
		if j != nil && reason != "" {
			j.terminated = reason
		}
		p.mu.Unlock()
		if j == nil || reason == "" {
			p.reject(w, op, fmt.Sprintf("TerminateJob %v with reason %q: unknown job or no reason", req["jobId"], reason))
			return
		}
		status, resp := p.forward(r, body)
		writeJSON(w, status, resp)
	case "describejobqueues", "describecomputeenvironments":
		status, resp := p.forward(r, body)
		if op == "describecomputeenvironments" && p.ceStatus != "" {
			resp = p.rewriteComputeEnvironments(resp)
		}
		writeJSON(w, status, resp)
	default:
		p.reject(w, op, "the client has no business calling "+op)
	}
}

// checkSubmit checks one SubmitJob against what the stack published and the grid.
func (p *batchProxy) checkSubmit(req map[string]any) string {
	if req["jobQueue"] != p.fx.JobQueue || req["jobDefinition"] != p.fx.JobDefinition {
		return fmt.Sprintf("SubmitJob to queue %v with definition %v, want the SSM parameters' %s and %s", req["jobQueue"], req["jobDefinition"], p.fx.JobQueue, p.fx.JobDefinition)
	}
	args := toStrings(testenv.Dig(req, "containerOverrides", "command"))
	point, ok := pointFromArgs(args)
	if !ok || len(args) != 8 || args[6] != "--uploadS3" || args[7] != "true" || args[0] != "--lr" || args[2] != "--momentum" || args[4] != "--epochs" {
		return fmt.Sprintf("SubmitJob command %q: want --lr X --momentum Y --epochs N --uploadS3 true", args)
	}
	if args[1] != simplebatch.Arg(point.LR) || args[3] != simplebatch.Arg(point.Momentum) {
		return fmt.Sprintf("SubmitJob command %q: values must have the file name's 4 decimals", args)
	}
	if name := req["jobName"]; name != simplebatch.JobName(point.LR, point.Momentum) {
		return fmt.Sprintf("SubmitJob name %v for %q, want %s", name, args, simplebatch.JobName(point.LR, point.Momentum))
	}
	return ""
}

func (p *batchProxy) reject(w http.ResponseWriter, op, problem string) {
	p.t.Errorf("proxy: %s: %s", op, problem)
	w.Header().Set("X-Amzn-Errortype", "ClientException")
	writeJSON(w, http.StatusBadRequest, []byte(fmt.Sprintf(`{"__type":"ClientException","message":%q}`, "test proxy: "+problem)))
}

func (p *batchProxy) forward(r *http.Request, body []byte) (int, []byte) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.moto.ResolveReference(&url.URL{Path: r.URL.Path}).String(), bytes.NewReader(body))
	if err != nil {
		p.t.Error(err)
		return http.StatusInternalServerError, nil
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if r.Context().Err() == nil { // not the client giving up (Ctrl-C)
			p.t.Errorf("proxy: moto: %v", err)
		}
		return http.StatusBadGateway, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// rewriteJobs replaces moto's job states (FAILED at once: it has no Docker) with the
// plan's, advancing a job one state per DescribeJobs.
func (p *batchProxy) rewriteJobs(resp []byte, listKey string, advance bool) []byte {
	var doc map[string]any
	if json.Unmarshal(resp, &doc) != nil {
		return resp
	}
	list, _ := doc[listKey].([]any)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, item := range list {
		jd := item.(map[string]any)
		j := p.jobs[fmt.Sprint(jd["jobId"])]
		if j == nil {
			continue
		}
		if advance {
			if j.shown && j.step < len(j.plan.States)-1 {
				j.step++
			}
			j.shown = true
			p.act(j)
		}
		p.describe(j, jd, listKey == "jobs")
	}
	out, _ := json.Marshal(doc)
	return out
}

// act does what the container would have done by the job's current state.
func (p *batchProxy) act(j *proxyJob) {
	ctx := context.Background()
	running := 0
	for _, s := range j.plan.States[:j.step+1] {
		if s == "RUNNING" {
			running++
		}
	}
	switch state := j.state(); {
	case state == "RUNNING" || state == "SUCCEEDED":
		epochs := syntheticMetrics(j.point)
		if state == "RUNNING" {
			epochs = epochs[:min(len(epochs), max(1, running*len(epochs)/5))]
		}
		var b strings.Builder
		b.WriteString("epoch,train_loss,val_loss,val_accuracy\n")
		for _, e := range epochs {
			fmt.Fprintf(&b, "%d,%.6f,%.6f,%.4f\n", e.Epoch, e.TrainLoss, e.ValLoss, e.ValAccuracy)
		}
		if _, err := p.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(p.fx.Bucket), Key: aws.String(simplebatch.MetricsKey(j.point.LR, j.point.Momentum)),
			Body: strings.NewReader(b.String()),
		}); err != nil {
			p.t.Errorf("proxy: writing the metrics of %s: %v", j.name, err)
		}
	case state == "FAILED" && !j.wroteLog && len(j.plan.LogLines) > 0:
		j.wroteLog = true
		stream := "training/default/" + j.id
		if _, err := p.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(p.fx.LogGroup), LogStreamName: aws.String(stream)}); err != nil {
			p.t.Errorf("proxy: log stream: %v", err)
		}
		var events []logtypes.InputLogEvent
		for i, line := range j.plan.LogLines {
			events = append(events, logtypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(time.Now().UnixMilli() + int64(i))})
		}
		if _, err := p.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(p.fx.LogGroup), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
			p.t.Errorf("proxy: log events: %v", err)
		}
	}
}

// describe writes the job's planned state into one DescribeJobs or ListJobs entry.
func (p *batchProxy) describe(j *proxyJob, jd map[string]any, detail bool) {
	state := j.state()
	jd["status"] = state
	delete(jd, "statusReason")
	attempts := []any{}
	if j.plan.Reclaim > 0 && j.step >= j.plan.Reclaim {
		attempts = append(attempts, map[string]any{
			"container":    map[string]any{"exitCode": nil, "logStreamName": "training/default/first-" + j.id},
			"statusReason": "Host EC2 (instance i-0123456789abcdef0) terminated.",
		})
		if state == "RUNNABLE" {
			jd["statusReason"] = "Host EC2 (instance i-0123456789abcdef0) terminated."
		}
	}
	if !detail {
		return
	}
	container, _ := jd["container"].(map[string]any)
	if container == nil {
		container = map[string]any{}
		jd["container"] = container
	}
	delete(container, "exitCode")
	delete(container, "reason")
	container["logConfiguration"] = map[string]any{"logDriver": "awslogs", "options": map[string]any{"awslogs-group": p.fx.LogGroup}}
	switch {
	case j.terminated != "":
		jd["statusReason"] = j.terminated
		delete(container, "logStreamName")
	case state == "RUNNING" || state == "SUCCEEDED" || state == "FAILED":
		container["logStreamName"] = "training/default/" + j.id
		if state != "RUNNING" { // Batch lists an attempt once it has ended
			attempts = append(attempts, map[string]any{"container": map[string]any{"logStreamName": "training/default/" + j.id}})
		}
	default:
		delete(container, "logStreamName")
	}
	if state == "SUCCEEDED" {
		container["exitCode"] = 0
	}
	if state == "FAILED" && j.terminated == "" {
		jd["statusReason"] = j.plan.Reason
		container["exitCode"] = j.plan.ExitCode
	}
	jd["attempts"] = attempts
}

func (p *batchProxy) filterList(resp []byte, want string) []byte {
	var doc map[string]any
	if json.Unmarshal(resp, &doc) != nil {
		return resp
	}
	var keep []any
	for _, item := range doc["jobSummaryList"].([]any) {
		if item.(map[string]any)["status"] == want {
			keep = append(keep, item)
		}
	}
	doc["jobSummaryList"] = keep
	out, _ := json.Marshal(doc)
	return out
}

func (p *batchProxy) rewriteComputeEnvironments(resp []byte) []byte {
	var doc map[string]any
	if json.Unmarshal(resp, &doc) != nil {
		return resp
	}
	for _, ce := range doc["computeEnvironments"].([]any) {
		ce.(map[string]any)["status"] = "INVALID"
		ce.(map[string]any)["statusReason"] = p.ceStatus
	}
	out, _ := json.Marshal(doc)
	return out
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

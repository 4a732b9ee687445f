package main

// The test harness: moto_server (a real AWS API server on 127.0.0.1) with the
// synthesized EcsClusterQaBot template created in its CloudFormation, and a small
// ECS stand-in in front of it. moto stores ECS tasks but runs nothing, answers cpu
// and memory as numbers (aws-sdk-go-v2 wants strings) and fails on a capacity-
// provider strategy; so the harness
//   - passes every request through to moto (SSM, DynamoDB, CloudWatch Logs, ECS),
//   - checks each RunTask as ECS would need it for this stack (cluster, task
//     definition, the stack's subnet and security group with a public IP, only
//     ITEM_IDS in the override, overrides under 8 KiB) and answers an error for a
//     bad one; it records a FARGATE_SPOT strategy and forwards it as launchType FARGATE,
//   - runs the task: the real worker binary, with the task definition's environment
//     (TABLE_NAME, threads) and the override's ITEM_IDS, against moto's DynamoDB and
//     a generated tiny model; the task's status follows the process (PROVISIONING →
//     PENDING → RUNNING → STOPPED) and its exit code is the worker's; the worker's
//     output goes to moto's CloudWatch Logs under the stream the awslogs driver
//     would use (group and prefix from the task definition),
//   - stops the worker with SIGTERM on StopTask, as ECS does.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

var (
	moto      *testenv.Moto
	harness   *ecsHarness
	synthDir  string // the synthesized app, with EcsClusterQaBot's template as moto takes it
	clientBin string // this command, built, for signals and --help
)

func TestMain(m *testing.M) {
	code, err := setupAll(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func setupAll(m *testing.M) (int, error) {
	tmp, err := os.MkdirTemp("", "runtask-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)

	// The slow parts side by side: synthesizing the app, building two binaries.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	workerBin := filepath.Join(tmp, "qabot-worker")
	clientBin = filepath.Join(tmp, "runtask")
	synthDir = filepath.Join(tmp, "cdk.out")
	for i, f := range []func() error{
		func() error { return testenv.SynthAppTo(synthDir, nil) },
		func() error { return goBuild(workerBin, "github.com/intro-aws-go/intro-aws-go/handson/qabot/worker") },
		func() error { return goBuild(clientBin, ".") },
	} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 1, err
		}
	}
	if err := fitForMoto(filepath.Join(synthDir, qabot.StackName+".template.json")); err != nil {
		return 1, err
	}

	ortLib, err := tinymodel.RuntimeLibrary()
	if err != nil {
		return 1, err
	}
	modelDir := filepath.Join(tmp, "model")
	cfg := tinymodel.Tiny()
	cfg.AnswerStart, cfg.AnswerEnd = qabot.ExampleAnswer, qabot.ExampleAnswer // "Momotaro" must win
	if err := tinymodel.Write(modelDir, cfg); err != nil {
		return 1, err
	}

	if moto, err = testenv.StartMotoServer(); err != nil {
		return 1, err
	}
	defer moto.Stop()
	harness = newHarness(moto, workerBin, modelDir, ortLib)
	defer harness.srv.Close()
	return m.Run(), nil
}

// fitForMoto removes from the synthesized template the one thing moto 5.2.1 cannot
// create: the tags of AWS::SSM::Parameter, which CloudFormation defines as a map
// ({"Project": "intro-aws-go"}) and moto reads as a list (it answers 500). The
// parameters' names and values, which the client reads, are untouched.
func fitForMoto(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		return err
	}
	n := 0
	for _, r := range tmpl["Resources"].(map[string]any) {
		if dig(r, "Type") == "AWS::SSM::Parameter" {
			delete(dig(r, "Properties").(map[string]any), "Tags")
			n++
		}
	}
	if n != len(qabot.Parameters()) {
		return fmt.Errorf("%s has %d SSM parameters, want %d", path, n, len(qabot.Parameters()))
	}
	out, err := json.Marshal(tmpl)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

func goBuild(out, pkg string) error {
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// ecsHarness is the ECS stand-in in front of moto (see the top of this file).
type ecsHarness struct {
	moto                        *testenv.Moto
	srv                         *httptest.Server
	proxy                       *httputil.ReverseProxy
	workerBin, modelDir, ortLib string

	mu       sync.Mutex
	tasks    map[string]*fakeTask
	byToken  map[string]map[string]any // RunTask answers by clientToken
	order    []string                  // task ARNs as started
	calls    []call
	problems []string
	knobs
}

// knobs are what a test may change before the client runs.
type knobs struct {
	provisioning, pending time.Duration // how long a task shows these states
	jitter                time.Duration // pending lasts up to this much longer, at random
	deprovisioning        time.Duration // container exited, task not yet STOPPED
	hold                  bool          // the container keeps running until StopTask (no worker)
	workerEnv             []string      // added to (and overriding) the worker's environment
	runTaskSeen           chan string   // receives each started task's ARN
	// runTaskAnswers are taken one per RunTask: "" starts the task; "failure:REASON"
	// answers as ECS does when it cannot place a task (no task, a failure entry);
	// "error:TYPE:MESSAGE" answers an API error.
	runTaskAnswers []string
	throttle       int    // DescribeTasks calls to answer with ThrottlingException first
	startError     string // the task stops in PENDING with this reason, its container never runs
}

func defaultKnobs() knobs {
	return knobs{provisioning: 100 * time.Millisecond, pending: 100 * time.Millisecond}
}

// call is one request the harness saw.
type call struct {
	target string // X-Amz-Target, e.g. AmazonEC2ContainerServiceV20141113.RunTask
	body   map[string]any
	at     time.Time
}

type fakeTask struct {
	arn, capacity string
	env           []string
	logGroup      string
	logStream     string

	status string // PROVISIONING, PENDING, RUNNING, DEPROVISIONING, STOPPED
	// history is every status the task went through; shown indexes the one that
	// DescribeTasks shows. It moves at most one step per DescribeTasks, so that every
	// state the task passed through is shown once, in order, however fast the worker
	// ran and however loaded the machine is: the client's polls drive the stand-in's
	// clock, not the wall clock.
	history       []string
	shown         int
	exitShowed    int // DescribeTasks answers that showed the container's exit
	exitCode      *int
	stoppedReason string
	stopCode      string
	finishedAt    time.Time // when the container's exit became visible
	stopRequested string    // StopTask's reason
	proc          *os.Process
	stop          chan struct{}
	done          chan struct{}
}

func newHarness(m *testenv.Moto, workerBin, modelDir, ortLib string) *ecsHarness {
	target, _ := url.Parse(m.Endpoint)
	h := &ecsHarness{moto: m, proxy: httputil.NewSingleHostReverseProxy(target), workerBin: workerBin, modelDir: modelDir, ortLib: ortLib,
		tasks: map[string]*fakeTask{}, byToken: map[string]map[string]any{}, knobs: defaultKnobs()}
	h.srv = httptest.NewServer(h) // 127.0.0.1
	return h
}

// setup gives a test a fresh moto with the stack deployed (unless deploy is false),
// the harness reset, and this process's AWS SDK pointed at the harness.
func setup(t testing.TB, deploy bool) *ecsHarness {
	t.Helper()
	h := harness
	h.reset()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	for _, kv := range clientEnv(h) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("NO_COLOR", "")
	if deploy {
		deployStack(t)
	}
	t.Cleanup(func() {
		h.finish(t)
	})
	h.mu.Lock()
	h.calls = nil // only what the client does
	h.mu.Unlock()
	return h
}

// clientEnv is the environment of a client process that talks to the harness.
func clientEnv(h *ecsHarness) []string {
	env := moto.Env()
	for i, kv := range env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			env[i] = "AWS_ENDPOINT_URL=" + h.srv.URL
		}
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true")
}

func (h *ecsHarness) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tasks, h.order, h.calls, h.problems, h.knobs = map[string]*fakeTask{}, nil, nil, nil, defaultKnobs()
	h.byToken = map[string]map[string]any{}
}

// finish ends what is still running and fails the test for every bad request seen.
func (h *ecsHarness) finish(t testing.TB) {
	h.mu.Lock()
	tasks := h.tasks
	problems := h.problems
	h.mu.Unlock()
	for _, ft := range tasks {
		select {
		case <-ft.stop:
		default:
			close(ft.stop)
		}
		select {
		case <-ft.done:
		case <-time.After(10 * time.Second):
			t.Errorf("task %s did not end", ft.arn)
		}
	}
	for _, p := range problems {
		t.Errorf("ECS stand-in: %s", p)
	}
}

// deployStack creates the synthesized template in moto's CloudFormation.
func deployStack(t testing.TB) { moto.DeploySynthesized(t, synthDir, qabot.StackName) }

// param reads one of the stack's parameters from moto.
func param(t testing.TB, leaf string) string {
	t.Helper()
	out, err := ssm.NewFromConfig(moto.Config()).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(qabot.ParameterName(leaf))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Parameter.Value)
}

const ecsPrefix = "AmazonEC2ContainerServiceV20141113."

func (h *ecsHarness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if target == "" { // query protocols (none of the client's services use them)
		target = r.Method + " " + r.URL.Path
	}
	var recorded, parsed map[string]any // the handlers may change theirs
	_ = json.Unmarshal(body, &recorded)
	_ = json.Unmarshal(body, &parsed)
	h.mu.Lock()
	h.calls = append(h.calls, call{target: target, body: recorded, at: time.Now()})
	h.mu.Unlock()

	switch target {
	case ecsPrefix + "RunTask":
		h.runTask(w, parsed)
	case ecsPrefix + "DescribeTasks":
		h.describeTasks(w, parsed)
	case ecsPrefix + "StopTask":
		h.stopTask(w, parsed)
	default:
		if strings.HasPrefix(target, ecsPrefix) {
			h.problemf("unexpected ECS call %s", strings.TrimPrefix(target, ecsPrefix))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.proxy.ServeHTTP(w, r)
	}
}

func (h *ecsHarness) problemf(format string, a ...any) string {
	msg := fmt.Sprintf(format, a...)
	h.mu.Lock()
	h.problems = append(h.problems, msg)
	h.mu.Unlock()
	return msg
}

// callMoto sends one ECS request straight to moto.
func (h *ecsHarness) callMoto(op string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, h.moto.Endpoint+"/", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", ecsPrefix+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/"+testenv.Region+"/ecs/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("moto %s: %s: %s", op, resp.Status, raw)
	}
	var out map[string]any
	return out, json.Unmarshal(raw, &out)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func clientError(w http.ResponseWriter, msg string) {
	reply(w, http.StatusBadRequest, map[string]string{"__type": "InvalidParameterException", "message": msg})
}

// runTask checks the request, starts the task in moto and then for real.
func (h *ecsHarness) runTask(w http.ResponseWriter, req map[string]any) {
	if msg := h.checkRunTask(req); msg != "" {
		clientError(w, h.problemf("RunTask: %s", msg))
		return
	}
	h.mu.Lock()
	answer := ""
	if len(h.runTaskAnswers) > 0 {
		answer, h.runTaskAnswers = h.runTaskAnswers[0], h.runTaskAnswers[1:]
	}
	h.mu.Unlock()
	if reason, ok := strings.CutPrefix(answer, "failure:"); ok {
		reply(w, http.StatusOK, map[string]any{"tasks": []any{}, "failures": []any{map[string]any{"arn": req["taskDefinition"], "reason": reason}}})
		return
	}
	if e, ok := strings.CutPrefix(answer, "error:"); ok {
		typ, msg, _ := strings.Cut(e, ":")
		reply(w, http.StatusBadRequest, map[string]string{"__type": typ, "message": msg})
		return
	}
	// ECS makes RunTask idempotent by clientToken (the SDK fills one in, the same for
	// every retry): a request seen before gets the same answer and starts nothing.
	token, _ := req["clientToken"].(string)
	h.mu.Lock()
	if prev, ok := h.byToken[token]; ok && token != "" {
		h.mu.Unlock()
		reply(w, http.StatusOK, prev)
		return
	}
	h.mu.Unlock()
	capacity := "FARGATE"
	if req["capacityProviderStrategy"] != nil {
		capacity = "FARGATE_SPOT"
		delete(req, "capacityProviderStrategy")
		req["launchType"] = "FARGATE" // moto answers 500 to a strategy
	}
	out, err := h.callMoto("RunTask", req)
	if err != nil {
		clientError(w, h.problemf("%v", err))
		return
	}
	taskDef, err := h.callMoto("DescribeTaskDefinition", map[string]any{"taskDefinition": req["taskDefinition"]})
	if err != nil {
		clientError(w, h.problemf("%v", err))
		return
	}
	container := dig(taskDef, "taskDefinition", "containerDefinitions", 0).(map[string]any)
	env := []string{"PATH=" + os.Getenv("PATH")}
	env = append(env, moto.Env()...) // the task role: straight to moto
	for _, kv := range container["environment"].([]any) {
		env = append(env, fmt.Sprintf("%s=%s", dig(kv, "name"), dig(kv, "value")))
	}
	// What the image sets: the model and ONNX Runtime.
	env = append(env, qabot.EnvModelDir+"="+h.modelDir, qabot.EnvORTLibrary+"="+h.ortLib)
	for _, kv := range dig(req, "overrides", "containerOverrides", 0, "environment").([]any) {
		env = append(env, fmt.Sprintf("%s=%s", dig(kv, "name"), dig(kv, "value")))
	}
	logOpts := dig(container, "logConfiguration", "options").(map[string]any)

	h.mu.Lock()
	env = append(env, h.workerEnv...)
	k := h.knobs
	tasks := out["tasks"].([]any)
	for _, raw := range tasks {
		task := raw.(map[string]any)
		arn := task["taskArn"].(string)
		ft := &fakeTask{
			arn: arn, capacity: capacity, env: env, status: "PROVISIONING", history: []string{"PROVISIONING"},
			logGroup:  logOpts["awslogs-group"].(string),
			logStream: qabot.LogStreamName(logOpts["awslogs-stream-prefix"].(string), container["name"].(string), qabot.TaskID(arn)),
			stop:      make(chan struct{}), done: make(chan struct{}),
		}
		h.tasks[arn] = ft
		h.order = append(h.order, arn)
		h.overlay(task)
		go h.lifecycle(ft, k)
		select {
		case k.runTaskSeen <- arn: // buffered by the test; nil: nobody listens
		default:
		}
	}
	if token != "" {
		h.byToken[token] = out
	}
	h.mu.Unlock()
	reply(w, http.StatusOK, out)
}

// checkRunTask returns what is wrong with a RunTask request for this stack.
func (h *ecsHarness) checkRunTask(req map[string]any) string {
	ctx := context.Background()
	params := map[string]string{}
	out, err := ssm.NewFromConfig(h.moto.Config()).GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/" + qabot.StackName)})
	if err != nil {
		return err.Error()
	}
	for _, p := range out.Parameters {
		params[strings.TrimPrefix(aws.ToString(p.Name), qabot.ParameterPrefix)] = aws.ToString(p.Value)
	}
	var problems []string
	want := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			problems = append(problems, fmt.Sprintf("%s = %v, want %v", what, got, want))
		}
	}
	want("cluster", req["cluster"], params[qabot.ParamClusterName])
	want("taskDefinition", req["taskDefinition"], params[qabot.ParamTaskDefinitionArn])
	if c, ok := req["count"]; ok {
		want("count", c, 1.0)
	}
	switch strategy := req["capacityProviderStrategy"]; {
	case strategy != nil && req["launchType"] != nil:
		problems = append(problems, "both launchType and capacityProviderStrategy")
	case strategy != nil:
		want("capacityProviderStrategy", jsonString(strategy), `[{"capacityProvider":"FARGATE_SPOT","weight":1}]`)
	default:
		want("launchType", req["launchType"], "FARGATE")
	}
	vpc := dig(req, "networkConfiguration", "awsvpcConfiguration")
	want("subnets", jsonString(dig(vpc, "subnets")), `["`+params[qabot.ParamSubnet1]+`"]`)
	want("securityGroups", jsonString(dig(vpc, "securityGroups")), `["`+params[qabot.ParamSecurityGroupID]+`"]`)
	want("assignPublicIp", dig(vpc, "assignPublicIp"), "ENABLED")
	overrides := dig(req, "overrides")
	if size := len(jsonString(overrides)); size > 8192 {
		problems = append(problems, fmt.Sprintf("overrides take %d bytes, ECS allows 8192", size))
	}
	containers, _ := dig(overrides, "containerOverrides").([]any)
	if len(containers) != 1 {
		problems = append(problems, fmt.Sprintf("containerOverrides = %s, want one", jsonString(containers)))
		return strings.Join(problems, "; ")
	}
	c := containers[0].(map[string]any)
	want("container", c["name"], params[qabot.ParamContainerName])
	env, _ := c["environment"].([]any)
	if len(c) != 2 || len(env) != 1 || dig(env[0], "name") != qabot.EnvItemIDs || len(qabot.ParseItemIDs(fmt.Sprint(dig(env[0], "value")))) == 0 {
		problems = append(problems, fmt.Sprintf("container override %s, want only %s in the environment", jsonString(c), qabot.EnvItemIDs))
	}
	return strings.Join(problems, "; ")
}

// lifecycle plays the task: provisioning, the worker's run, its exit.
func (h *ecsHarness) lifecycle(ft *fakeTask, k knobs) {
	defer close(ft.done)
	set := func(status string) {
		h.mu.Lock()
		ft.setStatus(status)
		h.mu.Unlock()
	}
	stoppedEarly := func(d time.Duration) bool {
		select {
		case <-ft.stop:
			return true
		case <-time.After(d):
			return false
		}
	}
	if stoppedEarly(k.provisioning) {
		h.exited(ft, nil, nil, k)
		return
	}
	set("PENDING")
	if k.startError != "" {
		time.Sleep(k.pending)
		h.exited(ft, nil, nil, k)
		return
	}
	if k.jitter > 0 {
		k.pending += time.Duration(rand.Int64N(int64(k.jitter)))
	}
	if stoppedEarly(k.pending) {
		h.exited(ft, nil, nil, k)
		return
	}
	if k.hold { // a container that runs until it is stopped, and then exits on SIGTERM
		set("RUNNING")
		<-ft.stop
		code := 143
		h.exited(ft, &code, []string{"received SIGTERM"}, k)
		return
	}
	cmd := exec.Command(h.workerBin)
	cmd.Env = ft.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		h.problemf("start worker: %v", err)
		h.exited(ft, nil, nil, k)
		return
	}
	h.mu.Lock()
	ft.proc = cmd.Process
	ft.setStatus("RUNNING")
	h.mu.Unlock()
	waited := make(chan struct{})
	go func() {
		select {
		case <-ft.stop: // StopTask: SIGTERM, as ECS sends
			cmd.Process.Signal(syscall.SIGTERM)
		case <-waited:
		}
	}()
	cmd.Wait()
	close(waited)
	code := cmd.ProcessState.ExitCode()
	var lines []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	h.exited(ft, &code, lines, k)
}

// exited writes the container's log and makes its exit visible.
func (h *ecsHarness) exited(ft *fakeTask, code *int, lines []string, k knobs) {
	if len(lines) > 0 {
		if err := writeLog(ft.logGroup, ft.logStream, lines); err != nil {
			h.problemf("writing the task's log: %v", err)
		}
	}
	h.mu.Lock()
	ft.exitCode = code
	switch {
	case ft.stopRequested != "":
		ft.stoppedReason, ft.stopCode = ft.stopRequested, "UserInitiated"
	case code != nil:
		ft.stoppedReason, ft.stopCode = "Essential container in task exited", "EssentialContainerExited"
	case k.startError != "":
		ft.stoppedReason, ft.stopCode = k.startError, "TaskFailedToStart"
	default:
		ft.stoppedReason, ft.stopCode = "Task stopped before its container started", "TaskFailedToStart"
	}
	ft.finishedAt = time.Now()
	if k.deprovisioning > 0 {
		ft.setStatus("DEPROVISIONING")
	} else {
		ft.setStatus("STOPPED")
	}
	h.mu.Unlock()
	if k.deprovisioning > 0 {
		select { // until the time is up, or the test ends (finish)
		case <-time.After(k.deprovisioning):
		case <-ft.stop:
		}
		h.mu.Lock()
		ft.setStatus("STOPPED")
		h.mu.Unlock()
	}
}

// writeLog puts lines into moto's CloudWatch Logs, as the awslogs driver does.
func writeLog(group, stream string, lines []string) error {
	ctx := context.Background()
	logs := cloudwatchlogs.NewFromConfig(moto.Config())
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	var events []logtypes.InputLogEvent
	for _, l := range lines {
		events = append(events, logtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(now)})
	}
	_, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events})
	return err
}

func (h *ecsHarness) describeTasks(w http.ResponseWriter, req map[string]any) {
	h.mu.Lock()
	throttled := h.throttle > 0
	if throttled {
		h.throttle--
	}
	h.mu.Unlock()
	if throttled {
		reply(w, http.StatusBadRequest, map[string]string{"__type": "ThrottlingException", "message": "Rate exceeded"})
		return
	}
	out, err := h.callMoto("DescribeTasks", req)
	if err != nil {
		clientError(w, h.problemf("%v", err))
		return
	}
	if len(out["tasks"].([]any)) != len(req["tasks"].([]any)) {
		h.problemf("DescribeTasks of %v in cluster %v: moto knows %d of them (wrong cluster?)", req["tasks"], req["cluster"], len(out["tasks"].([]any)))
	}
	h.mu.Lock()
	for _, task := range out["tasks"].([]any) {
		ft := h.tasks[fmt.Sprint(task.(map[string]any)["taskArn"])]
		if ft != nil && ft.shown < len(ft.history)-1 {
			ft.shown++
		}
		h.overlay(task.(map[string]any))
		if ft != nil && task.(map[string]any)["desiredStatus"] == "STOPPED" {
			ft.exitShowed++
		}
	}
	h.mu.Unlock()
	reply(w, http.StatusOK, out)
}

func (h *ecsHarness) stopTask(w http.ResponseWriter, req map[string]any) {
	out, err := h.callMoto("StopTask", req)
	if err != nil {
		clientError(w, h.problemf("%v", err))
		return
	}
	h.mu.Lock()
	if ft := h.tasks[fmt.Sprint(req["task"])]; ft != nil {
		if ft.stopRequested == "" {
			ft.stopRequested = fmt.Sprint(req["reason"])
			close(ft.stop)
		}
	} else {
		h.problemf("StopTask of unknown task %v", req["task"])
	}
	h.overlay(out["task"].(map[string]any))
	h.mu.Unlock()
	reply(w, http.StatusOK, out)
}

// overlay puts the harness's view of a task into moto's answer, and gives cpu and
// memory the string type ECS uses. Call with h.mu held.
func (h *ecsHarness) overlay(task map[string]any) {
	for _, k := range []string{"cpu", "memory"} {
		if v, ok := task[k].(float64); ok {
			task[k] = fmt.Sprint(v)
		}
	}
	ft := h.tasks[fmt.Sprint(task["taskArn"])]
	if ft == nil {
		return
	}
	view := ft.history[ft.shown]
	exitShown := ft.finishedAt != (time.Time{}) && (view == "DEPROVISIONING" || view == "STOPPED")
	task["lastStatus"] = view
	task["desiredStatus"] = "RUNNING"
	if ft.stopRequested != "" || exitShown {
		task["desiredStatus"] = "STOPPED"
		task["stoppedReason"], task["stopCode"] = ft.stoppedReason, ft.stopCode
	}
	if ft.capacity == "FARGATE_SPOT" {
		delete(task, "launchType")
		task["capacityProviderName"] = "FARGATE_SPOT"
	}
	for _, raw := range task["containers"].([]any) {
		c := raw.(map[string]any)
		for _, k := range []string{"cpu", "memory", "memoryReservation"} {
			if v, ok := c[k].(float64); ok {
				c[k] = fmt.Sprint(v)
			}
		}
		c["taskArn"] = ft.arn
		delete(c, "exitCode")
		switch {
		case exitShown && ft.exitCode != nil:
			c["lastStatus"], c["exitCode"] = "STOPPED", *ft.exitCode
		case view == "RUNNING":
			c["lastStatus"] = "RUNNING"
		case exitShown:
			c["lastStatus"] = "STOPPED"
		default:
			c["lastStatus"] = "PENDING"
		}
	}
}

// setStatus moves the task on (call with h.mu held).
func (ft *fakeTask) setStatus(status string) {
	ft.status = status
	ft.history = append(ft.history, status)
}

// seen returns the requests of one kind (an ECS operation name, or a full target).
func (h *ecsHarness) seen(op string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.calls {
		if c.target == op || c.target == ecsPrefix+op || strings.HasSuffix(c.target, "."+op) {
			out = append(out, c)
		}
	}
	return out
}

// started returns a copy of each task the client started, in order.
func (h *ecsHarness) started() []fakeTask {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []fakeTask
	for _, arn := range h.order {
		out = append(out, *h.tasks[arn])
	}
	return out
}

func (h *ecsHarness) set(f func(k *knobs)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.knobs)
}

func dig(v any, path ...any) any { return testenv.Dig(v, path...) }

func jsonString(v any) string { return testenv.JSONText(v) }

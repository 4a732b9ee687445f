package main

// The client against real AWS APIs: moto_server (started here, on 127.0.0.1) holds the
// bucket, the SSM parameters, the log group and the Batch queue and job definition,
// as `cdk deploy SimpleBatch` would leave them; the Batch proxy (proxy_test.go) moves
// the jobs through their states and checks every Batch request.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, &moto)) }

// deploy creates in moto what the SimpleBatch stack creates, with the parameters the
// client reads.
func deploy(t *testing.T) fixture {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := moto.Config()
	fx := fixture{Bucket: "simplebatch-bucket-test", LogGroup: "SimpleBatch-JobLogs-test"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(fx.Bucket)}))
	must(cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(fx.LogGroup)}))
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("batch-service"), AssumeRolePolicyDocument: aws.String("{}")})
	if err != nil {
		t.Fatal(err)
	}
	b := batch.NewFromConfig(cfg)
	ce, err := b.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("ComputeEnvironment-test"), Type: batchtypes.CETypeUnmanaged, ServiceRole: role.Role.Arn,
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := b.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("JobQueue-test"), Priority: aws.Int32(1), State: batchtypes.JQStateEnabled,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: ce.ComputeEnvironmentArn}},
	})
	if err != nil {
		t.Fatal(err)
	}
	jd, err := b.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("JobDefinition-test"), Type: batchtypes.JobDefinitionTypeContainer,
		ContainerProperties: &batchtypes.ContainerProperties{
			Image:   aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets:abc"),
			Command: []string{"--lr", "0.0100", "--momentum", "0.5000", "--epochs", "10", "--uploadS3", "true"},
			ResourceRequirements: []batchtypes.ResourceRequirement{
				{Type: batchtypes.ResourceTypeVcpu, Value: aws.String("4")},
				{Type: batchtypes.ResourceTypeMemory, Value: aws.String("12000")},
				{Type: batchtypes.ResourceTypeGpu, Value: aws.String("1")},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.JobQueue, fx.JobDefinition = aws.ToString(q.JobQueueArn), aws.ToString(jd.JobDefinitionArn)
	putParameters(t, map[string]string{
		simplebatch.ParameterName(simplebatch.ParamBucketName): fx.Bucket, simplebatch.ParameterName(simplebatch.ParamJobQueueArn): fx.JobQueue,
		simplebatch.ParameterName(simplebatch.ParamJobDefinitionArn): fx.JobDefinition, simplebatch.ParameterName(simplebatch.ParamLogGroupName): fx.LogGroup,
	})
	return fx
}

func putParameters(t *testing.T, params map[string]string) {
	t.Helper()
	client := ssm.NewFromConfig(moto.Config())
	for name, value := range params {
		if _, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString,
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// invocation is one run of the command, in process.
type invocation struct {
	stdout, stderr string
	code           int
}

func runCommand(ctx context.Context, t *testing.T, cfg aws.Config, u *ui, args ...string) invocation {
	t.Helper()
	var out, errOut bytes.Buffer
	if u == nil {
		u = newUI(&out, false, func(string) string { return "" })
	}
	u.out = &out
	code := run(ctx, args, u, &errOut, func(ctx context.Context, _, _ string) (*awsEnv, error) { return connect(ctx, cfg) })
	return invocation{stdout: out.String(), stderr: errOut.String(), code: code}
}

func plansBy(special map[string]jobPlan) func(string) jobPlan {
	return func(name string) jobPlan {
		if p, ok := special[name]; ok {
			return p
		}
		return successPlan
	}
}

func TestSweepRunsTheCourseGridAndPlotsIt(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, plansBy(map[string]jobPlan{"lr0001_m005": failPlan, "lr001_m01": spotPlan}))
	out := t.TempDir()
	res := runCommand(context.Background(), t, proxy.config(), nil, "sweep", "--epochs", "20", "--poll", "2ms", "--out", out)

	if res.code != 1 || res.stderr != "error: 1 of 9 jobs failed (reasons and logs above)\n" {
		t.Errorf("exit %d, stderr %q: want 1 and one line saying one job failed", res.code, res.stderr)
	}
	submits := 0
	for _, op := range proxy.opsSeen() {
		if op == "submitjob" {
			submits++
		}
	}
	if submits != 9 {
		t.Errorf("%d SubmitJob calls, want 9 (3 lr × 3 momentum)", submits)
	}
	// Plain output: one line per change of state, for every job.
	for _, name := range []string{"lr01_m05", "lr01_m01", "lr01_m005", "lr001_m05", "lr001_m01", "lr001_m005", "lr0001_m05", "lr0001_m01", "lr0001_m005"} {
		if !regexp.MustCompile(`\] ` + name + ` +RUNNABLE +-> STARTING`).MatchString(res.stdout) {
			t.Errorf("no RUNNABLE -> STARTING line for %s in:\n%s", name, res.stdout)
		}
	}
	for _, want := range []string{
		"lr001_m01    RUNNING   -> RUNNABLE (attempt 2): Host EC2 (instance i-0123456789abcdef0) terminated.",
		"lr0001_m005  RUNNING   -> FAILED: Essential container in task exited; exit code 1",
		"lr01_m05     RUNNING   -> SUCCEEDED: epoch 20/20, val acc ",
		"FAILED lr0001_m005 (lr 0.0010, momentum 0.0500): Essential container in task exited; exit code 1",
		"  log: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/SimpleBatch-JobLogs-test/log-events/training$252Fdefault$252F",
		"    RuntimeError: CUDA error: out of memory",
		"Best: lr 0.1, momentum 0.5 → ",
		"Saved 8 metrics files and " + filepath.Join(out, curvesFile) + ", " + filepath.Join(out, heatmapFile),
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("escape codes in plain output")
	}

	files, _ := filepath.Glob(filepath.Join(out, "metrics_lr*_m*.csv"))
	if len(files) != 8 {
		t.Errorf("%d metrics files saved, want 8 (the failed job has none): %v", len(files), files)
	}
	// The saved figures: one curve per job with data, one cell per grid point (the
	// failed one grey), checked pixel by pixel against the layout of the same data.
	results := loadResults(t, out)
	for _, r := range results {
		if want := syntheticMetrics(gridPoint{LR: r.Point.LR, Momentum: r.Point.Momentum, Epochs: 20}); len(r.Epochs) != len(want) {
			t.Errorf("%s: %d epochs saved, want %d", r.label(), len(r.Epochs), len(want))
		}
	}
	_, curvesAt, err := drawLearningCurves(results)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, decodePNG(t, filepath.Join(out, curvesFile)), curvesAt, len(results))
	grid, _ := parseGrid(defaultLRs, defaultMomentums, 20)
	_, cellsAt, err := drawBestAccuracy(newBestGrid(results, grid))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(cellsAt.Best[2][2]) {
		t.Errorf("failed grid point (lr 0.001, m 0.05) has accuracy %v", cellsAt.Best[2][2])
	}
	checkHeatmap(t, decodePNG(t, filepath.Join(out, heatmapFile)), cellsAt)
}

func TestSweepOnATerminalRedrawsTheTable(t *testing.T) {
	for _, color := range []bool{true, false} {
		t.Run(fmt.Sprintf("color=%v", color), func(t *testing.T) {
			fx := deploy(t)
			proxy := newBatchProxy(t, moto, fx, plansBy(nil))
			u := &ui{tty: true, color: color, now: time.Now}
			res := runCommand(context.Background(), t, proxy.config(), u, "sweep", "--lr", "0.1", "--momentum", "0.5,0.1", "--poll", "2ms", "--out", t.TempDir())
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			redraws := strings.Count(res.stdout, "\x1b[4A\x1b[J") // header, column names, 2 jobs
			if redraws < 5 {
				t.Errorf("table redrawn %d times, want one per poll", redraws)
			}
			if got := strings.Contains(res.stdout, "\x1b[32mSUCCEEDED "); got != color {
				t.Errorf("green SUCCEEDED present = %v, want %v", got, color)
			}
			if !color && regexp.MustCompile(`\x1b\[\d+m`).MatchString(res.stdout) {
				t.Error("colour codes with colour off")
			}
			if !regexp.MustCompile(`RUNNING.* epoch \d+/20, val acc \d+\.\d\d%`).MatchString(res.stdout) {
				t.Errorf("no progress of a running job in the table:\n%s", res.stdout)
			}
			last := res.stdout[strings.LastIndex(res.stdout, "elapsed "):]
			if !strings.HasPrefix(last, "elapsed ") || !strings.Contains(last, "2 SUCCEEDED") {
				t.Errorf("final table:\n%s", last)
			}
			if strings.Contains(res.stdout, "-> STARTING") {
				t.Error("plain event lines on a terminal")
			}
		})
	}
}

func TestSubmitWithoutWaitingThenWatchThenResults(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, plansBy(nil))
	out := t.TempDir()
	res := runCommand(context.Background(), t, proxy.config(), nil, "submit", "--lr", "0.05", "--momentum", "0.9", "--epochs", "5", "--no-wait", "--out", out)
	if res.code != 0 || !strings.Contains(res.stdout, "lr005_m09") || !strings.Contains(res.stdout, "go run ./cmd/sweep watch") {
		t.Fatalf("submit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runCommand(context.Background(), t, proxy.config(), nil, "watch", "--poll", "2ms", "--out", out)
	if res.code != 0 || !strings.Contains(res.stdout, "Following 1 unfinished job") || !strings.Contains(res.stdout, "Best: lr 0.05, momentum 0.9") {
		t.Fatalf("watch: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "metrics_lr0.0500_m0.9000.csv"))
	if err != nil || strings.Count(string(raw), "\n") != 6 {
		t.Errorf("metrics file: %v\n%s", err, raw)
	}
	os.Remove(filepath.Join(out, heatmapFile))
	res = runCommand(context.Background(), t, proxy.config(), nil, "results", "--out", out)
	if res.code != 0 || !strings.Contains(res.stdout, "Saved 1 metrics file and") {
		t.Fatalf("results: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	decodePNG(t, filepath.Join(out, heatmapFile))
	res = runCommand(context.Background(), t, proxy.config(), nil, "watch")
	if res.code != 0 || !strings.Contains(res.stdout, "No unfinished jobs") {
		t.Errorf("second watch: exit %d\n%s", res.code, res.stdout)
	}
}

func TestResultsExplainsFailedGridPoints(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, plansBy(map[string]jobPlan{"lr01_m01": failPlan}))
	out := t.TempDir()
	res := runCommand(context.Background(), t, proxy.config(), nil, "sweep", "--lr", "0.1", "--momentum", "0.5,0.1", "--epochs", "10", "--poll", "2ms", "--out", out)
	if res.code != 1 {
		t.Fatalf("sweep: exit %d, want 1\n%s", res.code, res.stdout)
	}
	res = runCommand(context.Background(), t, proxy.config(), nil, "results", "--out", out)
	if res.code != 0 {
		t.Fatalf("results: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"FAILED lr01_m01 (lr 0.1000, momentum 0.1000): Essential container in task exited; exit code 1", "RuntimeError: CUDA error: out of memory"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("results output lacks %q:\n%s", want, res.stdout)
		}
	}
}

func TestCancelTerminatesEveryUnfinishedJob(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, func(string) jobPlan { return stuckPlan })
	res := runCommand(context.Background(), t, proxy.config(), nil, "sweep", "--lr", "0.1,0.01", "--momentum", "0.5", "--no-wait")
	if res.code != 0 {
		t.Fatalf("sweep --no-wait: exit %d %s", res.code, res.stderr)
	}
	res = runCommand(context.Background(), t, proxy.config(), nil, "cancel")
	if res.code != 0 || !strings.Contains(res.stdout, "2 unfinished jobs terminated") {
		t.Fatalf("cancel: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var terminated []string
	for _, op := range proxy.opsSeen() {
		if op == "terminatejob" {
			terminated = append(terminated, op)
		}
	}
	if len(terminated) != 2 {
		t.Errorf("%d TerminateJob calls, want 2", len(terminated))
	}
	res = runCommand(context.Background(), t, proxy.config(), nil, "watch")
	if !strings.Contains(res.stdout, "No unfinished jobs") {
		t.Errorf("after cancel, watch says:\n%s", res.stdout)
	}
}

func TestJobsStuckInRunnableGetAHintAndInterruptLeavesThemRunning(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, func(string) jobPlan { return stuckPlan })
	proxy.ceStatus = "CLIENT_ERROR - You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to."
	defer func(d time.Duration) { runnableHintAfter = d }(runnableHintAfter)
	runnableHintAfter = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The learner's Ctrl-C: at the first poll after the hint looked at the compute
	// environment (an exact point, not a time).
	var hinted atomic.Bool
	proxy.onOp = func(op string) {
		switch {
		case op == "describecomputeenvironments":
			hinted.Store(true)
		case op == "describejobs" && hinted.Load():
			cancel()
		}
	}
	res := runCommand(ctx, t, proxy.config(), nil, "sweep", "--lr", "0.1", "--momentum", "0.5", "--poll", "5ms")
	if res.code != 130 {
		t.Errorf("exit %d, want 130 after an interrupt", res.code)
	}
	if !strings.Contains(res.stderr, "the jobs keep running in AWS Batch (and billing)") || strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line saying the jobs keep running", res.stderr)
	}
	for _, want := range []string{"hint: jobs have waited", "Compute environment ComputeEnvironment-test is INVALID: CLIENT_ERROR - You have requested more vCPU capacity",
		"go run ./cmd/preflight SimpleBatch"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	if n := strings.Count(res.stdout, "hint:"); n != 1 {
		t.Errorf("%d hints, want one", n)
	}
}

func TestNotDeployedSaysWhichStackToDeployWhere(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	connectMoto := func(ctx context.Context, _, _ string) (*awsEnv, error) { return connect(ctx, moto.Config()) }
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"results"}, newUI(&out, false, os.Getenv), &errOut, connectMoto)
	want := "error: stack SimpleBatch is not deployed in us-east-1 (no SSM parameters under /SimpleBatch/): run `npx cdk deploy SimpleBatch`, or pass the --region/--profile you deployed it with\n"
	if code != 1 || errOut.String() != want {
		t.Errorf("exit %d, stderr %q\nwant 1, %q", code, errOut.String(), want)
	}
	// An older or partial deployment: one parameter missing.
	putParameters(t, map[string]string{simplebatch.ParameterName(simplebatch.ParamBucketName): "b"})
	errOut.Reset()
	code = run(context.Background(), []string{"results"}, newUI(&out, false, os.Getenv), &errOut, connectMoto)
	if code != 1 || !strings.HasPrefix(errOut.String(), "error: stack SimpleBatch in us-east-1 lacks /SimpleBatch/JOB_QUEUE_ARN, /SimpleBatch/JOB_DEFINITION_ARN, /SimpleBatch/LOG_GROUP_NAME") || !strings.Contains(errOut.String(), "npx cdk deploy SimpleBatch") || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestBadFlagsStopBeforeAnyAWSCall(t *testing.T) {
	cases := []struct{ args, want string }{
		{"", "error: give a command: cancel, results, submit, sweep, watch (see sweep --help)"},
		{"frobnicate", `error: unknown command "frobnicate"`},
		{"sweep --lr 0.00005", "error: --lr 5e-05: must be at least 0.0001 and below 10"},
		{"sweep --lr 0.00015", "error: --lr 0.00015: the metrics file name keeps 4 decimals (0.0001); use a multiple of 0.0001"},
		{"sweep --momentum 1", "error: --momentum 1: must be at least 0 and below 1"},
		{"sweep --momentum 0.5,abc", `error: --momentum 0.5,abc: "abc" is not a number`},
		{"sweep --lr 0.1,0.1", "error: --lr 0.1,0.1: 0.1 is given twice"},
		{"sweep --lr 0.1,0.2,0.3,0.4,0.5,0.6 --momentum 0.1,0.2,0.3,0.4,0.5", "error: 6 × 5 = 30 jobs: at most 25 per sweep"},
		{"sweep --epochs 0", "error: --epochs 0: give 1 to 500"},
		{"submit --lr 0.1", "error: submit needs --lr and --momentum"},
		{"submit --lr 0.1,0.01 --momentum 0.5", "error: submit runs one job"},
		{"sweep --epochs ten", `error: sweep: invalid value "ten" for flag -epochs`},
		{"results extra", `error: results takes no arguments, got 1 (see sweep results --help)`},
		{"--poll 0s watch", "error: --poll must be positive"},
	}
	for _, c := range cases {
		t.Run(c.args, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), strings.Fields(c.args), newUI(&out, false, os.Getenv), &errOut, func(context.Context, string, string) (*awsEnv, error) {
				t.Error("AWS contacted despite bad flags")
				return nil, fmt.Errorf("no")
			})
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.HasPrefix(errOut.String(), c.want) || strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", errOut.String(), c.want)
			}
		})
	}
}

func TestGridIsTheCoursesByDefault(t *testing.T) {
	grid, err := parseGrid(defaultLRs, defaultMomentums, defaultEpochs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range grid {
		names = append(names, simplebatch.JobName(p.LR, p.Momentum)+"="+strings.Join(containerArgs(p), " "))
	}
	sort.Strings(names)
	want := []string{
		"lr0001_m005=--lr 0.0010 --momentum 0.0500 --epochs 20 --uploadS3 true",
		"lr0001_m01=--lr 0.0010 --momentum 0.1000 --epochs 20 --uploadS3 true",
		"lr0001_m05=--lr 0.0010 --momentum 0.5000 --epochs 20 --uploadS3 true",
		"lr001_m005=--lr 0.0100 --momentum 0.0500 --epochs 20 --uploadS3 true",
		"lr001_m01=--lr 0.0100 --momentum 0.1000 --epochs 20 --uploadS3 true",
		"lr001_m05=--lr 0.0100 --momentum 0.5000 --epochs 20 --uploadS3 true",
		"lr01_m005=--lr 0.1000 --momentum 0.0500 --epochs 20 --uploadS3 true",
		"lr01_m01=--lr 0.1000 --momentum 0.1000 --epochs 20 --uploadS3 true",
		"lr01_m05=--lr 0.1000 --momentum 0.5000 --epochs 20 --uploadS3 true",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("default grid:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// loadResults parses the metrics files a command saved.
func loadResults(t *testing.T, dir string) []result {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "metrics_lr*_m*.csv"))
	var out []result
	for _, f := range files {
		lr, m, ok := simplebatch.ParseMetricsKey(filepath.Base(f))
		raw, err := os.ReadFile(f)
		if !ok || err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		epochs, err := parseMetrics(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, result{Point: gridPoint{LR: lr, Momentum: m}, Epochs: epochs})
	}
	sortResults(out)
	return out
}

// The built command as a learner runs it: configuration from the environment
// (AWS_ENDPOINT_URL points it at moto), one line on stderr, exit 1; and a sweep that
// writes nothing at all on stderr (no SDK log lines in the middle of the table).
func TestBuiltCommand(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sweep")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"not deployed", moto.Env(), "error: stack SimpleBatch is not deployed in us-east-1 (no SSM parameters under /SimpleBatch/): run `npx cdk deploy SimpleBatch`"},
		{"no region", append(moto.Env(), "AWS_REGION=", "AWS_DEFAULT_REGION="), "error: no AWS region: pass --region"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, "results", "--out", t.TempDir())
			cmd.Env = append(os.Environ(), c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
				t.Errorf("exit %v, want 1", err)
			}
			if !strings.HasPrefix(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
				t.Errorf("stdout %q stderr %q, want one line starting %q", stdout.String(), stderr.String(), c.want)
			}
		})
	}
	t.Run("sweep", func(t *testing.T) {
		proxy := newBatchProxy(t, moto, deploy(t), plansBy(nil))
		env := append(moto.Env(), "AWS_ENDPOINT_URL="+proxy.srv.URL)
		cmd := exec.Command(bin, "sweep", "--lr", "0.1", "--momentum", "0.5,0.1", "--poll", "2ms", "--out", t.TempDir())
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() != 0 || !strings.Contains(stdout.String(), "Saved 2 metrics files") {
			t.Errorf("exit %v\nstderr %q\nstdout:\n%s", err, stderr.String(), stdout.String())
		}
	})
}

func TestColourOnlyOnATerminalThatWantsIt(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, c := range []struct {
		tty   bool
		env   map[string]string
		color bool
	}{
		{true, nil, true},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
		{false, nil, false},
	} {
		if u := newUI(&bytes.Buffer{}, c.tty, env(c.env)); u.color != c.color || u.tty != c.tty {
			t.Errorf("tty %v env %v: colour %v, want %v", c.tty, c.env, u.color, c.color)
		}
	}
}

func TestTableLinesFitTheTerminal(t *testing.T) {
	now := time.Now()
	long := &job{Name: "lr0001_m005", Point: gridPoint{LR: 0.001, Momentum: 0.05}, Status: "RUNNABLE", Since: now, Attempts: 1,
		StatusReason: "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type g4dn.xlarge"}
	for _, width := range []int{80, 100, 200} {
		u := &ui{tty: true, color: true, width: width, now: func() time.Time { return now }}
		for _, line := range u.tableLines(now, []*job{long}) {
			plain := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(line, "")
			if n := len([]rune(plain)); n >= width {
				t.Errorf("width %d: line of %d columns would wrap: %q", width, n, plain)
			}
		}
	}
}

// --help on every command exits 0 with a description and an example; --region and
// --profile go before or after the command.
func TestHelpAndGlobalFlags(t *testing.T) {
	var regions []string
	connect := func(_ context.Context, region, profile string) (*awsEnv, error) {
		regions = append(regions, region+"/"+profile)
		return nil, errors.New("stop here")
	}
	for _, name := range []string{"sweep", "submit", "watch", "results", "cancel"} {
		for _, args := range [][]string{{name, "--help"}, {"help", name}, {"--region", "r", name, "-h"}} {
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, newUI(&out, false, os.Getenv), &errOut, connect)
			if code != 0 || errOut.Len() != 0 || !strings.Contains(out.String(), "sweep "+name+": ") || !strings.Contains(out.String(), "Example:\n  sweep "+name) {
				t.Errorf("%q = %d %q\n%s", args, code, errOut.String(), out.String())
			}
		}
	}
	for _, args := range [][]string{{"--region", "r", "--profile", "p", "watch"}, {"watch", "--region=r", "--profile", "p"}, {"--region", "r", "watch", "--profile", "p"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, newUI(&out, false, os.Getenv), &errOut, connect); code != 1 || errOut.String() != "error: stop here\n" {
			t.Errorf("%q = %d %q", args, code, errOut.String())
		}
	}
	if strings.Join(regions, " ") != "r/p r/p r/p" {
		t.Errorf("connect saw %q", regions)
	}
}

// Ctrl-C while `results` waits for AWS (issue 13's re-probe): the message speaks of
// the plots, not of jobs being watched.
func TestInterruptedResultsSaysWhatItStopped(t *testing.T) {
	silent := testenv.StartSilentEndpoint(t)
	cfg := moto.Config()
	cfg.BaseEndpoint = aws.String(silent.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-silent.Accepted; cancel() }() // Ctrl-C once a request is waiting
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"results"}, newUI(&out, false, os.Getenv), &errOut,
		func(ctx context.Context, _, _ string) (*awsEnv, error) { return connect(ctx, cfg) })
	want := "interrupted: no plot was redrawn; the results stay in the bucket: run `go run ./cmd/sweep results` again\n"
	if code != 130 || errOut.String() != want {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// session is one command's connection and settings.
type session struct {
	aws  *awsEnv
	ui   *ui
	out  string
	poll time.Duration
}

// runnableHintAfter is how long jobs may wait for a host before the client looks at
// the compute environment and says why.
var runnableHintAfter = 8 * time.Minute

// job is what the client knows of one Batch job.
type job struct {
	ID, Name        string
	Point           gridPoint
	Status          string
	StatusReason    string
	Since           time.Time // when the client first saw the current status
	Attempts        int
	ExitCode        *int32
	ContainerReason string
	LogStream       string
	LogGroup        string
	Progress        string // last epoch seen in the metrics file
	final           bool   // Progress read after the job succeeded
}

// Batch's job states in their order; the last two are final.
var (
	activeStatuses = []types.JobStatus{types.JobStatusSubmitted, types.JobStatusPending, types.JobStatusRunnable, types.JobStatusStarting, types.JobStatusRunning}
	statusOrder    = map[string]int{"SUBMITTED": 0, "PENDING": 1, "RUNNABLE": 2, "STARTING": 3, "RUNNING": 4, "SUCCEEDED": 5, "FAILED": 6}
)

func (j *job) done() bool { return j.Status == "SUCCEEDED" || j.Status == "FAILED" }

// sweep submits one job per grid point, then follows them and reports.
func (s *session) sweep(ctx context.Context, grid []gridPoint, noWait bool) error {
	s.ui.printf("Submitting %s to %s in %s (results in s3://%s)\n", cli.Plural(len(grid), "job"), shortArn(s.aws.names.JobQueue), s.aws.region, s.aws.names.Bucket)
	var jobs []*job
	for _, p := range grid {
		name := simplebatch.JobName(p.LR, p.Momentum)
		out, err := s.aws.batch.SubmitJob(ctx, &batch.SubmitJobInput{
			JobName:       aws.String(name),
			JobQueue:      aws.String(s.aws.names.JobQueue),
			JobDefinition: aws.String(s.aws.names.JobDefinition),
			ContainerOverrides: &types.ContainerOverrides{
				Command: containerArgs(p),
			},
		})
		if err != nil {
			err = awsenv.Explain("submitting "+name, err)
			if len(jobs) > 0 {
				return fmt.Errorf("%s; %s already submitted keep running: `go run ./cmd/sweep watch` follows them, `go run ./cmd/sweep cancel` stops them",
					err.Error(), cli.Plural(len(jobs), "job"))
			}
			return err
		}
		jobs = append(jobs, &job{ID: aws.ToString(out.JobId), Name: name, Point: p, Status: "SUBMITTED", Since: s.ui.now()})
		s.ui.printf("  %-12s lr %-7s momentum %-7s epochs %-3d job %s\n", name, simplebatch.Arg(p.LR), simplebatch.Arg(p.Momentum), p.Epochs, aws.ToString(out.JobId))
	}
	if noWait {
		s.ui.printf("Submitted. Follow them with `go run ./cmd/sweep watch`; the results stay in the bucket until `npx cdk destroy SimpleBatch`.\n")
		return nil
	}
	if err := s.follow(ctx, jobs); err != nil {
		return err
	}
	return s.report(ctx, jobs, grid)
}

// containerArgs is the command line the container's train.py receives.
func containerArgs(p gridPoint) []string {
	return []string{"--lr", simplebatch.Arg(p.LR), "--momentum", simplebatch.Arg(p.Momentum),
		"--epochs", strconv.Itoa(p.Epochs), "--uploadS3", "true"}
}

// pointFromArgs reads the grid point back from a job's command line.
func pointFromArgs(args []string) (gridPoint, bool) {
	var p gridPoint
	found := 0
	for i := 0; i+1 < len(args); i++ {
		v := args[i+1]
		switch args[i] {
		case "--lr", "-l":
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				p.LR, found = f, found+1
			}
		case "--momentum", "-m":
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				p.Momentum, found = f, found+1
			}
		case "--epochs", "-e":
			p.Epochs, _ = strconv.Atoi(v)
		}
	}
	return p, found == 2
}

// watch follows the queue's unfinished jobs.
func (s *session) watch(ctx context.Context) error {
	ids, err := s.listJobs(ctx, activeStatuses...)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		s.ui.printf("No unfinished jobs in %s. `go run ./cmd/sweep results` downloads and plots what the bucket holds.\n", shortArn(s.aws.names.JobQueue))
		return nil
	}
	details, err := s.describe(ctx, ids)
	if err != nil {
		return err
	}
	var jobs []*job
	var grid []gridPoint
	for _, d := range details {
		j := &job{ID: aws.ToString(d.JobId), Name: aws.ToString(d.JobName), Since: s.ui.now()}
		if d.Container != nil {
			j.Point, _ = pointFromArgs(d.Container.Command)
		}
		s.update(j, d)
		jobs = append(jobs, j)
		grid = append(grid, j.Point)
	}
	s.ui.printf("Following %s of %s in %s\n", cli.Plural(len(jobs), "unfinished job"), shortArn(s.aws.names.JobQueue), s.aws.region)
	if err := s.follow(ctx, jobs); err != nil {
		return err
	}
	return s.report(ctx, jobs, grid)
}

// cancel terminates every unfinished job of the queue.
func (s *session) cancel(ctx context.Context) error {
	ids, err := s.listJobs(ctx, activeStatuses...)
	if err != nil {
		return err
	}
	details, err := s.describe(ctx, ids)
	if err != nil {
		return err
	}
	for _, d := range details {
		if _, err := s.aws.batch.TerminateJob(ctx, &batch.TerminateJobInput{
			JobId:  d.JobId,
			Reason: aws.String("cancelled with go run ./cmd/sweep cancel"),
		}); err != nil {
			return awsenv.Explain("terminating "+aws.ToString(d.JobName), err)
		}
		s.ui.printf("terminated %-12s (%s)\n", aws.ToString(d.JobName), d.Status)
	}
	s.ui.printf("%s terminated in %s; Batch stops their hosts within minutes.\n", cli.Plural(len(details), "unfinished job"), shortArn(s.aws.names.JobQueue))
	return nil
}

// listJobs returns the ids of the queue's jobs in the given states.
func (s *session) listJobs(ctx context.Context, statuses ...types.JobStatus) ([]string, error) {
	var ids []string
	for _, st := range statuses {
		summaries, err := s.listJobSummaries(ctx, st)
		if err != nil {
			return nil, err
		}
		for _, j := range summaries {
			ids = append(ids, aws.ToString(j.JobId))
		}
	}
	return ids, nil
}

func (s *session) listJobSummaries(ctx context.Context, status types.JobStatus) ([]types.JobSummary, error) {
	var out []types.JobSummary
	pages := batch.NewListJobsPaginator(s.aws.batch, &batch.ListJobsInput{JobQueue: aws.String(s.aws.names.JobQueue), JobStatus: status})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsenv.Explain("listing the jobs of "+shortArn(s.aws.names.JobQueue), err)
		}
		out = append(out, page.JobSummaryList...)
	}
	return out, nil
}

// describe reads the jobs' details, 100 at a time (Batch's limit).
func (s *session) describe(ctx context.Context, ids []string) ([]types.JobDetail, error) {
	var out []types.JobDetail
	for start := 0; start < len(ids); start += 100 {
		end := min(start+100, len(ids))
		resp, err := s.aws.batch.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: ids[start:end]})
		if err != nil {
			return nil, awsenv.Explain("reading the job states", err)
		}
		out = append(out, resp.Jobs...)
	}
	return out, nil
}

// update copies what Batch says about a job and reports a change of state.
func (s *session) update(j *job, d types.JobDetail) (changed bool, from string) {
	status := string(d.Status)
	if status != j.Status {
		changed, from = true, j.Status
		j.Status, j.Since = status, s.ui.now()
	}
	j.StatusReason = aws.ToString(d.StatusReason)
	j.Attempts = len(d.Attempts)
	if c := d.Container; c != nil {
		j.ExitCode = c.ExitCode
		j.ContainerReason = aws.ToString(c.Reason)
		j.LogStream = aws.ToString(c.LogStreamName)
		if c.LogConfiguration != nil {
			j.LogGroup = c.LogConfiguration.Options["awslogs-group"]
		}
	}
	// The reason of the last attempt, when the job's own reason says little.
	if n := len(d.Attempts); n > 0 {
		if c := d.Attempts[n-1].Container; c != nil {
			if j.ExitCode == nil {
				j.ExitCode = c.ExitCode
			}
			if j.ContainerReason == "" {
				j.ContainerReason = aws.ToString(c.Reason)
			}
			if j.LogStream == "" {
				j.LogStream = aws.ToString(c.LogStreamName)
			}
		}
	}
	if j.LogGroup == "" {
		j.LogGroup = s.aws.names.LogGroup
	}
	return changed, from
}

// follow polls the jobs until every one has finished, showing the table (on a
// terminal) or one line per change of state (otherwise).
func (s *session) follow(ctx context.Context, jobs []*job) error {
	start := s.ui.now()
	hintAfter := runnableHintAfter
	hinted := false
	ids := make([]string, len(jobs))
	byID := map[string]*job{}
	for i, j := range jobs {
		ids[i] = j.ID
		byID[j.ID] = j
	}
	for {
		details, err := s.describe(ctx, ids)
		if err != nil {
			return err
		}
		type change struct {
			j    *job
			from string
		}
		var changes []change
		for _, d := range details {
			j := byID[aws.ToString(d.JobId)]
			if j == nil {
				continue
			}
			if changed, from := s.update(j, d); changed && from != "" {
				changes = append(changes, change{j, from})
			}
		}
		s.progress(ctx, jobs)
		for _, c := range changes {
			s.ui.event(start, c.j, c.from)
		}
		s.ui.table(start, jobs)
		if allDone(jobs) {
			s.ui.finishTable()
			return nil
		}
		if !hinted && waitingTooLong(jobs, s.ui.now(), hintAfter) {
			hinted = true
			s.ui.hint(s.runnableReason(ctx, hintAfter))
		}
		select {
		case <-ctx.Done():
			s.ui.finishTable()
			return ctx.Err()
		case <-time.After(s.poll):
		}
	}
}

func allDone(jobs []*job) bool {
	for _, j := range jobs {
		if !j.done() {
			return false
		}
	}
	return true
}

// waitingTooLong: no job has reached a host and one has waited in RUNNABLE too long.
func waitingTooLong(jobs []*job, now time.Time, after time.Duration) bool {
	waiting := false
	for _, j := range jobs {
		if statusOrder[j.Status] >= statusOrder["STARTING"] {
			return false
		}
		if j.Status == "RUNNABLE" && now.Sub(j.Since) >= after {
			waiting = true
		}
	}
	return waiting
}

// runnableReason looks at the queue's compute environment to say why no host starts.
func (s *session) runnableReason(ctx context.Context, waited time.Duration) string {
	msg := fmt.Sprintf("jobs have waited %s for a host. ", roundDuration(waited))
	qs, err := s.aws.batch.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{s.aws.names.JobQueue}})
	if err == nil && len(qs.JobQueues) == 1 {
		var envs []string
		for _, o := range qs.JobQueues[0].ComputeEnvironmentOrder {
			envs = append(envs, aws.ToString(o.ComputeEnvironment))
		}
		if ces, err := s.aws.batch.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: envs}); err == nil {
			for _, ce := range ces.ComputeEnvironments {
				msg += fmt.Sprintf("Compute environment %s is %s", aws.ToString(ce.ComputeEnvironmentName), ce.Status)
				if r := aws.ToString(ce.StatusReason); r != "" {
					msg += ": " + cli.OneLine(r)
				}
				msg += ". "
			}
		}
	}
	return msg + "Check the GPU quota with `go run ./cmd/preflight SimpleBatch` (README: RUNNABLE forever)."
}

// progress reads the metrics file of each running job (the container uploads it
// after every epoch), and once more when a job has succeeded.
func (s *session) progress(ctx context.Context, jobs []*job) {
	for _, j := range jobs {
		if j.Status != "RUNNING" && (j.Status != "SUCCEEDED" || j.final) {
			continue
		}
		r, err := s.fetch(ctx, j.Point, false)
		if err != nil || len(r.Epochs) == 0 {
			continue
		}
		j.final = j.Status == "SUCCEEDED"
		last := r.Epochs[len(r.Epochs)-1]
		total := ""
		if j.Point.Epochs > 0 {
			total = "/" + strconv.Itoa(j.Point.Epochs)
		}
		j.Progress = fmt.Sprintf("epoch %d%s, val acc %.2f%%", last.Epoch, total, last.ValAccuracy)
	}
}

func shortArn(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

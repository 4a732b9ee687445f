package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// Names of the files a sweep leaves in --out.
const (
	curvesFile  = "learning_curves.png"
	heatmapFile = "best_accuracy.png"
)

// report explains the failed jobs, downloads the metrics of the others and draws the
// plots. It fails (exit 1) when a job failed, after saving what there is.
func (s *session) report(ctx context.Context, jobs []*job, grid []gridPoint) error {
	var failed []*job
	var results []result
	for _, j := range jobs {
		if j.Status != "SUCCEEDED" {
			failed = append(failed, j)
			continue
		}
		r, err := s.fetch(ctx, j.Point, true)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	for _, j := range failed {
		s.explainFailure(ctx, j)
	}
	if err := s.save(results, grid); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %s failed (reasons and logs above)", len(failed), cli.Plural(len(jobs), "job"))
	}
	return nil
}

// results downloads every metrics file in the bucket, redraws the plots, and says
// why grid points without a file have none (a failed job of the queue).
func (s *session) results(ctx context.Context) error {
	keys, err := s.listMetricsKeys(ctx)
	if err != nil {
		return err
	}
	results, err := s.fetchKeys(ctx, keys)
	if err != nil {
		return err
	}
	failedIDs, err := s.latestFailedJobs(ctx)
	if err != nil {
		return err
	}
	grid, err := s.explainFailedJobs(ctx, failedIDs)
	if err != nil {
		return err
	}
	if len(results) == 0 && len(grid) == 0 {
		s.ui.printf("No metrics files in s3://%s yet: run a sweep with `go run ./cmd/sweep sweep`.\n", s.aws.names.Bucket)
		return nil
	}
	return s.save(results, grid)
}

// listMetricsKeys lists the keys of the metrics files in the bucket.
func (s *session) listMetricsKeys(ctx context.Context) ([]string, error) {
	var keys []string
	pages := s3.NewListObjectsV2Paginator(s.aws.s3, &s3.ListObjectsV2Input{Bucket: aws.String(s.aws.names.Bucket), Prefix: aws.String("metrics_")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsenv.Explain("listing s3://"+s.aws.names.Bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// fetchKeys downloads the metrics files among keys (other objects are skipped).
func (s *session) fetchKeys(ctx context.Context, keys []string) ([]result, error) {
	var results []result
	for _, key := range keys {
		lr, m, ok := simplebatch.ParseMetricsKey(key)
		if !ok {
			continue
		}
		r, err := s.fetch(ctx, gridPoint{LR: lr, Momentum: m}, true)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

// latestFailedJobs returns the IDs of the grid points whose latest job failed: such a
// job explains a hole or a partial curve (an older failure was since run again).
func (s *session) latestFailedJobs(ctx context.Context) ([]string, error) {
	latest := map[string]types.JobSummary{}
	for _, st := range []types.JobStatus{types.JobStatusSucceeded, types.JobStatusFailed} {
		summaries, err := s.listJobSummaries(ctx, st)
		if err != nil {
			return nil, err
		}
		for _, js := range summaries {
			if prev, ok := latest[aws.ToString(js.JobName)]; !ok || aws.ToInt64(js.CreatedAt) > aws.ToInt64(prev.CreatedAt) {
				latest[aws.ToString(js.JobName)] = js
			}
		}
	}
	var failedIDs []string
	for _, js := range latest {
		if js.Status == types.JobStatusFailed {
			failedIDs = append(failedIDs, aws.ToString(js.JobId))
		}
	}
	return failedIDs, nil
}

// explainFailedJobs prints why each of the jobs failed and returns their grid points,
// so that the heat map shows them as holes.
func (s *session) explainFailedJobs(ctx context.Context, ids []string) ([]gridPoint, error) {
	details, err := s.describe(ctx, ids)
	if err != nil {
		return nil, err
	}
	var grid []gridPoint
	for _, d := range details {
		j := &job{ID: aws.ToString(d.JobId), Name: aws.ToString(d.JobName)}
		if d.Container != nil {
			j.Point, _ = pointFromArgs(d.Container.Command)
		}
		s.update(j, d)
		s.explainFailure(ctx, j)
		grid = append(grid, j.Point)
	}
	return grid, nil
}

// fetch downloads and parses one grid point's metrics file; keep also saves it in --out.
func (s *session) fetch(ctx context.Context, p gridPoint, keep bool) (result, error) {
	key := simplebatch.MetricsKey(p.LR, p.Momentum)
	obj, err := s.aws.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.aws.names.Bucket), Key: aws.String(key)})
	if err != nil {
		var missing *s3types.NoSuchKey
		if errors.As(err, &missing) {
			return result{}, fmt.Errorf("s3://%s/%s is missing although its job succeeded: was it deleted?", s.aws.names.Bucket, key)
		}
		return result{}, awsenv.Explain("downloading s3://"+s.aws.names.Bucket+"/"+key, err)
	}
	defer obj.Body.Close()
	raw, err := io.ReadAll(obj.Body)
	if err != nil {
		return result{}, awsenv.Explain("downloading s3://"+s.aws.names.Bucket+"/"+key, err)
	}
	epochs, err := parseMetrics(bytes.NewReader(raw))
	if err != nil {
		return result{}, fmt.Errorf("s3://%s/%s: %v", s.aws.names.Bucket, key, err)
	}
	if keep {
		if err := os.MkdirAll(s.out, 0o755); err != nil {
			return result{}, err
		}
		if err := os.WriteFile(filepath.Join(s.out, key), raw, 0o644); err != nil {
			return result{}, err
		}
	}
	return result{Point: p, Epochs: epochs}, nil
}

// parseMetrics reads a metrics CSV: epoch,train_loss,val_loss,val_accuracy (the
// course's files without the epoch column are read too).
func parseMetrics(r io.Reader) ([]epochMetrics, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("not a CSV file: %v", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("empty file")
	}
	header := strings.Join(rows[0], ",")
	withEpoch := header == "epoch,train_loss,val_loss,val_accuracy"
	if !withEpoch && header != "train_loss,val_loss,val_accuracy" {
		return nil, fmt.Errorf("unexpected header %q (want epoch,train_loss,val_loss,val_accuracy)", header)
	}
	var out []epochMetrics
	for i, row := range rows[1:] {
		var vals []float64
		for _, f := range row {
			// train.py writes nan and inf when the loss diverges (a large --lr): such a
			// row is kept, and the run is shown as diverged.
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %q is not a number", i+2, f)
			}
			vals = append(vals, v)
		}
		if want := 3 + map[bool]int{true: 1}[withEpoch]; len(vals) != want {
			return nil, fmt.Errorf("line %d: %d values, want %d", i+2, len(vals), want)
		}
		e := epochMetrics{Epoch: i + 1}
		if withEpoch {
			e.Epoch, vals = int(vals[0]), vals[1:]
		}
		e.TrainLoss, e.ValLoss, e.ValAccuracy = vals[0], vals[1], vals[2]
		out = append(out, e)
	}
	return out, nil
}

// save writes the two plots and prints the grid of best accuracies.
func (s *session) save(results []result, grid []gridPoint) error {
	if err := os.MkdirAll(s.out, 0o755); err != nil {
		return err
	}
	sortResults(results)
	g := newBestGrid(results, grid)
	written, err := s.writePlots(results, g)
	if err != nil {
		return err
	}
	s.printBestGrid(g)
	s.printDiverged(results)
	s.ui.printf("Saved %s and %s\n", cli.Plural(len(results), "metrics file"), strings.Join(written, ", "))
	return nil
}

// writePlots writes the learning curves (when there are results) and the heat map of
// best accuracies in --out, and returns the paths written.
func (s *session) writePlots(results []result, g bestGrid) ([]string, error) {
	var written []string
	if len(results) > 0 {
		img, _, err := drawLearningCurves(results)
		if err != nil {
			return nil, err
		}
		if err := writePNG(filepath.Join(s.out, curvesFile), img); err != nil {
			return nil, err
		}
		written = append(written, filepath.Join(s.out, curvesFile))
	}
	img, _, err := drawBestAccuracy(g)
	if err != nil {
		return nil, err
	}
	if err := writePNG(filepath.Join(s.out, heatmapFile), img); err != nil {
		return nil, err
	}
	return append(written, filepath.Join(s.out, heatmapFile)), nil
}

// printBestGrid prints the best validation accuracy of each grid point as a table,
// then the best point of all.
func (s *session) printBestGrid(g bestGrid) {
	s.ui.printf("\nBest validation accuracy (%%), rows lr, columns momentum:\n")
	s.ui.printf("%-8s", "lr \\ m")
	for _, m := range g.momentums {
		s.ui.printf(" %8s", trimFloat(m))
	}
	s.ui.printf("\n")
	bestAcc, bestAt := math.Inf(-1), ""
	for i, lr := range g.lrs {
		s.ui.printf("%-8s", trimFloat(lr))
		for j, m := range g.momentums {
			v := g.best[i][j]
			if g.diverged[i][j] {
				s.ui.printf(" %8s", "diverged")
				continue
			}
			if math.IsNaN(v) {
				s.ui.printf(" %8s", "-")
				continue
			}
			s.ui.printf(" %8.2f", v)
			if v > bestAcc {
				bestAcc, bestAt = v, fmt.Sprintf("lr %s, momentum %s", trimFloat(lr), trimFloat(m))
			}
		}
		s.ui.printf("\n")
	}
	if bestAt != "" {
		s.ui.printf("Best: %s → %.2f %%\n", bestAt, bestAcc)
	}
}

// printDiverged names the runs whose loss became not a number, and from which epoch.
func (s *session) printDiverged(results []result) {
	for _, r := range results {
		if at := r.divergedAt(); at > 0 {
			s.ui.printf("Diverged: lr %s, momentum %s: the loss is not a number from epoch %d on (the learning rate is too large)\n",
				trimFloat(r.Point.LR), trimFloat(r.Point.Momentum), at)
		}
	}
}

// explainFailure prints why a job failed, where its log is, and the log's last lines.
func (s *session) explainFailure(ctx context.Context, j *job) {
	s.ui.printf("FAILED %s (lr %s, momentum %s): %s\n", j.Name, simplebatch.Arg(j.Point.LR), simplebatch.Arg(j.Point.Momentum), j.failure())
	if j.LogStream == "" || j.LogGroup == "" {
		s.ui.printf("  no log: the container never started (see the reason above)\n")
		return
	}
	s.ui.printf("  log: %s\n", logLink(s.aws.region, j.LogGroup, j.LogStream))
	out, err := s.aws.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(j.LogGroup),
		LogStreamName: aws.String(j.LogStream),
		Limit:         aws.Int32(10),
		StartFromHead: aws.Bool(false),
	})
	if err != nil {
		s.ui.printf("  (could not read the log: %s)\n", awsenv.Explain("reading the log", err).Error())
		return
	}
	if len(out.Events) > 0 {
		s.ui.printf("  last log lines:\n")
	}
	for _, e := range out.Events {
		s.ui.printf("    %s\n", strings.TrimRight(aws.ToString(e.Message), "\n"))
	}
}

// logLink is the CloudWatch console page of one log stream. The console wants the
// names URL-encoded and then every "%" written as "$25".
func logLink(region, group, stream string) string {
	enc := func(s string) string {
		return strings.ReplaceAll(url.QueryEscape(s), "%", "$25")
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#logsV2:log-groups/log-group/%s/log-events/%s",
		region, region, enc(group), enc(stream))
}

// sortResults orders runs as the grid is drawn: largest lr first, then largest momentum.
func sortResults(results []result) {
	sort.Slice(results, func(a, b int) bool {
		if results[a].Point.LR != results[b].Point.LR {
			return results[a].Point.LR > results[b].Point.LR
		}
		return results[a].Point.Momentum > results[b].Point.Momentum
	})
}

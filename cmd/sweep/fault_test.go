package main

// sweep (submit, wait, fetch, plots) and results under every fault scenario that
// applies (internal/testenv/scenarios.go): the same results as without faults, and one
// job per grid point.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func TestFaultsSweepAndResults(t *testing.T) {
	services := []string{"ssm", "batch", "s3", "logs"}
	for _, sc := range append(testenv.LagScenarios(services...), testenv.TransientScenarios(services...)...) {
		t.Run(sc.Name, func(t *testing.T) {
			fx := deploy(t)
			proxy := newBatchProxy(t, moto, fx, plansBy(nil))
			faults := testenv.StartFaults(t, proxy.srv.URL, sc)
			cfg := (&testenv.Moto{Endpoint: faults.URL}).Config()
			cfg.Retryer = func() aws.Retryer { return awsenv.Retryer() } // as awsenv.Load configures the clients
			out := t.TempDir()
			res := runCommand(context.Background(), t, cfg, nil, "sweep", "--lr", "0.1", "--momentum", "0.5,0.1", "--epochs", "5", "--poll", "2ms", "--out", out)
			if res.code != 0 || !strings.Contains(res.stdout, "Saved 2 metrics files and") || !strings.Contains(res.stdout, "Best: lr 0.1, momentum ") {
				t.Fatalf("sweep: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			submits := 0
			for _, op := range proxy.opsSeen() {
				if op == "submitjob" {
					submits++
				}
			}
			if submits != 2 {
				t.Errorf("%d jobs submitted for 2 grid points", submits)
			}
			for _, r := range loadResults(t, out) {
				if len(r.Epochs) != 5 {
					t.Errorf("%s: %d epochs saved, want 5", r.label(), len(r.Epochs))
				}
			}
			decodePNG(t, filepath.Join(out, curvesFile))
			decodePNG(t, filepath.Join(out, heatmapFile))

			again := t.TempDir()
			res = runCommand(context.Background(), t, cfg, nil, "results", "--out", again)
			if res.code != 0 || !strings.Contains(res.stdout, "Saved 2 metrics files and") {
				t.Fatalf("results: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			decodePNG(t, filepath.Join(again, heatmapFile))
			faults.RequireHit(t, "sweep sweep/results")
		})
	}
}

// A refusal cannot be retried away: one line that says which jobs were left running.
func TestFaultsSubmitDeniedSaysWhatWasLeft(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, func(string) jobPlan { return stuckPlan })
	faults := testenv.StartFaults(t, proxy.srv.URL, testenv.Scenario{Name: "access-denied", Seed: 1, Refusal: true,
		// https://docs.aws.amazon.com/batch/latest/APIReference/CommonErrors.html (AccessDeniedException 403)
		Rules: []testenv.Rule{{Name: "denied", Service: "batch", Ops: []string{"submitjob"}, Kind: testenv.KindError, Status: 403,
			Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/learner is not authorized to perform: batch:SubmitJob", Every: 1, Skip: 1}}})
	cfg := (&testenv.Moto{Endpoint: faults.URL}).Config()
	cfg.Retryer = func() aws.Retryer { return awsenv.Retryer() }
	res := runCommand(context.Background(), t, cfg, nil, "sweep", "--lr", "0.1", "--momentum", "0.5,0.1", "--epochs", "5", "--no-wait")
	if res.code != 1 || strings.Count(res.stderr, "\n") != 1 ||
		!strings.Contains(res.stderr, "submitting lr01_m01 was denied: your credentials lack this permission") ||
		!strings.Contains(res.stderr, "1 job already submitted keep running: `go run ./cmd/sweep watch` follows them, `go run ./cmd/sweep cancel` stops them") {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if n := faults.Injected()["denied"]["batch.submitjob"]; n != 1 {
		t.Errorf("SubmitJob denied %d times, want once (a refusal is not retried): %s", n, faults.Summary())
	}
	faults.RequireHit(t, "sweep sweep (refusal)")
}

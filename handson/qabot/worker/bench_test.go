package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

var baseOnce [2]sync.Once

// BenchmarkWorkerPeakMemory runs the worker binary as the task does, on models of
// distilbert-base-cased's size with random weights (int8 as the image ships it, and
// fp32, the heaviest file it may ship), answering the course example and a context
// long enough for two full 384-token windows, and reports the process's peak
// resident memory. The task definition's memory is chosen from these numbers
// (stacks/ecsclusterqabot.go).
func BenchmarkWorkerPeakMemory(b *testing.B) {
	for i, variant := range []string{"int8", "fp32"} {
		b.Run(variant, func(b *testing.B) {
			dir := baseModel(b, i, variant)
			benchmarkPeakMemory(b, dir)
		})
	}
}

func benchmarkPeakMemory(b *testing.B, dir string) {
	db, table := newTable(b)
	long := strings.Repeat(qabot.ExampleContext+" ", 12)
	put(b, db, table, qabot.Item{ItemID: "course", Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
	put(b, db, table, qabot.Item{ItemID: "long", Context: long, Question: qabot.ExampleQuestion})

	var peakKiB int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(workerBin)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir()}, moto.Env()...)
		cmd.Env = append(cmd.Env, env(table, dir, "course", "long")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("worker: %v\n%s", err, out)
		}
		if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss; rss > peakKiB {
			peakKiB = rss // Linux reports KiB
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(peakKiB)/1024, "peak-RSS-MiB")
}

// baseModel writes the DistilBERT-size model of variant ("int8" or "fp32") once per
// test binary (baseOnce[i]) and returns its directory.
func baseModel(b *testing.B, i int, variant string) string {
	b.Helper()
	dir := filepath.Join(baseDir, variant)
	var err error
	baseOnce[i].Do(func() {
		cfg := tinymodel.BaseSize()
		cfg.Int8 = variant == "int8"
		err = tinymodel.Write(dir, cfg)
	})
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

package main

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// BenchmarkColdStart is most of a QA task's life once its image is pulled: the worker
// binary started as the task starts it, under the task's CPU share (0.25 vCPU, a
// cgroup CPU quota), on a model of distilbert-base-cased-distilled-squad's size with
// random weights (int8 as the image ships it, and fp32), answering the course
// example. It reports the medians, over COLDSTART_RUNS runs (default 5), of the time
// from process start to "model loaded" and to the first answer written to the table
// (the UpdateItem returned). The model files are in the page cache after the first
// run (on Fargate the first read comes from the image layer). make bench-coldstart.
func BenchmarkColdStart(b *testing.B) {
	runs := 5
	if s := os.Getenv("COLDSTART_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("COLDSTART_RUNS=%q", s)
		}
		runs = n
	}
	quota, err := testenv.NewCPUQuota(0.25)
	if err != nil {
		b.Skipf("no CPU quota on this machine: %v", err)
	}
	defer quota.Remove()
	b.Logf("CPU limit: %s", quota.Describe)

	for i, variant := range []string{"int8", "fp32"} {
		for _, threads := range []string{"1", "default"} {
			b.Run(variant+"/threads="+threads, func(b *testing.B) {
				dir := baseModel(b, i, variant)
				db, table := newTable(b)
				put(b, db, table, qabot.Item{ItemID: "course", Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
				var loaded, answered, reported, cpu []float64
				b.ResetTimer()
				for r := 0; r < runs; r++ {
					l, a, rep, c := coldStart(b, quota, table, dir, threads)
					loaded, answered, reported, cpu = append(loaded, l), append(answered, a), append(reported, rep), append(cpu, c)
				}
				b.StopTimer()
				b.ReportMetric(median(cpu), "ms-CPU")
				b.ReportMetric(median(loaded), "ms-to-loaded")
				b.ReportMetric(median(answered), "ms-to-answer")
				b.ReportMetric(median(reported), "ms-load-reported")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

var medianMu sync.Mutex

func median(xs []float64) float64 {
	medianMu.Lock()
	defer medianMu.Unlock()
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// coldStart runs the worker once in the quota and returns the milliseconds from its
// start to its "model loaded" line and to its "done" line (written after the answer
// is in the table), the model load time it reports itself, and the CPU time (user and
// system) of the whole run: unlike wall times, it does not grow with the load of a
// shared machine.
func coldStart(b *testing.B, quota *testenv.CPUQuota, table, dir, threads string) (loaded, answered, reported, cpu float64) {
	b.Helper()
	cmd := quota.Command(workerBin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir()}, moto.Env()...)
	for _, kv := range env(table, dir, "course") {
		if threads == "default" && strings.HasPrefix(kv, qabot.EnvThreads+"=") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var log []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		log = append(log, line)
		ms := float64(time.Since(start).Microseconds()) / 1000
		switch {
		case strings.Contains(line, "model loaded in "):
			loaded = ms
			f := strings.Fields(line[strings.Index(line, "model loaded in ")+len("model loaded in "):])
			if len(f) > 0 {
				reported, _ = strconv.ParseFloat(f[0], 64)
			}
		case strings.Contains(line, "item course: done in "):
			answered = ms
		}
	}
	if err := cmd.Wait(); err != nil || loaded == 0 || answered == 0 {
		b.Fatalf("worker: %v\n%s", err, strings.Join(log, "\n"))
	}
	cpu = float64((cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Microseconds()) / 1000
	return loaded, answered, reported, cpu
}

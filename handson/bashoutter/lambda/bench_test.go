package main

// Benchmarks of what a Lambda user pays for: the size of the upload and the cold start.
// Each is reported next to a baseline measured in the same run: a do-nothing
// aws-lambda-go function built with the same flags (internal/testenv/testdata/trivial).
//
//	make bench   (or: go test -run '^$' -bench . ./handson/bashoutter/lambda)

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/internal/lambdabuild"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

const baselinePkg = "internal/testenv/testdata/trivial"

var sizes struct {
	once                        sync.Once
	bashoutter, trivial, simple float64
	err                         error
}

// BenchmarkBootstrapSize builds the deployed binaries (linux/arm64, as the bundler
// does) once and reports their sizes in MB. Goal: at most 10 MB.
func BenchmarkBootstrapSize(b *testing.B) {
	sizes.once.Do(func() {
		root, err := project.Root()
		if err != nil {
			sizes.err = err
			return
		}
		dir, err := os.MkdirTemp("", "bootstrap-size-")
		if err != nil {
			sizes.err = err
			return
		}
		defer os.RemoveAll(dir)
		size := func(pkg string) float64 {
			out := filepath.Join(dir, filepath.Base(pkg), "bootstrap")
			if err := lambdabuild.Build(root, "./"+pkg, out, "arm64"); err != nil {
				sizes.err = err
				return 0
			}
			info, err := os.Stat(out)
			if err != nil {
				sizes.err = err
				return 0
			}
			return float64(info.Size()) / 1e6
		}
		sizes.bashoutter = size("handson/bashoutter/lambda")
		sizes.simple = size("handson/simplelambda")
		sizes.trivial = size(baselinePkg)
	})
	if sizes.err != nil {
		b.Fatal(sizes.err)
	}
	for range b.N {
	}
	b.ReportMetric(sizes.bashoutter, "bashoutter-MB")
	b.ReportMetric(sizes.simple, "simplelambda-MB")
	b.ReportMetric(sizes.trivial, "baseline-MB")
	b.ReportMetric(sizes.bashoutter/sizes.trivial, "bashoutter/baseline")
	if sizes.bashoutter > 10 {
		b.Logf("NOTE: bashoutter bootstrap is %.1f MB, over the 10 MB goal", sizes.bashoutter)
	}
}

// BenchmarkColdInit starts each function fresh under the Lambda emulator, once per
// iteration, and reports the emulator's init duration (process start until the runtime
// asks for its first event) and the first request's wall time (start, init and one
// GET /haiku against moto). Goal: init at most 50 ms. The binaries are built for this
// machine's architecture (the emulator runs them natively).
func BenchmarkColdInit(b *testing.B) {
	moto := testenv.StartMoto(b)
	if err := api.CreateTable(context.Background(), newDynamoDB(moto), "haiku"); err != nil {
		b.Fatal(err)
	}
	bootstrap := testenv.BuildLambda(b, "handson/bashoutter/lambda")
	trivial := testenv.BuildLambda(b, baselinePkg)
	env := append(moto.Env(), "TABLE_NAME=haiku")
	get := apiGatewayEvent(bashoutter.RouteList, "", "", nil)

	var initB, initT, firstB, firstT time.Duration
	cold := func(bootstrap string, event []byte) (time.Duration, time.Duration) {
		rie := testenv.StartRIE(b, bootstrap, env...)
		start := time.Now()
		out, status, err := rie.Invoke(context.Background(), event)
		first := time.Since(start)
		if err != nil || status != 200 {
			b.Fatalf("invoke: %v %d %s\n%s", err, status, out, rie.Logs())
		}
		init, err := rie.InitDuration()
		if err != nil {
			b.Fatal(err)
		}
		return init, first
	}
	b.ResetTimer()
	for range b.N {
		i, f := cold(bootstrap, get)
		initB, firstB = initB+i, firstB+f
		i, f = cold(trivial, []byte(`{}`))
		initT, firstT = initT+i, firstT+f
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(initB), "init-ms")
	b.ReportMetric(ms(initT), "baseline-init-ms")
	b.ReportMetric(ms(initB)/ms(initT), "init/baseline")
	b.ReportMetric(ms(firstB), "first-request-ms")
	b.ReportMetric(ms(firstT), "baseline-first-request-ms")
	if ms(initB) > 50 {
		// A busy machine slows both; the ratio to the baseline is the stable number.
		b.Logf("NOTE: cold init %.1f ms is over the 50 ms goal (baseline %.1f ms on this machine)", ms(initB), ms(initT))
	}
}

// Package simplebatch is the contract of hands-on #4 (SimpleBatch): what the stack
// (stacks/simplebatch.go), its training container (handson/simplebatch) and the sweep
// client (cmd/sweep) must agree on: the stack's name, its SSM parameter names, the job
// names and the metrics file names. It has no CDK or AWS SDK dependency; the
// container's metrics.py follows the same rules (a test in cmd/sweep runs both and
// compares). Why it lives in handson/contracts: see handson/contracts/doc.go.
package simplebatch

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// StackName is the course's stack name.
const StackName = "SimpleBatch"

// ParameterPrefix is the SSM path under which the stack publishes what the client
// needs (every hands-on publishes under its own /<StackName>/).
const ParameterPrefix = "/" + StackName + "/"

// SSM String parameter leaf names, spelled as hands-on #3's (the course's style).
const (
	ParamBucketName       = "BUCKET_NAME"        // the bucket of the metrics files
	ParamJobQueueArn      = "JOB_QUEUE_ARN"      // the queue to submit to
	ParamJobDefinitionArn = "JOB_DEFINITION_ARN" // the training job
	ParamLogGroupName     = "LOG_GROUP_NAME"     // CloudWatch Logs group of the jobs
)

// Parameters lists every leaf name the stack publishes, in a stable order.
func Parameters() []string {
	return []string{ParamBucketName, ParamJobQueueArn, ParamJobDefinitionArn, ParamLogGroupName}
}

// ParameterName is the full SSM name of a leaf, e.g. /SimpleBatch/BUCKET_NAME.
func ParameterName(leaf string) string { return ParameterPrefix + leaf }

// The job's size, as in the course: 4 vCPU, 1 GPU, 12000 MiB.
const (
	JobVcpus     = 4
	JobGpus      = 1
	JobMemoryMiB = 12000
)

// Decimals is how many decimals of lr and momentum a metrics file name keeps, as in the
// course's metrics_lr0.1000_m0.5000.csv.
const Decimals = 4

// MetricsKey is the S3 key the training container writes for one grid point.
func MetricsKey(lr, momentum float64) string {
	return fmt.Sprintf("metrics_lr%s_m%s.csv", fixed(lr), fixed(momentum))
}

var metricsKeyPattern = regexp.MustCompile(`^metrics_lr([0-9]+\.[0-9]{4})_m([0-9]+\.[0-9]{4})\.csv$`)

// ParseMetricsKey reads lr and momentum back from a metrics file name.
func ParseMetricsKey(key string) (lr, momentum float64, ok bool) {
	m := metricsKeyPattern.FindStringSubmatch(key)
	if m == nil {
		return 0, 0, false
	}
	lr, err1 := strconv.ParseFloat(m[1], 64)
	momentum, err2 := strconv.ParseFloat(m[2], 64)
	return lr, momentum, err1 == nil && err2 == nil
}

// JobName is the course's job name: "lr" and "_m" followed by the value without its
// dot (lr=0.1, momentum=0.5 → lr01_m05), which Batch accepts ([A-Za-z0-9_-]).
func JobName(lr, momentum float64) string {
	return "lr" + compact(lr) + "_m" + compact(momentum)
}

// Arg renders a value for the container's command line, exactly as the file name does.
func Arg(v float64) string { return fixed(v) }

func fixed(v float64) string { return strconv.FormatFloat(v, 'f', Decimals, 64) }

func compact(v float64) string {
	return strings.ReplaceAll(strings.TrimRight(strings.TrimRight(fixed(v), "0"), "."), ".", "")
}

// ValidateGridValue checks one learning rate or momentum before any job is submitted:
// it must lie in [min, max) and survive the file name's 4 decimals unchanged, or two
// grid points would write the same file.
func ValidateGridValue(flag string, v, min, max float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("--%s %v: not a number", flag, v)
	case v < min || v >= max:
		return fmt.Errorf("--%s %s: must be at least %s and below %s", flag, strconv.FormatFloat(v, 'g', -1, 64),
			strconv.FormatFloat(min, 'g', -1, 64), strconv.FormatFloat(max, 'g', -1, 64))
	}
	if back, _ := strconv.ParseFloat(fixed(v), 64); math.Abs(back-v) > 1e-12 {
		return fmt.Errorf("--%s %s: the metrics file name keeps %d decimals (%s); use a multiple of 0.0001",
			flag, strconv.FormatFloat(v, 'g', -1, 64), Decimals, fixed(v))
	}
	return nil
}

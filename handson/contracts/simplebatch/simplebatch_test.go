package simplebatch

import (
	"strings"
	"testing"
)

func TestNamesFollowTheCourse(t *testing.T) {
	for _, c := range []struct {
		lr, m     float64
		job, file string
	}{
		{0.1, 0.5, "lr01_m05", "metrics_lr0.1000_m0.5000.csv"},
		{0.01, 0.05, "lr001_m005", "metrics_lr0.0100_m0.0500.csv"},
		{0.001, 0, "lr0001_m0", "metrics_lr0.0010_m0.0000.csv"},
		{1, 0.9, "lr1_m09", "metrics_lr1.0000_m0.9000.csv"},
		{2.5, 0.1234, "lr25_m01234", "metrics_lr2.5000_m0.1234.csv"},
	} {
		if got := JobName(c.lr, c.m); got != c.job {
			t.Errorf("JobName(%v, %v) = %s, want %s", c.lr, c.m, got, c.job)
		}
		if got := MetricsKey(c.lr, c.m); got != c.file {
			t.Errorf("MetricsKey(%v, %v) = %s, want %s", c.lr, c.m, got, c.file)
		}
		lr, m, ok := ParseMetricsKey(c.file)
		if !ok || lr != c.lr || m != c.m {
			t.Errorf("ParseMetricsKey(%s) = %v %v %v", c.file, lr, m, ok)
		}
	}
	for _, bad := range []string{"metrics_0.1000_0.5000.csv", "metrics_lr0.1_m0.5.csv", "metrics_lr0.1000_m0.5000.csv.bak", "other.csv"} {
		if _, _, ok := ParseMetricsKey(bad); ok {
			t.Errorf("ParseMetricsKey(%s) accepted", bad)
		}
	}
}

func TestValidateGridValue(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0.1, ""}, {0.0001, ""}, {9.9999, ""},
		{0.00005, "must be at least 0.0001"}, {10, "below 10"}, {0.12345, "keeps 4 decimals (0.1235)"},
	} {
		err := ValidateGridValue("lr", c.v, 0.0001, 10)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("ValidateGridValue(%v) = %v, want %q", c.v, err, c.want)
		}
	}
}

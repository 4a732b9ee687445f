package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
)

// train.py writes nan or inf when the loss diverges (a large --lr): such a run is shown
// as diverged in the table and the figures, and the others are drawn as usual.
func TestDivergedRunsAreShownAsDiverged(t *testing.T) {
	fx := deploy(t)
	proxy := newBatchProxy(t, moto, fx, plansBy(nil))
	client := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	files := map[[2]float64]string{
		{0.1, 0.5}: "epoch,train_loss,val_loss,val_accuracy\n1,0.9,0.5,85.1\n2,0.4,0.3,91.2\n3,0.3,0.25,93.4\n4,0.2,0.2,95.0\n",
		{9.9, 0.5}: "epoch,train_loss,val_loss,val_accuracy\n1,2.3,2.2,11.5\n2,2.4,2.3,10.2\n3,2.6,2.5,9.9\n4,nan,nan,0.098\n5,nan,nan,0.098\n",
		{5.0, 0.9}: "epoch,train_loss,val_loss,val_accuracy\n1,2.2,2.1,12.0\n2,3.5,3.1,10.1\n3,9.5,8.8,9.8\n4,inf,inf,9.8\n",
	}
	for p, body := range files {
		if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(fx.Bucket),
			Key: aws.String(simplebatch.MetricsKey(p[0], p[1])), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	res := runCommand(context.Background(), t, proxy.config(), nil, "results", "--out", out)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("results: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"Diverged: lr 9.9, momentum 0.5: the loss is not a number from epoch 4 on",
		"Diverged: lr 5, momentum 0.9: the loss is not a number from epoch 4 on",
		"Best: lr 0.1, momentum 0.5 → 95.00 %",
		"Saved 3 metrics files and",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	if n := len(regexp.MustCompile(` diverged`).FindAllString(res.stdout, -1)); n != 2 {
		t.Errorf("%d table cells say diverged, want 2:\n%s", n, res.stdout)
	}
	results := loadResults(t, out)
	_, curvesAt, err := drawLearningCurves(results)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, decodePNG(t, filepath.Join(out, curvesFile)), curvesAt, 3)
	_, cellsAt, err := drawBestAccuracy(newBestGrid(results, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkHeatmap(t, decodePNG(t, filepath.Join(out, heatmapFile)), cellsAt)
	diverged := 0
	for i := range cellsAt.Diverged {
		for j := range cellsAt.Diverged[i] {
			if cellsAt.Diverged[i][j] {
				diverged++
			}
		}
	}
	if diverged != 2 {
		t.Errorf("%d heat-map cells marked diverged, want 2", diverged)
	}
}

func TestParseMetricsKeepsNaNAndInf(t *testing.T) {
	got, err := parseMetrics(stringsReader("epoch,train_loss,val_loss,val_accuracy\n1,2.3,2.2,11.5\n2,nan,nan,0.098\n3,inf,-inf,9.8\n"))
	if err != nil || len(got) != 3 {
		t.Fatalf("%+v, %v", got, err)
	}
	if r := (result{Epochs: got}); r.divergedAt() != 2 {
		t.Errorf("diverged at %d, want 2", r.divergedAt())
	}
	if a, e := (result{Epochs: got}).best(); a != 11.5 || e != 1 {
		t.Errorf("best %v at %d", a, e)
	}
}

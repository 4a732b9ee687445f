package main

import (
	"flag"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the sample plots under handson/simplebatch/sample")

// sampleDir holds the sample pair of plots the README shows, drawn from the test data.
const sampleDir = "../../handson/simplebatch/sample"

func courseGridResults(t *testing.T, skip ...string) ([]result, []gridPoint) {
	t.Helper()
	grid, err := parseGrid(defaultLRs, defaultMomentums, defaultEpochs)
	if err != nil {
		t.Fatal(err)
	}
	var results []result
outer:
	for _, p := range grid {
		for _, s := range skip {
			if s == label(p) {
				continue outer
			}
		}
		results = append(results, result{Point: p, Epochs: syntheticMetrics(p)})
	}
	sortResults(results)
	return results, grid
}

func label(p gridPoint) string { return result{Point: p}.label() }

// checkCurves: each run's colour fills a visible part of both panels, and colours of
// the palette that no run has are absent: one curve per job, no more.
func checkCurves(t *testing.T, img image.Image, layout curvesLayout, runs int) {
	t.Helper()
	if len(layout.Colors) != runs {
		t.Fatalf("%d colours for %d runs", len(layout.Colors), runs)
	}
	for _, r := range []image.Rectangle{layout.Loss, layout.Accuracy} {
		if r.Dx() < 300 || r.Dy() < 300 || !r.In(img.Bounds()) {
			t.Fatalf("panel %v is too small or outside the %v image", r, img.Bounds())
		}
	}
	for i, c := range layout.Colors {
		loss, acc := countColor(img, layout.Loss, c), countColor(img, layout.Accuracy, c)
		if loss < 40 || acc < 40 {
			t.Errorf("run %d (colour %v): %d pixels in the loss panel, %d in the accuracy panel: its curve is missing", i, c, loss, acc)
		}
	}
	for _, c := range tableau10[min(runs, len(tableau10)):] {
		if n := countColor(img, layout.Loss.Union(layout.Accuracy), c); n > 3 {
			t.Errorf("colour %v of no run has %d pixels: an extra curve", c, n)
		}
	}
}

// checkHeatmap: every grid point has its cell, filled with the palette colour of its
// best accuracy (grey without data); cells with different values differ.
func checkHeatmap(t *testing.T, img image.Image, layout heatmapLayout) {
	t.Helper()
	if len(layout.Cells) != len(layout.LRs) || len(layout.Cells[0]) != len(layout.Momentums) {
		t.Fatalf("%d×%d cells for %d lr × %d momentum", len(layout.Cells), len(layout.Cells[0]), len(layout.LRs), len(layout.Momentums))
	}
	seen := map[color.RGBA]float64{}
	for i := range layout.Cells {
		for j, cell := range layout.Cells[i] {
			if cell.Dx() < 40 || cell.Dy() < 40 || !cell.In(img.Bounds()) {
				t.Fatalf("cell %d,%d at %v", i, j, cell)
			}
			// Sample away from the centred label and the cell borders.
			at := image.Pt(cell.Min.X+cell.Dx()/6, cell.Min.Y+cell.Dy()/6)
			got := color.RGBAModel.Convert(img.At(at.X, at.Y)).(color.RGBA)
			want := color.RGBAModel.Convert(cellColor(layout, layout.Best[i][j])).(color.RGBA)
			if !near(got, want) {
				t.Errorf("cell lr %v m %v (best %.2f) at %v is %v, want %v", layout.LRs[i], layout.Momentums[j], layout.Best[i][j], at, got, want)
			}
			if v, ok := seen[got]; ok && v != layout.Best[i][j] && !(math.IsNaN(v) && math.IsNaN(layout.Best[i][j])) && math.Abs(v-layout.Best[i][j]) > (layout.Max-layout.Min)/100 {
				t.Errorf("cells %.2f and %.2f share colour %v", v, layout.Best[i][j], got)
			}
			seen[got] = layout.Best[i][j]
		}
	}
}

func countColor(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
				n++
			}
		}
	}
	return n
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= 2 && int(y)-int(x) <= 2 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

func TestLearningCurvesDrawOneCurvePerJob(t *testing.T) {
	results, _ := courseGridResults(t)
	img, layout, err := drawLearningCurves(results)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != curvesWidth || b.Dy() != curvesHeight {
		t.Errorf("image %v", b)
	}
	checkCurves(t, img, layout, 9)

	// Fewer runs: fewer colours present.
	img, layout, err = drawLearningCurves(results[:3])
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, img, layout, 3)
}

func TestHeatmapHasOneCellPerGridPoint(t *testing.T) {
	results, grid := courseGridResults(t, "lr 0.001, m 0.05")
	img, layout, err := drawBestAccuracy(newBestGrid(results, grid))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != heatmapWidth || b.Dy() != heatmapHeight {
		t.Errorf("image %v", b)
	}
	if got := len(layout.LRs) * len(layout.Momentums); got != 9 {
		t.Fatalf("%d cells, want 9", got)
	}
	// Rows are lr from largest, columns momentum from largest, as in the course.
	if layout.LRs[0] != 0.1 || layout.Momentums[0] != 0.5 || !math.IsNaN(layout.Best[2][2]) {
		t.Errorf("grid order lr %v m %v, missing cell %v", layout.LRs, layout.Momentums, layout.Best[2][2])
	}
	checkHeatmap(t, img, layout)

	// A single job: one cell.
	one := []result{{Point: gridPoint{LR: 0.01, Momentum: 0.5}, Epochs: syntheticMetrics(gridPoint{LR: 0.01, Momentum: 0.5})}}
	img, layout, err = drawBestAccuracy(newBestGrid(one, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkHeatmap(t, img, layout)
}

// The sample pair shown in the README, from the same test data: regenerated with
// go test ./cmd/sweep -run TestSamplePlots -update.
func TestSamplePlots(t *testing.T) {
	results, grid := courseGridResults(t)
	curves, curvesAt, err := drawLearningCurves(results)
	if err != nil {
		t.Fatal(err)
	}
	heat, cellsAt, err := drawBestAccuracy(newBestGrid(results, grid))
	if err != nil {
		t.Fatal(err)
	}
	curvesPath, heatPath := filepath.Join(sampleDir, curvesFile), filepath.Join(sampleDir, heatmapFile)
	if *update {
		if err := os.MkdirAll(sampleDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writePNG(curvesPath, curves); err != nil {
			t.Fatal(err)
		}
		if err := writePNG(heatPath, heat); err != nil {
			t.Fatal(err)
		}
	}
	// The committed pair must be what the current code draws from the test data.
	checkCurves(t, decodePNG(t, curvesPath), curvesAt, len(results))
	checkHeatmap(t, decodePNG(t, heatPath), cellsAt)
}

func TestParseMetrics(t *testing.T) {
	for _, c := range []struct {
		in      string
		epochs  int
		lastAcc float64
		err     string
	}{
		{"epoch,train_loss,val_loss,val_accuracy\n1,2.3,2.2,11.5\n2,0.5,0.4,90.25\n", 2, 90.25, ""},
		{"train_loss,val_loss,val_accuracy\n2.3,2.2,11.5\n", 1, 11.5, ""}, // the course's files
		{"epoch,loss\n1,2\n", 0, 0, "unexpected header"},
		{"epoch,train_loss,val_loss,val_accuracy\n1,x,2,3\n", 0, 0, "line 2"},
		{"", 0, 0, "empty file"},
	} {
		got, err := parseMetrics(stringsReader(c.in))
		if c.err != "" {
			if err == nil || !contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != c.epochs || got[len(got)-1].ValAccuracy != c.lastAcc || got[0].Epoch != 1 {
			t.Errorf("%q: %+v, %v", c.in, got, err)
		}
	}
}

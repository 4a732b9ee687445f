package main

// The two PNG figures of a sweep, drawn with gonum/plot (pure Go, fonts built in):
// learning curves with one colour per job, and a heat-map of the best validation
// accuracy over the lr × momentum grid (the course drew the same with matplotlib).

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
)

const dpi = 96

// Figure sizes in pixels.
const (
	curvesWidth, curvesHeight   = 1500, 560
	heatmapWidth, heatmapHeight = 720, 600
)

// result is one job's metrics, as read from its CSV.
type result struct {
	Point  gridPoint
	Epochs []epochMetrics
}

type epochMetrics struct {
	Epoch              int
	TrainLoss, ValLoss float64
	ValAccuracy        float64 // percent
}

// divergedAt is the first epoch whose metrics are not finite (nan or inf: the loss
// diverged), 0 if none.
func (r result) divergedAt() int {
	for _, e := range r.Epochs {
		for _, v := range []float64{e.TrainLoss, e.ValLoss, e.ValAccuracy} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return e.Epoch
			}
		}
	}
	return 0
}

// best returns the highest (finite) validation accuracy and its epoch.
func (r result) best() (accuracy float64, epoch int) {
	accuracy = math.Inf(-1)
	for _, e := range r.Epochs {
		if !math.IsInf(e.ValAccuracy, 0) && e.ValAccuracy > accuracy {
			accuracy, epoch = e.ValAccuracy, e.Epoch
		}
	}
	return accuracy, epoch
}

func (r result) label() string {
	return fmt.Sprintf("lr %s, m %s", trimFloat(r.Point.LR), trimFloat(r.Point.Momentum))
}

func trimFloat(v float64) string { return fmt.Sprintf("%g", v) }

// tableau10 are ten well-separated line colours (Tableau's, navy for its grey, which
// the grid lines use); more jobs get evenly spaced hues.
var tableau10 = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {0, 0, 128, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

func lineColors(n int) []color.RGBA {
	if n <= len(tableau10) {
		return tableau10[:n]
	}
	out := make([]color.RGBA, n)
	for i := range out {
		c := color.RGBAModel.Convert(palette.HSVA{H: float64(i) / float64(n), S: 0.8, V: 0.85, A: 1}).(color.RGBA)
		out[i] = c
	}
	return out
}

// curvesLayout says where things landed in the learning-curve image (for tests).
type curvesLayout struct {
	Loss, Accuracy image.Rectangle // data areas of the two panels, in pixels
	Colors         []color.RGBA    // colour of runs[i]
}

// drawLearningCurves draws the loss (train dashed, validation solid) and validation
// accuracy of every run over the epochs, with a legend beside the panels.
func drawLearningCurves(runs []result) (image.Image, curvesLayout, error) {
	var layout curvesLayout
	layout.Colors = lineColors(len(runs))
	loss, acc := plot.New(), plot.New()
	loss.Title.Text = "Loss (train dashed, validation solid)"
	loss.X.Label.Text, loss.Y.Label.Text = "epoch", "negative log-likelihood"
	acc.Title.Text = "Validation accuracy"
	acc.X.Label.Text, acc.Y.Label.Text = "epoch", "accuracy (%)"
	for _, p := range []*plot.Plot{loss, acc} {
		p.Add(plotter.NewGrid())
	}
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(10)
	maxEpoch := 1
	for i, r := range runs {
		last, err := addRunCurves(loss, acc, &legend, r, layout.Colors[i])
		if err != nil {
			return nil, layout, err
		}
		maxEpoch = max(maxEpoch, last)
	}
	for _, p := range []*plot.Plot{loss, acc} {
		p.X.Min, p.X.Max = 1, float64(max(maxEpoch, 2))
	}

	c := vgimg.NewWith(vgimg.UseWH(px(curvesWidth), px(curvesHeight)), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	legendWidth := px(210)
	panels := draw.Crop(dc, 0, -legendWidth, 0, 0)
	canvases := plot.Align([][]*plot.Plot{{loss, acc}}, draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadTop: vg.Points(10), PadBottom: vg.Points(5), PadLeft: vg.Points(5)}, panels)
	loss.Draw(canvases[0][0])
	acc.Draw(canvases[0][1])
	legend.Draw(draw.Crop(dc, dc.Max.X-legendWidth+vg.Points(10), 0, 0, -vg.Points(30)))

	layout.Loss = dataRect(loss, canvases[0][0], curvesHeight)
	layout.Accuracy = dataRect(acc, canvases[0][1], curvesHeight)
	return c.Image(), layout, nil
}

// addRunCurves adds one run's three curves (train loss dashed, validation loss and
// accuracy solid, all in its colour) and its legend entry; it returns the run's last
// epoch.
func addRunCurves(loss, acc *plot.Plot, legend *plot.Legend, r result, col color.RGBA) (int, error) {
	train, val, accuracy, last := runSeries(r)
	label := r.label()
	if at := r.divergedAt(); at > 0 {
		label += fmt.Sprintf(" (diverged at %d)", at)
	}
	style := draw.LineStyle{Color: col, Width: vg.Points(2)}
	for _, series := range []struct {
		p      *plot.Plot
		xys    plotter.XYs
		dashed bool
	}{{loss, train, true}, {loss, val, false}, {acc, accuracy, false}} {
		if len(series.xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(series.xys)
		if err != nil {
			return last, fmt.Errorf("%s: %w", r.label(), err)
		}
		l.LineStyle = style
		if series.dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		}
		series.p.Add(l)
		// The legend shows the accuracy line, or the validation loss of a run without one.
		if series.p == acc || len(accuracy) == 0 && !series.dashed {
			legend.Add(label, l)
		}
	}
	return last, nil
}

// runSeries returns a run's points and its last epoch. A diverged run's curves end
// where its values stop being finite.
func runSeries(r result) (train, val, accuracy plotter.XYs, last int) {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, e := range r.Epochs {
		x := float64(e.Epoch)
		if finite(e.TrainLoss) {
			train = append(train, plotter.XY{X: x, Y: e.TrainLoss})
		}
		if finite(e.ValLoss) {
			val = append(val, plotter.XY{X: x, Y: e.ValLoss})
		}
		if finite(e.ValAccuracy) {
			accuracy = append(accuracy, plotter.XY{X: x, Y: e.ValAccuracy})
		}
		last = max(last, e.Epoch)
	}
	return train, val, accuracy, last
}

// heatmapLayout says where each grid cell landed (for tests): Cells[i][j] is the
// cell of lrs[i] and momentums[j].
type heatmapLayout struct {
	LRs, Momentums []float64
	Cells          [][]image.Rectangle
	Best           [][]float64 // NaN where a grid point has no result
	Diverged       [][]bool    // the run's loss diverged (nan/inf): labelled "diverged"
	Palette        palette.Palette
	Min, Max       float64
}

// bestGrid is the best validation accuracy of each lr × momentum (rows: lr, largest
// first, as in the course; columns: momentum, largest first).
type bestGrid struct {
	lrs, momentums []float64
	best           [][]float64
	diverged       [][]bool
}

// The heat-map's rows count from the bottom: row r is lrs[len-1-r], so the largest
// learning rate is drawn at the top.
func (g bestGrid) Dims() (c, r int)   { return len(g.momentums), len(g.lrs) }
func (g bestGrid) Z(c, r int) float64 { return g.best[len(g.lrs)-1-r][c] }
func (g bestGrid) X(c int) float64    { return float64(c) }
func (g bestGrid) Y(r int) float64    { return float64(r) }
func (g bestGrid) row(i int) float64  { return float64(len(g.lrs) - 1 - i) }

func newBestGrid(runs []result, grid []gridPoint) bestGrid {
	lrSet, mSet := map[float64]bool{}, map[float64]bool{}
	for _, p := range grid {
		lrSet[p.LR], mSet[p.Momentum] = true, true
	}
	for _, r := range runs {
		lrSet[r.Point.LR], mSet[r.Point.Momentum] = true, true
	}
	g := bestGrid{lrs: sortedDesc(lrSet), momentums: sortedDesc(mSet)}
	g.best = make([][]float64, len(g.lrs))
	g.diverged = make([][]bool, len(g.lrs))
	for i := range g.best {
		g.best[i] = make([]float64, len(g.momentums))
		g.diverged[i] = make([]bool, len(g.momentums))
		for j := range g.best[i] {
			g.best[i][j] = math.NaN()
		}
	}
	for _, r := range runs {
		i, j := indexOf(g.lrs, r.Point.LR), indexOf(g.momentums, r.Point.Momentum)
		if a, _ := r.best(); !math.IsInf(a, -1) {
			g.best[i][j] = a
		}
		g.diverged[i][j] = r.divergedAt() > 0
	}
	return g
}

func sortedDesc(set map[float64]bool) []float64 {
	var out []float64
	for v := range set {
		out = append(out, v)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(out)))
	return out
}

func indexOf(list []float64, v float64) int {
	for i, x := range list {
		if simplebatch.Arg(x) == simplebatch.Arg(v) {
			return i
		}
	}
	return -1
}

// noDataColor fills grid points without a result (failed or missing jobs).
var noDataColor = color.RGBA{200, 200, 200, 255}

// drawBestAccuracy draws the heat-map: one cell per grid point, coloured by its best
// validation accuracy and labelled with it ("no data" where a job has none).
func drawBestAccuracy(g bestGrid) (image.Image, heatmapLayout, error) {
	layout := heatmapLayout{LRs: g.lrs, Momentums: g.momentums, Best: g.best, Diverged: g.diverged}
	layout.Min, layout.Max = colorScale(g)
	layout.Palette = viridis(255)

	p := plot.New()
	p.Title.Text = "Best validation accuracy (%)"
	p.X.Label.Text, p.Y.Label.Text = "momentum", "learning rate"
	h := plotter.NewHeatMap(g, layout.Palette)
	h.Min, h.Max, h.NaN = layout.Min, layout.Max, noDataColor
	p.Add(h)
	p.X.Tick.Marker = indexTicks(g.momentums)
	p.Y.Tick.Marker = indexTicks(reversed(g.lrs))
	p.X.Min, p.X.Max = -0.5, float64(len(g.momentums))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(g.lrs))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	l, err := cellLabels(g, layout)
	if err != nil {
		return nil, layout, err
	}
	p.Add(l)

	c := vgimg.NewWith(vgimg.UseWH(px(heatmapWidth), px(heatmapHeight)), vgimg.UseDPI(dpi))
	dc := draw.Crop(draw.New(c), vg.Points(5), -vg.Points(15), vg.Points(5), -vg.Points(5))
	p.Draw(dc)
	layout.Cells = cellRects(g, p, dc)
	return c.Image(), layout, nil
}

// colorScale is the range of the heat-map's colours: the best accuracies' range,
// widened to 1 point when they are (nearly) all equal, 0-100 when there are none.
func colorScale(g bestGrid) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range g.best {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) { // nothing to show: an empty scale
		lo, hi = 0, 100
	}
	if hi-lo < 0.01 {
		lo, hi = lo-0.5, hi+0.5
	}
	return lo, hi
}

// cellLabels writes each cell's accuracy ("no data", "diverged") in the middle of the
// cell, white on dark colours and black on light ones.
func cellLabels(g bestGrid, layout heatmapLayout) (*plotter.Labels, error) {
	labels := plotter.XYLabels{}
	var labelColors []color.Color
	for i := range g.lrs {
		for j := range g.momentums {
			v := g.best[i][j]
			text := "no data"
			var textColor color.Color = color.Black
			if !math.IsNaN(v) {
				text = fmt.Sprintf("%.2f", v)
				if luminance(cellColor(layout, v)) < 0.5 {
					textColor = color.White
				}
			}
			if g.diverged != nil && g.diverged[i][j] {
				text = "diverged"
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: g.row(i)})
			labels.Labels = append(labels.Labels, text)
			labelColors = append(labelColors, textColor)
		}
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for k := range l.TextStyle {
		l.TextStyle[k].Color = labelColors[k]
		l.TextStyle[k].Font.Size = vg.Points(13)
		l.TextStyle[k].XAlign, l.TextStyle[k].YAlign = draw.XCenter, draw.YCenter
	}
	return l, nil
}

// cellRects says where each cell landed in the drawn image, in pixels.
func cellRects(g bestGrid, p *plot.Plot, dc draw.Canvas) [][]image.Rectangle {
	cells := make([][]image.Rectangle, len(g.lrs))
	data := p.DataCanvas(dc)
	tx, ty := p.Transforms(&data)
	for i := range g.lrs {
		cells[i] = make([]image.Rectangle, len(g.momentums))
		for j := range g.momentums {
			x0, x1 := tx(float64(j)-0.5), tx(float64(j)+0.5)
			y0, y1 := ty(g.row(i)-0.5), ty(g.row(i)+0.5)
			cells[i][j] = pixelRect(x0, x1, y0, y1, heatmapHeight)
		}
	}
	return cells
}

// cellColor is the palette colour the heat-map gives a value.
func cellColor(layout heatmapLayout, v float64) color.Color {
	colors := layout.Palette.Colors()
	if math.IsNaN(v) {
		return noDataColor
	}
	k := int((v-layout.Min)*float64(len(colors)-1)/(layout.Max-layout.Min) + 0.5) // as plotter.HeatMap does
	return colors[max(0, min(len(colors)-1, k))]
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 0xffff
}

func reversed(list []float64) []float64 {
	out := make([]float64, len(list))
	for i, v := range list {
		out[len(list)-1-i] = v
	}
	return out
}

// viridis is matplotlib's default colour map (dark blue to yellow), by linear
// interpolation between five of its colours: readable in grey and by the colour-blind.
func viridis(n int) palette.Palette {
	anchors := []color.RGBA{{68, 1, 84, 255}, {59, 82, 139, 255}, {33, 145, 140, 255}, {94, 201, 98, 255}, {253, 231, 37, 255}}
	colors := make([]color.Color, n)
	for i := range colors {
		f := float64(i) / float64(n-1) * float64(len(anchors)-1)
		k := min(int(f), len(anchors)-2)
		t := f - float64(k)
		a, b := anchors[k], anchors[k+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
		colors[i] = color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
	}
	return fixedPalette(colors)
}

type fixedPalette []color.Color

func (p fixedPalette) Colors() []color.Color { return p }

// indexTicks labels the integer positions 0..n-1 with the grid values.
type indexTicks []float64

func (t indexTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for i, v := range t {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: trimFloat(v)})
	}
	return ticks
}

// px converts pixels to the points that vg measures in.
func px(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }

func toPixels(l vg.Length) int { return int(math.Round(float64(l / vg.Inch * dpi))) }

func dataRect(p *plot.Plot, c draw.Canvas, heightPx int) image.Rectangle {
	data := p.DataCanvas(c)
	return pixelRect(data.Min.X, data.Max.X, data.Min.Y, data.Max.Y, heightPx)
}

// pixelRect turns a rectangle in points (origin bottom-left) into image pixels
// (origin top-left).
func pixelRect(x0, x1, y0, y1 vg.Length, heightPx int) image.Rectangle {
	return image.Rect(toPixels(x0), heightPx-toPixels(y1), toPixels(x1), heightPx-toPixels(y0)).Canon()
}

// writePNG writes an image as a PNG file.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

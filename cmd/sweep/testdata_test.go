package main

import (
	"math"
	"strings"
)

// syntheticMetrics is the test stand-in for a training run: smooth, deterministic
// curves whose speed and plateau grow with the effective step lr/(1-momentum), with a
// small wiggle that differs per grid point so that no two curves coincide. It feeds
// the proxy (as the container's uploads), the plot tests and the committed sample
// plots; the README says the sample is synthetic.
func syntheticMetrics(p gridPoint) []epochMetrics {
	epochs := p.Epochs
	if epochs == 0 {
		epochs = 20
	}
	eta := p.LR / (1 - p.Momentum)
	tau := 0.6 + 0.12/math.Sqrt(eta)        // epochs to close most of the gap: 0.9 (fast) .. 4.3 (slow)
	plateau := 99.2 - 2.5*math.Exp(-eta*60) // 99.2 for large steps .. 96.8 for small ones
	start := 92 - 50*math.Exp(-eta*40)      // accuracy after the first epoch
	phase := 13*p.Momentum + 7*math.Log10(p.LR)
	freq := 0.6 + 2*p.Momentum
	var out []epochMetrics
	for e := 1; e <= epochs; e++ {
		gap := math.Exp(-float64(e-1) / tau)
		wiggle := math.Sin(freq*float64(e) + phase) // "seed" noise, larger early on
		acc := plateau - (plateau-start)*gap + 1.5*(gap+0.1)*wiggle
		train := 0.03 + 1.4*gap*(1.1-start/100) + 0.04*(gap+0.2)*wiggle
		val := train + 0.012 + 0.003*float64(e)*eta*10 // large steps start to overfit
		out = append(out, epochMetrics{Epoch: e, TrainLoss: math.Max(train, 0.01), ValLoss: val, ValAccuracy: math.Min(acc, 99.6)})
	}
	return out
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

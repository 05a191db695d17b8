// Package stats turns cold-start samples into summaries and head-versus-base verdicts. It is the
// only importer of gonum's statistics packages, and it keeps statistics apart from presentation:
// every caveat is a Warning carried with the result, for reports to show as footnotes.
package stats

import (
	"errors"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Warning codes.
const (
	WarnFewSamples   = "few-samples"
	WarnFailed       = "failed-samples"
	WarnBimodal      = "bimodal"
	WarnDrift        = "drift"
	WarnWideCI       = "wide-ci"
	WarnMedianCIOpen = "median-ci-approx"
)

// ErrNoData is returned for an empty sample.
var ErrNoData = errors.New("stats: no valid samples")

// MedianCIMethod names how Summary's median interval is computed.
const MedianCIMethod = "exact order-statistic interval (binomial), 95%"

// Summarize describes xs (valid measurements, in run order) and counts failed samples beside them.
// NaN and infinite values are dropped and counted as failed: they are never valid measurements.
func Summarize(xs []float64, failed int) (results.Summary, error) {
	clean := make([]float64, 0, len(xs))
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			failed++
			continue
		}
		clean = append(clean, x)
	}
	s := results.Summary{N: len(clean), Failed: failed}
	if len(clean) == 0 {
		return s, ErrNoData
	}
	sorted := append([]float64(nil), clean...)
	sort.Float64s(sorted)
	s.Min, s.Max = sorted[0], sorted[len(sorted)-1]
	s.P50 = Quantile(sorted, 0.5)
	s.P90 = Quantile(sorted, 0.9)
	s.P99 = Quantile(sorted, 0.99)
	s.Mean = stat.Mean(sorted, nil)
	if len(sorted) > 1 {
		s.SD = stat.StdDev(sorted, nil)
	}
	lo, hi, exact := medianCI(sorted, 0.95)
	s.P50Low, s.P50High = lo, hi
	if !exact {
		s.Warnings = append(s.Warnings, results.Warning{Code: WarnMedianCIOpen, Message: fmt.Sprintf("with %d samples no order-statistic interval reaches 95%%: the median's interval is the whole range", len(sorted))})
	}
	if total := s.N + s.Failed; s.Failed > 0 && float64(s.Failed) > 0.1*float64(total) {
		s.Warnings = append(s.Warnings, results.Warning{Code: WarnFailed, Message: fmt.Sprintf("%d of %d samples failed: the summary describes only the ones that succeeded", s.Failed, total)})
	}
	if w, ok := bimodal(clean); ok {
		s.Warnings = append(s.Warnings, w)
	}
	if w, ok := drift(clean); ok {
		s.Warnings = append(s.Warnings, w)
	}
	return s, nil
}

// Quantile of sorted data by linear interpolation between order statistics (Hyndman and Fan's
// type 7, the default of R and NumPy), so p50 of an even sample is the mean of the middle two.
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= n {
		return sorted[n-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// medianCI returns the narrowest symmetric order-statistic interval [x(k), x(n-k+1)] that covers
// the median with probability >= level, from the Binomial(n, 1/2) distribution: exact and
// distribution-free. exact is false when n is too small for any such interval.
func medianCI(sorted []float64, level float64) (lo, hi float64, exact bool) {
	n := len(sorted)
	b := distuv.Binomial{N: float64(n), P: 0.5}
	// Coverage of [x(k), x(n-k+1)] (1-based) is P(k <= B <= n-k) = 1 - 2*P(B <= k-1).
	best := 0
	for k := 1; k <= n/2; k++ {
		if 1-2*b.CDF(float64(k-1)) >= level {
			best = k
		} else {
			break
		}
	}
	if best == 0 {
		return sorted[0], sorted[n-1], false
	}
	return sorted[best-1], sorted[n-best], true
}

// bimodal flags samples with two clear modes: a Gaussian kernel density of the log values
// (Silverman's bandwidth) with a second peak holding at least 15% of the samples and a valley
// below 60% of the lower peak. Cold starts that sometimes take a slow path look like this; a
// plain right skew or a few outliers (the usual shape of cold starts) do not.
func bimodal(xs []float64) (results.Warning, bool) {
	n := len(xs)
	if n < 30 {
		return results.Warning{}, false
	}
	ls := make([]float64, 0, n)
	for _, x := range xs {
		if x > 0 {
			ls = append(ls, math.Log(x))
		}
	}
	if len(ls) < 30 {
		return results.Warning{}, false
	}
	sort.Float64s(ls)
	sd := stat.StdDev(ls, nil)
	iqr := Quantile(ls, 0.75) - Quantile(ls, 0.25)
	h := 0.9 * math.Min(sd, iqr/1.34) * math.Pow(float64(len(ls)), -0.2)
	if !(h > 0) {
		return results.Warning{}, false
	}
	const grid = 256
	lo, hi := ls[0], ls[len(ls)-1]
	dens := make([]float64, grid)
	var total float64
	for i := range dens {
		x := lo + (hi-lo)*float64(i)/(grid-1)
		for _, v := range ls {
			z := (x - v) / h
			dens[i] += math.Exp(-z * z / 2)
		}
		total += dens[i]
	}
	// Split the density at its local minima into modes, each with its peak and its mass.
	type mode struct {
		peak, mass float64
		top        int
	}
	var modes []mode
	cur := mode{}
	for i, d := range dens {
		if i > 0 && i < grid-1 && d < dens[i-1] && d <= dens[i+1] {
			modes = append(modes, cur)
			cur = mode{}
		}
		cur.mass += d / total
		if d > cur.peak {
			cur.peak, cur.top = d, i
		}
	}
	modes = append(modes, cur)
	sort.Slice(modes, func(i, j int) bool { return modes[i].mass > modes[j].mass })
	if len(modes) < 2 || modes[1].mass < 0.15 {
		return results.Warning{}, false
	}
	a, b := modes[0], modes[1]
	from, to := min(a.top, b.top), max(a.top, b.top)
	valley := math.Inf(1)
	for i := from; i <= to; i++ {
		valley = math.Min(valley, dens[i])
	}
	if valley < 0.6*math.Min(a.peak, b.peak) {
		return results.Warning{Code: WarnBimodal, Message: fmt.Sprintf("the samples have two modes (%.0f%% and %.0f%% of them): a single median hides two behaviours",
			a.mass*100, b.mass*100)}, true
	}
	return results.Warning{}, false
}

// drift flags a monotone trend across the run order (Spearman's rank correlation with the sample
// index, significant at 1%): the machine got faster or slower during the run.
func drift(xs []float64) (results.Warning, bool) {
	n := len(xs)
	if n < 20 {
		return results.Warning{}, false
	}
	idx := make([]float64, n)
	for i := range idx {
		idx[i] = float64(i)
	}
	rho := stat.Correlation(ranks(idx), ranks(xs), nil)
	if math.IsNaN(rho) {
		return results.Warning{}, false
	}
	// Under no trend, rho*sqrt(n-1) is approximately standard normal.
	z := rho * math.Sqrt(float64(n-1))
	p := 2 * distuv.UnitNormal.Survival(math.Abs(z))
	if p < 0.01 {
		dir := "slower"
		if rho < 0 {
			dir = "faster"
		}
		return results.Warning{Code: WarnDrift, Message: fmt.Sprintf("samples got %s across the run (Spearman rho %.2f, p %.3f): the machine's speed drifted", dir, rho, p)}, true
	}
	return results.Warning{}, false
}

// ranks returns the 1-based ranks of xs, ties getting their average rank.
func ranks(xs []float64) []float64 {
	r, _ := ranksTies(xs)
	return r
}

// ranksTies also returns the sum of t^3 - t over tie groups, for the Mann-Whitney variance.
func ranksTies(xs []float64) ([]float64, float64) {
	n := len(xs)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	out := make([]float64, n)
	var tie float64
	for i := 0; i < n; {
		j := i
		for j+1 < n && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = avg
		}
		if t := float64(j - i + 1); t > 1 {
			tie += t*t*t - t
		}
		i = j + 1
	}
	return out, tie
}

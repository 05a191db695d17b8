package stats

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// Verdicts of a comparison (the result model's names).
const (
	Regression   = results.Regression
	Improvement  = results.Improvement
	NoChange     = results.NoChange
	Inconclusive = results.Inconclusive
)

// Rule decides verdicts. The zero value is not valid; use DefaultRule.
type Rule struct {
	// Threshold is the smallest relative shift that counts, as a fraction (0.05 = 5%).
	Threshold float64
	// Alpha is the significance level of the rank test.
	Alpha float64
}

// DefaultRule is the calibrated rule (README, "Calibration"): a shift counts when the rank test
// is significant at 1% and the estimated shift is at least 5%.
var DefaultRule = Rule{Threshold: 0.05, Alpha: 0.01}

// Compare compares the central tendency of head and base: the shift is the Hodges-Lehmann
// estimate of the ratio head/base (median of all pairwise log ratios) with its distribution-free
// rank-based 95% interval, and the p-value is the two-sided Mann-Whitney U test (exact for small
// samples without ties, normal approximation with tie and continuity correction otherwise).
// Working on logs makes the shift relative and the interval a ratio interval.
func Compare(metric results.Metric, head, base []float64, rule Rule) (results.Comparison, error) {
	c := results.Comparison{Metric: metric, NHead: len(head), NBase: len(base), Method: "Hodges-Lehmann ratio, Mann-Whitney U"}
	if len(head) == 0 || len(base) == 0 {
		return c, fmt.Errorf("compare %s: %w (head %d, base %d)", metric, ErrNoData, len(head), len(base))
	}
	for _, xs := range [][]float64{head, base} {
		for _, x := range xs {
			if !(x > 0) || math.IsInf(x, 0) {
				return c, fmt.Errorf("compare %s: values must be positive and finite, got %v", metric, x)
			}
		}
	}
	hs, bs := sortedCopy(head), sortedCopy(base)
	c.Head, c.Base = Quantile(hs, 0.5), Quantile(bs, 0.5)
	c.PValue = MannWhitney(head, base)

	lh, lb := logs(hs), logs(bs)
	diffs := make([]float64, 0, len(lh)*len(lb))
	for _, x := range lh {
		for _, y := range lb {
			diffs = append(diffs, x-y)
		}
	}
	sort.Float64s(diffs)
	c.ShiftPct = pct(Quantile(diffs, 0.5))
	interval := func(level float64) (lo, hi float64) {
		k := hlCIIndex(len(head), len(base), level, tieSum(head, base))
		if tieSum(head, base) == 0 && len(head) <= 30 && len(base) <= 30 {
			k = exactHLCIIndex(len(head), len(base), level)
		}
		if k < 0 {
			return pct(diffs[0]), pct(diffs[len(diffs)-1])
		}
		return pct(diffs[k]), pct(diffs[len(diffs)-1-k])
	}
	c.CILowPct, c.CIHighPct = interval(0.95)
	c.LowerBoundPct, c.UpperBoundPct = interval(1 - 2*rule.Alpha)
	c.Warnings = append(c.Warnings, sampleWarnings(len(head), len(base), rule)...)
	c.Verdict = rule.decide(c)
	if c.Verdict == Inconclusive {
		c.Warnings = append(c.Warnings, results.Warning{Code: WarnWideCI, Message: fmt.Sprintf("%s: shift %+.1f%% (95%% interval %+.1f%%…%+.1f%%) is not significant at %.2g%%: inconclusive, run more samples", metric, c.ShiftPct, c.CILowPct, c.CIHighPct, rule.Alpha*100)})
	}
	return c, nil
}

// decide applies the rule: a regression is a shift significant at alpha whose one-sided bound at
// alpha lies above the threshold (a minimum-effect test: a shift at or below the threshold is
// flagged at most alpha of the time, however often a run looks), an improvement likewise below
// minus the threshold. Otherwise the result is inconclusive when the samples point at a change of
// threshold size they cannot confirm, or are too noisy to rule out a change of twice the threshold;
// else "no change".
func (r Rule) decide(c results.Comparison) results.Verdict {
	t := r.Threshold * 100
	switch {
	case c.PValue < r.Alpha && c.LowerBoundPct > t:
		return Regression
	case c.PValue < r.Alpha && c.UpperBoundPct < -t:
		return Improvement
	case math.Abs(c.ShiftPct) >= t || c.CILowPct <= -2*t || c.CIHighPct >= 2*t:
		return Inconclusive
	}
	return NoChange
}

// Validate reports a rule that cannot decide anything.
func (r Rule) Validate() error {
	if !(r.Threshold > 0 && r.Threshold < 100) {
		return fmt.Errorf("threshold %v: want a fraction above 0 (0.05 = 5%%)", r.Threshold)
	}
	if !(r.Alpha > 0 && r.Alpha < 0.5) {
		return fmt.Errorf("alpha %v: want a probability in (0, 0.5)", r.Alpha)
	}
	return nil
}

// MinSamplesFor is the smallest n per side at which the two-sided exact rank test can reach alpha.
func MinSamplesFor(alpha float64) int {
	for n := 2; n < 100; n++ {
		// The smallest two-sided p is 2 / C(2n, n), when the samples do not overlap at all.
		if 2/binom(2*n, n) < alpha {
			return n
		}
	}
	return 100
}

func sampleWarnings(nh, nb int, rule Rule) []results.Warning {
	min := MinSamplesFor(rule.Alpha)
	if nh < min || nb < min {
		return []results.Warning{{Code: WarnFewSamples, Message: fmt.Sprintf("%d head and %d base samples cannot reach significance at %.0f%% (need %d a side): the verdict cannot be regression or improvement",
			nh, nb, rule.Alpha*100, min)}}
	}
	if nh < 20 || nb < 20 {
		return []results.Warning{{Code: WarnFewSamples, Message: fmt.Sprintf("only %d head and %d base samples: only large shifts can be detected", nh, nb)}}
	}
	return nil
}

// MannWhitney returns the two-sided p-value of the Mann-Whitney U test of x against y.
func MannWhitney(x, y []float64) float64 {
	n1, n2 := len(x), len(y)
	all := append(append(make([]float64, 0, n1+n2), x...), y...)
	r, tie := ranksTies(all)
	var r1 float64
	for i := 0; i < n1; i++ {
		r1 += r[i]
	}
	u := r1 - float64(n1*(n1+1))/2
	if tie == 0 && n1 <= 30 && n2 <= 30 {
		return exactMannWhitney(u, n1, n2)
	}
	N := float64(n1 + n2)
	mean := float64(n1*n2) / 2
	v := float64(n1*n2) / 12 * ((N + 1) - tie/(N*(N-1)))
	if v <= 0 {
		return 1 // every value tied: no evidence of any difference
	}
	d := math.Abs(u-mean) - 0.5
	if d < 0 {
		d = 0
	}
	return math.Min(1, 2*distuv.UnitNormal.Survival(d/math.Sqrt(v)))
}

// exactMannWhitney is the two-sided p of U from the exact null distribution (no ties).
func exactMannWhitney(u float64, n1, n2 int) float64 {
	cdf := uCDF(n1, n2)
	lo := math.Min(u, float64(n1*n2)-u)
	return math.Min(1, 2*cdf[int(math.Floor(lo+1e-9))])
}

// uCDFs caches the exact null CDFs of U by sample sizes: calibration asks for the same few
// thousands of times.
var uCDFs sync.Map // [2]int -> []float64

// uCDF is P(U <= k) for k = 0..n1*n2, counted with the recurrence
// f(u; m, n) = f(u-n; m-1, n) + f(u; m, n-1).
func uCDF(n1, n2 int) []float64 {
	key := [2]int{n1, n2}
	if v, ok := uCDFs.Load(key); ok {
		return v.([]float64)
	}
	maxU := n1 * n2
	prev := make([][]float64, n2+1) // m-1
	for n := 0; n <= n2; n++ {
		prev[n] = make([]float64, maxU+1)
		prev[n][0] = 1 // m = 0: U is 0 in one way
	}
	for m := 1; m <= n1; m++ {
		cur := make([][]float64, n2+1)
		cur[0] = make([]float64, maxU+1)
		cur[0][0] = 1
		for n := 1; n <= n2; n++ {
			cur[n] = make([]float64, maxU+1)
			for k := 0; k <= m*n; k++ {
				v := cur[n-1][k]
				if k >= n {
					v += prev[n][k-n]
				}
				cur[n][k] = v
			}
		}
		prev = cur
	}
	counts := prev[n2]
	total := binom(n1+n2, n1)
	cdf := make([]float64, maxU+1)
	var sum float64
	for k, c := range counts {
		sum += c
		cdf[k] = sum / total
	}
	uCDFs.Store(key, cdf)
	return cdf
}

// exactHLCIIndex is hlCIIndex from the exact null distribution of U (small samples, no ties):
// the largest k with P(U <= k) <= (1-level)/2; -1 when there is none.
func exactHLCIIndex(n1, n2 int, level float64) int {
	cdf := uCDF(n1, n2)
	k := -1
	for c := 0; c < len(cdf) && cdf[c] <= (1-level)/2; c++ {
		k = c
	}
	return k
}

// hlCIIndex is the 0-based index k such that [d(k), d(N-1-k)] of the sorted pairwise differences
// is a level-confidence interval for the shift (Hollander and Wolfe, normal approximation with
// tie correction); -1 when the samples are too small for any interval.
func hlCIIndex(n1, n2 int, level, tie float64) int {
	N := float64(n1 + n2)
	z := distuv.UnitNormal.Quantile(1 - (1-level)/2)
	v := float64(n1*n2) / 12 * ((N + 1) - tie/(N*(N-1)))
	k := int(math.Floor(float64(n1*n2)/2 - z*math.Sqrt(v)))
	if k < 0 {
		return -1
	}
	return k
}

func tieSum(x, y []float64) float64 {
	_, t := ranksTies(append(append([]float64(nil), x...), y...))
	return t
}

// CompareQuantile compares a tail quantile (0.9 for p90) of head and base with a percentile
// bootstrap of the ratio of quantiles (seeded: the same data gives the same interval). Its p-value
// is the bootstrap's two-sided achieved significance for "no change".
func CompareQuantile(metric results.Metric, q float64, head, base []float64, rule Rule, resamples int, seed uint64) (results.Comparison, error) {
	c := results.Comparison{Metric: metric, NHead: len(head), NBase: len(base), Method: fmt.Sprintf("bootstrap ratio of p%.0f (%d resamples)", q*100, resamples)}
	if len(head) == 0 || len(base) == 0 {
		return c, fmt.Errorf("compare %s: %w", metric, ErrNoData)
	}
	hs, bs := sortedCopy(head), sortedCopy(base)
	c.Head, c.Base = Quantile(hs, q), Quantile(bs, q)
	if !(c.Base > 0) {
		return c, fmt.Errorf("compare %s: base p%.0f is %v", metric, q*100, c.Base)
	}
	c.ShiftPct = (c.Head/c.Base - 1) * 100
	rng := rand.New(rand.NewPCG(seed, uint64(len(head))<<32|uint64(len(base))))
	ratios := make([]float64, resamples)
	rh, rb := make([]float64, len(head)), make([]float64, len(base))
	above := 0
	for i := range ratios {
		for j := range rh {
			rh[j] = head[rng.IntN(len(head))]
		}
		for j := range rb {
			rb[j] = base[rng.IntN(len(base))]
		}
		sort.Float64s(rh)
		sort.Float64s(rb)
		ratios[i] = math.Log(Quantile(rh, q) / Quantile(rb, q))
		switch {
		case ratios[i] > 0:
			above += 2
		case ratios[i] == 0:
			above++ // a tie counts half on each side
		}
	}
	sort.Float64s(ratios)
	c.CILowPct, c.CIHighPct = pct(Quantile(ratios, 0.025)), pct(Quantile(ratios, 0.975))
	c.LowerBoundPct, c.UpperBoundPct = pct(Quantile(ratios, rule.Alpha)), pct(Quantile(ratios, 1-rule.Alpha))
	frac := float64(above) / 2 / float64(resamples)
	c.PValue = math.Min(1, 2*math.Min(frac, 1-frac)+1/float64(resamples))
	c.Warnings = sampleWarnings(len(head), len(base), rule)
	if n := math.Min(float64(len(head)), float64(len(base))); n*(1-q) < 5-1e-9 {
		c.Warnings = append(c.Warnings, results.Warning{Code: WarnFewSamples, Message: fmt.Sprintf("%s: fewer than 5 samples a side above p%.0f: the tail estimate is rough", metric, q*100)})
	}
	c.Verdict = rule.decide(c)
	return c, nil
}

func sortedCopy(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
}

func pct(logRatio float64) float64 { return (math.Exp(logRatio) - 1) * 100 }

func binom(n, k int) float64 {
	return math.Round(math.Exp(lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)))
}

func lgamma(n int) float64 { v, _ := math.Lgamma(float64(n)); return v }

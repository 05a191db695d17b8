package stats

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/coldbench/coldbench/pkg/results"
)

// PairedMethod names the paired comparison.
const PairedMethod = "Hodges-Lehmann of paired log ratios (within rounds), Wilcoxon signed-rank"

// ComparePaired compares head and base sampled in pairs (head[i] and base[i] in the same round, so
// drift common to the round cancels): the shift is the Hodges-Lehmann estimate of the pairs' log
// ratios (the median of their Walsh averages), its interval comes from the signed-rank statistic's
// distribution (exact below 30 pairs, normal with tie correction above), and the p-value is the
// two-sided Wilcoxon signed-rank test. level is the interval's confidence, 1 - alpha for the
// equivalence check of a sequential look.
func ComparePaired(metric results.Metric, head, base []float64, rule Rule, level float64) (results.Comparison, error) {
	c := results.Comparison{Metric: metric, NHead: len(head), NBase: len(base), Method: PairedMethod, Paired: true}
	if len(head) != len(base) {
		return c, fmt.Errorf("compare %s: %d head and %d base values are not pairs", metric, len(head), len(base))
	}
	if len(head) == 0 {
		return c, fmt.Errorf("compare %s: %w", metric, ErrNoData)
	}
	d := make([]float64, len(head))
	for i := range head {
		if !(head[i] > 0) || !(base[i] > 0) || math.IsInf(head[i], 0) || math.IsInf(base[i], 0) {
			return c, fmt.Errorf("compare %s: values must be positive and finite, got %v and %v", metric, head[i], base[i])
		}
		d[i] = math.Log(head[i] / base[i])
	}
	c.Head, c.Base = Quantile(sortedCopy(head), 0.5), Quantile(sortedCopy(base), 0.5)
	n := len(d)
	walsh := make([]float64, 0, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			walsh = append(walsh, (d[i]+d[j])/2)
		}
	}
	sort.Float64s(walsh)
	c.ShiftPct = pct(Quantile(walsh, 0.5))
	interval := func(level float64) (lo, hi float64) {
		k := signedRankCIIndex(n, level, d)
		if k < 0 {
			return pct(walsh[0]), pct(walsh[len(walsh)-1])
		}
		return pct(walsh[k]), pct(walsh[len(walsh)-1-k])
	}
	c.CILowPct, c.CIHighPct = interval(level)
	c.LowerBoundPct, c.UpperBoundPct = interval(1 - 2*rule.Alpha)
	c.PValue = SignedRank(d)
	c.Warnings = append(c.Warnings, sampleWarnings(n, n, rule)...)
	c.Verdict = rule.decide(c)
	return c, nil
}

// SignedRank is the two-sided p-value of the Wilcoxon signed-rank test that the differences d are
// centred on zero: exact for fewer than 30 non-zero differences without ties, else the normal
// approximation with tie and continuity correction. Zero differences are dropped (Wilcoxon's).
func SignedRank(d []float64) float64 {
	var nz []float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
		}
	}
	n := len(nz)
	if n == 0 {
		return 1
	}
	abs := make([]float64, n)
	for i, x := range nz {
		abs[i] = math.Abs(x)
	}
	r, tie := ranksTies(abs)
	var wPlus float64
	for i, x := range nz {
		if x > 0 {
			wPlus += r[i]
		}
	}
	total := float64(n*(n+1)) / 2
	if tie == 0 && n < 30 {
		cdf := wCDF(n)
		lo := math.Min(wPlus, total-wPlus)
		return math.Min(1, 2*cdf[int(math.Floor(lo+1e-9))])
	}
	mean := total / 2
	v := float64(n*(n+1)*(2*n+1))/24 - tie/48
	if v <= 0 {
		return 1
	}
	z := math.Max(math.Abs(wPlus-mean)-0.5, 0) / math.Sqrt(v)
	return math.Min(1, 2*distuv.UnitNormal.Survival(z))
}

// wCDF is P(W+ <= k) for k = 0..n(n+1)/2 under the null: each rank's sign is a fair coin.
func wCDF(n int) []float64 {
	max := n * (n + 1) / 2
	counts := make([]float64, max+1)
	counts[0] = 1
	for r := 1; r <= n; r++ {
		for k := max; k >= r; k-- {
			counts[k] += counts[k-r]
		}
	}
	cdf := make([]float64, max+1)
	sum, total := 0.0, math.Pow(2, float64(n))
	for k, c := range counts {
		sum += c
		cdf[k] = sum / total
	}
	return cdf
}

// signedRankCIIndex is the 0-based index k such that [w(k), w(M-1-k)] of the sorted Walsh averages
// is a level-confidence interval for the centre: the exact null distribution below 30 pairs, else
// the normal approximation with tie correction; -1 when no interval reaches level.
func signedRankCIIndex(n int, level float64, d []float64) int {
	alpha := 1 - level
	if n < 30 {
		cdf := wCDF(n)
		k := -1
		for c := 0; c < len(cdf) && cdf[c] <= alpha/2; c++ {
			k = c // P(W <= c) <= alpha/2: the (c+1)-th smallest average bounds the interval
		}
		return k
	}
	abs := make([]float64, len(d))
	for i, x := range d {
		abs[i] = math.Abs(x)
	}
	_, tie := ranksTies(abs)
	z := distuv.UnitNormal.Quantile(1 - alpha/2)
	v := float64(n*(n+1)*(2*n+1))/24 - tie/48
	k := int(math.Floor(float64(n*(n+1))/4 - z*math.Sqrt(v)))
	if k < 0 {
		return -1
	}
	return k
}

// FailureRate compares how often head and base failed: Fisher's exact test, one-sided (head fails
// more often), on the counts of failed and clean samples. It returns the p-value.
func FailureRate(headFailed, headN, baseFailed, baseN int) float64 {
	// P(X >= headFailed) for X hypergeometric: headN draws from headN+baseN samples of which
	// headFailed+baseFailed failed.
	N, K := headN+baseN, headFailed+baseFailed
	p := 0.0
	for x := headFailed; x <= min(K, headN); x++ {
		p += math.Exp(lchoose(K, x) + lchoose(N-K, headN-x) - lchoose(N, headN))
	}
	return math.Min(1, p)
}

func lchoose(n, k int) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	return lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)
}

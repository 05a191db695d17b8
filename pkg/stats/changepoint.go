package stats

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Change points as Apache Otava (formerly Hunter) finds them: E-divisive means (Matteson and
// James, "A Nonparametric Approach for Multiple Change Point Analysis of Multivariate Data",
// arXiv 1306.4933) proposes where a series splits, and Student's t-test between the segments on
// either side replaces the original permutation test as the stopping rule (Fleming et al.,
// "Hunter: Using Change Point Detection to Hunt for Performance Regressions", ICPE 2023,
// arXiv 2301.03034). Like Otava, the proposals are made in overlapping windows, so a long history
// costs linear time and an early change does not hide a later one, and a last pass removes the
// weakest change point (re-tested against its neighbours) until every one left passes.

// ChangePointOptions tune ChangePoints. The zero value takes the defaults.
type ChangePointOptions struct {
	// Window is how many points each E-divisive pass looks at (Otava's window_len); windows
	// overlap by half. Default 30.
	Window int
	// MaxPValue is the t-test's level: a split whose p-value is above it stops the search
	// (Otava's max_pvalue). Default 0.001.
	MaxPValue float64
	// MinMagnitude is the smallest relative change reported (0.05 = 5%), in the series' units
	// after exp (the series are logs). Default 0: every significant change.
	MinMagnitude float64
	// MinSegment is the fewest points on each side of a change. Default 3.
	MinSegment int
}

func (o ChangePointOptions) withDefaults() ChangePointOptions {
	if o.Window <= 0 {
		o.Window = 30
	}
	if o.MaxPValue <= 0 {
		o.MaxPValue = 0.001
	}
	if o.MinSegment < 2 {
		o.MinSegment = 3
	}
	return o
}

// ChangePoint is a place where a series of logs (log medians, so changes are ratios) shifts:
// Index is the first point of the new level, compared with the points back to the previous
// change point (Before) and on to the next one (After).
type ChangePoint struct {
	Index             int
	NBefore, NAfter   int
	MeanBefore        float64 // mean of the logs
	MeanAfter         float64
	SDBefore, SDAfter float64
	// T and PValue are Student's two-sided t-test of the two segments (pooled variance).
	T, PValue float64
	// ShiftPct is the change of level in percent (exp of the difference of the log means), with
	// its 95% interval from the same t-test.
	ShiftPct, CILowPct, CIHighPct float64
}

// ChangePoints finds where the series xs (in time order; logs of positive values) changes level.
func ChangePoints(xs []float64, opt ChangePointOptions) []ChangePoint {
	opt = opt.withDefaults()
	n := len(xs)
	if n < 2*opt.MinSegment {
		return nil
	}
	// Proposals, window by window (half-overlapping, the last one ending at the series' end).
	candidates := map[int]bool{}
	step := max(opt.Window/2, 1)
	for start := 0; ; start += step {
		end := min(start+opt.Window, n)
		if end-start < 2*opt.MinSegment {
			break
		}
		for _, i := range eDivisive(xs[start:end], opt) {
			candidates[start+i] = true
		}
		if end == n {
			break
		}
	}
	idx := make([]int, 0, len(candidates))
	for i := range candidates {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	// The weakest change point goes until every one passes against its neighbours.
	for {
		cps := testAll(xs, idx)
		// Ranked by kind of weakness first (a segment too short, then too small a change, then
		// the p-value), as pairs: 2 + 1e-22 is 2 in floating point.
		weakest, worstKind, worstP := -1, 0, 0.0
		for k, cp := range cps {
			kind, p := 0, cp.PValue
			switch {
			case cp.NBefore < opt.MinSegment || cp.NAfter < opt.MinSegment:
				// Two proposals of one change (from overlapping windows): of the two, the one
				// that tests worse when the other is skipped goes.
				kind, p = 3, skipTest(xs, idx, k, opt.MinSegment).PValue
			case math.Abs(math.Exp(cp.MeanAfter-cp.MeanBefore)-1) < opt.MinMagnitude:
				kind = 2 // significant but smaller than what counts
			case p > opt.MaxPValue:
				kind = 1
			}
			if kind > worstKind || kind == worstKind && kind > 0 && p > worstP {
				weakest, worstKind, worstP = k, kind, p
			}
		}
		if weakest < 0 {
			return cps
		}
		idx = append(idx[:weakest], idx[weakest+1:]...)
	}
}

// eDivisive is the hierarchical E-divisive search on one window with the t-test as its stopping
// rule: the split with the largest energy statistic among all segments is kept while its t-test
// against the neighbouring segments passes.
func eDivisive(xs []float64, opt ChangePointOptions) []int {
	var cps []int
	for {
		bounds := append(append([]int{0}, cps...), len(xs))
		best, bestQ := -1, 0.0
		for s := 0; s+1 < len(bounds); s++ {
			if i, q := bestSplit(xs[bounds[s]:bounds[s+1]], opt.MinSegment); i >= 0 && q > bestQ {
				best, bestQ = bounds[s]+i, q
			}
		}
		if best < 0 {
			return cps
		}
		cps = append(cps, best)
		sort.Ints(cps)
		k := sort.SearchInts(cps, best)
		prev, next := 0, len(xs)
		if k > 0 {
			prev = cps[k-1]
		}
		if k+1 < len(cps) {
			next = cps[k+1]
		}
		if cp := tTest(xs, prev, best, next); cp.PValue > opt.MaxPValue {
			return append(cps[:k], cps[k+1:]...)
		}
	}
}

// bestSplit is the split tau of xs (a segment) that maximizes the E-divisive statistic
//
//	Q(tau) = m n/(m+n) [ 2/(m n) sum|x_i - y_j| - 1/C(m,2) sum|x_i - x_k| - 1/C(n,2) sum|y_j - y_l| ]
//
// (distance exponent 1), with at least minSeg points on each side; -1 when the segment is too
// short. The sums are kept incrementally, so a segment costs O(len^2).
func bestSplit(xs []float64, minSeg int) (int, float64) {
	n := len(xs)
	if n < 2*minSeg {
		return -1, 0
	}
	// rowSum[i] = sum over j of |x_i - x_j|; total = sum over i<j.
	var total float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			total += math.Abs(xs[i] - xs[j])
		}
	}
	var within, withinRight float64 = 0, total
	best, bestQ := -1, math.Inf(-1)
	for tau := 1; tau < n; tau++ {
		// Move point tau-1 from the right segment to the left one.
		p := tau - 1
		var toLeft, toRight float64
		for i := 0; i < p; i++ {
			toLeft += math.Abs(xs[i] - xs[p])
		}
		for j := p + 1; j < n; j++ {
			toRight += math.Abs(xs[j] - xs[p])
		}
		within += toLeft
		withinRight -= toRight
		if tau < minSeg || n-tau < minSeg {
			continue
		}
		m, r := float64(tau), float64(n-tau)
		between := total - within - withinRight
		q := m * r / (m + r) * (2*between/(m*r) - within/(m*(m-1)/2) - withinRight/(r*(r-1)/2))
		if q > bestQ {
			best, bestQ = tau, q
		}
	}
	return best, bestQ
}

// testAll re-tests every change point at idx (sorted) against the segments its neighbours bound.
func testAll(xs []float64, idx []int) []ChangePoint {
	out := make([]ChangePoint, 0, len(idx))
	for k, i := range idx {
		prev, next := 0, len(xs)
		if k > 0 {
			prev = idx[k-1]
		}
		if k+1 < len(idx) {
			next = idx[k+1]
		}
		out = append(out, tTest(xs, prev, i, next))
	}
	return out
}

// skipTest tests the change point idx[k] against the segments to its nearest neighbours that
// are at least minSeg away from it.
func skipTest(xs []float64, idx []int, k, minSeg int) ChangePoint {
	prev, next := 0, len(xs)
	for j := k - 1; j >= 0; j-- {
		if idx[k]-idx[j] >= minSeg {
			prev = idx[j]
			break
		}
	}
	for j := k + 1; j < len(idx); j++ {
		if idx[j]-idx[k] >= minSeg {
			next = idx[j]
			break
		}
	}
	return tTest(xs, prev, idx[k], next)
}

// tTest is Student's two-sided t-test (pooled variance) of xs[prev:i] against xs[i:next].
func tTest(xs []float64, prev, i, next int) ChangePoint {
	l, r := xs[prev:i], xs[i:next]
	cp := ChangePoint{Index: i, NBefore: len(l), NAfter: len(r), PValue: 1}
	if len(l) == 0 || len(r) == 0 {
		return cp
	}
	cp.MeanBefore, cp.MeanAfter = stat.Mean(l, nil), stat.Mean(r, nil)
	diff := cp.MeanAfter - cp.MeanBefore
	cp.ShiftPct, cp.CILowPct, cp.CIHighPct = pct(diff), pct(diff), pct(diff)
	if len(l) >= 2 {
		cp.SDBefore = stat.StdDev(l, nil)
	}
	if len(r) >= 2 {
		cp.SDAfter = stat.StdDev(r, nil)
	}
	df := float64(len(l) + len(r) - 2)
	if len(l) < 2 || len(r) < 2 {
		return cp
	}
	pooled := ((float64(len(l))-1)*cp.SDBefore*cp.SDBefore + (float64(len(r))-1)*cp.SDAfter*cp.SDAfter) / df
	se := math.Sqrt(pooled * (1/float64(len(l)) + 1/float64(len(r))))
	if se == 0 {
		if diff != 0 {
			cp.PValue, cp.T = 0, math.Copysign(math.Inf(1), diff)
		}
		return cp
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	cp.T = diff / se
	cp.PValue = math.Min(1, 2*t.Survival(math.Abs(cp.T)))
	q := t.Quantile(0.975)
	cp.CILowPct, cp.CIHighPct = pct(diff-q*se), pct(diff+q*se)
	return cp
}

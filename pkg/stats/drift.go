package stats

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/coldbench/coldbench/pkg/results"
)

// Two runs made at different times run on machines of different speed: a shared runner's
// neighbours, its CPU model, its kernel. The reference handlers measured in both runs are the
// controls: their shifts between the runs estimate the machine's, and a head compared with a
// stored base is corrected by it. The references are combined as a random-effects meta-analysis
// (DerSimonian and Laird, 1986): each reference's shift is weighed by its precision, and the
// spread of the references (tau, or their plain spread where that is wider) is how far one
// handler's drift can differ from the others', which the corrected comparison carries as
// uncertainty of its own. Within each run the handler is also divided by the references of the
// same round (CompareRoundRatios), so the drift within a run cancels as it does in a pull
// request's paired rounds.

// DriftInput is one reference measured in both runs.
type DriftInput struct {
	Name      string
	Now, Then []float64 // this run's values and the stored run's
}

// ReferenceDrift is one reference's shift between the runs.
type ReferenceDrift struct {
	Name                          string
	ShiftPct, CILowPct, CIHighPct float64
	N, NThen                      int
}

// Drift is the machine's shift between two runs, from the references measured in both.
type Drift struct {
	References []ReferenceDrift
	// LogShift is the combined log ratio (now / then) and SE its standard error; Tau is the
	// references' spread beyond their noise (log scale), 0 with fewer than two references.
	LogShift, SE, Tau float64
	// ShiftPct is LogShift in percent with its 95% interval.
	ShiftPct, CILowPct, CIHighPct float64
	// Spread is the references' sample standard deviation of their log shifts (0 with fewer than
	// two): how far one runtime's drift was from another's, their own noise included.
	Spread float64
	// Q is Cochran's heterogeneity statistic and QPValue its chi-square p-value: a small one says
	// the references moved by different amounts.
	Q, QPValue float64
}

// DriftDisagreeAlpha is the heterogeneity level below which the references are said to disagree.
const DriftDisagreeAlpha = 0.01

// Disagree reports whether the references moved differently, beyond their noise (Cochran's Q
// at DriftDisagreeAlpha), with a spread (tau) of more than half of threshold (a fraction): then
// no single figure is the machine's drift, and a handler's own could be anywhere in that spread.
func (d Drift) Disagree(threshold float64) bool {
	return len(d.References) >= 2 && d.QPValue < DriftDisagreeAlpha && d.Tau > threshold/2
}

// String is the drift with each reference's shift: "+8.1% (go +7.5%, rust +8.9%)".
func (d Drift) String() string {
	parts := make([]string, len(d.References))
	for i, r := range d.References {
		parts[i] = fmt.Sprintf("%s %+.1f%%", r.Name, r.ShiftPct)
	}
	return fmt.Sprintf("%+.1f%% (%s)", d.ShiftPct, strings.Join(parts, ", "))
}

// EstimateDrift combines the references' shifts between two runs. Each is the Hodges-Lehmann
// ratio of its values now and then with its rank interval (as Compare), whose width gives its
// standard error.
func EstimateDrift(refs []DriftInput) (Drift, error) {
	var d Drift
	if len(refs) == 0 {
		return d, fmt.Errorf("drift: %w (no reference measured in both runs)", ErrNoData)
	}
	sorted := append([]DriftInput(nil), refs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var ys, vs []float64
	for _, r := range sorted {
		c, err := Compare("drift", r.Now, r.Then, DefaultRule)
		if err != nil {
			return d, fmt.Errorf("drift of reference %s: %w", r.Name, err)
		}
		y, se := logShiftSE(c)
		ys, vs = append(ys, y), append(vs, se*se)
		d.References = append(d.References, ReferenceDrift{Name: r.Name, ShiftPct: c.ShiftPct, CILowPct: c.CILowPct, CIHighPct: c.CIHighPct, N: len(r.Now), NThen: len(r.Then)})
	}
	// Fixed-effect weights first, for Q and tau (DerSimonian-Laird).
	var sw, sw2, swy float64
	for i := range ys {
		w := 1 / vs[i]
		sw, sw2, swy = sw+w, sw2+w*w, swy+w*ys[i]
	}
	fixed := swy / sw
	for i := range ys {
		d.Q += (ys[i] - fixed) * (ys[i] - fixed) / vs[i]
	}
	d.QPValue = 1
	if k := float64(len(ys)); k > 1 {
		d.QPValue = distuv.ChiSquared{K: k - 1}.Survival(d.Q)
		if tau2 := (d.Q - (k - 1)) / (sw - sw2/sw); tau2 > 0 {
			d.Tau = math.Sqrt(tau2)
		}
	}
	var rw, rwy float64
	for i := range ys {
		w := 1 / (vs[i] + d.Tau*d.Tau)
		rw, rwy = rw+w, rwy+w*ys[i]
	}
	d.LogShift, d.SE = rwy/rw, math.Sqrt(1/rw)
	if len(ys) > 1 {
		d.Spread = stat.StdDev(ys, nil)
	}
	d.ShiftPct, d.CILowPct, d.CIHighPct = pct(d.LogShift), pct(d.LogShift-z95*d.SE), pct(d.LogShift+z95*d.SE)
	return d, nil
}

var z95 = distuv.UnitNormal.Quantile(0.975)

// logShiftSE is a comparison's log shift and the standard error its 95% interval implies.
func logShiftSE(c results.Comparison) (y, se float64) {
	y = math.Log1p(c.ShiftPct / 100)
	se = (math.Log1p(c.CIHighPct/100) - math.Log1p(c.CILowPct/100)) / (2 * z95)
	if !(se > 0) {
		se = 1e-6 // identical values: as precise as it gets, never a division by zero
	}
	return y, se
}

// CorrectedMethod names the drift-corrected between-run comparison.
const CorrectedMethod = "Hodges-Lehmann ratio less the references' drift (random effects), normal interval"

// WarnRunnersDiffer is the warning that the references disagree about the drift between runs.
const WarnRunnersDiffer = "runners-differ"

// CompareCorrected compares head with a base measured in another run, taking the machine's drift
// d out of the shift: the shift is head/base's Hodges-Lehmann ratio divided by the drift, its
// variance the comparison's own plus the drift's plus the references' spread (handlerSpread: how
// far this handler's drift may differ from theirs), and the verdict the rule's on the normal
// interval.
// When the references disagree (Drift.Disagree) the verdict is inconclusive: the runners differ,
// and by how much for this handler cannot be told.
func CompareCorrected(metric results.Metric, head, base []float64, d Drift, rule Rule) (results.Comparison, error) {
	c, err := Compare(metric, head, base, rule)
	if err != nil {
		return c, err
	}
	y, se := logShiftSE(c)
	h := d.handlerSpread()
	return corrected(c, y-d.LogShift, math.Sqrt(se*se+d.SE*d.SE+h*h), d, rule, len(head), len(base)), nil
}

// handlerSpread is how far a handler's own drift may be from the references' combined one: the
// larger of tau and the references' plain spread. Runtimes feel a busy machine differently (a
// 3 ms Rust init and a 250 ms Node.js one do not slow alike), and with three references tau is
// often estimated at 0 when it is not; the plain spread, their noise included, errs wide.
func (d Drift) handlerSpread() float64 { return math.Max(d.Tau, d.Spread) }

// CompareRoundRatios is CompareCorrected on values already divided by their round's references
// (each run's samples over the level of the references sampled in the same round, so the drift
// within each run cancels round by round as well as the drift between them): the shift is the
// Hodges-Lehmann ratio of head's ratios to base's, its variance the comparison's own plus the
// references' spread (handlerSpread). head and base are the raw values, for the medians shown.
func CompareRoundRatios(metric results.Metric, head, base, headRatios, baseRatios []float64, d Drift, rule Rule) (results.Comparison, error) {
	c, err := Compare(metric, headRatios, baseRatios, rule)
	if err != nil {
		return c, err
	}
	y, se := logShiftSE(c)
	h := d.handlerSpread()
	c = corrected(c, y, math.Sqrt(se*se+h*h), d, rule, len(head), len(base))
	c.Method = RoundRatioMethod
	c.Head, c.Base = Quantile(sortedCopy(head), 0.5), Quantile(sortedCopy(base), 0.5)
	return c, nil
}

// RoundRatioMethod names the comparison of round-by-round ratios to the references.
const RoundRatioMethod = "Hodges-Lehmann ratio of each run's values to its references' in the same round (random-effects spread added), normal interval"

// corrected decides a drift-corrected comparison whose log shift is est with standard deviation
// sd.
func corrected(c results.Comparison, est, sd float64, d Drift, rule Rule, nh, nb int) results.Comparison {
	metric := c.Metric
	c.Method = CorrectedMethod
	c.ShiftPct = pct(est)
	c.CILowPct, c.CIHighPct = pct(est-z95*sd), pct(est+z95*sd)
	zb := distuv.UnitNormal.Quantile(1 - rule.Alpha)
	c.LowerBoundPct, c.UpperBoundPct = pct(est-zb*sd), pct(est+zb*sd)
	c.PValue = math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(est)/sd))
	// The uncorrected comparison's caveats (an inconclusive shift of the raw ratio) no longer hold.
	c.Warnings = sampleWarnings(nh, nb, rule)
	c.Verdict = rule.decide(c)
	if d.Disagree(rule.Threshold) {
		c.Verdict = Inconclusive
		c.Warnings = append(c.Warnings, results.Warning{Code: WarnRunnersDiffer, Message: fmt.Sprintf(
			"%s: inconclusive: the runners differ by %+.1f%% and the references disagree about it (%s), so the drift between the two runs cannot be taken out", metric, d.ShiftPct, d)})
	} else if c.Verdict == Inconclusive {
		c.Warnings = append(c.Warnings, results.Warning{Code: WarnWideCI, Message: fmt.Sprintf(
			"%s: shift %+.1f%% after the runners' drift of %s (95%% interval %+.1f%%…%+.1f%%) cannot be told from the %.0f%% threshold at %.2g%%: inconclusive", metric, c.ShiftPct, d, c.CILowPct, c.CIHighPct, rule.Threshold*100, rule.Alpha*100)})
	}
	return c
}

// Package trend reads a handler's stored history as a trend: one point per commit (the median
// of each stored run), corrected for the machine's drift by the references measured in the same
// runs, and the change points in it (stats.ChangePoints: E-divisive means with a t-test stopping
// rule, as Apache Otava finds them). The scheduled refresh opens an issue per change point,
// `coldbench history` prints them, and the reports draw the trend.
package trend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// Metrics are the metrics a trend is kept of: what the gate decides on.
var Metrics = []results.Metric{results.MetricInit, results.MetricCold}

// Point is one commit of a series.
type Point struct {
	Ref  string
	When time.Time // of the commit's first stored run
	// Median is the commit's median (ms; the geometric mean of its runs' medians when it was
	// stored more than once); Corrected is it divided by the machine's drift of those runs
	// (Drift: 1 is the history's typical machine, 1.1 one 10% slower). Without references in
	// its runs, Corrected is Median and Drift 1, and DriftKnown false.
	Median, Corrected, Drift float64
	DriftKnown               bool
	Runs                     int
	// Tags are the releases at this commit (when the caller knows them).
	Tags []string
}

// Change is a change point of a series: the level moved between Points[Index-1] (the last
// commit at the old level, FromRef) and Points[Index] (the first at the new one, ToRef).
type Change struct {
	Index         int
	FromRef       string
	ToRef         string
	Before, After float64 // levels, ms (drift-corrected geometric means of the segments)
	// ShiftPct is the change with its 95% interval; Confidence is 1 - the t-test's p-value.
	ShiftPct, CILowPct, CIHighPct float64
	PValue, Confidence            float64
	NBefore, NAfter               int
}

// Series is one variant's metric over the history.
type Series struct {
	Variant string
	Role    results.Role
	Metric  results.Metric
	Points  []Point
	Changes []Change
	// References names the variants the drift was estimated from.
	References []string
}

// Options tune Analyze.
type Options struct {
	// ThresholdPct is the smallest change reported (default: the stored runs' threshold, 5%).
	ThresholdPct float64
	// Uncorrected turns the drift correction off (to show what it does).
	Uncorrected bool
	// Tags are the releases by commit (full SHA), drawn on the charts.
	Tags map[string][]string
	// ChangePoints tunes the search (stats' defaults otherwise).
	ChangePoints stats.ChangePointOptions
}

// Analyze is the trend of every variant and gate metric in runs (oldest first): each run's
// variants, a point per commit, the head's series (or, in a history of the references alone,
// each reference's) corrected by the other references of the same runs, with its change points.
// The references' own series are kept uncorrected, to be drawn beside.
func Analyze(runs []*results.Results, opt Options) []Series {
	if opt.ThresholdPct <= 0 {
		opt.ThresholdPct = 5
		for _, r := range runs {
			if r.Config.ThresholdPct > 0 {
				opt.ThresholdPct = r.Config.ThresholdPct
			}
		}
	}
	cpo := opt.ChangePoints
	if cpo.MinMagnitude == 0 {
		cpo.MinMagnitude = opt.ThresholdPct / 100
	}
	hasHead := slices.ContainsFunc(runs, func(r *results.Results) bool { return r.Variant(results.RoleHead) != nil })
	var out []Series
	for _, m := range Metrics {
		for _, name := range variantNames(runs) {
			role := roleOf(runs, name)
			s := Series{Variant: name, Role: role, Metric: m}
			tracked := role == results.RoleHead || !hasHead && role == results.RoleReference
			var refs []string
			if tracked && !opt.Uncorrected {
				for _, ref := range variantNames(runs) {
					if ref != name && roleOf(runs, ref) == results.RoleReference {
						refs = append(refs, ref)
					}
				}
			}
			s.References = refs
			s.Points = points(runs, name, m, refs, opt.Tags)
			if len(s.Points) == 0 {
				continue
			}
			if tracked {
				s.Changes = changes(s.Points, cpo)
			}
			out = append(out, s)
		}
	}
	return out
}

// variantNames are the variants of runs, head first, then by name.
func variantNames(runs []*results.Results) []string {
	var names []string
	for _, r := range runs {
		for _, v := range r.Variants {
			if (v.Role == results.RoleHead || v.Role == results.RoleReference) && !slices.Contains(names, v.Name) {
				names = append(names, v.Name)
			}
		}
	}
	sort.SliceStable(names, func(i, j int) bool {
		hi, hj := roleOf(runs, names[i]) == results.RoleHead, roleOf(runs, names[j]) == results.RoleHead
		if hi != hj {
			return hi
		}
		return names[i] < names[j]
	})
	return names
}

func roleOf(runs []*results.Results, name string) results.Role {
	for _, r := range runs {
		for _, v := range r.Variants {
			if v.Name == name {
				return v.Role
			}
		}
	}
	return ""
}

func p50(r *results.Results, name string, m results.Metric) (float64, bool) {
	for _, v := range r.Variants {
		if v.Name == name {
			if s := v.Summary.Get(m); s != nil && s.P50 > 0 && !math.IsInf(s.P50, 0) {
				return s.P50, true
			}
		}
	}
	return 0, false
}

// points is name's metric m commit by commit, each run divided by its drift: the median over refs
// of the reference's log median in that run less its typical (median) log median over the
// history.
func points(runs []*results.Results, name string, m results.Metric, refs []string, tags map[string][]string) []Point {
	center := map[string]float64{}
	for _, ref := range refs {
		var logs []float64
		for _, r := range runs {
			if v, ok := p50(r, ref, m); ok {
				logs = append(logs, math.Log(v))
			}
		}
		if len(logs) > 0 {
			slices.Sort(logs)
			center[ref] = stats.Quantile(logs, 0.5)
		}
	}
	type acc struct {
		p               Point
		logMed, logCorr float64
		known           int
	}
	var order []string
	byRef := map[string]*acc{}
	for _, r := range runs {
		v, ok := p50(r, name, m)
		if !ok {
			continue
		}
		ref := cmp.Or(r.Config.HeadRef, r.CreatedAt.Format(time.RFC3339Nano))
		var drifts []float64
		for _, rf := range refs {
			if c, ok := center[rf]; ok {
				if x, ok := p50(r, rf, m); ok {
					drifts = append(drifts, math.Log(x)-c)
				}
			}
		}
		d := 0.0
		if len(drifts) > 0 {
			slices.Sort(drifts)
			d = stats.Quantile(drifts, 0.5)
		}
		a := byRef[ref]
		if a == nil {
			a = &acc{p: Point{Ref: ref, When: r.CreatedAt, Tags: tags[r.Config.HeadRef]}}
			byRef[ref] = a
			order = append(order, ref)
		}
		a.p.Runs++
		a.logMed += math.Log(v)
		a.logCorr += math.Log(v) - d
		if len(drifts) > 0 {
			a.known++
		}
	}
	out := make([]Point, 0, len(order))
	for _, ref := range order {
		a := byRef[ref]
		n := float64(a.p.Runs)
		a.p.Median, a.p.Corrected = math.Exp(a.logMed/n), math.Exp(a.logCorr/n)
		a.p.Drift = a.p.Median / a.p.Corrected
		a.p.DriftKnown = a.known == a.p.Runs
		out = append(out, a.p)
	}
	return out
}

// changes finds the change points of the corrected series.
func changes(pts []Point, opt stats.ChangePointOptions) []Change {
	logs := make([]float64, len(pts))
	for i, p := range pts {
		logs[i] = math.Log(p.Corrected)
	}
	var out []Change
	for _, cp := range stats.ChangePoints(logs, opt) {
		out = append(out, Change{Index: cp.Index, FromRef: pts[cp.Index-1].Ref, ToRef: pts[cp.Index].Ref,
			Before: math.Exp(cp.MeanBefore), After: math.Exp(cp.MeanAfter),
			ShiftPct: cp.ShiftPct, CILowPct: cp.CILowPct, CIHighPct: cp.CIHighPct,
			PValue: cp.PValue, Confidence: 1 - cp.PValue, NBefore: cp.NBefore, NAfter: cp.NAfter})
	}
	return out
}

// String is the change in one line: "init_ms +15.2% (95% interval +12.0%…+18.5%) between abc1234
// and def5678, 40.1 → 46.2 ms, confidence 99.99%".
func (c Change) String() string {
	return fmt.Sprintf("%+.1f%% (95%% interval %+.1f%%…%+.1f%%) between %.7s and %.7s: %.3g → %.3g ms, confidence %s",
		c.ShiftPct, c.CILowPct, c.CIHighPct, c.FromRef, c.ToRef, c.Before, c.After, Confidence(c.PValue))
}

// Confidence is 1 - p in percent, as many nines as it has: "99.97%", "> 99.9999%".
func Confidence(p float64) string {
	if p < 1e-6 {
		return "> 99.9999%"
	}
	return fmt.Sprintf("%.4g%%", 100*(1-p))
}

// RevertedBy is the later change of s that brings the level back to within thresholdPct of where
// change i started, or nil: the change is over.
func (s Series) RevertedBy(i int, thresholdPct float64) *Change {
	c := s.Changes[i]
	for j := i + 1; j < len(s.Changes); j++ {
		later := s.Changes[j]
		if math.Signbit(later.ShiftPct) != math.Signbit(c.ShiftPct) && math.Abs(later.After/c.Before-1)*100 < thresholdPct {
			return &s.Changes[j]
		}
	}
	return nil
}

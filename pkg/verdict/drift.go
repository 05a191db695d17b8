package verdict

import (
	"fmt"
	"math"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// WarnDriftCorrected says that a comparison with a stored run was corrected by the references'
// drift between the runs, and by how much.
const WarnDriftCorrected = "drift-corrected"

// minDriftSamples is the fewest values a reference needs in each run to be a control.
const minDriftSamples = 10

// roundRatios are name's values of m (failures censored, as the gate compares them) each divided
// by the geometric mean of the references' values in the same round (refs: variant names,
// their successful samples only); a round without a reference value leaves its values out.
func roundRatios(r *results.Results, name string, refs []string, m results.Metric) []float64 {
	level := map[int][]float64{} // round -> log values of every reference sampled in it
	for _, ref := range refs {
		for _, s := range r.SamplesOf(ref) {
			if v, ok := s.Value(m); ok && v > 0 && s.Error == nil {
				level[s.Index] = append(level[s.Index], math.Log(v))
			}
		}
	}
	var out []float64
	for _, s := range r.SamplesOf(name) {
		v, ok := value(r, s, m)
		logs := level[s.Index]
		if !ok || len(logs) == 0 {
			continue
		}
		sum := 0.0
		for _, l := range logs {
			sum += l
		}
		out = append(out, v/math.Exp(sum/float64(len(logs))))
	}
	return out
}

// correctedComparison is the gate comparison of m against a stored run with references in both
// runs: round by round against the references where both runs have enough such rounds, else by
// the drift of the runs' medians; ok is false without references in both.
func correctedComparison(r *results.Results, m results.Metric, hv, bv []float64, rule stats.Rule) (c results.Comparison, ok bool, err error) {
	d, ok := runDrift(r, m)
	if !ok {
		return c, false, nil
	}
	var now, then []string
	for _, ref := range d.References {
		now, then = append(now, ref.Name), append(then, results.BaselineReferenceName(ref.Name))
	}
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	hr, br := roundRatios(r, head.Name, now, m), roundRatios(r, base.Name, then, m)
	if len(hr) >= len(hv)/2 && len(br) >= len(bv)/2 && len(hr) >= minDriftSamples && len(br) >= minDriftSamples {
		c, err = stats.CompareRoundRatios(m, hv, bv, hr, br, d, rule)
		return c, true, err
	}
	c, err = stats.CompareCorrected(m, hv, bv, d, rule)
	return c, true, err
}

// runDrift is the machine's drift of metric m between this run and the stored one it is compared
// with, from the references measured in both (this run's RoleReference variants and the stored
// run's RoleBaselineReference ones of the same name); ok is false when no reference was.
func runDrift(r *results.Results, m results.Metric) (d stats.Drift, ok bool) {
	var in []stats.DriftInput
	for _, v := range r.Variants {
		if v.Role != results.RoleReference {
			continue
		}
		name := results.BaselineReferenceName(v.Name)
		stored := false
		for _, b := range r.Variants {
			stored = stored || b.Role == results.RoleBaselineReference && b.Name == name
		}
		if !stored {
			continue
		}
		now, _ := results.Values(r.SamplesOf(v.Name), m)
		then, _ := results.Values(r.SamplesOf(name), m)
		if len(now) < minDriftSamples || len(then) < minDriftSamples {
			continue
		}
		in = append(in, stats.DriftInput{Name: v.Name, Now: now, Then: then})
	}
	if len(in) == 0 {
		return d, false
	}
	d, err := stats.EstimateDrift(in)
	return d, err == nil
}

// driftWarning says how the comparisons with a stored run were corrected: by the drift of each
// gate metric, from which references.
func driftWarning(r *results.Results) (results.Warning, bool) {
	var parts []string
	for _, m := range []results.Metric{results.MetricInit, results.MetricCold} {
		if d, ok := runDrift(r, m); ok {
			parts = append(parts, fmt.Sprintf("%s %+.1f%% (95%% interval %+.1f%%…%+.1f%%; %s)", m, d.ShiftPct, d.CILowPct, d.CIHighPct, d))
		}
	}
	if len(parts) == 0 {
		return results.Warning{}, false
	}
	return results.Warning{Code: WarnDriftCorrected, Message: fmt.Sprintf(
		"base is the stored run %s, measured in another run: the machine's drift between the two runs, estimated from the references measured in both, is taken out of the shift: %s",
		r.Config.BaselineRun, strings.Join(parts, "; "))}, true
}

package verdict

import (
	"fmt"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// WarnDriftCorrected says that a comparison with a stored run was corrected by the references'
// drift between the runs, and by how much.
const WarnDriftCorrected = "drift-corrected"

// minDriftSamples is the fewest values a reference needs in each run to be a control.
const minDriftSamples = 10

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

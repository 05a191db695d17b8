// Package verdict is coldbench's decision policy: from the samples recorded in a results value it
// derives every variant's summaries, the head-versus-base comparisons, the overall verdict, the
// budget checks and every caveat. It sits beside stats (which it calls for the numbers) and apart
// from the renderers, which only show what it decided. `coldbench report` reruns it on old
// results, so the numbers always follow the current policy.
package verdict

import (
	"fmt"
	"slices"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// GateMetrics decide the overall verdict: init (Lambda's Init Duration) and cold latency (what
// the first caller waits for). Their rank tests share the rule's alpha (Bonferroni).
var GateMetrics = []results.Metric{results.MetricInit, results.MetricCold}

// Gates reports whether metric takes part in the overall verdict.
func Gates(m results.Metric) bool { return slices.Contains(GateMetrics, m) }

// Warning codes the analysis adds to the ones of stats.
const (
	WarnNoBase          = "no-base"
	WarnBaseBuildFailed = "base-build-failed"
	WarnNoComparison    = "no-comparison"
	WarnNoBaseline      = "no-baseline"
	WarnStoredBaseline  = "stored-baseline"
	WarnAdaptive        = "adaptive"
)

// Rule is the decision rule a results value was recorded with (threshold and alpha), with the
// per-look level of an adaptive run. (Adaptive files written before Block was recorded stored
// the per-look level as Alpha itself.)
func Rule(r *results.Results) stats.Rule {
	rule := stats.Rule{Threshold: r.Config.ThresholdPct / 100, Alpha: r.Config.Alpha}
	if r.Config.Adaptive && r.Config.Looks > 1 && r.Config.Block > 0 {
		rule.Alpha /= float64(r.Config.Looks)
	}
	return rule
}

// Analyze fills in every variant's summaries, the head-vs-base comparisons, the overall verdict,
// the budget checks and the warnings, from the samples and the facts recorded in r alone.
func Analyze(r *results.Results) {
	r.Warnings = nil
	summarize(r)
	r.Comparisons = nil
	r.Verdict = compare(r, Rule(r))
	r.Warnings = append(r.Warnings, runWarnings(r)...)
	r.Warnings = dedupe(r.Warnings)
	r.Budgets = CheckBudgets(r)
}

// summarize describes every metric of every variant.
func summarize(r *results.Results) {
	for i := range r.Variants {
		v := &r.Variants[i]
		v.Summary = results.Summaries{}
		samples := r.SamplesOf(v.Name)
		for _, m := range results.Metrics {
			vals, failed := results.Values(samples, m)
			if m == results.MetricWarm && len(vals) == 0 {
				continue
			}
			if s, err := stats.Summarize(vals, failed); err == nil {
				v.Summary.Set(m, &s)
			}
		}
	}
}

// compare adds the head-vs-base comparisons to r and returns the overall verdict.
func compare(r *results.Results, rule stats.Rule) results.Verdict {
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	switch {
	case head == nil:
		return results.Unavailable
	case base == nil:
		if r.Config.Baseline == "" {
			r.Warnings = append(r.Warnings, results.Warning{Code: WarnNoBase, Message: "no base revision was measured: there is nothing to compare the head with"})
		}
		return results.Unavailable
	case base.BuildError != "":
		r.Warnings = append(r.Warnings, results.Warning{Code: WarnBaseBuildFailed, Message: "the base revision failed to build, so head could not be compared: " + firstLine(base.BuildError)})
		return results.Unavailable
	case head.BuildError != "":
		return results.Unavailable
	}
	gateRule := rule
	gateRule.Alpha = rule.Alpha / float64(len(GateMetrics))
	hs, bs := r.SamplesOf(head.Name), r.SamplesOf(base.Name)
	for _, m := range []results.Metric{results.MetricInit, results.MetricDuration, results.MetricCold, results.MetricMemory} {
		hv, _ := results.Values(hs, m)
		bv, _ := results.Values(bs, m)
		rl := rule
		if Gates(m) {
			rl = gateRule
		}
		c, err := stats.Compare(m, hv, bv, rl)
		c.Gate = Gates(m)
		if err != nil {
			r.Warnings = append(r.Warnings, results.Warning{Code: WarnNoComparison, Message: err.Error()})
			continue
		}
		r.Comparisons = append(r.Comparisons, c)
		if !Gates(m) {
			continue
		}
		for _, q := range []float64{0.9, 0.99} {
			if q == 0.99 && (len(hv) < 100 || len(bv) < 100) {
				continue // p99 of fewer than 100 samples is their maximum: not worth a verdict
			}
			if t, err := stats.CompareQuantile(m.Tail(q), q, hv, bv, rule, 2000, r.Config.Seed); err == nil {
				r.Comparisons = append(r.Comparisons, t)
			}
		}
	}
	verdict, seen := results.NoChange, false
	for _, c := range r.Comparisons {
		if c.Gate {
			seen = true
			verdict = stats.Worse(verdict, c.Verdict)
			r.Warnings = append(r.Warnings, c.Warnings...)
		}
	}
	if !seen {
		return results.Unavailable
	}
	return verdict
}

// runWarnings are the caveats that follow from how the run was made, as recorded in it.
func runWarnings(r *results.Results) []results.Warning {
	var out []results.Warning
	c := r.Config
	if c.Baseline != "" && c.BaselineRun == "" {
		out = append(out, results.Warning{Code: WarnNoBaseline, Message: fmt.Sprintf(
			"no stored results of this handler in %s: this run can only be stored (--store), not compared", c.Baseline)})
	}
	if c.BaselineRun != "" && r.Variant(results.RoleBase) != nil {
		out = append(out, results.Warning{Code: WarnStoredBaseline, Message: fmt.Sprintf(
			"base is the stored run %s: measured in another run, so drift of the machine between the two runs is not controlled", c.BaselineRun)})
	}
	if c.Adaptive {
		out = append(out, results.Warning{Code: WarnAdaptive, Message: fmt.Sprintf(
			"adaptive sampling: %d samples a side, analysed after every %d, at alpha %.2g per look (%g over %d looks)",
			c.Samples, c.Block, Rule(r).Alpha, c.Alpha, c.Looks)})
	}
	return out
}

func dedupe(ws []results.Warning) []results.Warning {
	seen := map[string]bool{}
	var out []results.Warning
	for _, w := range ws {
		if !seen[w.Message] {
			seen[w.Message] = true
			out = append(out, w)
		}
	}
	return out
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

// Package verdict is coldbench's decision policy: from the samples recorded in a results value it
// derives every variant's summaries, the head-versus-base comparisons, the overall verdict, the
// budget checks and every caveat. It sits beside stats (which it calls for the numbers) and apart
// from the renderers, which only show what it decided. `coldbench report` reruns it on old
// results, so the numbers always follow the current policy.
package verdict

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// MetricFailures is the comparison of how often head and base failed.
const MetricFailures results.Metric = "failed_samples"

// GateMetrics decide the overall verdict: init (Lambda's Init Duration), cold latency (what the
// first caller waits for) and how often a cold start failed. Their tests share the rule's alpha
// (Bonferroni).
var GateMetrics = []results.Metric{results.MetricInit, results.MetricCold, MetricFailures}

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
	WarnNewFailure      = "new-failure"
	WarnFunctionConfig  = "function-config"
	WarnBaseFailed      = "base-failed"
	WarnSettingsChanged = "settings-changed"
	WarnUnknownBudget   = "unknown-budget"
)

// Rule is the decision rule a results value was recorded with (threshold and alpha), at the level
// of its last look when it was sampled until decided. (Adaptive files written before Block was
// recorded stored the per-look level as Alpha itself.)
func Rule(r *results.Results) stats.Rule {
	rule := stats.Rule{Threshold: r.Config.ThresholdPct / 100, Alpha: r.Config.Alpha}
	if r.Config.Adaptive && r.Config.Block > 0 && r.Config.Looks > 0 {
		rule.Alpha = LookAlpha(r.Config.Alpha, r.Config.Looks)
	}
	return rule
}

// LookAlpha is the level of look k (1, 2, ...) of a run sampled until decided: alpha spent as
// 6/(pi^2 k^2) of it, which sums to alpha over any number of looks, so the false-alarm rate holds
// however long the time budget lets the run go and wherever it stops.
func LookAlpha(alpha float64, k int) float64 {
	return alpha * 6 / (math.Pi * math.Pi * float64(k*k))
}

// Settled reports whether a look's analysis decides the run: a regression or an improvement, or
// no change with every gate comparison's 95% interval inside the threshold (equivalence).
func Settled(r *results.Results) bool {
	switch r.Verdict {
	case results.Regression, results.Improvement:
		return true
	case results.NoChange:
		t := r.Config.ThresholdPct
		// Failures head has and base has not keep the run going: they are either noise that more
		// samples dilute, or a failure regression that more samples confirm.
		if f := r.Comparison(MetricFailures); f != nil && f.Head > f.Base {
			return false
		}
		for _, c := range r.Comparisons {
			if c.Gate && c.Metric != MetricFailures && (c.CILowPct <= -t || c.CIHighPct >= t) {
				return false
			}
		}
		return true
	}
	return false
}

// Analyze fills in every variant's summaries, the head-vs-base comparisons, the overall verdict,
// the budget checks and the warnings, from the samples and the facts recorded in r alone.
func Analyze(r *results.Results) {
	if len(r.Functions) > 0 {
		analyzeFunctions(r) // a run of several functions: each one's own, as if alone
		return
	}
	r.Warnings = nil
	summarize(r)
	r.Comparisons = nil
	r.Verdict = compare(r, Rule(r), true)
	r.Warnings = append(r.Warnings, runWarnings(r)...)
	var budgetWarnings []results.Warning
	r.Budgets, budgetWarnings = CheckBudgets(r)
	r.Warnings = dedupe(append(r.Warnings, budgetWarnings...))
	r.Breakdown = Breakdown(r)
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

// Decide is the gate alone: the head-vs-base comparisons that decide the verdict (no summaries,
// no informational rows), for the looks of a run sampled until decided and for calibration. Its
// verdict is Analyze's.
func Decide(r *results.Results) {
	r.Warnings, r.Comparisons = nil, nil
	r.Verdict = compare(r, Rule(r), false)
}

// compare adds the head-vs-base comparisons to r (with all the informational ones) and returns
// the overall verdict.
func compare(r *results.Results, rule stats.Rule, all bool) results.Verdict {
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	if v, ok := uncomparable(r, head, base); ok {
		return v
	}
	gateRule := rule
	gateRule.Alpha = rule.Alpha / float64(len(GateMetrics))
	hs, bs := r.SamplesOf(head.Name), r.SamplesOf(base.Name)
	if len(bs) > 0 && !slices.ContainsFunc(bs, results.Sample.InitOK) {
		return baseNeverStarted(r, hs, bs, gateRule)
	}
	// Samples of the same run are compared round by round; a stored baseline is another run.
	paired := r.Config.BaselineRun == ""
	for _, m := range []results.Metric{results.MetricInit, results.MetricDuration, results.MetricCold, results.MetricMemory} {
		if !all && !Gates(m) {
			continue
		}
		if compareMetric(r, m, hs, bs, rule, gateRule, paired) && all && Gates(m) {
			compareTails(r, m, hs, bs, rule)
		}
	}
	r.Comparisons = append(r.Comparisons, compareFailures(r, hs, bs, gateRule))
	return foldGates(r)
}

// uncomparable is the verdict when head and base cannot be compared at all: one of them is
// missing or failed to build. ok is false when they can be.
func uncomparable(r *results.Results, head, base *results.Variant) (v results.Verdict, ok bool) {
	switch {
	case head == nil:
		return results.Unavailable, true
	case base == nil:
		if r.Config.Baseline == "" {
			r.Warnings = append(r.Warnings, results.Warning{Code: WarnNoBase, Message: "no base revision was measured: there is nothing to compare the head with"})
		}
		return results.Unavailable, true
	case head.BuildError != "":
		if base.BuildError != "" {
			r.Warnings = append(r.Warnings, baseBuildFailed(base))
		}
		return results.Unavailable, true
	case base.BuildError != "":
		// Not an improvement, whatever head does: a pull request that breaks base's build must
		// not pass by it.
		r.Warnings = append(r.Warnings, baseBuildFailed(base))
		return results.NotCompared, true
	}
	return "", false
}

// baseNeverStarted is the verdict when no base sample started. A base that never started has
// no timings to compare with, and a head that starts is no improvement to pass on: the pull
// request may be what broke base (its build, its environment, a process it left). The failure
// rates are shown, and not compared.
func baseNeverStarted(r *results.Results, hs, bs []results.Sample, gateRule stats.Rule) results.Verdict {
	e := bs[0].Error
	r.Warnings = append(r.Warnings, results.Warning{Code: WarnBaseFailed, Message: fmt.Sprintf(
		"every base sample failed (%s in %s: %s): base could not be measured, so head was not compared with it", e.Type, e.Phase, firstLine(e.Reason))})
	// The row says what the verdict says, set before it is added (it is a copy).
	c := compareFailures(r, hs, bs, gateRule)
	c.Verdict = results.NotCompared
	if !slices.ContainsFunc(hs, results.Sample.InitOK) {
		c.Verdict = results.Unavailable // both broken: nothing to say about the change
	}
	r.Comparisons = append(r.Comparisons, c)
	return c.Verdict
}

// compareMetric adds the comparison of metric m's medians to r: a gate metric's paired round
// by round (or censored at the timeout against a stored baseline) at the gate's level, an
// informational one as measured at the run's. ok is false when they could not be compared,
// which is warned of.
func compareMetric(r *results.Results, m results.Metric, hs, bs []results.Sample, rule, gateRule stats.Rule, paired bool) (ok bool) {
	var c results.Comparison
	var err error
	var hv, bv []float64
	switch {
	case Gates(m) && paired:
		hv, bv = pairs(r, hs, bs, m)
		c, err = stats.ComparePaired(m, hv, bv, gateRule, 0.95)
	case Gates(m):
		hv, bv = censored(r, hs, m), censored(r, bs, m)
		var corrected bool
		if c, corrected, err = correctedComparison(r, m, hv, bv, gateRule); !corrected {
			c, err = stats.Compare(m, hv, bv, gateRule)
		}
	default:
		hv, _ = results.Values(hs, m)
		bv, _ = results.Values(bs, m)
		c, err = stats.Compare(m, hv, bv, rule)
	}
	c.Gate = Gates(m)
	if err != nil {
		r.Warnings = append(r.Warnings, results.Warning{Code: WarnNoComparison, Message: err.Error()})
		return false
	}
	r.Comparisons = append(r.Comparisons, c)
	return true
}

// compareTails adds the comparisons of metric m's p90 and, from 100 samples a side, its p99.
func compareTails(r *results.Results, m results.Metric, hs, bs []results.Sample, rule stats.Rule) {
	hv, _ := results.Values(hs, m)
	bv, _ := results.Values(bs, m)
	for _, q := range []float64{0.9, 0.99} {
		if q == 0.99 && (len(hv) < 100 || len(bv) < 100) {
			continue // p99 of fewer than 100 samples is their maximum: not worth a verdict
		}
		if t, err := stats.CompareQuantile(m.Tail(q), q, hv, bv, rule, 2000, r.Config.Seed); err == nil {
			r.Comparisons = append(r.Comparisons, t)
		}
	}
}

// foldGates is the worst verdict of r's gate comparisons, whose warnings it adds to r's;
// Unavailable when there is none.
func foldGates(r *results.Results) results.Verdict {
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

// baseBuildFailed is the warning that base's build failed, with the build's first line.
func baseBuildFailed(base *results.Variant) results.Warning {
	return results.Warning{Code: WarnBaseBuildFailed, Message: "the base revision failed to build, so head was not compared: " + firstLine(base.BuildError)}
}

// runWarnings are the caveats that follow from how the run was made, as recorded in it.
func runWarnings(r *results.Results) []results.Warning {
	var out []results.Warning
	c := r.Config
	if c.Baseline != "" && c.BaselineRun == "" {
		out = append(out, results.Warning{Code: WarnNoBaseline, Message: fmt.Sprintf(
			"no stored results of this handler in %s: this run can only be stored (--store), not compared", c.Baseline)})
	}
	if w, ok := driftWarning(r); ok && c.BaselineRun != "" && r.Variant(results.RoleBase) != nil {
		out = append(out, w)
	} else if c.BaselineRun != "" && r.Variant(results.RoleBase) != nil {
		out = append(out, results.Warning{Code: WarnStoredBaseline, Message: fmt.Sprintf(
			"base is the stored run %s: measured in another run, so drift of the machine between the two runs is not controlled", c.BaselineRun)})
	}
	for _, n := range c.Notes {
		out = append(out, results.Warning{Code: WarnFunctionConfig, Message: n})
	}
	if len(c.SettingChanges) > 0 {
		out = append(out, results.Warning{Code: WarnSettingsChanged, Message: settingChanges(c.SettingChanges)})
	}
	if c.Adaptive {
		full, initOnly := 0, 0
		if head := r.Variant(results.RoleHead); head != nil {
			for _, s := range r.SamplesOf(head.Name) {
				if s.InitOnly {
					initOnly++
				} else {
					full++
				}
			}
		}
		out = append(out, results.Warning{Code: WarnAdaptive, Message: fmt.Sprintf(
			"sampled until decided: %d rounds (%d full and %d init-only cold starts a side), analysed every %d rounds; the last of %d looks tested at alpha %.2g (%g spent over the looks as 6/(pi^2 k^2))",
			c.Samples, full, initOnly, c.Block, c.Looks, Rule(r).Alpha, c.Alpha)})
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

// settingChanges says which judge settings the head's coldbench.yml changes, and that this run
// did not apply them: a pull request does not set the bar it is measured against.
func settingChanges(cs []results.SettingChange) string {
	shown := func(s string) string {
		if s == "" {
			return "(not set)"
		}
		return s
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s: %s → %s", c.Key, shown(c.Base), shown(c.Head)))
	}
	return "this pull request changes coldbench.yml's judge settings (" + strings.Join(parts, "; ") +
		"): this run used the base revision's, and the change applies once it is merged"
}

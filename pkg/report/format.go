package report

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"math"
	"slices"
	"sort"
	"strings"
)

// failedMetric is the comparison of failure rates (verdict's MetricFailures).
const failedMetric results.Metric = "failed_samples"

// comparisonCells are a comparison's row: label, base, head, delta, 95% CI, p, verdict. A row that
// does not take part in the overall verdict says so beside its own.
func comparisonCells(c results.Comparison) []string {
	verdict := verdictMark(c.Verdict)
	if !c.Gate && (c.Verdict == results.Regression || c.Verdict == results.Improvement) {
		verdict += " (informational, not gated)"
	}
	if c.Metric == failedMetric {
		return []string{metricLabel(c.Metric), fmt.Sprintf("%.1f%%", c.Base), fmt.Sprintf("%.1f%%", c.Head),
			fmt.Sprintf("%+.1f pts", c.ShiftPct), "", pStr(c.PValue), verdict}
	}
	u := unitOf(c.Metric)
	return []string{metricLabel(c.Metric), num(c.Base, u), num(c.Head, u), pctStr(c.ShiftPct), ciStr(c), pStr(c.PValue), verdict}
}

// failedOf is "failed/full samples" of a variant (init-only samples count for init alone).
func failedOf(samples []results.Sample) string {
	failed, n := 0, 0
	for _, s := range samples {
		if s.InitOnly {
			continue
		}
		n++
		if s.Error != nil {
			failed++
		}
	}
	return fmt.Sprintf("%d/%d", failed, n)
}

// metricLabel names a comparison's row.
func metricLabel(metric results.Metric) string {
	switch metric {
	case failedMetric:
		return "failed samples"
	case results.MetricInit:
		return "init p50"
	case results.MetricInit + "_p90":
		return "init p90"
	case results.MetricInit + "_p99":
		return "init p99"
	case results.MetricDuration:
		return "first invoke p50"
	case results.MetricCold:
		return "cold latency p50"
	case results.MetricCold + "_p90":
		return "cold latency p90"
	case results.MetricCold + "_p99":
		return "cold latency p99"
	case results.MetricMemory:
		return "max memory p50"
	}
	return string(metric)
}

func unitOf[M ~string](metric M) string {
	if strings.HasPrefix(string(metric), string(results.MetricMemory)) {
		return "MB"
	}
	return "ms"
}

// num formats a measurement with about three significant digits.
func num(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func pctStr(v float64) string {
	if math.Abs(v) < 0.05 {
		return "0.0%"
	}
	return fmt.Sprintf("%+.1f%%", v)
}

func ciStr(c results.Comparison) string {
	return pctStr(c.CILowPct) + "…" + pctStr(c.CIHighPct)
}

func pStr(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// verdictMark is benchstat's convention: "~" when there is no change.
func verdictMark(v results.Verdict) string {
	switch v {
	case results.NoChange:
		return "~"
	case "":
		return ""
	}
	return verdictName(v)
}

// verdictName is v as a token: a results file (which `coldbench publish` reads from a pull
// request's run) may hold any string as a verdict.
func verdictName(v results.Verdict) string {
	if v == "" {
		return ""
	}
	return results.CleanType(string(v))
}

// Headline is the one-line verdict, as the first line of every report and the check run's title:
// the gate metric that decided it, its shift and interval. It is plain text; a pull request's
// words in it (why base failed) are one line (Markdown quotes them as code: see headline).
func Headline(r *results.Results) string { return headline(r, func(s string) string { return s }) }

// headline is Headline with quote applied to the pull request's words in it.
func headline(r *results.Results, quote func(string) string) string {
	if len(r.Functions) > 0 {
		return functionsHeadline(r)
	}
	if r.Verdict == results.NotCompared {
		return notCompared(r, quote)
	}
	switch r.Verdict {
	case results.Unavailable:
		if head := r.Variant(results.RoleHead); head != nil && head.BuildError != "" {
			return "Cold start not measured: the head failed to build"
		}
		if head := r.Variant(results.RoleHead); head != nil && head.Summary.InitMs == nil {
			return "Cold start not measured: every head sample failed"
		}
		if head := r.Variant(results.RoleHead); head != nil && head.Summary.ColdMs == nil {
			return "Cold start not measured: every head invocation failed"
		}
		if r.Variant(results.RoleHead) == nil {
			return "Cold starts of the reference runtimes"
		}
		if base := r.Variant(results.RoleBase); base != nil && base.BuildError != "" {
			return "Cold start not compared: the base failed to build" // and so did the head
		}
		return "Cold start measured; no base to compare with"
	}
	if fc := r.Comparison(failedMetric); fc != nil && fc.Verdict == results.Regression && r.Verdict == results.Regression {
		// Failures decide before timings: a broken cold start is worse than a slow one.
		return fmt.Sprintf("Cold starts fail: %.1f%% of head's samples, %.1f%% of base's (p %s) — regression", fc.Head, fc.Base, pStr(fc.PValue))
	}
	c := decidingComparison(r)
	if c == nil {
		return "Cold start: " + verdictName(r.Verdict)
	}
	return fmt.Sprintf("Cold start %s (p50 %s %s → %s, 95%% CI %s) — %s",
		pctStr(c.ShiftPct), shortMetric(c.Metric), strings.TrimSuffix(num(c.Base, unitOf(c.Metric)), " ms"), num(c.Head, unitOf(c.Metric)), ciStr(*c), headlineWord(r.Verdict))
}

// headlineWord is the headline's last word on a verdict that has a deciding comparison.
func headlineWord(v results.Verdict) string {
	switch v {
	case results.Regression:
		return "regression"
	case results.Improvement:
		return "improvement"
	case results.NoChange:
		return "no significant change (~)"
	case results.Inconclusive:
		return "inconclusive, run more samples"
	}
	return verdictName(v)
}

// notCompared says why a measured head was not compared: base failed to build, or every base
// sample failed, and how; never a verdict on the change.
func notCompared(r *results.Results, quote func(string) string) string {
	base, head := r.Variant(results.RoleBase), r.Variant(results.RoleHead)
	if base != nil && base.BuildError != "" {
		return fmt.Sprintf("Cold start: base failed to build: %s; not compared", quote(results.CleanLine(firstLine(base.BuildError), 200)))
	}
	why := "base could not be measured"
	if base != nil {
		if bs := r.SamplesOf(base.Name); len(bs) > 0 && bs[0].Error != nil {
			e := bs[0].Error
			why = fmt.Sprintf("base failed every sample: %s in %s: %s", quote(results.CleanType(e.Type)), e.Phase, quote(results.CleanLine(e.Reason, 200)))
		}
	}
	out := "Cold start: " + why + "; not compared"
	if head != nil {
		out += " (head's failed " + failedOf(r.SamplesOf(head.Name)) + ")"
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func shortMetric(m results.Metric) string {
	switch m {
	case results.MetricInit:
		return "init"
	case results.MetricCold:
		return "cold latency"
	}
	return string(m)
}

// decidingComparison is the gate comparison behind the overall verdict, the largest shift among
// those with that verdict; init when none stands out.
func decidingComparison(r *results.Results) *results.Comparison {
	var best *results.Comparison
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if !c.Gate || c.Verdict != r.Verdict || c.Metric == failedMetric {
			continue
		}
		if best == nil || math.Abs(c.ShiftPct) > math.Abs(best.ShiftPct) {
			best = c
		}
	}
	if best == nil {
		best = r.Comparison(results.MetricInit)
	}
	return best
}

// failureGroup is one kind of failure of one variant.
type failureGroup struct {
	variant, errType, phase, reason string
	// output is the last lines the handler wrote in the group's first sample (a panic's
	// message, a stack trace).
	output string
	count  int
}

// outputLines is how many of the handler's last lines of output a failure shows.
const outputLines = 8

// lastLines is the last n non-empty lines of s, each cut to 200 characters.
func lastLines(s string, n int) string {
	var out []string
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimRight(lines[i], "\r "); l != "" {
			out = append(out, trimTo(l, 200))
		}
	}
	slices.Reverse(out)
	return strings.Join(out, "\n")
}

// failures groups failed samples by variant and error type, keeping the first reason.
func failures(samples []results.Sample) []failureGroup {
	idx := map[string]int{}
	var out []failureGroup
	for _, s := range samples {
		if s.Error == nil {
			continue
		}
		k := s.Variant + "\x00" + s.Error.Type
		if i, ok := idx[k]; ok {
			out[i].count++
			continue
		}
		idx[k] = len(out)
		out = append(out, failureGroup{variant: s.Variant, errType: s.Error.Type, phase: string(s.Error.Phase), reason: s.Error.Reason,
			output: lastLines(s.Output, outputLines), count: 1})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].variant < out[j].variant })
	return out
}

// sampleNotes counts sample notes (output truncated, processes left behind) per variant.
func sampleNotes(samples []results.Sample) []string {
	counts := map[string]int{}
	var order []string
	for _, s := range samples {
		for _, n := range s.Notes {
			k := s.Variant + ": " + n
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		}
	}
	var out []string
	for _, k := range order {
		if counts[k] > 1 {
			out = append(out, fmt.Sprintf("%s (%d samples)", k, counts[k]))
		} else {
			out = append(out, k)
		}
	}
	return out
}

// zipDelta compares the arm64 deploy artifacts' sizes.
func zipDelta(r *results.Results) (base, head int64, ok bool) {
	h, b := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	if h == nil || b == nil || h.Deploy == nil || b.Deploy == nil {
		return 0, 0, false
	}
	return b.Deploy.ZipBytes, h.Deploy.ZipBytes, true
}

func sizeStr(n int64) string { return results.FormatBytes(n) }

func p50(s *results.Summary, unit string) string {
	if s == nil {
		return "–"
	}
	return num(s.P50, unit)
}

func p90(s *results.Summary, unit string) string {
	if s == nil {
		return "–"
	}
	return num(s.P90, unit)
}

// allWarnings is every caveat of the run: the overall ones and each variant's summaries', once.
func allWarnings(r *results.Results) []string {
	seen := map[string]bool{}
	var out []string
	add := func(prefix string, ws []results.Warning) {
		for _, w := range ws {
			m := prefix + w.Message
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	add("", r.Warnings)
	compared := r.Variant(results.RoleHead) != nil && r.Variant(results.RoleBase) != nil
	for _, v := range r.Variants {
		if compared && v.Role == results.RoleReference {
			continue // in a PR the caveats that matter are head's and base's
		}
		for _, m := range []results.Metric{results.MetricInit, results.MetricCold} {
			if s := v.Summary.Get(m); s != nil {
				add(v.Name+" "+string(m)+": ", s.Warnings)
			}
		}
	}
	for _, c := range r.Comparisons {
		if !c.Gate {
			add("", c.Warnings)
		}
	}
	return out
}

func variantLabel(v results.Variant) string {
	switch v.Role {
	case results.RoleHead, results.RoleBase:
		if sha, dirty := strings.CutSuffix(v.Ref, results.DirtySuffix); dirty {
			return fmt.Sprintf("%s (%.7s + uncommitted changes)", v.Name, sha)
		}
		if v.Ref != "" {
			return fmt.Sprintf("%s (%.7s)", v.Name, v.Ref)
		}
	}
	return v.Name
}

// samplesStr says how many cold starts each variant got: rounds, and the init-only ones.
func samplesStr(c results.RunConfig) string {
	refs := "references: the full one"
	if c.ReferenceFullSamples > 0 {
		refs = fmt.Sprintf("references: a full cold start in %d rounds, an init-only one in the others", c.ReferenceFullSamples)
	}
	if c.InitSamples > 0 {
		return fmt.Sprintf("%d rounds (head and base: a full cold start and %d init-only ones each; %s)", c.Samples, c.InitSamples, refs)
	}
	return fmt.Sprintf("%d samples a variant", c.Samples)
}

// counterStr is a counter's median and range: "1234 (1200–1300)".
func counterStr(med, lo, hi float64, unit string) string {
	f := func(v float64) string {
		if unit == "B" {
			return sizeStr(int64(v))
		}
		if unit == "ms" {
			return fmt.Sprintf("%.1f ms", v)
		}
		return results.GroupDigits(v)
	}
	if lo == hi {
		return f(med)
	}
	return fmt.Sprintf("%s (%s–%s)", f(med), f(lo), f(hi))
}

// counterChange says whether a counter moved: beyond both ranges (exactly, when neither side
// varied), or within the noise.
func counterChange(c results.CounterDelta) string {
	switch {
	case c.Exact && c.Head != c.Base:
		sign := "" // GroupDigits writes a minus
		if c.Head > c.Base {
			sign = "+"
		}
		return sign + results.GroupDigits(c.Head-c.Base) + " exactly"
	case c.Changed && c.Base != 0:
		return fmt.Sprintf("%+.0f%%", (c.Head/c.Base-1)*100)
	case c.Changed:
		return "up"
	}
	return "~"
}

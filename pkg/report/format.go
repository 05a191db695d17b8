package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/stats"
)

// metricLabel names a comparison's row.
func metricLabel(metric string) string {
	switch metric {
	case MetricInit:
		return "init p50"
	case MetricInit + "_p90":
		return "init p90"
	case MetricInit + "_p99":
		return "init p99"
	case MetricDuration:
		return "first invoke p50"
	case MetricCold:
		return "cold latency p50"
	case MetricCold + "_p90":
		return "cold latency p90"
	case MetricCold + "_p99":
		return "cold latency p99"
	case MetricMemory:
		return "max memory p50"
	}
	return metric
}

func unitOf(metric string) string {
	if strings.HasPrefix(metric, MetricMemory) {
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

func ciStr(c stats.Comparison) string {
	return pctStr(c.CILowPct) + "…" + pctStr(c.CIHighPct)
}

func pStr(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// verdictMark is benchstat's convention: "~" when there is no change.
func verdictMark(v string) string {
	switch v {
	case stats.NoChange:
		return "~"
	case "":
		return ""
	}
	return v
}

// Headline is the one-line verdict, as the first line of every report and the check run's title.
func Headline(r *Results) string { return headline(r) }

// headline is the one-line verdict: the gate metric that decided it, its shift and interval.
func headline(r *Results) string {
	switch r.Verdict {
	case VerdictUnavailable:
		if head := r.Variant(RoleHead); head != nil && head.BuildError != "" {
			return "Cold start not measured: the head failed to build"
		}
		if head := r.Variant(RoleHead); head != nil && head.Summary.InitMs == nil {
			return "Cold start not measured: every head sample failed"
		}
		if r.Variant(RoleHead) == nil {
			return "Cold starts of the reference runtimes"
		}
		if base := r.Variant(RoleBase); base != nil && base.BuildError != "" {
			return "Cold start not compared: the base failed to build"
		}
		return "Cold start measured; no base to compare with"
	}
	c := decidingComparison(r)
	if c == nil {
		return "Cold start: " + r.Verdict
	}
	word := map[string]string{stats.Regression: "regression", stats.Improvement: "improvement",
		stats.NoChange: "no significant change (~)", stats.Inconclusive: "inconclusive, run more samples"}[r.Verdict]
	return fmt.Sprintf("Cold start %s (p50 %s %s → %s, 95%% CI %s) — %s",
		pctStr(c.ShiftPct), shortMetric(c.Metric), strings.TrimSuffix(num(c.Base, unitOf(c.Metric)), " ms"), num(c.Head, unitOf(c.Metric)), ciStr(*c), word)
}

func shortMetric(m string) string {
	switch m {
	case MetricInit:
		return "init"
	case MetricCold:
		return "cold latency"
	}
	return m
}

// decidingComparison is the gate comparison behind the overall verdict, the largest shift among
// those with that verdict; init when none stands out.
func decidingComparison(r *Results) *stats.Comparison {
	var best *stats.Comparison
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if !isGate(c.Metric) || c.Verdict != r.Verdict {
			continue
		}
		if best == nil || math.Abs(c.ShiftPct) > math.Abs(best.ShiftPct) {
			best = c
		}
	}
	if best == nil {
		best = r.Comparison(MetricInit)
	}
	return best
}

// failureGroup is one kind of failure of one variant.
type failureGroup struct {
	variant, errType, phase, reason string
	count                           int
}

// failures groups failed samples by variant and error type, keeping the first reason.
func failures(samples []runner.Sample) []failureGroup {
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
		out = append(out, failureGroup{variant: s.Variant, errType: s.Error.Type, phase: s.Error.Phase, reason: s.Error.Reason, count: 1})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].variant < out[j].variant })
	return out
}

// sampleNotes counts sample notes (output truncated, processes left behind) per variant.
func sampleNotes(samples []runner.Sample) []string {
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
func zipDelta(r *Results) (base, head int64, ok bool) {
	h, b := r.Variant(RoleHead), r.Variant(RoleBase)
	if h == nil || b == nil || h.Deploy == nil || b.Deploy == nil {
		return 0, 0, false
	}
	return b.Deploy.ZipBytes, h.Deploy.ZipBytes, true
}

func sizeStr(n int64) string {
	switch {
	case n <= 0:
		return "–"
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func p50(s *stats.Summary, unit string) string {
	if s == nil {
		return "–"
	}
	return num(s.P50, unit)
}

func p90(s *stats.Summary, unit string) string {
	if s == nil {
		return "–"
	}
	return num(s.P90, unit)
}

// allWarnings is every caveat of the run: the overall ones and each variant's summaries', once.
func allWarnings(r *Results) []string {
	seen := map[string]bool{}
	var out []string
	add := func(prefix string, ws []stats.Warning) {
		for _, w := range ws {
			m := prefix + w.Message
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	add("", r.Warnings)
	compared := r.Variant(RoleHead) != nil && r.Variant(RoleBase) != nil
	for _, v := range r.Variants {
		if compared && v.Role == RoleReference {
			continue // in a PR the caveats that matter are head's and base's
		}
		for _, m := range []string{MetricInit, MetricCold} {
			if s := v.Summary.Get(m); s != nil {
				add(v.Name+" "+m+": ", s.Warnings)
			}
		}
	}
	for _, c := range r.Comparisons {
		if !isGate(c.Metric) {
			add("", c.Warnings)
		}
	}
	return out
}

func variantLabel(v Variant) string {
	switch v.Role {
	case RoleHead, RoleBase:
		if v.Ref != "" {
			return fmt.Sprintf("%s (%.7s)", v.Name, v.Ref)
		}
	}
	return v.Name
}

package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Budget verdicts.
const (
	BudgetWithin    = "within"
	BudgetExceeded  = "exceeded"
	BudgetUncertain = "uncertain" // the median is over, but its 95% interval reaches under
)

// BudgetCheck is the head's standing against one budget: the release gate.
type BudgetCheck struct {
	Metric  string  `json:"metric"` // init_ms, cold_ms, duration_ms, max_memory_mb, optionally _p90/_p99
	Budget  float64 `json:"budget"`
	Value   float64 `json:"value"`
	CILow   float64 `json:"ci_low,omitempty"`
	CIHigh  float64 `json:"ci_high,omitempty"`
	Verdict string  `json:"verdict"`
}

// BudgetMetrics are the metrics a budget may name (each also with _p90 or _p99).
var BudgetMetrics = []string{MetricInit, MetricDuration, MetricCold, MetricMemory}

// ParseBudgets reads "init_ms=50,cold_ms_p90=300" into budgets, reporting every bad entry.
func ParseBudgets(s string) (map[string]float64, error) {
	out := map[string]float64{}
	var problems []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		base := strings.TrimSuffix(strings.TrimSuffix(k, "_p90"), "_p99")
		val, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		switch {
		case !ok || err != nil || !(val > 0):
			problems = append(problems, fmt.Sprintf("%q: want METRIC=LIMIT with a positive limit, such as init_ms=50", part))
		case !slices.Contains(BudgetMetrics, base):
			problems = append(problems, fmt.Sprintf("%q: unknown metric %q; valid: %s (each also with _p90 or _p99)", part, k, strings.Join(BudgetMetrics, ", ")))
		default:
			out[k] = val
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return out, nil
}

// CheckBudgets compares the head (or, with no head, every reference) with the budgets. A median is
// over budget only when its whole 95% interval is: noise alone does not fail a release.
func CheckBudgets(r *Results, budgets map[string]float64) []BudgetCheck {
	v := r.Variant(RoleHead)
	if v == nil || len(budgets) == 0 {
		return nil
	}
	keys := make([]string, 0, len(budgets))
	for k := range budgets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []BudgetCheck
	for _, k := range keys {
		base := strings.TrimSuffix(strings.TrimSuffix(k, "_p90"), "_p99")
		s := v.Summary.Get(base)
		c := BudgetCheck{Metric: k, Budget: budgets[k]}
		if s == nil {
			c.Verdict = BudgetExceeded // nothing measured is no pass
			out = append(out, c)
			continue
		}
		switch {
		case strings.HasSuffix(k, "_p90"):
			c.Value = s.P90
		case strings.HasSuffix(k, "_p99"):
			c.Value = s.P99
		default:
			c.Value, c.CILow, c.CIHigh = s.P50, s.P50Low, s.P50High
		}
		switch {
		case c.Value <= c.Budget:
			c.Verdict = BudgetWithin
		case c.CILow == 0 || c.CILow > c.Budget:
			c.Verdict = BudgetExceeded
		default:
			c.Verdict = BudgetUncertain
		}
		out = append(out, c)
	}
	return out
}

// BudgetsExceeded reports whether any budget is exceeded.
func BudgetsExceeded(cs []BudgetCheck) bool {
	for _, c := range cs {
		if c.Verdict == BudgetExceeded {
			return true
		}
	}
	return false
}

func budgetTable(cs []BudgetCheck, md bool) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	if md {
		b.WriteString("| budget | limit | head | 95% CI | verdict |\n|---|--:|--:|--:|:-:|\n")
	} else {
		b.WriteString("budgets:\n")
	}
	for _, c := range cs {
		u := unitOf(c.Metric)
		ci := ""
		if c.CIHigh > 0 {
			ci = strings.TrimSuffix(num(c.CILow, u), " "+u) + "…" + num(c.CIHigh, u)
		}
		if md {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Metric, num(c.Budget, u), num(c.Value, u), ci, c.Verdict)
		} else {
			fmt.Fprintf(&b, "  %-16s limit %-10s head %-10s %-16s %s\n", c.Metric, num(c.Budget, u), num(c.Value, u), ci, c.Verdict)
		}
	}
	b.WriteString("\n")
	return b.String()
}

package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// BudgetMetrics are the metrics a budget may name, each also with a _p90 or _p99 suffix for its
// tail. They are the result model's metric names (a test checks that they stay so).
var BudgetMetrics = []string{"init_ms", "duration_ms", "cold_ms", "max_memory_mb"}

// BudgetKey splits a budget key such as "cold_ms_p90" into its metric and its quantile in
// percent (50 for a bare metric: the median). ok is false for an unknown metric or suffix.
func BudgetKey(k string) (metric string, pct int, ok bool) {
	metric, pct = k, 50
	for _, q := range []int{90, 99} {
		if m, cut := strings.CutSuffix(k, fmt.Sprintf("_p%d", q)); cut {
			metric, pct = m, q
			break
		}
	}
	return metric, pct, slices.Contains(BudgetMetrics, metric)
}

// ParseBudgets reads "init_ms=50,cold_ms_p90=300" into budgets, reporting every bad entry.
func ParseBudgets(s string) (map[string]float64, error) {
	out := map[string]float64{}
	var p Problems
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		val, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		_, _, known := BudgetKey(k)
		switch {
		case !ok || err != nil || !(val > 0):
			p.add("%q: want METRIC=LIMIT with a positive limit, such as init_ms=50", part)
		case !known:
			p.add("%q: unknown metric %q; valid: %s (each also with _p90 or _p99)", part, k, strings.Join(BudgetMetrics, ", "))
		default:
			out[k] = val
		}
	}
	if len(p) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return out, nil
}

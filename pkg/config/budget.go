package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// BudgetMetric is a metric a budget may limit. Its values are the result model's metric names
// (a test in pkg/verdict holds them so), which config may not import.
type BudgetMetric string

// The metrics a budget may limit.
const (
	BudgetInit     BudgetMetric = "init_ms"
	BudgetDuration BudgetMetric = "duration_ms"
	BudgetCold     BudgetMetric = "cold_ms"
	BudgetMemory   BudgetMetric = "max_memory_mb"
)

// BudgetMetrics lists every metric a budget may limit, each also with a _p90 or _p99 suffix for
// its tail.
var BudgetMetrics = []BudgetMetric{BudgetInit, BudgetDuration, BudgetCold, BudgetMemory}

// Quantile is the point of a metric's distribution that a budget limits, in percent.
type Quantile int

// The quantiles a budget may limit. The median is written without a suffix.
const (
	Median Quantile = 50
	P90    Quantile = 90
	P99    Quantile = 99
)

// Quantiles lists every quantile a budget may limit.
var Quantiles = []Quantile{Median, P90, P99}

// Suffix is how q is written after a metric's name: "" for the median, "_p90" for the 90th
// percentile.
func (q Quantile) Suffix() string {
	if q == Median {
		return ""
	}
	return fmt.Sprintf("_p%d", int(q))
}

// BudgetKey names what a budget limits: a metric at a quantile, written "cold_ms_p90".
type BudgetKey struct {
	Metric   BudgetMetric
	Quantile Quantile
}

// String writes k as a user writes it: "init_ms", "cold_ms_p90".
func (k BudgetKey) String() string { return string(k.Metric) + k.Quantile.Suffix() }

// ParseBudgetKey reads a budget key such as "cold_ms_p90". An unknown metric or suffix is an
// error that lists the valid ones.
func ParseBudgetKey(s string) (BudgetKey, error) {
	k := BudgetKey{Metric: BudgetMetric(s), Quantile: Median}
	for _, q := range Quantiles {
		if m, cut := strings.CutSuffix(s, q.Suffix()); cut && q != Median {
			k = BudgetKey{Metric: BudgetMetric(m), Quantile: q}
			break
		}
	}
	if !slices.Contains(BudgetMetrics, k.Metric) {
		names := make([]string, len(BudgetMetrics))
		for i, m := range BudgetMetrics {
			names[i] = string(m)
		}
		return BudgetKey{}, fmt.Errorf("unknown metric %q; valid: %s (each also with _p90 or _p99)", s, strings.Join(names, ", "))
	}
	return k, nil
}

// Budgets are release-gate limits on the head, in ms or MB.
type Budgets map[BudgetKey]float64

// Record returns b keyed by the keys' written form, as the results JSON keeps them.
func (b Budgets) Record() map[string]float64 {
	if len(b) == 0 {
		return nil
	}
	out := make(map[string]float64, len(b))
	for k, v := range b {
		out[k.String()] = v
	}
	return out
}

// Keys returns b's keys in the order of their written form.
func (b Budgets) Keys() []BudgetKey {
	return slices.SortedFunc(maps.Keys(b), func(x, y BudgetKey) int { return strings.Compare(x.String(), y.String()) })
}

// ParseBudgets reads "init_ms=50,cold_ms_p90=300" into budgets, reporting every bad entry.
func ParseBudgets(s string) (Budgets, error) {
	out := Budgets{}
	var p Problems
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		val, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		key, kerr := ParseBudgetKey(strings.TrimSpace(k))
		switch {
		case !ok || err != nil || !(val > 0):
			p.add("%q: want METRIC=LIMIT with a positive limit, such as init_ms=50", part)
		case kerr != nil:
			p.add("%q: %v", part, kerr)
		default:
			out[key] = val
		}
	}
	if len(p) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return out, nil
}

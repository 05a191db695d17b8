package verdict

import (
	"maps"
	"slices"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
)

// CheckBudgets compares the head with the budgets recorded in r's configuration. A median is
// over budget only when its whole 95% interval is: noise alone does not fail a release.
func CheckBudgets(r *results.Results) []results.BudgetCheck {
	budgets := r.Config.Budgets
	v := r.Variant(results.RoleHead)
	if v == nil || len(budgets) == 0 {
		return nil
	}
	var out []results.BudgetCheck
	for _, k := range slices.Sorted(maps.Keys(budgets)) {
		c := results.BudgetCheck{Metric: k, Budget: budgets[k]}
		metric, pct, _ := config.BudgetKey(k)
		s := v.Summary.Get(results.Metric(metric))
		if s == nil {
			c.Verdict = results.BudgetExceeded // nothing measured is no pass
			out = append(out, c)
			continue
		}
		switch pct {
		case 90:
			c.Value = s.P90
		case 99:
			c.Value = s.P99
		default:
			c.Value, c.CILow, c.CIHigh = s.P50, s.P50Low, s.P50High
		}
		switch {
		case c.Value <= c.Budget:
			c.Verdict = results.BudgetWithin
		case c.CILow == 0 || c.CILow > c.Budget:
			c.Verdict = results.BudgetExceeded
		default:
			c.Verdict = results.BudgetUncertain
		}
		out = append(out, c)
	}
	return out
}

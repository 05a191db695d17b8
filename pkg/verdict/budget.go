package verdict

import (
	"maps"
	"slices"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
)

// CheckBudgets compares the head with the budgets recorded in r's configuration. A median is
// over budget only when its whole 95% interval is: noise alone does not fail a release.
//
// A recorded key that names no budget (a file edited by hand, or written by another version)
// is exceeded, since nothing measured is no pass, and warned about with the valid keys.
func CheckBudgets(r *results.Results) ([]results.BudgetCheck, []results.Warning) {
	budgets := r.Config.Budgets
	v := r.Variant(results.RoleHead)
	if v == nil || len(budgets) == 0 {
		return nil, nil
	}
	var out []results.BudgetCheck
	var warns []results.Warning
	for _, k := range slices.Sorted(maps.Keys(budgets)) {
		c := results.BudgetCheck{Metric: k, Budget: budgets[k]}
		key, err := config.ParseBudgetKey(k)
		if err != nil {
			warns = append(warns, results.Warning{Code: WarnUnknownBudget, Message: "budget " + err.Error()})
		}
		c.Verdict = checkBudget(&c, v.Summary.Get(results.Metric(key.Metric)), key.Quantile, err == nil)
		out = append(out, c)
	}
	return out, warns
}

// checkBudget fills in c's head value at quantile q of s and returns its verdict.
func checkBudget(c *results.BudgetCheck, s *results.Summary, q config.Quantile, known bool) string {
	if !known || s == nil {
		return results.BudgetExceeded // nothing measured is no pass
	}
	switch q {
	case config.P90:
		c.Value = s.P90
	case config.P99:
		c.Value = s.P99
	case config.Median:
		c.Value, c.CILow, c.CIHigh = s.P50, s.P50Low, s.P50High
	}
	switch {
	case c.Value <= c.Budget:
		return results.BudgetWithin
	case c.CILow == 0 || c.CILow > c.Budget:
		return results.BudgetExceeded
	default:
		return results.BudgetUncertain
	}
}

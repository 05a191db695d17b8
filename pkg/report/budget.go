package report

import (
	"fmt"
	"strings"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
)

func budgetTable(cs []results.BudgetCheck, md bool) string {
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
		u := budgetUnit(c.Metric)
		metric := c.Metric
		if c.Function != "" {
			metric = Text(c.Function) + " " + metric // a run of several functions: whose head
		}
		ci := ""
		if c.CIHigh > 0 {
			ci = strings.TrimSuffix(num(c.CILow, u), " "+u) + "…" + num(c.CIHigh, u)
		}
		if md {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", metric, num(c.Budget, u), num(c.Value, u), ci, c.Verdict)
		} else {
			fmt.Fprintf(&b, "  %-16s limit %-10s head %-10s %-16s %s\n", metric, num(c.Budget, u), num(c.Value, u), ci, c.Verdict)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// budgetUnit is the unit of a budget's limit: its metric's, whatever its quantile. A key that
// names no budget (CheckBudgets warned of it) is shown in ms.
func budgetUnit(key string) string {
	k, err := config.ParseBudgetKey(key)
	if err != nil {
		return "ms"
	}
	return unitOf(k.Metric)
}

package report

import (
	"github.com/coldbench/coldbench/pkg/results"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/verdict"
)

func TestCheckBudgets(t *testing.T) {
	t.Parallel()
	r := cases()["regression"] // head init p50 47.1 ms, 95% CI about 46…48
	r.Config.Budgets = map[string]float64{"init_ms": 40, "init_ms_p90": 100, "cold_ms": 208, "duration_ms": 1}
	checks, warns := verdict.CheckBudgets(r)
	if len(warns) != 0 {
		t.Errorf("CheckBudgets() warnings = %v, want none", warns)
	}
	got := map[string]string{}
	for _, c := range checks {
		got[c.Metric] = c.Verdict
	}
	want := map[string]string{"init_ms": results.BudgetExceeded, "init_ms_p90": results.BudgetWithin, "cold_ms": results.BudgetUncertain, "duration_ms": results.BudgetExceeded}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("budget %s: %s, want %s (checks %+v)", k, got[k], v, checks)
		}
	}
	if !results.BudgetsExceeded(checks) || results.BudgetsExceeded(checks[3:4]) {
		t.Error("BudgetsExceeded is wrong")
	}
	r.Config.Budgets = map[string]float64{"init_ms_p95": 40}
	checks, warns = verdict.CheckBudgets(r)
	if len(checks) != 1 || checks[0].Verdict != results.BudgetExceeded || len(warns) != 1 ||
		!strings.Contains(warns[0].Message, `unknown metric "init_ms_p95"; valid: init_ms, duration_ms, cold_ms, max_memory_mb`) {
		t.Errorf("CheckBudgets(init_ms_p95) = %+v, %+v; want exceeded and a warning naming the valid metrics", checks, warns)
	}
	r.Config.Budgets = map[string]float64{"init_ms": 40}
	verdict.Analyze(r)
	if md := Markdown(r, MarkdownOptions{}); !strings.Contains(md, "| init_ms | 40.0 ms | 47.1 ms |") {
		t.Errorf("Markdown lacks the budget row:\n%s", md[:600])
	}
}

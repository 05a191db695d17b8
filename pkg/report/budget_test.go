package report

import (
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/stats"
)

func TestParseBudgets(t *testing.T) {
	t.Parallel()
	b, err := ParseBudgets(" init_ms=50, cold_ms_p90=300,max_memory_mb=128 ")
	if err != nil || b["init_ms"] != 50 || b["cold_ms_p90"] != 300 || b["max_memory_mb"] != 128 {
		t.Errorf("ParseBudgets() = %v, %v", b, err)
	}
	_, err = ParseBudgets("init=5,cold_ms=-1,duration_ms")
	for _, want := range []string{`unknown metric "init"`, `"cold_ms=-1": want METRIC=LIMIT`, `"duration_ms": want METRIC=LIMIT`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBudgets(bad) error = %v, want %q", err, want)
		}
	}
}

func TestCheckBudgets(t *testing.T) {
	t.Parallel()
	r := cases()["regression"] // head init p50 47.1 ms, 95% CI about 46…48
	checks := CheckBudgets(r, map[string]float64{"init_ms": 40, "init_ms_p90": 100, "cold_ms": 208, "duration_ms": 1})
	got := map[string]string{}
	for _, c := range checks {
		got[c.Metric] = c.Verdict
	}
	want := map[string]string{"init_ms": BudgetExceeded, "init_ms_p90": BudgetWithin, "cold_ms": BudgetUncertain, "duration_ms": BudgetExceeded}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("budget %s: %s, want %s (checks %+v)", k, got[k], v, checks)
		}
	}
	if !BudgetsExceeded(checks) || BudgetsExceeded(checks[3:4]) {
		t.Error("BudgetsExceeded is wrong")
	}
	r.Config.Budgets = map[string]float64{"init_ms": 40}
	r.Analyze(stats.DefaultRule)
	if md := Markdown(r, MarkdownOptions{}); !strings.Contains(md, "| init_ms | 40.0 ms | 47.1 ms |") {
		t.Errorf("Markdown lacks the budget row:\n%s", md[:600])
	}
}

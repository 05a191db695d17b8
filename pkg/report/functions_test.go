package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// appFixture is a run of several functions: A regressed, B did not change, C is new (its head
// measured alone), D is gone and E was skipped, beside the references.
func appFixture() *results.Results {
	specs := append([]variantSpec{
		{name: "A:head", role: results.RoleHead, runtime: "go", initMs: 90, durMs: 3},
		{name: "A:base", role: results.RoleBase, runtime: "go", initMs: 50, durMs: 3},
		{name: "B:head", role: results.RoleHead, runtime: "go", initMs: 40, durMs: 2},
		{name: "B:base", role: results.RoleBase, runtime: "go", initMs: 40, durMs: 2},
		{name: "C:head", role: results.RoleHead, runtime: "go", initMs: 30, durMs: 2},
	}, refs()...)
	return fixture(specs, 30, func(r *results.Results) {
		r.Config.Function = "template.yaml"
		for i := range r.Variants {
			if fn, _, ok := strings.Cut(r.Variants[i].Name, ":"); ok && r.Variants[i].Role != results.RoleReference {
				r.Variants[i].Function = fn
			}
		}
		r.Functions = []results.FunctionResult{
			{Name: "A", Status: results.FunctionMeasured, Reason: "handlers/api.go changed: package handlers of the module, which it imports (go list -deps)", Head: "A:head", Base: "A:base", Samples: 30},
			{Name: "B", Status: results.FunctionMeasured, Reason: "its definition in template.yaml changed (MemorySize)", Head: "B:head", Base: "B:base", Samples: 30},
			{Name: "C", Status: results.FunctionNew, Reason: "new in head: not in base's template.yaml, so measured alone", Head: "C:head", Samples: 30},
			{Name: "D", Status: results.FunctionGone, Reason: "gone from head: in base's template.yaml only, nothing to measure"},
			{Name: "E", Status: results.FunctionSkipped, Reason: "none of the 2 changed files reaches it (it is built from: under its CodeUri functions/e)"},
		}
	})
}

// A run of several functions is one report: the headline counts the functions, a row each with
// init p50 base → head, its delta and verdict, the references once, each sampled function's
// details collapsed; it still fits a small limit with every row.
func TestMarkdownFunctions(t *testing.T) {
	t.Parallel()
	r := appFixture()
	if r.Verdict != results.Regression {
		t.Fatalf("run verdict %s, want the worst function's (A's regression)", r.Verdict)
	}
	md := Markdown(r, MarkdownOptions{Title: "coldbench · template.yaml"})
	golden(t, "functions.md", md)
	if n := strings.Count(md, "<details><summary>"); n < 3+2 {
		t.Errorf("%d collapsed sections, want A's, B's and C's details, the reasons and the environment", n)
	}
	small := Markdown(r, MarkdownOptions{Limit: 4000})
	if len(small) > 4000 {
		t.Errorf("report of %d bytes over its limit of 4000", len(small))
	}
	for _, row := range []string{"| A | measured |", "| B | measured |", "| C | new |", "| D | gone |", "| E | skipped |"} {
		if !strings.Contains(small, row) {
			t.Errorf("the trimmed report lost the row %q:\n%s", row, small)
		}
	}
	var text strings.Builder
	WriteText(&text, r, TextOptions{})
	golden(t, "functions.txt", text.String())
}

// A run of several functions quotes the pull request's words (its logical IDs, the changed files
// that picked a function) as it quotes them in a run of one: no mention, tag, link or command.
func TestMarkdownFunctionsIsInert(t *testing.T) {
	t.Parallel()
	attack := cmdAttack + "\n" + tickAttack
	r := appFixture()
	for i := range r.Functions {
		r.Functions[i].Reason = attack
	}
	r.Functions[3].Name = attack // a gone function's name is the template's key, nothing else
	r.Budgets = append(r.Budgets, results.BudgetCheck{Metric: "init_ms", Function: attack, Budget: 1, Value: 2, Verdict: results.BudgetExceeded})
	md := Markdown(r, MarkdownOptions{})
	if m := regexp.MustCompile(mentionOrHTML).FindAllString(withoutOurHTML(md), -1); len(m) > 0 {
		t.Errorf("report has mentions or tags %q:\n%s", m, md)
	}
	for _, l := range strings.Split(outsideCode(md), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "::") || strings.Contains(l, "](") && !strings.Contains(l, `\](`) {
			t.Errorf("outside code, line %q starts a command or links", l)
		}
	}
	var text strings.Builder
	WriteText(&text, r, TextOptions{})
	if cl := commandLines(text.String()); len(cl) > 0 {
		t.Errorf("the terminal report holds commands the runner would run: %q", cl)
	}
}

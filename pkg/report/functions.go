package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// A run of several functions is one report: a headline and a table with a row per function
// (init p50 base → head, delta, verdict), the references once, each function's own report
// collapsed below, and the run's environment once.

// functionsHeadline counts the functions by verdict: "5 functions: 1 regression, 3 no change, 1 new".
func functionsHeadline(r *results.Results) string {
	counts := map[string]int{}
	var order []string
	add := func(k string) {
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	for _, f := range r.Functions {
		switch f.Status {
		case results.FunctionMeasured:
			add(functionVerdict(f.Verdict))
		default:
			add(string(f.Status))
		}
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	if len(r.PerFunction()) == 0 {
		return fmt.Sprintf("%d functions: %s — nothing to measure", len(r.Functions), strings.Join(parts, ", "))
	}
	word := headlineWord(r.Verdict)
	if r.Verdict == results.Unavailable {
		word = "nothing compared"
	}
	return fmt.Sprintf("%d functions: %s — %s", len(r.Functions), strings.Join(parts, ", "), word)
}

// functionRow is a function's cells: name, status, init p50 base → head, delta, verdict.
func functionRow(r *results.Results, f results.FunctionResult) []string {
	row := []string{f.Name, string(f.Status), "–", "–", "–"}
	if !f.Sampled() {
		row[4] = "–"
		return row
	}
	v := r.Function(f.Name)
	head, base := v.Variant(results.RoleHead), v.Variant(results.RoleBase)
	hs, bs := "–", "–"
	if head != nil && head.BuildError != "" {
		hs = "build failed"
	} else if head != nil {
		hs = p50(head.Summary.InitMs, "ms")
	}
	if base != nil && base.BuildError != "" {
		bs = "build failed"
	} else if base != nil {
		bs = p50(base.Summary.InitMs, "ms")
	}
	row[2] = bs + " → " + hs
	if c := v.Comparison(results.MetricInit); c != nil {
		row[3] = pctStr(c.ShiftPct) + " (" + ciStr(*c) + ")"
	}
	row[4] = functionVerdict(f.Verdict)
	if f.Status == results.FunctionNew {
		row[4] = "new: measured alone"
	}
	return row
}

// functionVerdict is a function's verdict in its row and the headline's count.
func functionVerdict(v results.Verdict) string {
	switch v {
	case results.NoChange:
		return "~ no change"
	case results.NotCompared:
		return "not compared"
	case results.Unavailable:
		return "not compared (no base)"
	}
	return verdictName(v)
}

// markdownFunctions is Markdown for a run of several functions.
func markdownFunctions(r *results.Results, limit int, title string) string {
	var top strings.Builder
	fmt.Fprintf(&top, "### %s %s\n\n", verdictEmoji(r.Verdict), Text(title))
	fmt.Fprintf(&top, "**%s**\n\n", Text(functionsHeadline(r)))
	top.WriteString("| function | status | init p50 base → head | delta (95% CI) | verdict |\n|---|---|--:|--:|:-:|\n")
	for _, f := range r.Functions {
		cells := functionRow(r, f)
		cells[0] = Cell(Text(cells[0])) // a logical ID, which a results file names
		fmt.Fprintf(&top, "| %s |\n", strings.Join(cells, " | "))
	}
	top.WriteString("\n")
	top.WriteString(budgetTable(r.Budgets, true))
	top.WriteString(mdReferenceTable(referencesOnly(r)))
	var why strings.Builder
	why.WriteString("<details><summary>Which functions, and why</summary>\n\n")
	for _, f := range r.Functions {
		fmt.Fprintf(&why, "- %s: %s: %s\n", Code(f.Name), f.Status, Text(f.Reason))
	}
	why.WriteString("\n</details>\n\n")
	env := "<details><summary>Environment and notes</summary>\n\n" + mdEnvironment(r) + mdNotes(referencesOnly(r)) + "</details>\n"

	sampled := 0
	for _, f := range r.Functions {
		if f.Sampled() {
			sampled++
		}
	}
	// Each function's details get an equal share of what is left; a share too small for a
	// function's report keeps its essentials.
	rest := limit - top.Len() - why.Len() - len(env) - 200
	var details strings.Builder
	for _, f := range r.Functions {
		if !f.Sampled() {
			continue
		}
		share := max(rest/max(sampled, 1), 0)
		details.WriteString(functionDetails(r.Function(f.Name), f, share))
	}
	body := top.String() + why.String() + details.String() + env
	if len(body) > limit {
		body = Shorten(top.String()+why.String()+details.String(), limit, "\n\n_…report truncated to fit GitHub's size limit; see the results JSON._\n")
	}
	return body
}

// functionDetails is one function's report, collapsed: its headline, comparisons, budgets,
// problems, breakdown and notes, in at most limit bytes.
func functionDetails(v *results.Results, f results.FunctionResult, limit int) string {
	open := fmt.Sprintf("<details><summary>%s %s: %s</summary>\n\n", verdictEmoji(f.Verdict), Code(f.Name), Text(headline(v, Code)))
	const end = "</details>\n\n"
	parts := []string{
		mdBreakdown(v.Breakdown), budgetTable(v.Budgets, true), mdComparisonTable(v), mdProblems(v),
		mdFunctionVariants(v), mdFailures(v), mdNotes(v),
	}
	for drop := len(parts); drop >= 0; drop-- {
		body := open + strings.Join(parts[:drop], "") + end
		if len(body) <= limit || drop == 0 {
			return body
		}
	}
	return open + end
}

// mdFunctionVariants is the head and base rows of a function's view (the references are shown once).
func mdFunctionVariants(v *results.Results) string {
	own := *v
	own.Variants = nil
	for _, x := range v.Variants {
		if x.Role != results.RoleReference {
			own.Variants = append(own.Variants, x)
		}
	}
	return mdReferenceTable(&own)
}

// referencesOnly is r with the references alone as variants: their table, shown once.
func referencesOnly(r *results.Results) *results.Results {
	refs := *r
	refs.Variants = nil
	for _, x := range r.Variants {
		if x.Role == results.RoleReference {
			refs.Variants = append(refs.Variants, x)
		}
	}
	refs.Functions, refs.Warnings = nil, nil
	return &refs
}

// textFunctions is the terminal report of a run of several functions.
func textFunctions(w io.Writer, r *results.Results) {
	fmt.Fprintf(w, "%-28s %-9s %-26s %-26s %s\n", "function", "status", "init p50 base → head", "delta (95% CI)", "verdict")
	for _, f := range r.Functions {
		c := functionRow(r, f)
		fmt.Fprintf(w, "%-28s %-9s %-26s %-26s %s\n", c[0], c[1], c[2], c[3], c[4])
	}
	fmt.Fprintln(w)
	for _, f := range r.Functions {
		fmt.Fprintf(w, "  %s: %s: %s\n", f.Name, f.Status, f.Reason)
	}
	fmt.Fprintln(w)
	_, _ = io.WriteString(w, budgetTable(r.Budgets, false))
	textVariants(w, referencesOnly(r))
	for _, f := range r.Functions {
		if !f.Sampled() {
			continue
		}
		v := r.Function(f.Name)
		fmt.Fprintf(w, "\n== %s: %s\n", f.Name, Headline(v))
		textComparisons(w, v)
		textFailures(w, v)
	}
}

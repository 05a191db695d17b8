package report

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxCommentChars is GitHub's limit for an issue comment or a check run's summary body.
const MaxCommentChars = 65536

// MarkdownOptions shapes the Markdown report.
type MarkdownOptions struct {
	// Limit is the largest report in characters; MaxCommentChars when zero. Details are trimmed
	// to fit, never the verdict or the head-vs-base table.
	Limit int
	// Title is the heading; "coldbench" when empty (the action adds the handler's name).
	Title string
}

// Markdown renders results for a PR comment, a check run summary or a job summary: the verdict
// line first, then head vs base, the reference runtimes, a chart, and the details collapsed.
func Markdown(r *results.Results, opt MarkdownOptions) string {
	limit := opt.Limit
	if limit == 0 {
		limit = MaxCommentChars
	}
	title := opt.Title
	if title == "" {
		title = "coldbench"
	}
	if len(r.Functions) > 0 {
		return markdownFunctions(r, limit, title) // a run of several functions (functions.go)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "### %s %s\n\n", verdictEmoji(r.Verdict), Text(title))
	fmt.Fprintf(&head, "**%s**\n\n", headline(r, Code))
	head.WriteString(mdBreakdown(r.Breakdown))
	head.WriteString(budgetTable(r.Budgets, true))
	head.WriteString(mdComparisonTable(r))
	head.WriteString(mdReferenceTable(r))
	head.WriteString(mdExtensions(r))
	head.WriteString(mdProblems(r))

	// Optional parts in the order they are dropped when the report is too long: the per-sample
	// failure list first, the environment last.
	chart := mdChart(r)
	dist := mdDistributions(r)
	fails := mdFailures(r)
	env := mdEnvironment(r)
	notes := mdNotes(r)

	for _, drop := range []int{0, 1, 2, 3, 4, 5} {
		parts := []string{chart, dist, fails, env}
		// drop==1 removes fails, 2 also dist, 3 also chart, 4 also env, 5 also the notes' tail.
		if drop >= 1 {
			parts[2] = "_Failed samples omitted: the report is over GitHub's size limit; see the results JSON._\n\n"
		}
		if drop >= 2 {
			parts[1] = ""
		}
		if drop >= 3 {
			parts[0] = ""
		}
		if drop >= 4 {
			parts[3] = ""
		}
		n := notes
		if drop >= 5 {
			n = trimTo(notes, limit/4)
		}
		body := head.String() + parts[0] + "<details><summary>Distributions, environment and notes</summary>\n\n" +
			parts[1] + parts[2] + parts[3] + n + "</details>\n"
		if len(body) <= limit {
			return body
		}
	}
	// Even the essentials are too long (thousands of variants): keep the verdict, cut the rest.
	body := head.String()
	const cut = "\n\n_…report truncated to fit GitHub's size limit; see the results JSON._\n"
	body = Shorten(body, limit, cut)
	return body
}

func verdictEmoji(v results.Verdict) string {
	switch v {
	case "regression":
		return "🔴"
	case "improvement":
		return "🟢"
	case "none":
		return "⚪"
	case "inconclusive":
		return "🟡"
	case results.NotCompared:
		return "⚠️"
	}
	return "❄️"
}

func mdComparisonTable(r *results.Results) string {
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	if head == nil || base == nil {
		return ""
	}
	var b strings.Builder
	if len(r.Comparisons) > 0 {
		fmt.Fprintf(&b, "| head vs base | base | head | delta | 95%% CI | p | verdict |\n|---|--:|--:|--:|--:|--:|:-:|\n")
	}
	for _, c := range r.Comparisons {
		cells := comparisonCells(c)
		cells[0] = Text(cells[0]) // a metric's name, which a results file names
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	if bz, hz, ok := zipDelta(r); ok && len(r.Comparisons) > 0 {
		fmt.Fprintf(&b, "| arm64 zip | %s | %s | %s | | | |\n", sizeStr(bz), sizeStr(hz), pctStr((float64(hz)/float64(bz)-1)*100))
	}
	b.WriteString("\n")
	return b.String()
}

// mdProblems shows every build error (the compiler's words) and every variant stopped early,
// outside the collapsed details: they are why there are no numbers.
func mdProblems(r *results.Results) string {
	var b strings.Builder
	for _, v := range r.Variants {
		if v.BuildError != "" {
			fmt.Fprintf(&b, "**%s failed to build:**\n\n%s\n", Text(v.Name), Fence(trimTo(v.BuildError, 3000)))
		}
		if v.Stopped != "" {
			fmt.Fprintf(&b, "**%s: sampling stopped early:** %s\n\n", Text(v.Name), Text(v.Stopped))
		}
	}
	return b.String()
}

func mdReferenceTable(r *results.Results) string {
	var b strings.Builder
	first := "variant"
	if r.Variant(results.RoleHead) == nil { // a run of the references alone: a row a runtime
		first = "runtime (same run)"
	}
	fmt.Fprintf(&b, "| %s | init p50 | init p90 | first invoke p50 | cold p50 | max memory | arm64 zip | failed |\n|---|--:|--:|--:|--:|--:|--:|--:|\n", first)
	for _, v := range r.Variants {
		cells := referenceRow(r, v)
		cells[0] = Text(cells[0]) // a variant's name, which a results file names
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("\n")
	return b.String()
}

func mdDistributions(r *results.Results) string {
	var b strings.Builder
	b.WriteString("#### Distributions\n\n| variant | metric | n | failed | min | p50 (95% CI) | p90 | p99 | max | mean | sd |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, v := range r.Variants {
		for _, m := range []results.Metric{results.MetricInit, results.MetricDuration, results.MetricCold, results.MetricMemory, results.MetricWarm} {
			s := v.Summary.Get(m)
			if s == nil {
				continue
			}
			u := unitOf(m)
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s (%s…%s) | %s | %s | %s | %s | %s |\n", Text(v.Name), m, s.N, s.Failed,
				num(s.Min, u), num(s.P50, u), strings.TrimSuffix(num(s.P50Low, u), " "+u), strings.TrimSuffix(num(s.P50High, u), " "+u),
				num(s.P90, u), num(s.P99, u), num(s.Max, u), num(s.Mean, u), num(s.SD, u))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func mdFailures(r *results.Results) string {
	fs := failures(r.Samples)
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("#### Failed samples\n\n| variant | error | phase | count | first reason |\n|---|---|---|--:|---|\n")
	for _, f := range fs {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", Text(f.variant), Cell(Code(f.errType)), Text(f.phase), f.count, Text(trimTo(f.reason, 300)))
	}
	b.WriteString("\n")
	for _, f := range fs {
		if f.output != "" {
			fmt.Fprintf(&b, "%s, %s: the handler's last output\n\n%s\n", Text(f.variant), Code(f.errType), Fence(f.output))
		}
	}
	return b.String()
}

func mdEnvironment(r *results.Results) string {
	var b strings.Builder
	b.WriteString("#### Environment\n\n")
	for _, l := range environmentLines(r, Text) {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	b.WriteString("\n")
	return b.String()
}

// environmentLines are the machine (or Lambda and its cost), its limits, the run, its phases'
// times, the toolchains and each variant's build method; esc makes the pull request's words (and
// the host's) fit the format.
func environmentLines(r *results.Results, esc func(string) string) []string {
	e := r.Environment
	var out []string
	line := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if e.Lambda != nil {
		line("%s", esc(LambdaLine(e.Lambda)))
		if r.Cost != nil {
			line("%s", esc(CostLine(r.Cost)))
		}
	} else {
		line("machine: %s, %d cores, %s, Linux %s", orDash(e.CPU), e.Cores, e.Arch, orDash(e.Kernel))
	}
	l := e.Limits
	line("limits: cgroup %s; memory %s at %d MB; CPU %s; page cache eviction %s", l.Cgroup,
		enforced(l.Memory), r.Config.MemoryMB, cpuStr(l), onOff(l.PageCacheEviction))
	if l.EphemeralMB > 0 {
		line("/tmp: %d MB, %s", l.EphemeralMB, enforced(l.Ephemeral))
	}
	if l.Landlock != "" {
		line("Landlock: %s", esc(l.Landlock))
	}
	if l.Pids > 0 {
		line("processes and threads per sandbox user: at most %d", l.Pids)
	}
	if l.Sandbox != "" {
		line("sandbox: %s", esc(l.Sandbox))
	}
	line("run: %s in randomized rounds (seed %d), threshold %.1f%%, alpha %g, outbound delay %.0f ms",
		samplesStr(r.Config), r.Config.Seed, r.Config.ThresholdPct, r.Config.Alpha, r.Config.OutboundDelayMs)
	if len(r.Phases) > 0 {
		var parts []string
		for _, k := range []string{"plan", "build", "sample", "trace", "analyze", "store", "publish"} {
			if v, ok := r.Phases[k]; ok {
				parts = append(parts, fmt.Sprintf("%s %.1f s", k, v/1000))
			}
		}
		line("time: %s (total %.1f s)", strings.Join(parts, ", "), r.DurationMs/1000)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Toolchains)) {
		line("%s: %s", esc(k), esc(e.Toolchains[k]))
	}
	for _, v := range r.Variants {
		if v.Artifact != nil {
			line("%s: %s", esc(v.Name), esc(v.Artifact.Method)) // the method names the PR's build command
		}
	}
	for _, n := range append(append([]string(nil), e.Notes...), l.Notes...) {
		line("%s", esc(n))
	}
	return out
}

func mdNotes(r *results.Results) string {
	notes := allWarnings(r)
	for _, v := range r.Variants {
		if v.Deploy != nil {
			for _, n := range v.Deploy.Notes {
				notes = append(notes, v.Name+" (arm64 build): "+n)
			}
		}
	}
	notes = append(notes, sampleNotes(r.Samples)...)
	if len(notes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("#### Notes\n\n")
	for i, n := range notes {
		fmt.Fprintf(&b, "%d. %s\n", i+1, Text(n))
	}
	b.WriteString("\n")
	return b.String()
}

func enforced(b bool) string {
	if b {
		return "enforced"
	}
	return "not enforced"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func cpuStr(l results.Limits) string {
	switch {
	case !l.CPU:
		return "not enforced"
	case l.InitCPU != "" && l.InitCPUShare != l.CPUShare:
		return fmt.Sprintf("%.2f vCPU in init, %.2f vCPU in invokes, enforced", l.InitCPUShare, l.CPUShare)
	}
	return fmt.Sprintf("%.2f vCPU enforced", l.CPUShare)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// mdCauseLine is the sentence under the verdict: the dependency head brings in, named first (its
// name as code), then what else grew; or the biggest change alone.
func mdCauseLine(b *results.Breakdown) string {
	if b.Cause == "" {
		return ""
	}
	if d := b.Dependency; d != nil {
		stored := d.Sentence(func(s string) string { return "`" + s + "`" })
		if rest, ok := strings.CutPrefix(b.Cause, stored); ok {
			return fmt.Sprintf("Why init grew: %s%s.\n\n", d.Sentence(Code), Text(rest))
		}
	}
	return fmt.Sprintf("Biggest init change: %s.\n\n", mdCause(b.Cause))
}

// mdCause is the breakdown's cause in Markdown: a unit's name (the pull request's package or
// module, in backticks in the stored sentence) as code, the rest as text.
func mdCause(cause string) string {
	if name, ok := strings.CutPrefix(cause, "`"); ok {
		if i := strings.LastIndex(name, "` init: "); i >= 0 {
			return Code(name[:i]) + Text(name[i+1:])
		}
	}
	return Text(cause)
}

func trimTo(s string, n int) string { return Shorten(s, n+len("…"), "…") }

// Shorten returns s if it has at most n bytes, else its longest prefix that fits with tail
// added, cut at a character boundary (GitHub rejects invalid UTF-8).
func Shorten(s string, n int, tail string) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len(tail), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

// mdBreakdown is the sentence naming init's biggest change, and the breakdown collapsed: the traced
// units that changed and head's counters against base's.
func mdBreakdown(b *results.Breakdown) string {
	if b == nil {
		return ""
	}
	var out strings.Builder
	if line := mdCauseLine(b); line != "" {
		out.WriteString(line)
	}
	out.WriteString("<details><summary>Init breakdown: what head's init did differently</summary>\n\n")
	if len(b.Units) > 0 {
		fmt.Fprintf(&out, "From %s, medians of %d traced cold starts a side (extra ones, not the timed samples):\n\n", b.Tracer, b.Traces)
		out.WriteString("| unit | base | head | delta | allocations (base → head) |\n|---|--:|--:|--:|--:|\n")
		for _, u := range b.Units {
			fmt.Fprintf(&out, "| %s | %s | %s | %s | %s |\n", Cell(Code(u.Name)), unitMs(u.BaseMs, u.New), unitMs(u.HeadMs, u.Gone),
				fmt.Sprintf("%+.2f ms", u.DeltaMs), allocStr(u))
		}
		out.WriteString("\n")
	} else if b.Tracer == "" {
		out.WriteString("No init trace for this runtime (Go, Python and Node.js have one); the counters say what init did.\n\n")
	}
	if len(b.Counters) > 0 {
		out.WriteString("Counters of init (read from /proc at the first /next; median, and range over the samples):\n\n")
		out.WriteString("| counter | base | head | change |\n|---|--:|--:|:-:|\n")
		for _, c := range b.Counters {
			fmt.Fprintf(&out, "| %s | %s | %s | %s |\n", c.Name, counterStr(c.Base, c.BaseMin, c.BaseMax, c.Unit), counterStr(c.Head, c.HeadMin, c.HeadMax, c.Unit), counterChange(c))
		}
		out.WriteString("\n")
	}
	if len(b.Sections) > 0 {
		out.WriteString("The arm64 bootstrap's ELF sections that changed size:\n\n| section | base | head | delta |\n|---|--:|--:|--:|\n")
		for _, sec := range b.Sections {
			fmt.Fprintf(&out, "| %s | %s | %s | %+d B |\n", Cell(Code(sec.Name)), sizeStr(sec.Base), sizeStr(sec.Head), sec.Head-sec.Base)
		}
		out.WriteString("\n")
	}
	if len(b.Modules) > 0 {
		out.WriteString("The arm64 bundle's modules that changed size (the bundler's metafile):\n\n| module | base | head | delta |\n|---|--:|--:|--:|\n")
		for _, m := range b.Modules[:min(len(b.Modules), 15)] {
			fmt.Fprintf(&out, "| %s | %s | %s | %+d B |\n", Cell(Code(m.Name)), sizeStr(m.Base), sizeStr(m.Head), m.Head-m.Base)
		}
		out.WriteString("\n")
	}
	for _, n := range b.Notes {
		fmt.Fprintf(&out, "- %s\n", Text(n))
	}
	out.WriteString("</details>\n\n")
	return out.String()
}

func unitMs(ms float64, absent bool) string {
	if absent {
		return "–"
	}
	return fmt.Sprintf("%.2f ms", ms)
}

func allocStr(u results.UnitDelta) string {
	if u.BaseAllocs == 0 && u.HeadAllocs == 0 {
		return ""
	}
	return fmt.Sprintf("%d → %d (%s → %s)", u.BaseAllocs, u.HeadAllocs, sizeStr(u.BaseBytes), sizeStr(u.HeadBytes))
}

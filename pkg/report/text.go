package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/coldbench/coldbench/pkg/results"
)

// TextOptions shapes the terminal report.
type TextOptions struct {
	Color bool // colour the verdict (a terminal without NO_COLOR)
}

// WriteText prints the terminal report: the verdict, head vs base, every variant, the caveats.
// Its text is LogSafe: in a workflow step's log no line of the pull request's (an error type, a
// build log, the handler's output) starts a workflow command.
func WriteText(w io.Writer, r *results.Results, opt TextOptions) {
	var b strings.Builder
	writeText(&b, r, opt)
	_, _ = io.WriteString(w, LogSafe(b.String()))
}

// writeText writes the terminal report's sections in order.
func writeText(w io.Writer, r *results.Results, opt TextOptions) {
	fmt.Fprintf(w, "%s\n\n", textHeadline(r, opt))
	if len(r.Functions) > 0 {
		textFunctions(w, r) // a run of several functions (functions.go)
	} else {
		_, _ = io.WriteString(w, budgetTable(r.Budgets, false))
		textComparisons(w, r)
		textVariants(w, r)
		textFailures(w, r)
		textBreakdown(w, r.Breakdown)
		textExtensions(w, r)
		textNotes(w, r)
	}
	e := r.Environment
	if e.Lambda != nil {
		fmt.Fprintf(w, "\n%s; %s\n", LambdaLine(e.Lambda), samplesStr(r.Config))
		if r.Cost != nil {
			fmt.Fprintf(w, "%s\n", CostLine(r.Cost))
		}
		return
	}
	fmt.Fprintf(w, "\n%s, %d cores, %s; cgroup %s (memory %s, CPU %s); %d MB; %s\n",
		orDash(e.CPU), e.Cores, e.Arch, e.Limits.Cgroup, enforced(e.Limits.Memory), cpuStr(e.Limits), r.Config.MemoryMB, samplesStr(r.Config))
}

// textHeadline is the verdict's line, coloured by verdict when asked.
func textHeadline(r *results.Results, opt TextOptions) string {
	line := Headline(r)
	if !opt.Color {
		return line
	}
	switch r.Verdict {
	case results.Regression:
		return "\x1b[31m" + line + "\x1b[0m"
	case results.Improvement:
		return "\x1b[32m" + line + "\x1b[0m"
	case results.Inconclusive, results.NotCompared:
		return "\x1b[33m" + line + "\x1b[0m"
	}
	return line
}

// textComparisons is the head-vs-base table, with the arm64 zips' sizes; nothing without a
// comparison.
func textComparisons(w io.Writer, r *results.Results) {
	if len(r.Comparisons) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "head vs base\tbase\thead\tdelta\t95% CI\tp\tverdict")
	for _, c := range r.Comparisons {
		fmt.Fprintln(tw, strings.Join(comparisonCells(c), "\t"))
	}
	if bz, hz, ok := zipDelta(r); ok {
		fmt.Fprintf(tw, "arm64 zip\t%s\t%s\t%s\n", sizeStr(bz), sizeStr(hz), pctStr((float64(hz)/float64(bz)-1)*100))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// textVariants is the table of every variant's medians, zip and failures.
func textVariants(w io.Writer, r *results.Results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "variant\tinit p50\tinit p90\tinvoke p50\tcold p50\tmemory\tarm64 zip\tfailed")
	for _, v := range r.Variants {
		s := v.Summary
		zip := int64(0)
		if v.Deploy != nil {
			zip = v.Deploy.ZipBytes
		}
		failed := failedOf(r.SamplesOf(v.Name))
		if v.BuildError != "" {
			failed = "build failed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", variantLabel(v), p50(s.InitMs, "ms"), p90(s.InitMs, "ms"), p50(s.DurationMs, "ms"), p50(s.ColdMs, "ms"), p50(s.MaxMemoryMB, "MB"), sizeStr(zip), failed)
	}
	tw.Flush()
}

// textFailures is what went wrong: the builds that failed, the failed samples with the first's
// last output, and the variants whose sampling stopped early.
func textFailures(w io.Writer, r *results.Results) {
	for _, v := range r.Variants {
		if v.BuildError != "" {
			fmt.Fprintf(w, "\n%s failed to build:\n%s\n", v.Name, indent(trimTo(v.BuildError, 2000)))
		}
	}
	if fs := failures(r.Samples); len(fs) > 0 {
		fmt.Fprintln(w, "\nfailed samples:")
		for _, f := range fs {
			fmt.Fprintf(w, "  %s: %d × %s (%s): %s\n", f.variant, f.count, f.errType, f.phase, trimTo(f.reason, 200))
			if f.output != "" {
				fmt.Fprintf(w, "    last output of the first:\n%s\n", indent(indent(f.output)))
			}
		}
	}
	for _, v := range r.Variants {
		if v.Stopped != "" {
			fmt.Fprintf(w, "\n%s: sampling stopped early: %s\n", v.Name, v.Stopped)
		}
	}
}

// textBreakdown is the init breakdown: its biggest change, the traced units and the counters
// worth a line; nothing when there is none of those.
func textBreakdown(w io.Writer, b *results.Breakdown) {
	if b == nil {
		return
	}
	// The counters worth a line: those beyond both sides' ranges, and the instruction count,
	// which is there only when asked for.
	var counters []results.CounterDelta
	for _, c := range b.Counters {
		if c.Changed || c.Name == "instructions" {
			counters = append(counters, c)
		}
	}
	if b.Cause != "" || len(b.Units) > 0 || len(counters) > 0 {
		fmt.Fprintln(w, "\ninit breakdown:")
	}
	if b.Cause != "" {
		label := "biggest change"
		if b.Dependency != nil {
			label = "why init grew"
		}
		fmt.Fprintf(w, "  %s: %s\n", label, strings.ReplaceAll(b.Cause, "`", ""))
	}
	for _, u := range b.Units {
		fmt.Fprintf(w, "  %-40s %s → %s (%+.2f ms)\n", u.Name, unitMs(u.BaseMs, u.New), unitMs(u.HeadMs, u.Gone), u.DeltaMs)
	}
	for _, c := range counters {
		fmt.Fprintf(w, "  %-40s %s → %s (%s)\n", c.Name, counterStr(c.Base, c.BaseMin, c.BaseMax, c.Unit), counterStr(c.Head, c.HeadMin, c.HeadMax, c.Unit), counterChange(c))
	}
}

// textNotes is the numbered caveats: the warnings and what the samples' notes say.
func textNotes(w io.Writer, r *results.Results) {
	notes := append(allWarnings(r), sampleNotes(r.Samples)...)
	if len(notes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nnotes:")
	for i, n := range notes {
		fmt.Fprintf(w, "  [%d] %s\n", i+1, n)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

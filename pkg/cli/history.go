package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coldbench/coldbench/pkg/baseline"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/git"
	"github.com/coldbench/coldbench/pkg/publish"
	"github.com/coldbench/coldbench/pkg/report"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/trend"
)

// historyCmd prints a handler's stored runs, oldest first (when, which commit, the verdict, each
// variant's p50 init and cold latency), then the change points of its trend: per commit,
// corrected for the machine's drift by the references of the same runs (pkg/trend). It draws the
// trend (--html, --svg, --markdown with a Mermaid chart for a job summary) and, for the scheduled
// refresh, keeps one issue per change point (--issues).
func historyCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	handler := fs.String("handler", "", "the handler's path as given to run (default: the references' history)")
	html := fs.String("html", "", "write the history's charts (SVG, a log axis shared with the references) and change points to this HTML file")
	svg := fs.String("svg", "", "write the init chart alone to this SVG file")
	markdown := fs.String("markdown", "", "write the trend as Markdown with Mermaid charts to this file (- for stdout; the job summary's file is appended to)")
	repoDir := fs.String("repo", "", "the project's git repository, whose tags mark releases on the charts (default: the working directory's, when it is one)")
	issues := fs.Bool("issues", false, "open, update or close one GitHub issue per change point (GITHUB_REPOSITORY, GITHUB_API_URL and the token in --token-env)")
	label := fs.String("label", "coldbench-change", "with --issues: the label of change-point issues")
	tokenEnv := fs.String("token-env", "GITHUB_TOKEN", "with --issues: environment variable holding a token with issues: write")
	threshold := fs.Float64("threshold", 0, "smallest change reported, in percent (default: the stored runs' threshold)")
	if done, err := parseFlags(fs, args, env, "\nArguments: STORE_DIR\n"); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	var problems []string
	if fs.NArg() != 1 {
		problems = append(problems, "want the store directory: coldbench history [--handler PATH] DIR")
	}
	token, repoSlug := env.Getenv(*tokenEnv), env.Getenv("GITHUB_REPOSITORY")
	if *issues && token == "" {
		problems = append(problems, fmt.Sprintf("--issues: no token in $%s (the workflow's GITHUB_TOKEN with issues: write)", *tokenEnv))
	}
	if *issues && repoSlug == "" {
		problems = append(problems, "--issues: GITHUB_REPOSITORY is not set (owner/name)")
	}
	if *threshold < 0 {
		problems = append(problems, fmt.Sprintf("--threshold %g: want a positive percentage", *threshold))
	}
	if len(problems) > 0 {
		return badInput(errors.New(strings.Join(problems, "; ")))
	}
	store := baseline.Store{Dir: resolve(env.Dir, fs.Arg(0))}
	key := baseline.Key(*handler)
	entries, skipped, err := store.History(key)
	for _, s := range skipped {
		fmt.Fprint(env.Stderr, report.LogSafe("skipped: "+s.Error()+"\n"))
	}
	if err != nil {
		return badInput(err)
	}
	runs := make([]*results.Results, len(entries))
	for i, e := range entries {
		runs[i] = e.Results
	}
	opt := trend.Options{ThresholdPct: *threshold, Tags: historyTags(ctx, env, *repoDir)}
	series := trend.Analyze(runs, opt)
	title := key
	// Stored results may come from a pull request's run: what is printed is LogSafe.
	var out strings.Builder
	writeHistoryTable(&out, entries)
	writeChangePoints(&out, series)
	if _, err := io.WriteString(env.Stdout, report.LogSafe(out.String())); err != nil {
		return withCode(ExitFailure, err)
	}
	if *html != "" {
		var buf strings.Builder
		if err := report.WriteHistoryHTML(&buf, title, series); err != nil {
			return failure(err)
		}
		if err := os.WriteFile(resolve(env.Dir, *html), []byte(buf.String()), 0o644); err != nil {
			return failure(err)
		}
	}
	if *svg != "" {
		if err := os.WriteFile(resolve(env.Dir, *svg), []byte(report.HistorySVG(series, results.MetricInit, title+" — init")), 0o644); err != nil {
			return failure(err)
		}
	}
	if *markdown != "" {
		if err := writeHistoryMarkdown(env, *markdown, title, series); err != nil {
			return err
		}
	}
	if *issues {
		pub, err := publish.New(&http.Client{Timeout: 30 * time.Second}, cmp.Or(env.Getenv("GITHUB_API_URL"), "https://api.github.com"), token, repoSlug)
		if err != nil {
			return badInput(err)
		}
		sync, err := pub.SyncChangeIssues(ctx, *label, report.Text(key), changeIssues(key, repoSlug, series, thresholdOf(runs, *threshold)))
		if err != nil {
			return failure(fmt.Errorf("change-point issues: %w", err))
		}
		fmt.Fprintln(env.Stdout, sync)
	}
	return nil
}

// historyTags are the releases of the repository at dir (or the working directory), by commit;
// none when it is not a git repository.
func historyTags(ctx context.Context, env Env, dir string) map[string][]string {
	root, err := git.RepoRoot(ctx, resolve(env.Dir, cmp.Or(dir, ".")))
	if err != nil {
		if dir != "" {
			fmt.Fprintf(env.Stderr, "warning: --repo %s: %v (releases are not marked)\n", dir, err)
		}
		return nil
	}
	tags, err := git.Tags(ctx, root)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warning: %v (releases are not marked)\n", err)
	}
	return tags
}

func thresholdOf(runs []*results.Results, given float64) float64 {
	if given > 0 {
		return given
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Config.ThresholdPct > 0 {
			return runs[i].Config.ThresholdPct
		}
	}
	return 5
}

func writeHistoryTable(w io.Writer, entries []baseline.Entry) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "created\tcommit\tverdict\tvariant\tinit p50\tcold p50\tsamples")
	for _, e := range entries {
		ref := e.Ref
		if len(ref) > 12 {
			ref = ref[:12]
		}
		for i, v := range e.Results.Variants {
			when, commit, verdict := "", "", ""
			if i == 0 {
				when, commit, verdict = e.CreatedAt.Format("2006-01-02 15:04"), cmp.Or(ref, "–"), string(e.Results.Verdict)
			}
			init, cold := "–", "–"
			if s := v.Summary.Get(results.MetricInit); s != nil {
				init = fmt.Sprintf("%.2f ms", s.P50)
			}
			if s := v.Summary.Get(results.MetricCold); s != nil {
				cold = fmt.Sprintf("%.1f ms", s.P50)
			}
			samples := fmt.Sprint(len(e.Results.SamplesOf(v.Name)))
			if c := e.Results.Compacted; c != nil {
				samples = fmt.Sprintf("compacted (%d dropped)", c.Samples)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when, commit, verdict, v.Name, init, cold, samples)
		}
	}
	tw.Flush()
}

// writeChangePoints lists each tracked series' change points, or says there are none.
func writeChangePoints(w io.Writer, series []trend.Series) {
	for _, s := range series {
		if s.Role != results.RoleHead && len(s.References) == 0 {
			continue
		}
		corr := "drift-corrected by " + strings.Join(s.References, ", ")
		if len(s.References) == 0 {
			corr = "not drift-corrected: no references in the runs"
		}
		fmt.Fprintf(w, "\n%s %s over %d commits (%s): ", s.Variant, s.Metric, len(s.Points), corr)
		if len(s.Changes) == 0 {
			fmt.Fprintln(w, "no change point")
			continue
		}
		fmt.Fprintf(w, "%d change point(s)\n", len(s.Changes))
		for _, c := range s.Changes {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
}

// writeHistoryMarkdown writes the Mermaid charts and change tables; the job summary's file is
// appended to, as GitHub expects of every step.
func writeHistoryMarkdown(env Env, path, title string, series []trend.Series) error {
	text := historyMarkdown(title, series)
	if path == "-" {
		_, err := io.WriteString(env.Stdout, text)
		return err
	}
	path = resolve(env.Dir, path)
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if path == env.Getenv("GITHUB_STEP_SUMMARY") {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return failure(err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return failure(err)
	}
	return f.Close()
}

// changeIssues are the issues the tracked series' regressions should have: one per change
// point that made cold starts slower, resolved when a later change point brought the level back.
func changeIssues(key, repoSlug string, series []trend.Series, thresholdPct float64) []publish.ChangeIssue {
	var out []publish.ChangeIssue
	for _, s := range series {
		if s.Role != results.RoleHead && len(s.References) == 0 {
			continue
		}
		for i, c := range s.Changes {
			if c.ShiftPct <= 0 {
				continue // faster: good news, no issue
			}
			// The names and commits come from stored results: text, and hex, and nothing else.
			name := fmt.Sprintf("%s %s", report.Text(key), s.Metric)
			if s.Role != results.RoleHead {
				name = fmt.Sprintf("%s/%s %s", report.Text(key), report.Text(s.Variant), s.Metric)
			}
			c.FromRef, c.ToRef = hexOnly(c.FromRef), hexOnly(c.ToRef)
			ci := publish.ChangeIssue{Key: name + " " + c.ToRef,
				Title: fmt.Sprintf("coldbench: %s %+.1f%% at %s", name, c.ShiftPct, short7(c.ToRef))}
			for d := -2; d <= 2; d++ {
				if j := c.Index + d; d != 0 && j >= 0 && j < len(s.Points) {
					ci.Aliases = append(ci.Aliases, name+" "+hexOnly(s.Points[j].Ref))
				}
			}
			compare := fmt.Sprintf("https://github.com/%s/compare/%s...%s", repoSlug, c.FromRef, c.ToRef)
			var b strings.Builder
			fmt.Fprintf(&b, "**%s went from %.3g ms to %.3g ms: %+.1f%%** (95%% interval %+.1f%%…%+.1f%%, confidence %s), between `%s` (the last commit at the old level) and `%s` (the first at the new): [the commits](%s).\n\n",
				name, c.Before, c.After, c.ShiftPct, c.CILowPct, c.CIHighPct, trend.Confidence(c.PValue), short7(c.FromRef), short7(c.ToRef), compare)
			fmt.Fprintf(&b, "Found by the scheduled refresh in %d commits before and %d after, on per-commit medians corrected for the runners' drift by the references measured in the same runs (%s); E-divisive means with a t-test stopping rule, as Apache Otava (arXiv 2301.03034).\n\n",
				c.NBefore, c.NAfter, strings.Join(s.References, ", "))
			b.WriteString(report.HistoryMermaid([]trend.Series{s}, s.Metric, key))
			fmt.Fprintf(&b, "To accept the change, close this issue or label it `%s`: it will not be reopened. It is closed by itself when a later change brings the level back.\n", publish.AcceptedLabel)
			ci.Body = b.String()
			if r := s.RevertedBy(i, thresholdPct); r != nil {
				ci.Resolved = fmt.Sprintf("Reverted: %s is back at %.3g ms since `%s` (%+.1f%% there, confidence %s).", name, r.After, short7(r.ToRef), r.ShiftPct, trend.Confidence(r.PValue))
			}
			out = append(out, ci)
		}
	}
	return out
}

func short7(ref string) string { return ref[:min(7, len(ref))] }

// hexOnly is ref with anything but hex digits dropped (a stored run's commit is a SHA).
func hexOnly(ref string) string {
	return strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' {
			return c
		}
		return -1
	}, ref)
}

// storeRel is the handler's path relative to dir, as the pipeline names its history.
func storeRel(cfg config.Config, dir string) string {
	if cfg.Handler == "" {
		return ""
	}
	rel, err := filepath.Rel(dir, cfg.Handler)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(cfg.Handler)
	}
	return rel
}

// storedTrend is the trend of the handler's history in the run's store (--store), nil without
// one: the reports draw it beside the run.
func storedTrend(cfg config.Config, dir string) []trend.Series {
	if cfg.Store == "" {
		return nil
	}
	entries, _, err := baseline.Store{Dir: cfg.Store}.History(baseline.Key(storeRel(cfg, dir)))
	if err != nil || len(entries) < 2 {
		return nil
	}
	runs := make([]*results.Results, len(entries))
	for i, e := range entries {
		runs[i] = e.Results
	}
	return trend.Analyze(runs, trend.Options{})
}

// historyMarkdown is the trend's Mermaid charts and change tables, for a job summary.
func historyMarkdown(title string, series []trend.Series) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Cold-start history of %s\n\n", report.Text(title))
	for _, m := range trend.Metrics {
		b.WriteString(report.HistoryMermaid(series, m, title))
	}
	return report.LogSafe(b.String())
}

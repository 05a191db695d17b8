package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/coldbench/coldbench/pkg/baseline"
	"github.com/coldbench/coldbench/pkg/report"
)

// historyCmd prints a handler's stored runs, oldest first: when, which commit, the verdict, and
// each variant's p50 init and cold latency, so a trend over weeks is one table.
func historyCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	handler := fs.String("handler", "", "the handler's path as given to run (default: the references' history)")
	if done, err := parseFlags(fs, args, env, "\nArguments: STORE_DIR\n"); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	if fs.NArg() != 1 {
		return badInput(errors.New("want the store directory: coldbench history [--handler PATH] DIR"))
	}
	store := baseline.Store{Dir: resolve(env.Dir, fs.Arg(0))}
	entries, skipped, err := store.History(baseline.Key(*handler))
	for _, s := range skipped {
		fmt.Fprint(env.Stderr, report.LogSafe("skipped: "+s.Error()+"\n"))
	}
	if err != nil {
		return badInput(err)
	}
	// Stored results may come from a pull request's run: the table is printed LogSafe.
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", when, commit, verdict, v.Name, init, cold, len(e.Results.SamplesOf(v.Name)))
		}
	}
	if err := tw.Flush(); err != nil {
		return withCode(ExitFailure, err)
	}
	_, err = io.WriteString(env.Stdout, report.LogSafe(table.String()))
	return withCode(ExitOK, err)
}

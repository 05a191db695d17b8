package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/verdict"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/report"
)

var reportFormats = []string{"text", "markdown", "json", "html"}

// reportCmd re-renders a results file. It reruns the analysis from the samples (so old results
// get today's statistics, and --threshold/--alpha can be explored) unless --keep-analysis.
func reportCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	format := fs.String("format", "text", "output format: "+strings.Join(reportFormats, ", "))
	out := fs.String("o", "", "write to this file instead of stdout")
	threshold := fs.Float64("threshold", 0, "re-decide with this threshold in percent (default: the run's)")
	alpha := fs.Float64("alpha", 0, "re-decide with this significance level (default: the run's)")
	keep := fs.Bool("keep-analysis", false, "print the stored analysis as it is")
	if done, err := parseFlags(fs, args, env, "\nArguments: RESULTS.json\n"); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	var problems []string
	if fs.NArg() != 1 {
		problems = append(problems, "want exactly one results file: coldbench report [flags] results.json")
	}
	if !slices.Contains(reportFormats, *format) {
		problems = append(problems, fmt.Sprintf("--format %q: valid values are %s", *format, strings.Join(reportFormats, ", ")))
	}
	if len(problems) > 0 {
		return badInput(errors.New(strings.Join(problems, "; ")))
	}
	res, err := results.ReadFile(resolve(env.Dir, fs.Arg(0)))
	if err != nil {
		return badInput(err)
	}
	if !*keep {
		if *threshold > 0 {
			res.Config.ThresholdPct = *threshold
		}
		if *alpha > 0 {
			res.Config.Alpha = *alpha
		}
		if err := verdict.Rule(res).Validate(); err != nil {
			return badInput(err)
		}
		verdict.Analyze(res)
	}
	w := env.Stdout
	if *out != "" {
		f, err := os.Create(resolve(env.Dir, *out))
		if err != nil {
			return withCode(ExitFailure, err)
		}
		defer f.Close()
		w = f
	}
	switch *format {
	case "text":
		report.WriteText(w, res, report.TextOptions{Color: *out == "" && colorOK(env)})
	case "markdown":
		_, err = io.WriteString(w, report.Markdown(res, report.MarkdownOptions{}))
	case "json":
		err = results.WriteJSON(w, res)
	case "html":
		err = report.WriteHTML(w, res)
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	return exit(exitCode(res))
}

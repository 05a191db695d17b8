package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
)

// lambdaPerf are lambda-perf's medians of 2026-08-22 (arm64, zip, hello world: init ms), the
// sanity check of a Lambda column, by reference runtime.
var lambdaPerf = map[string]float64{"rust": 13.7, "go": 43.4, "python": 80.7, "node": 121.3, "bun": 292.9}

// lambdaRatioCmd runs the references locally and on Lambda, one run after the other with the
// same settings, and prints each runtime's median init on both and their ratio: what a local
// number means on Lambda. It takes run's flags (--mode is its own business).
func lambdaRatioCmd(ctx context.Context, args []string, env Env) error {
	cfg, err := parseRun(ctx, append([]string{"--mode", "aws"}, args...), env)
	if err != nil {
		if h, ok := err.(helpError); ok {
			fmt.Fprint(env.Stdout, "Runs the references locally, then on Lambda, and prints each runtime's median init on both and the ratio.\n"+
				"Takes run's flags; mode aws needs --aws-role-arn and credentials.\n\n"+h.text)
			return nil
		}
		return withCode(ExitBadInput, err)
	}
	cfg.Handler, cfg.Base = "", "none" // the references alone
	sides := map[config.Mode]*results.Results{}
	for _, mode := range []config.Mode{config.ModeLocal, config.ModeAWS} {
		c := cfg
		c.Mode = mode
		fmt.Fprintf(env.Stderr, "coldbench: the references in mode %s\n", mode)
		res, err := runPipeline(ctx, newPipeline(c, env, env.Stderr))
		if err != nil {
			return withCode(ExitFailure, fmt.Errorf("mode %s: %w", mode, err))
		}
		sides[mode] = res
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reference\tlocal init p50 ms\tLambda init p50 ms\tLambda / local\tlambda-perf p50 ms\t")
	for _, v := range sides[config.ModeLocal].Variants {
		l, a := v.Summary.InitMs, summaryOf(sides[config.ModeAWS], v.Name)
		row := fmt.Sprintf("%s\t%s\t%s\t", v.Name, p50(l), p50(a))
		if l != nil && a != nil && l.P50 > 0 {
			row += fmt.Sprintf("%.2f\t", a.P50/l.P50)
		} else {
			row += "–\t"
		}
		if ref, ok := lambdaPerf[v.Name]; ok {
			row += fmt.Sprintf("%.1f\t", ref)
		} else {
			row += "–\t"
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	if c := sides[config.ModeAWS].Cost; c != nil {
		fmt.Fprintf(env.Stdout, "Lambda: %d invokes, $%.4f\n", c.Requests, c.USD)
	}
	return nil
}

func summaryOf(res *results.Results, name string) *results.Summary {
	for _, v := range res.Variants {
		if v.Name == name {
			return v.Summary.InitMs
		}
	}
	return nil
}

func p50(s *results.Summary) string {
	if s == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f", s.P50)
}

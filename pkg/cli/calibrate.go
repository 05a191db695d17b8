package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// calibrateCmd measures the verdict rule as the pipeline applies it (paired rounds, init-only
// samples, looks at the spent alpha, the time budget) on real cold starts recorded in time order:
// false alarms (interleaved and between runs), detection of the changes real handlers go
// through, how often it stays inconclusive, and the sampling time it takes. Record first with
// `coldbench run --references go,rust --samples 300 --json FILE`.
func calibrateCmd(ctx context.Context, args []string, env Env) error {
	def := config.Default()
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	from := fs.String("from", "", "results JSON with recorded rounds (required)")
	variants := fs.String("variants", "", "variants to use as pools (default: every variant with enough rounds)")
	trials := fs.Int("trials", 200, "simulated runs per scenario")
	maxTime := fs.Duration("max-time", def.MaxTime, "sampling budget of each simulated run (recorded wall time)")
	maxRounds := fs.Int("max-samples", def.MaxSamples, "most rounds of a simulated run")
	blockLen := fs.Int("block-len", 10, "rounds per bootstrap block (keeps the recording's time order)")
	threshold := fs.Float64("threshold", def.Threshold, "rule threshold in percent")
	alpha := fs.Float64("alpha", def.Alpha, "rule significance level (split across the gate's tests and spent across looks)")
	seed := fs.Uint64("seed", 1, "resampling seed")
	between := fs.Bool("between-runs", false, "the between-run table instead: release gates on a stored baseline, without and with the correction by the references (each variant in turn the handler, the others its references)")
	later := fs.String("later", "", "with --between-runs: a second recording made later, head's run (default: --from's second half, against its first)")
	rounds := fs.Int("rounds", 100, "with --between-runs: rounds of each simulated run (the scheduled refresh stores 100)")
	if done, err := parseFlags(fs, args, env, ""); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	var problems []string
	if *from == "" {
		problems = append(problems, "--from: give a results JSON with recorded rounds (coldbench run --references go,rust --samples 300 --json FILE)")
	}
	if *trials < 10 {
		problems = append(problems, fmt.Sprintf("--trials %d: want at least 10", *trials))
	}
	if *blockLen < 1 {
		problems = append(problems, fmt.Sprintf("--block-len %d: want at least 1", *blockLen))
	}
	if len(problems) > 0 {
		return badInput(errors.New(strings.Join(problems, "; ")))
	}
	res, err := results.ReadFile(resolve(env.Dir, *from))
	if err != nil {
		return badInput(err)
	}
	if *between {
		return calibrateBetween(ctx, env, res, *from, *later, verdict.BetweenRunsConfig{ThresholdPct: *threshold, Alpha: *alpha,
			Rounds: *rounds, BlockLen: *blockLen, Trials: *trials, Seed: *seed}, splitList(*variants))
	}
	pools := verdict.Rounds(res)
	want := splitList(*variants)
	for name, rounds := range pools {
		if len(want) > 0 && !slices.Contains(want, name) || len(rounds) < 4**blockLen {
			delete(pools, name)
		}
	}
	if len(pools) == 0 {
		return badInput(fmt.Errorf("%s: no variant has %d rounds; record more with --samples", *from, 4**blockLen))
	}
	cfg := verdict.CalibrationConfig{ThresholdPct: *threshold, Alpha: *alpha, MaxTime: *maxTime, Block: config.AdaptiveBlock,
		MaxRounds: *maxRounds, Trials: *trials, BlockLen: *blockLen, Seed: *seed}
	cells, err := verdict.Calibrate(ctx, pools, verdict.Scenarios, cfg)
	if err != nil && ctx.Err() == nil {
		return badInput(err)
	}
	writeCalibration(env.Stdout, cells, cfg, res)
	return interrupted(ctx, env, len(cells))
}

// interrupted is a cancelled calibration's error, once the rows it finished are printed.
func interrupted(ctx context.Context, env Env, rows int) error {
	if ctx.Err() == nil {
		return nil
	}
	fmt.Fprintf(env.Stderr, "coldbench: calibrate interrupted; the %d rows above are the ones it finished\n", rows)
	return withCode(ExitFailure, ctx.Err())
}

func writeCalibration(w io.Writer, cells []verdict.CalibrationCell, cfg verdict.CalibrationConfig, res *results.Results) {
	fmt.Fprintf(w, "Calibration of the verdict rule on %s's recording (%s, %d cores, cgroup %s, %d MB), %d simulated runs a row:\n",
		res.CreatedAt.Format("2006-01-02"), cmp.Or(res.Environment.CPU, "–"), res.Environment.Cores, res.Environment.Limits.Cgroup, res.Config.MemoryMB, cfg.Trials)
	fmt.Fprintf(w, "threshold %g%%, alpha %g, a look every %d rounds, budget %s of sampling, blocks of %d recorded rounds\n\n",
		cfg.ThresholdPct, cfg.Alpha, cfg.Block, cfg.MaxTime, cfg.BlockLen)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pool\tscenario\tdesign\tregression\timprovement\tinconclusive\tno change\tmean sampling\tmean rounds\t")
	for _, c := range cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%.1fs\t%.0f\t\n", c.Pool, c.Scenario, strings.SplitN(c.Design, " (", 2)[0],
			100*c.Regression, 100*c.Improvement, 100*c.Inconclusive, 100*c.NoChange, c.MeanWallS, c.MeanRounds)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nregression is the false-alarm rate in A/A rows and the detection rate elsewhere; the budget is recorded sampling time, not counting builds.")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// calibrateBetween prints the between-run table: each variant of the recordings in turn the
// handler of a release gate on a stored baseline (the earlier run), the others its references.
func calibrateBetween(ctx context.Context, env Env, res *results.Results, from, later string, cfg verdict.BetweenRunsConfig, want []string) error {
	then, now := verdict.SplitRounds(verdict.Rounds(res))
	what := fmt.Sprintf("the two halves of %s's recording", res.CreatedAt.Format("2006-01-02 15:04"))
	if later != "" {
		res2, err := results.ReadFile(resolve(env.Dir, later))
		if err != nil {
			return badInput(err)
		}
		then, now = verdict.Rounds(res), verdict.Rounds(res2)
		what = fmt.Sprintf("two recordings, %s and %s", res.CreatedAt.Format("2006-01-02 15:04"), res2.CreatedAt.Format("2006-01-02 15:04"))
	}
	for _, pools := range []map[string][]verdict.Round{then, now} {
		for name := range pools {
			if len(want) > 0 && !slices.Contains(want, name) {
				delete(pools, name)
			}
		}
	}
	cells, err := verdict.CalibrateBetweenRuns(ctx, then, now, verdict.BetweenScenarios, cfg)
	if err != nil && ctx.Err() == nil {
		return badInput(err)
	}
	w := env.Stdout
	fmt.Fprintf(w, "Between-run calibration on %s (%s, %d cores, cgroup %s, %d MB), %d simulated release gates a row:\n",
		what, cmp.Or(res.Environment.CPU, "–"), res.Environment.Cores, res.Environment.Limits.Cgroup, res.Config.MemoryMB, cfg.Trials)
	fmt.Fprintf(w, "threshold %g%%, alpha %g, %d rounds a run (base from the earlier run, head from the later), blocks of %d recorded rounds\n\n",
		cfg.ThresholdPct, cfg.Alpha, cfg.Rounds, cfg.BlockLen)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pool\tscenario\tdesign\tregression\timprovement\tinconclusive\tno change\t")
	for _, c := range cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t\n", c.Pool, c.Scenario, c.Design,
			100*c.Regression, 100*c.Improvement, 100*c.Inconclusive, 100*c.NoChange)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nregression is the false-alarm rate in A/A rows and the detection rate elsewhere; corrected rows take the drift of the other variants (measured in both runs) out of the shift.")
	return interrupted(ctx, env, len(cells))
}

package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/verdict"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/coldbench/coldbench/pkg/stats"
)

// calibrateCmd measures the verdict rule on real recorded cold starts: A/A false-alarm rates and
// detection rates for injected shifts, beside what naive CI benchmark rules decide on the same
// resamples. Record samples first with `coldbench run --samples 300 --json FILE`.
func calibrateCmd(ctx context.Context, args []string, env Env) (int, error) {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	from := fs.String("from", "", "results JSON with recorded samples (required)")
	variants := fs.String("variants", "", "variants to use as pools (default: every variant with enough samples)")
	metrics := fs.String("metrics", joinMetrics(verdict.GateMetrics), "metrics the gate decides on")
	nsFlag := fs.String("n", "20,50,100", "samples a side")
	shiftsFlag := fs.String("shifts", "0,2,5,10,20", "injected shifts in percent (0 is the A/A test)")
	trials := fs.Int("trials", 1000, "resamples per cell")
	threshold := fs.Float64("threshold", stats.DefaultRule.Threshold*100, "rule threshold in percent")
	alpha := fs.Float64("alpha", stats.DefaultRule.Alpha, "rule significance level (split across the metrics)")
	seed := fs.Uint64("seed", 1, "resampling seed")
	if done, err := parseFlags(fs, args, env, ""); err != nil {
		return ExitBadInput, err
	} else if done {
		return ExitOK, nil
	}
	var problems []string
	ns, err := parseInts(*nsFlag)
	if err != nil {
		problems = append(problems, "--n: "+err.Error())
	}
	var shifts []float64
	for _, f := range strings.Split(*shiftsFlag, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--shifts: %q is not a number", f))
		}
		shifts = append(shifts, v/100)
	}
	if *from == "" {
		problems = append(problems, "--from: give a results JSON with recorded samples (coldbench run --samples 300 --json FILE)")
	}
	if *trials < 10 {
		problems = append(problems, "--trials: want at least 10")
	}
	ms := splitList(*metrics)
	for _, m := range ms {
		if !slices.Contains([]results.Metric{results.MetricInit, results.MetricDuration, results.MetricCold, results.MetricMemory}, results.Metric(m)) {
			problems = append(problems, fmt.Sprintf("--metrics: unknown metric %q; valid: init_ms, duration_ms, cold_ms, max_memory_mb", m))
		}
	}
	if len(problems) > 0 {
		return ExitBadInput, badInput(errors.New(strings.Join(problems, "; ")))
	}
	res, err := results.ReadFile(resolve(env.Dir, *from))
	if err != nil {
		return ExitBadInput, badInput(err)
	}
	maxN := 0
	for _, n := range ns {
		maxN = max(maxN, n)
	}
	pools := map[string][][]float64{}
	want := splitList(*variants)
	for _, v := range res.Variants {
		if len(want) > 0 && !slices.Contains(want, v.Name) {
			continue
		}
		var recs [][]float64
		for _, s := range res.SamplesOf(v.Name) {
			if !s.OK() {
				continue
			}
			rec := make([]float64, len(ms))
			for i, m := range ms {
				rec[i], _ = s.Value(results.Metric(m))
			}
			recs = append(recs, rec)
		}
		if len(recs) >= 2*maxN {
			pools[v.Name] = recs
		} else {
			fmt.Fprintf(env.Stderr, "skipping %s: %d valid samples, n=%d needs %d\n", v.Name, len(recs), maxN, 2*maxN)
		}
	}
	if len(pools) == 0 {
		return ExitBadInput, badInput(fmt.Errorf("%s: no variant has %d valid samples; record more with --samples", *from, 2*maxN))
	}
	rule := stats.Rule{Threshold: *threshold / 100, Alpha: *alpha / float64(len(ms))}
	deciders := []stats.Decider{
		stats.RuleDecider(rule),
		stats.AdaptiveDecider(rule, stats.Sequential{Block: 20}),
		stats.RatioOfMeansDecider(2.0),
		stats.RatioOfMeansDecider(1.0 + *threshold/100),
		stats.SingleRunDecider(0.10),
	}
	cells, err := stats.Calibrate(pools, ns, shifts, *trials, deciders, *seed)
	if err != nil {
		return ExitBadInput, badInput(err)
	}
	writeCalibration(env.Stdout, cells, ms, *trials, *alpha, *threshold, res)
	return ExitOK, nil
}

func writeCalibration(w io.Writer, cells []stats.CalibrationCell, metrics []string, trials int, alpha, threshold float64, res *results.Results) {
	fmt.Fprintf(w, "Calibration on recorded cold starts (%s; %s, %d cores, cgroup %s, %d MB)\n",
		res.CreatedAt.Format("2006-01-02"), cmp.Or(res.Environment.CPU, "–"), res.Environment.Cores, res.Environment.Limits.Cgroup, res.Config.MemoryMB)
	fmt.Fprintf(w, "Gate on %s; coldbench rule: Mann-Whitney p < %g (split across metrics) and Hodges-Lehmann shift >= %g%%. %d resamples a cell.\n",
		strings.Join(metrics, " + "), alpha, threshold, trials)
	fmt.Fprintln(w, "Cells: share of trials judged a regression (A/A column: false alarms of either kind, regression + improvement).")
	byPool := map[string][]stats.CalibrationCell{}
	var pools []string
	for _, c := range cells {
		if _, ok := byPool[c.Pool]; !ok {
			pools = append(pools, c.Pool)
		}
		byPool[c.Pool] = append(byPool[c.Pool], c)
	}
	for _, p := range pools {
		fmt.Fprintf(w, "\npool %s\n", p)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		var shifts []float64
		seen := map[float64]bool{}
		for _, c := range byPool[p] {
			if !seen[c.ShiftPct] {
				seen[c.ShiftPct] = true
				shifts = append(shifts, c.ShiftPct)
			}
		}
		fmt.Fprint(tw, "decider\tn\t")
		for _, s := range shifts {
			if s == 0 {
				fmt.Fprint(tw, "A/A alarms\t")
			} else {
				fmt.Fprintf(tw, "+%g%%\t", s)
			}
		}
		fmt.Fprintln(tw)
		type key struct {
			d string
			n int
		}
		rows := map[key]map[float64]stats.CalibrationCell{}
		var order []key
		for _, c := range byPool[p] {
			k := key{c.Decider, c.N}
			if rows[k] == nil {
				rows[k] = map[float64]stats.CalibrationCell{}
				order = append(order, k)
			}
			rows[k][c.ShiftPct] = c
		}
		for _, k := range order {
			fmt.Fprintf(tw, "%s\t%d\t", k.d, k.n)
			for _, s := range shifts {
				c := rows[k][s]
				v := c.Regression
				if s == 0 {
					v = c.Regression + c.Improvement
				}
				fmt.Fprintf(tw, "%.1f%%\t", v*100)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			return nil, fmt.Errorf("%q: want whole numbers of at least 2", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func joinMetrics(ms []results.Metric) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return strings.Join(out, ",")
}

package verdict

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/coldbench/coldbench/pkg/results"
)

// Between-run calibration: a release gate on a stored baseline compares this run's head with a
// run stored days before, on whatever runner the scheduler gave each. The stored run and this one
// each measured the references beside the handler; the rule takes the machine's drift between
// the runs, estimated from them, out of the shift (runDrift). The recordings are two runs (or the
// two halves of one) of several references: each takes a turn as the handler, the others are its
// references, and every trial draws the same rounds of all of them (block bootstrap, as in
// Calibrate), base's from the earlier run and head's from the later one.

// Designs of a between-run calibration trial.
const (
	DesignBetweenUncorrected = "between runs, uncorrected (stored baseline)"
	DesignBetweenCorrected   = "between runs, corrected by the references"
)

// BetweenScenarios are the between-run table's rows.
var BetweenScenarios = []Scenario{Scenarios[0], Scenarios[2], Scenarios[3]}

// BetweenRunsConfig is the rule and the size of each simulated run.
type BetweenRunsConfig struct {
	ThresholdPct, Alpha float64
	// Rounds is each run's rounds (the refresh stores 100); BlockLen the bootstrap's block.
	Rounds, BlockLen, Trials int
	Seed                     uint64
}

// CalibrateBetweenRuns simulates release gates of each variant of then (the stored run) against
// now (the later run) for every scenario, without and with the other variants as references.
// Cancelled, it returns the rows it finished and ctx's error.
func CalibrateBetweenRuns(ctx context.Context, then, now map[string][]Round, scenarios []Scenario, cfg BetweenRunsConfig) ([]CalibrationCell, error) {
	var names []string
	for n := range then {
		if _, ok := now[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) < 2 {
		return nil, fmt.Errorf("calibrate: between runs needs two variants in both recordings (one the handler, the others its references), have %v", names)
	}
	lenOf := func(pools map[string][]Round) int {
		n := -1
		for _, name := range names {
			if n < 0 || len(pools[name]) < n {
				n = len(pools[name])
			}
		}
		return n
	}
	nThen, nNow := lenOf(then), lenOf(now)
	if min(nThen, nNow) < 2*cfg.BlockLen {
		return nil, fmt.Errorf("calibrate: %d and %d rounds in the two runs, want at least %d each", nThen, nNow, 2*cfg.BlockLen)
	}
	var out []CalibrationCell
	for pi, pool := range names {
		refs := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == pool })
		med := medianInit(then[pool])
		for si, sc := range scenarios {
			for di, design := range []string{DesignBetweenUncorrected, DesignBetweenCorrected} {
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(pi)<<32|uint64(si)<<8|uint64(di)|1<<20))
				cell := CalibrationCell{Pool: pool, Scenario: sc.Name, Design: design, Trials: cfg.Trials}
				for t := 0; t < cfg.Trials; t++ {
					if err := ctx.Err(); err != nil {
						return out, err
					}
					thenIdx := drawIndices(rng, nThen, cfg.Rounds, cfg.BlockLen)
					nowIdx := drawIndices(rng, nNow, cfg.Rounds, cfg.BlockLen)
					r := &results.Results{Config: results.RunConfig{ThresholdPct: cfg.ThresholdPct, Alpha: cfg.Alpha,
						InitTimeoutMs: 10_000, TimeoutMs: 30_000, Seed: cfg.Seed, Baseline: "recording", BaselineRun: "the earlier recording"}}
					add := func(name string, role results.Role, rounds []Round, idx []int, change bool) {
						r.Variants = append(r.Variants, results.Variant{Name: name, Role: role})
						for i, k := range idx {
							r.Samples = append(r.Samples, rounds[k].samples(rng, name, i, sc, med, change)...)
						}
					}
					add("head", results.RoleHead, now[pool], nowIdx, true)
					add("baseline", results.RoleBase, then[pool], thenIdx, false)
					if design == DesignBetweenCorrected {
						for _, ref := range refs {
							add(ref, results.RoleReference, now[ref], nowIdx, false)
							add(results.BaselineReferenceName(ref), results.RoleBaselineReference, then[ref], thenIdx, false)
						}
					}
					Decide(r)
					cell.tally(r.Verdict, 0, cfg.Rounds)
				}
				out = append(out, cell.averaged())
			}
		}
	}
	return out, nil
}

// drawIndices is drawRounds on round numbers: blocks of blockLen consecutive ones from random
// places in 0..n-1 (wrapping around) until there are want, so every variant gets the same rounds.
func drawIndices(rng *rand.Rand, n, want, blockLen int) []int {
	out := make([]int, 0, want)
	for len(out) < want {
		start := rng.IntN(n)
		for k := 0; k < blockLen && len(out) < want; k++ {
			out = append(out, (start+k)%n)
		}
	}
	return out
}

// SplitRounds is the first and second half of each variant's rounds: two runs of one recording.
func SplitRounds(pools map[string][]Round) (first, second map[string][]Round) {
	first, second = map[string][]Round{}, map[string][]Round{}
	for name, p := range pools {
		first[name], second[name] = p[:len(p)/2], p[len(p)/2:]
	}
	return first, second
}

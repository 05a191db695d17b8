package verdict

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// Calibration runs the pipeline's own rule (paired rounds, init-only samples, looks every Block
// rounds at the spent alpha, stopping when settled or when the time budget is spent) on real
// recorded cold starts, kept in time order: trials are drawn as blocks of consecutive rounds
// (a circular block bootstrap), so the machine's drift from one minute to the next is in them, and
// known changes are injected into the head's rounds.

// Round is one round of a recorded variant: its full cold start and its init-only ones.
type Round struct {
	Full results.Sample
	Init []results.Sample
}

// Rounds splits a recording into each variant's rounds, in time order. Variants with failed or
// partial rounds keep them: failures are part of what the rule must live with.
func Rounds(r *results.Results) map[string][]Round {
	out := map[string][]Round{}
	for _, v := range r.Variants {
		byIndex := map[int]*Round{}
		var order []int
		for _, s := range r.SamplesOf(v.Name) {
			rd, ok := byIndex[s.Index]
			if !ok {
				rd = &Round{}
				byIndex[s.Index] = rd
				order = append(order, s.Index)
			}
			if s.InitOnly {
				rd.Init = append(rd.Init, s)
			} else {
				rd.Full = s
			}
		}
		sort.Ints(order)
		for _, i := range order {
			out[v.Name] = append(out[v.Name], *byIndex[i])
		}
	}
	return out
}

// Scenario is a change injected into the head's samples (nil Apply: A/A). medianInit is the pool's.
type Scenario struct {
	Name  string
	Apply func(rng *rand.Rand, s *results.Sample, medianInit float64)
}

// initTimes multiplies init (and so cold latency) by f.
func initTimes(f float64) func(*rand.Rand, *results.Sample, float64) {
	return func(_ *rand.Rand, s *results.Sample, _ float64) {
		if s.InitMs > 0 {
			s.ColdMs += s.InitMs * (f - 1) * boolf(s.ColdMs > 0)
			s.InitMs *= f
		}
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Scenarios are the changes that happen to real handlers.
var Scenarios = []Scenario{
	{Name: "A/A (no change)"},
	{Name: "init +4% (below the threshold)", Apply: initTimes(1.04)},
	{Name: "init +10%", Apply: initTimes(1.10)},
	{Name: "init +20%", Apply: initTimes(1.20)},
	{Name: "init +10% of its median, added", Apply: func(_ *rand.Rand, s *results.Sample, med float64) {
		if s.InitMs > 0 {
			s.InitMs += med / 10
			if s.ColdMs > 0 {
				s.ColdMs += med / 10
			}
		}
	}},
	{Name: "invoke +10%", Apply: func(_ *rand.Rand, s *results.Sample, _ float64) {
		if s.DurationMs > 0 {
			s.ColdMs += s.DurationMs * 0.1
			s.DurationMs *= 1.1
		}
	}},
	{Name: "tail: 20% of starts +50% init", Apply: func(rng *rand.Rand, s *results.Sample, med float64) {
		if rng.Float64() < 0.2 {
			initTimes(1.5)(rng, s, med)
		}
	}},
	{Name: "10% of cold starts crash", Apply: func(rng *rand.Rand, s *results.Sample, _ float64) {
		if rng.Float64() < 0.1 {
			s.InitMs, s.DurationMs, s.ColdMs, s.Response = 0, 0, 0, ""
			s.Error = &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit, Reason: "injected crash"}
		}
	}},
}

// CalibrationConfig is the rule and budget to simulate.
type CalibrationConfig struct {
	ThresholdPct, Alpha float64
	MaxTime             time.Duration // sampling budget (of recorded wall time)
	Block               int           // rounds between looks
	MaxRounds           int
	Trials              int
	BlockLen            int // rounds per bootstrap block
	Seed                uint64
}

// CalibrationCell is how the rule decided one scenario on one pool.
type CalibrationCell struct {
	Pool, Scenario, Design string
	Trials                 int
	Regression             float64 // share of trials judged a regression (false alarms in A/A)
	Improvement            float64
	Inconclusive           float64
	NoChange               float64
	MeanWallS              float64 // recorded sampling time the trials took
	MeanRounds             float64
}

// Designs of a calibration trial.
const (
	DesignInterleaved = "interleaved (same run, paired rounds)"
	DesignBetweenRuns = "between runs (stored baseline, unpaired)"
)

// Calibrate simulates the rule on every pool for every scenario, interleaved, and the A/A and
// +10% init scenarios between runs (base from the recording's first half, head from its second).
// Cancelled, it returns the rows it finished and ctx's error.
func Calibrate(ctx context.Context, pools map[string][]Round, scenarios []Scenario, cfg CalibrationConfig) ([]CalibrationCell, error) {
	var out []CalibrationCell
	names := make([]string, 0, len(pools))
	for n, p := range pools {
		if len(p) < 4*cfg.BlockLen {
			return nil, fmt.Errorf("calibrate: pool %s has %d rounds, want at least %d", n, len(p), 4*cfg.BlockLen)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for pi, name := range names {
		pool := pools[name]
		med := medianInit(pool)
		for si, sc := range scenarios {
			designs := []string{DesignInterleaved}
			if si == 0 || sc.Name == "init +10%" {
				designs = append(designs, DesignBetweenRuns)
			}
			for di, design := range designs {
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(pi)<<32|uint64(si)<<8|uint64(di)))
				cell := CalibrationCell{Pool: name, Scenario: sc.Name, Design: design, Trials: cfg.Trials}
				for t := 0; t < cfg.Trials; t++ {
					if err := ctx.Err(); err != nil {
						return out, err
					}
					var head, base []Round
					if design == DesignInterleaved {
						seq := drawRounds(rng, pool, 2*cfg.MaxRounds, cfg.BlockLen)
						for i := 0; i+1 < len(seq); i += 2 {
							head, base = append(head, seq[i]), append(base, seq[i+1])
						}
					} else {
						half := len(pool) / 2
						base = drawRounds(rng, pool[:half], cfg.MaxRounds, cfg.BlockLen)
						head = drawRounds(rng, pool[half:], cfg.MaxRounds, cfg.BlockLen)
					}
					v, wall, rounds := simulate(rng, head, base, sc, med, design == DesignInterleaved, cfg)
					cell.tally(v, wall, rounds)
				}
				out = append(out, cell.averaged())
			}
		}
	}
	return out, nil
}

// tally counts one trial's verdict, sampling time and rounds.
func (c *CalibrationCell) tally(v results.Verdict, wall time.Duration, rounds int) {
	switch v {
	case results.Regression:
		c.Regression++
	case results.Improvement:
		c.Improvement++
	case results.Inconclusive:
		c.Inconclusive++
	default:
		c.NoChange++
	}
	c.MeanWallS += wall.Seconds()
	c.MeanRounds += float64(rounds)
}

// averaged turns the tallies of c.Trials trials into shares and means.
func (c CalibrationCell) averaged() CalibrationCell {
	n := float64(c.Trials)
	c.Regression, c.Improvement, c.Inconclusive, c.NoChange = c.Regression/n, c.Improvement/n, c.Inconclusive/n, c.NoChange/n
	c.MeanWallS, c.MeanRounds = c.MeanWallS/n, c.MeanRounds/n
	return c
}

// samples are the round's samples as round i of variant name in a trial, copied (their errors
// too), with the scenario's change applied when change is set.
func (rd Round) samples(rng *rand.Rand, name string, i int, sc Scenario, med float64, change bool) []results.Sample {
	out := make([]results.Sample, 0, 1+len(rd.Init))
	for _, s := range append([]results.Sample{rd.Full}, rd.Init...) {
		s.Variant, s.Index = name, i
		if s.Error != nil {
			e := *s.Error
			s.Error = &e
		}
		if change && sc.Apply != nil {
			sc.Apply(rng, &s, med)
		}
		out = append(out, s)
	}
	return out
}

// drawRounds concatenates blocks of blockLen consecutive rounds from random places in pool
// (wrapping around) until it has n rounds.
func drawRounds(rng *rand.Rand, pool []Round, n, blockLen int) []Round {
	out := make([]Round, 0, n)
	for len(out) < n {
		start := rng.IntN(len(pool))
		for k := 0; k < blockLen && len(out) < n; k++ {
			out = append(out, pool[(start+k)%len(pool)])
		}
	}
	return out
}

func medianInit(pool []Round) float64 {
	var xs []float64
	for _, r := range pool {
		if r.Full.InitOK() {
			xs = append(xs, r.Full.InitMs)
		}
	}
	slices.Sort(xs)
	return stats.Quantile(xs, 0.5)
}

// simulate runs the pipeline's sampling loop on prepared rounds: a look every Block rounds, stop
// when settled, when the recorded sampling time passes the budget, or at MaxRounds.
func simulate(rng *rand.Rand, head, base []Round, sc Scenario, med float64, paired bool, cfg CalibrationConfig) (results.Verdict, time.Duration, int) {
	r := &results.Results{
		Config: results.RunConfig{ThresholdPct: cfg.ThresholdPct, Alpha: cfg.Alpha, Adaptive: true, Block: cfg.Block,
			InitTimeoutMs: 10_000, TimeoutMs: 30_000, Seed: cfg.Seed},
		Variants: []results.Variant{{Name: "head", Role: results.RoleHead}, {Name: "base", Role: results.RoleBase}},
	}
	if !paired {
		r.Config.BaselineRun = "recorded first half"
	}
	add := func(name string, i int, rd Round, change bool) float64 {
		wall := 0.0
		for _, s := range rd.samples(rng, name, i, sc, med, change) {
			wall += s.WallMs
			r.Samples = append(r.Samples, s)
		}
		return wall
	}
	taken := 0
	rule := Sequential{Block: cfg.Block, MaxRounds: cfg.MaxRounds, MaxTime: cfg.MaxTime}
	// The recorded rounds never fail, so take has no error and stops no variant; the time is
	// the recorded samples' wall time.
	o, _ := rule.Run(r, func(n int) (Block, error) {
		wallMs := 0.0
		for k := 0; k < n; k++ {
			wallMs += add("head", taken, head[taken], true)
			wallMs += add("base", taken, base[taken], false)
			taken++
		}
		return Block{Elapsed: time.Duration(wallMs * float64(time.Millisecond)), Variants: 2}, nil
	})
	return r.Verdict, o.Elapsed, o.Rounds
}

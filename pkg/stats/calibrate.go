package stats

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// CalibrationCell is one line of a calibration: how often a decision rule fires on n samples a
// side with a given true shift (0 for A/A).
type CalibrationCell struct {
	Pool     string  `json:"pool"`
	Decider  string  `json:"decider"`
	N        int     `json:"n"`
	ShiftPct float64 `json:"shift_pct"`
	Trials   int     `json:"trials"`
	// Regression is the share of trials judged a regression: the false-alarm rate at shift 0, the
	// detection rate above it. Improvement is the share judged an improvement (a false alarm of
	// the other kind in A/A), Inconclusive the share left undecided.
	Regression   float64 `json:"regression_rate"`
	Improvement  float64 `json:"improvement_rate"`
	Inconclusive float64 `json:"inconclusive_rate"`
}

// Decider turns n head and n base samples of one metric into a verdict; Calibrate compares
// coldbench's rule with the naive rules CI benchmark tools use.
type Decider struct {
	Name   string
	Decide func(head, base []float64) results.Verdict
}

// RuleDecider is coldbench's rule on one metric.
func RuleDecider(rule Rule) Decider {
	return Decider{
		Name: fmt.Sprintf("coldbench (p<%g, shift>=%g%%)", rule.Alpha, rule.Threshold*100),
		Decide: func(head, base []float64) results.Verdict {
			c, err := Compare("x", head, base, rule)
			if err != nil {
				return Inconclusive
			}
			return c.Verdict
		},
	}
}

// RatioOfMeansDecider alerts when mean(head)/mean(base) reaches ratio, as github-action-benchmark
// does with its alert-threshold (default 200%) on one value per run.
func RatioOfMeansDecider(ratio float64) Decider {
	return Decider{
		Name: fmt.Sprintf("ratio of means >= %.0f%%", ratio*100),
		Decide: func(head, base []float64) results.Verdict {
			return byRatio(stat.Mean(head, nil)/stat.Mean(base, nil), ratio)
		},
	}
}

// SingleRunDecider compares one head sample with one base sample against a relative threshold:
// what a gate on a single cold start per branch decides.
func SingleRunDecider(threshold float64) Decider {
	return Decider{
		Name: fmt.Sprintf("single run, %.0f%% threshold", threshold*100),
		Decide: func(head, base []float64) results.Verdict {
			return byRatio(head[0]/base[0], 1+threshold)
		},
	}
}

func byRatio(r, limit float64) results.Verdict {
	switch {
	case r >= limit:
		return Regression
	case r <= 1/limit:
		return Improvement
	}
	return NoChange
}

// Calibrate resamples real recorded samples: for each pool, n and shift, it draws 2n distinct
// samples, makes the first n the head (multiplied by 1+shift) and the rest the base, and counts
// each decider's verdicts over trials. Shift 0 is the A/A test. A pool's records hold one value
// per metric; a decider is applied to every metric and a trial's verdict is the worst of them, as
// the gate decides on several metrics at once. Deterministic for a seed.
func Calibrate(pools map[string][][]float64, ns []int, shifts []float64, trials int, deciders []Decider, seed uint64) ([]CalibrationCell, error) {
	names := make([]string, 0, len(pools))
	for name, xs := range pools {
		for _, n := range ns {
			if 2*n > len(xs) {
				return nil, fmt.Errorf("calibrate: pool %s has %d samples, n=%d needs %d", name, len(xs), n, 2*n)
			}
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var out []CalibrationCell
	for pi, name := range names {
		pool := pools[name]
		for _, n := range ns {
			for _, shift := range shifts {
				rng := rand.New(rand.NewPCG(seed, uint64(pi)<<40|uint64(n)<<20|uint64(shift*1000)))
				counts := make([]map[results.Verdict]int, len(deciders))
				for i := range counts {
					counts[i] = map[results.Verdict]int{}
				}
				metrics := len(pool[0])
				head, base := make([]float64, n), make([]float64, n)
				for t := 0; t < trials; t++ {
					perm := rng.Perm(len(pool))
					for d, dec := range deciders {
						verdict := NoChange
						for m := 0; m < metrics; m++ {
							for i := 0; i < n; i++ {
								head[i] = pool[perm[i]][m] * (1 + shift)
								base[i] = pool[perm[n+i]][m]
							}
							verdict = Worse(verdict, dec.Decide(head, base))
						}
						counts[d][verdict]++
					}
				}
				for d, dec := range deciders {
					out = append(out, CalibrationCell{
						Pool: name, Decider: dec.Name, N: n, ShiftPct: shift * 100, Trials: trials,
						Regression:   float64(counts[d][Regression]) / float64(trials),
						Improvement:  float64(counts[d][Improvement]) / float64(trials),
						Inconclusive: float64(counts[d][Inconclusive]) / float64(trials),
					})
				}
			}
		}
	}
	return out, nil
}

// Worse returns the graver of two verdicts, as the gate ranks them: regression, improvement,
// inconclusive, none.
func Worse(a, b results.Verdict) results.Verdict {
	rank := map[results.Verdict]int{NoChange: 0, Inconclusive: 1, Improvement: 2, Regression: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Sequential is a fixed look schedule for adaptive sampling: analyse after every Block samples a
// side, up to Max, stopping as soon as the verdict is settled (anything but inconclusive). Each
// look tests at Alpha divided by the number of looks (Bonferroni), so however early it stops,
// the false-alarm rate stays within the rule's alpha. Stopping on "no change" can only lower it.
type Sequential struct {
	Block, Max int
}

// Looks is the number of analyses the schedule allows.
func (q Sequential) Looks() int { return (q.Max + q.Block - 1) / q.Block }

// LookRule is the rule each look applies.
func (q Sequential) LookRule(r Rule) Rule {
	r.Alpha /= float64(q.Looks())
	return r
}

// Sizes lists the samples a side at each look.
func (q Sequential) Sizes() []int {
	var out []int
	for n := q.Block; ; n += q.Block {
		if n >= q.Max {
			return append(out, q.Max)
		}
		out = append(out, n)
	}
}

// Settled reports whether a verdict ends adaptive sampling.
func Settled(verdict results.Verdict) bool { return verdict != Inconclusive }

// AdaptiveDecider applies a schedule of q.Block a look, up to all the samples it is given.
func AdaptiveDecider(rule Rule, q Sequential) Decider {
	return Decider{
		Name: fmt.Sprintf("coldbench adaptive (%d a look)", q.Block),
		Decide: func(head, base []float64) results.Verdict {
			sq := Sequential{Block: q.Block, Max: len(head)}
			look := RuleDecider(sq.LookRule(rule))
			v := Inconclusive
			for _, n := range sq.Sizes() {
				if v = look.Decide(head[:n], base[:n]); Settled(v) {
					return v
				}
			}
			return v
		},
	}
}

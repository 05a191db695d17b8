package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// series is n log values with noise sd and a step of stepPct at index at (0: none).
func series(seed uint64, n int, sd float64, at int, stepPct float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.Log(40) + rng.NormFloat64()*sd
		if at > 0 && i >= at {
			xs[i] += math.Log1p(stepPct / 100)
		}
	}
	return xs
}

func TestChangePointsFindsAStep(t *testing.T) {
	t.Parallel()
	missed, split := 0, 0
	for seed := uint64(1); seed <= 40; seed++ {
		cps := ChangePoints(series(seed, 60, 0.03, 31, 15), ChangePointOptions{})
		var cp *ChangePoint
		for i := range cps {
			if cps[i].Index >= 30 && cps[i].Index <= 32 {
				cp = &cps[i]
			}
		}
		if cp == nil {
			t.Fatalf("seed %d: ChangePoints = %+v, want one at 31±1", seed, cps)
		}
		if len(cps) > 1 {
			// A step whose first points drew low noise can read as two steps: rare, never none.
			split++
			t.Logf("seed %d: %d change points: %+v", seed, len(cps), cps)
		}
		if len(cps) == 1 && (cp.CILowPct > 15 || cp.CIHighPct < 15) {
			missed++
		}
		if len(cps) == 1 && (cp.ShiftPct < 10 || cp.ShiftPct > 20) {
			t.Errorf("seed %d: shift %+.1f%% (%+.1f%%…%+.1f%%), want about +15%%", seed, cp.ShiftPct, cp.CILowPct, cp.CIHighPct)
		}
		if cp.PValue > 0.001 {
			t.Errorf("seed %d: p = %g, want ≤ 0.001", seed, cp.PValue)
		}
	}
	// A 95% interval misses now and then: 2 of 40 on average, more than 6 is a broken interval.
	if split > 2 {
		t.Errorf("%d of 40 series with one +15%% step had more than one change point, want at most 2", split)
	}
	if missed > 6 {
		t.Errorf("the 95%% interval missed the +15%% step in %d of 40 series, want at most 6", missed)
	}
}

func TestChangePointsFlatFindsNothing(t *testing.T) {
	t.Parallel()
	flagged := 0
	for seed := uint64(1); seed <= 200; seed++ {
		if cps := ChangePoints(series(seed, 60, 0.03, 0, 0), ChangePointOptions{}); len(cps) > 0 {
			flagged++
		}
	}
	// Many windows, each tested at 0.001: a handful of the 200 flat series may be flagged.
	if flagged > 4 {
		t.Errorf("%d of 200 flat series had a change point, want at most 4 (2%%)", flagged)
	}
}

func TestChangePointsSeveralAndBothWays(t *testing.T) {
	t.Parallel()
	xs := series(3, 90, 0.02, 30, 20)
	for i := 60; i < 90; i++ {
		xs[i] -= math.Log1p(0.20) // reverted at 60
	}
	cps := ChangePoints(xs, ChangePointOptions{})
	if len(cps) != 2 || cps[0].Index < 29 || cps[0].Index > 31 || cps[1].Index < 59 || cps[1].Index > 61 {
		t.Fatalf("ChangePoints = %+v, want 30 and 60", cps)
	}
	if cps[0].ShiftPct < 0 || cps[1].ShiftPct > 0 {
		t.Errorf("shifts %+.1f%%, %+.1f%%: want up, then down", cps[0].ShiftPct, cps[1].ShiftPct)
	}
}

func TestChangePointsMinMagnitudeAndShortSeries(t *testing.T) {
	t.Parallel()
	xs := series(5, 60, 0.005, 31, 3) // significant, but 3%
	if cps := ChangePoints(xs, ChangePointOptions{}); len(cps) != 1 {
		t.Errorf("ChangePoints(3%% step, low noise) = %+v, want it found", cps)
	}
	if cps := ChangePoints(xs, ChangePointOptions{MinMagnitude: 0.05}); len(cps) != 0 {
		t.Errorf("ChangePoints(3%% step, MinMagnitude 5%%) = %+v, want none", cps)
	}
	if cps := ChangePoints([]float64{1, 1, 2, 2}, ChangePointOptions{}); cps != nil {
		t.Errorf("ChangePoints(4 points) = %+v, want nil", cps)
	}
}

func TestBestSplitMatchesTheDefinition(t *testing.T) {
	t.Parallel()
	xs := series(9, 17, 0.1, 9, 30)
	naive := func(tau int) float64 {
		var b, wl, wr float64
		for i := 0; i < len(xs); i++ {
			for j := i + 1; j < len(xs); j++ {
				d := math.Abs(xs[i] - xs[j])
				switch {
				case j < tau:
					wl += d
				case i >= tau:
					wr += d
				default:
					b += d
				}
			}
		}
		m, r := float64(tau), float64(len(xs)-tau)
		return m * r / (m + r) * (2*b/(m*r) - wl/(m*(m-1)/2) - wr/(r*(r-1)/2))
	}
	best, bestQ := -1, math.Inf(-1)
	for tau := 3; tau <= len(xs)-3; tau++ {
		if q := naive(tau); q > bestQ {
			best, bestQ = tau, q
		}
	}
	if i, q := bestSplit(xs, 3); i != best || math.Abs(q-bestQ) > 1e-9 {
		t.Errorf("bestSplit = %d (Q %g), want %d (Q %g)", i, q, best, bestQ)
	}
}

package trend

import (
	"crypto/sha1"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// history is a synthetic 60-commit history of a handler stored by the scheduled refresh with
// three references in each run, on the runners a hosted fleet gives: every run's machine speed is
// a slow random walk (1.5% a run), a fleet change at commit 20 (-12%: faster hosts) that lasts
// until commit 45, and one run in four on a host of the slower class (+15%); each variant feels
// the drift with a sensitivity of its own (1 ± 5%), and each median has 1.5% of noise (the
// median of 100 cold starts). Two commits are stored twice. The handler's init is 40 ms, times
// step from commit stepAt (1-based) on.
func history(seed uint64, stepAt int, step float64) []*results.Results {
	rng := rand.New(rand.NewPCG(seed, 60))
	type variant struct {
		name        string
		role        results.Role
		init        float64
		sensitivity float64
	}
	vs := []variant{{"head", results.RoleHead, 40, 1}, {"go", results.RoleReference, 10, 1}, {"rust", results.RoleReference, 3.4, 1}, {"deno", results.RoleReference, 90, 1}}
	for i := range vs {
		vs[i].sensitivity = 1 + 0.05*rng.NormFloat64()
	}
	walk := 0.0
	start := time.Date(2026, 6, 1, 4, 17, 0, 0, time.UTC)
	var runs []*results.Results
	for c := 1; c <= 60; c++ {
		times := 1
		if c == 10 || c == 47 {
			times = 2
		}
		for k := 0; k < times; k++ {
			walk = 0.9*walk + 0.015*rng.NormFloat64()
			logSpeed := walk
			if c >= 20 && c < 45 {
				logSpeed += math.Log(0.88)
			}
			if rng.Float64() < 0.25 {
				logSpeed += math.Log(1.15)
			}
			r := &results.Results{CreatedAt: start.Add(time.Duration(len(runs)) * 24 * time.Hour),
				Config: results.RunConfig{HeadRef: commitSHA(c), ThresholdPct: 5}}
			for _, v := range vs {
				init := v.init
				if v.role == results.RoleHead && stepAt > 0 && c >= stepAt {
					init *= step
				}
				speed := math.Exp(logSpeed * v.sensitivity)
				init *= speed * math.Exp(0.015*rng.NormFloat64())
				cold := init + 135*speed*math.Exp(0.01*rng.NormFloat64())
				variant := results.Variant{Name: v.name, Role: v.role}
				variant.Summary.Set(results.MetricInit, &results.Summary{N: 100, P50: init})
				variant.Summary.Set(results.MetricCold, &results.Summary{N: 100, P50: cold})
				r.Variants = append(r.Variants, variant)
			}
			runs = append(runs, r)
		}
	}
	return runs
}

// commitSHA is commit c's made-up SHA.
func commitSHA(c int) string { return fmt.Sprintf("%x", sha1.Sum([]byte{byte(c)})) }

func series(ss []Series, variant string, m results.Metric) *Series {
	for i := range ss {
		if ss[i].Variant == variant && ss[i].Metric == m {
			return &ss[i]
		}
	}
	return nil
}

// The check: a +15% step at commit 31 in a history with noise and drift is found at
// 31±1 and nothing else is flagged; the drift alone flags nothing.
func TestStepAt31FoundAndNothingElse(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 10; seed++ {
		ss := Analyze(history(seed, 31, 1.15), Options{})
		init := series(ss, "head", results.MetricInit)
		if init == nil || len(init.Points) != 60 {
			t.Fatalf("seed %d: head init series %+v, want 60 commits", seed, init)
		}
		if len(init.Changes) != 1 {
			t.Fatalf("seed %d: changes %v, want one", seed, init.Changes)
		}
		c := init.Changes[0]
		if commit := c.Index + 1; commit < 30 || commit > 32 {
			t.Errorf("seed %d: change at commit %d, want 31±1", seed, commit)
		}
		if c.ShiftPct < 12 || c.ShiftPct > 18 || c.CILowPct >= c.ShiftPct || c.CIHighPct <= c.ShiftPct || c.Confidence < 0.999 {
			t.Errorf("seed %d: change %s, want about +15%%, confident", seed, c)
		}
		if c.FromRef != init.Points[c.Index-1].Ref || c.ToRef != init.Points[c.Index].Ref {
			t.Errorf("seed %d: commit range %s..%s", seed, c.FromRef, c.ToRef)
		}
		for _, s := range ss {
			if (s.Variant != "head" || s.Metric != results.MetricInit) && len(s.Changes) > 0 {
				t.Errorf("seed %d: %s %s has changes %v, want none (cold latency moves by 3%%, under the threshold)", seed, s.Variant, s.Metric, s.Changes)
			}
		}
	}
}

func TestFlatHistoryWithDriftFlagsNothing(t *testing.T) {
	t.Parallel()
	falseAlarms := 0
	for seed := uint64(1); seed <= 10; seed++ {
		for _, s := range Analyze(history(seed, 0, 1), Options{}) {
			if len(s.Changes) > 0 {
				t.Errorf("seed %d: %s %s has changes %v, want none", seed, s.Variant, s.Metric, s.Changes)
			}
		}
		// The control: the same history without the correction reads the fleet change as the
		// handler's.
		if s := series(Analyze(history(seed, 0, 1), Options{Uncorrected: true}), "head", results.MetricInit); len(s.Changes) > 0 {
			falseAlarms++
		}
	}
	if falseAlarms < 8 {
		t.Errorf("uncorrected, only %d of 10 drifting histories had a change point: the test's drift does not test the correction", falseAlarms)
	}
}

// Runs without references are not corrected, and say so; a history of the references alone
// tracks each of them, corrected by the others.
func TestDriftKnownAndReferencesAlone(t *testing.T) {
	t.Parallel()
	runs := history(3, 0, 1)
	runs[5].Variants = runs[5].Variants[:1]
	init := series(Analyze(runs, Options{}), "head", results.MetricInit)
	if init.Points[5].DriftKnown || !init.Points[6].DriftKnown || init.Points[5].Corrected != init.Points[5].Median {
		t.Errorf("points %+v %+v: want the run without references uncorrected", init.Points[5], init.Points[6])
	}
	refsOnly := history(4, 31, 1.15)
	for k, r := range refsOnly {
		r.Variants = r.Variants[1:]
		for i := range r.Variants {
			if r.Variants[i].Name == "go" {
				s := *r.Variants[i].Summary.Get(results.MetricInit)
				if k >= 31 { // commit 31 on: 10 and 47 are stored twice, so run 31 is commit 31
					s.P50 *= 1.15
				}
				r.Variants[i].Summary.Set(results.MetricInit, &s)
			}
		}
	}
	ss := Analyze(refsOnly, Options{})
	if g := series(ss, "go", results.MetricInit); g == nil || len(g.Changes) != 1 || len(g.References) != 2 {
		t.Errorf("references alone: go %+v, want its step found, corrected by rust and deno", g)
	}
}

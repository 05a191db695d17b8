package verdict

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// betweenRuns is a release gate on a stored baseline: this run (head and the references) on a
// machine speed times slower than the stored run's (base and the same references), head's init
// change times base's.
func betweenRuns(seed uint64, speed, change float64, refs map[string]float64) *results.Results {
	r := &results.Results{Config: results.RunConfig{ThresholdPct: 5, Alpha: 0.01, Seed: 1,
		Baseline: "/store", BaselineRun: "20261101T000000.000Z-aaaa.json"}}
	rng := rand.New(rand.NewPCG(seed, 9))
	add := func(name string, role results.Role, init float64) {
		invoke := 100.0 // the machine's drift slows the invoke too
		if role == results.RoleHead || role == results.RoleReference {
			invoke *= speed
		}
		r.Variants = append(r.Variants, results.Variant{Name: name, Role: role})
		for i := 0; i < 60; i++ {
			v := init * math.Exp(rng.NormFloat64()*0.06)
			r.Samples = append(r.Samples, results.Sample{Variant: name, Index: i, InitMs: v, DurationMs: invoke, ColdMs: v + invoke, MaxMemoryMB: 30})
		}
	}
	add("head", results.RoleHead, 40*speed*change)
	add("baseline", results.RoleBase, 40)
	for name, ms := range refs {
		add(name, results.RoleReference, ms*speed)
		add(results.BaselineReferenceName(name), results.RoleBaselineReference, ms)
	}
	return r
}

func TestBetweenRunsCorrectedByTheReferences(t *testing.T) {
	t.Parallel()
	refs := map[string]float64{"go": 10, "rust": 3.4, "node": 48}
	for _, tc := range []struct {
		name          string
		speed, change float64
		refs          map[string]float64
		want          results.Verdict
		warn          string
	}{
		{"unchanged, runner 15% slower", 1.15, 1, refs, results.NoChange, WarnDriftCorrected},
		{"+20% init, runner 15% slower", 1.15, 1.20, refs, results.Regression, WarnDriftCorrected},
		{"+20% init, runner 10% faster", 0.90, 1.20, refs, results.Regression, WarnDriftCorrected},
		{"unchanged, runner 15% slower, no references", 1.15, 1, nil, results.Regression, WarnStoredBaseline},
	} {
		r := betweenRuns(1, tc.speed, tc.change, tc.refs)
		Analyze(r)
		init := r.Comparison(results.MetricInit)
		if r.Verdict != tc.want || init == nil {
			t.Errorf("%s: verdict %s (%+v), want %s", tc.name, r.Verdict, r.Comparisons, tc.want)
			continue
		}
		found := false
		for _, w := range r.Warnings {
			found = found || w.Code == tc.warn
		}
		if !found {
			t.Errorf("%s: warnings %+v, want a %s one", tc.name, r.Warnings, tc.warn)
		}
	}
}

func TestBetweenRunsReferencesDisagree(t *testing.T) {
	t.Parallel()
	r := betweenRuns(2, 1.0, 1.3, map[string]float64{"go": 10, "rust": 3.4})
	// rust's stored samples were taken on a machine 25% faster for rust alone.
	for i := range r.Samples {
		if r.Samples[i].Variant == results.BaselineReferenceName("rust") {
			r.Samples[i].InitMs /= 1.25
			r.Samples[i].ColdMs /= 1.25
		}
	}
	Analyze(r)
	if r.Verdict != results.Inconclusive {
		t.Fatalf("verdict %s, want inconclusive: %+v", r.Verdict, r.Comparisons)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || strings.Contains(w.Message, "inconclusive: the runners differ by")
	}
	if !found {
		t.Errorf("warnings %+v: want 'inconclusive: the runners differ by'", r.Warnings)
	}
}

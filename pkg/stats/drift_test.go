package stats

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// lognormalish is n cold-start-like values around median ms, times factor.
func lognormalish(rng *rand.Rand, n int, ms, factor float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = ms * factor * (1 + 0.08*rng.NormFloat64()*rng.NormFloat64() + 0.05*rng.Float64())
	}
	return out
}

func driftWorld(seed uint64, drifts map[string]float64) []DriftInput {
	rng := rand.New(rand.NewPCG(seed, 2))
	var out []DriftInput
	for name, f := range drifts {
		ms := map[string]float64{"go": 10, "rust": 3.4, "node": 48}[name]
		out = append(out, DriftInput{Name: name, Then: lognormalish(rng, 100, ms, 1), Now: lognormalish(rng, 100, ms, f)})
	}
	return out
}

func TestCompareCorrectedTakesTheDriftOut(t *testing.T) {
	t.Parallel()
	rule := Rule{Threshold: 0.05, Alpha: 0.01}
	for _, tc := range []struct {
		name       string
		headFactor float64
		uncorr     results.Verdict
		want       results.Verdict
	}{
		{"unchanged on a runner 12% slower", 1.12, Regression, NoChange},
		{"+20% on a runner 12% slower", 1.12 * 1.20, Regression, Regression},
		{"-12% on a runner 12% slower", 1.12 * 0.88, NoChange, Improvement},
	} {
		d, err := EstimateDrift(driftWorld(1, map[string]float64{"go": 1.12, "rust": 1.11, "node": 1.13}))
		if err != nil {
			t.Fatal(err)
		}
		if d.ShiftPct < 10 || d.ShiftPct > 14 || d.CILowPct > 12 || d.CIHighPct < 12 {
			t.Errorf("%s: drift %s (%+.1f%%…%+.1f%%), want about +12%%", tc.name, d, d.CILowPct, d.CIHighPct)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		base, head := lognormalish(rng, 100, 40, 1), lognormalish(rng, 100, 40, tc.headFactor)
		raw, _ := Compare(results.MetricInit, head, base, rule)
		c, err := CompareCorrected(results.MetricInit, head, base, d, rule)
		if err != nil {
			t.Fatal(err)
		}
		if raw.Verdict != tc.uncorr || c.Verdict != tc.want {
			t.Errorf("%s: uncorrected %s (%+.1f%%), corrected %s (%+.1f%%, %+.1f%%…%+.1f%%); want %s and %s",
				tc.name, raw.Verdict, raw.ShiftPct, c.Verdict, c.ShiftPct, c.CILowPct, c.CIHighPct, tc.uncorr, tc.want)
		}
		if c.Method != CorrectedMethod {
			t.Errorf("method %q", c.Method)
		}
	}
}

func TestCompareCorrectedSaysWhenTheReferencesDisagree(t *testing.T) {
	t.Parallel()
	d, err := EstimateDrift(driftWorld(5, map[string]float64{"go": 1.0, "rust": 1.25, "node": 1.12}))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Disagree(0.05) || d.QPValue >= 0.01 {
		t.Fatalf("Disagree = false (Q %.1f, p %g, drift %s), want true", d.Q, d.QPValue, d)
	}
	rng := rand.New(rand.NewPCG(6, 7))
	c, err := CompareCorrected(results.MetricInit, lognormalish(rng, 100, 40, 1.4), lognormalish(rng, 100, 40, 1), d, DefaultRule)
	if err != nil {
		t.Fatal(err)
	}
	if c.Verdict != Inconclusive || len(c.Warnings) == 0 || !strings.Contains(c.Warnings[len(c.Warnings)-1].Message, "inconclusive: the runners differ by +") {
		t.Errorf("verdict %s, warnings %+v; want inconclusive, the runners differ", c.Verdict, c.Warnings)
	}
	if d.Tau <= 0 {
		t.Errorf("tau = %g, want the references' spread", d.Tau)
	}
}

func TestEstimateDriftOneReferenceAndNone(t *testing.T) {
	t.Parallel()
	d, err := EstimateDrift(driftWorld(8, map[string]float64{"go": 0.9}))
	if err != nil || d.Tau != 0 || d.Disagree(0.05) || d.ShiftPct > -7 || d.ShiftPct < -13 {
		t.Errorf("EstimateDrift(one reference at -10%%) = %s, tau %g, %v", d, d.Tau, err)
	}
	if _, err := EstimateDrift(nil); err == nil {
		t.Error("EstimateDrift(nil): no error")
	}
}

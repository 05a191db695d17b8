package verdict

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
)

func TestBudgetMetricsAreResultMetrics(t *testing.T) {
	t.Parallel()
	for _, m := range config.BudgetMetrics {
		if !slices.Contains(results.Metrics, results.Metric(m)) {
			t.Errorf("config.BudgetMetrics has %q, which is not a results metric %v", m, results.Metrics)
		}
	}
}

// headBase is n interleaved samples of head and base around the given init medians.
func headBase(n int, headInit, baseInit float64) *results.Results {
	r := &results.Results{Config: results.RunConfig{ThresholdPct: 5, Alpha: 0.01, Seed: 1},
		Variants: []results.Variant{{Name: "head", Role: results.RoleHead}, {Name: "base", Role: results.RoleBase}}}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		for _, v := range []struct {
			name string
			init float64
		}{{"head", headInit}, {"base", baseInit}} {
			init := v.init * math.Exp(rng.NormFloat64()*0.05)
			r.Samples = append(r.Samples, results.Sample{Variant: v.name, Index: i, Seq: len(r.Samples),
				InitMs: init, DurationMs: 100, ColdMs: init + 100, MaxMemoryMB: 30})
		}
	}
	return r
}

// Every warning comes from facts recorded in the results, so re-analysing a file (what
// `coldbench report` does) keeps them all.
func TestWarningsSurviveReanalysis(t *testing.T) {
	t.Parallel()
	noBaseline := headBase(30, 40, 40)
	noBaseline.Variants = noBaseline.Variants[:1]
	noBaseline.Config.Baseline = "/store"
	adaptive := headBase(40, 40, 40)
	adaptive.Config.Adaptive, adaptive.Config.Looks, adaptive.Config.Block, adaptive.Config.Samples = true, 5, 20, 40
	stored := headBase(30, 40, 40)
	stored.Config.Baseline, stored.Config.BaselineRun = "/store", "20261101T000000.000Z-aaaa.json"
	for _, tt := range []struct {
		name string
		r    *results.Results
		code string
		want string
	}{
		{"no baseline", noBaseline, WarnNoBaseline, "no stored results of this handler in /store"},
		{"adaptive", adaptive, WarnAdaptive, "the last of 5 looks tested at alpha 0.00024 (0.01 spent over the looks"},
		{"stored baseline", stored, WarnStoredBaseline, "measured in another run"},
	} {
		for pass := 1; pass <= 2; pass++ {
			Analyze(tt.r)
			found := false
			for _, w := range tt.r.Warnings {
				found = found || w.Code == tt.code && strings.Contains(w.Message, tt.want)
			}
			if !found {
				t.Errorf("%s, analysis %d: warnings %v, want %s saying %q", tt.name, pass, tt.r.Warnings, tt.code, tt.want)
			}
		}
	}
	if want := 0.01 * 6 / (math.Pi * math.Pi * 25); math.Abs(Rule(adaptive).Alpha-want) > 1e-15 {
		t.Errorf("Rule(adaptive).Alpha = %g, want %g (look 5 of an alpha 0.01 run)", Rule(adaptive).Alpha, want)
	}
}

func TestGateComparisonsAreMarked(t *testing.T) {
	t.Parallel()
	r := headBase(50, 46, 40)
	Analyze(r)
	if r.Verdict != results.Regression {
		t.Fatalf("verdict %s, want regression for +15%% init", r.Verdict)
	}
	for _, c := range r.Comparisons {
		if c.Gate != Gates(c.Metric) {
			t.Errorf("comparison %s: Gate %v, want %v", c.Metric, c.Gate, Gates(c.Metric))
		}
	}
}

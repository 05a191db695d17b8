package verdict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
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
	changed := headBase(30, 40, 40)
	changed.Config.SettingChanges = []results.SettingChange{{Key: "threshold", Base: "5", Head: "999"}, {Key: "samples", Head: "2"}}
	for _, tt := range []struct {
		name string
		r    *results.Results
		code string
		want string
	}{
		{"no baseline", noBaseline, WarnNoBaseline, "no stored results of this handler in /store"},
		{"adaptive", adaptive, WarnAdaptive, "the last of 5 looks tested at alpha 0.00024 (0.01 spent over the looks"},
		{"stored baseline", stored, WarnStoredBaseline, "measured in another run"},
		{"head changes the judge settings", changed, WarnSettingsChanged, "(threshold: 5 → 999; samples: (not set) → 2): this run used the base revision's, and the change applies once it is merged"},
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

// Failures are part of the verdict: how often, of what kind, and where they rank.
func TestFailuresGate(t *testing.T) {
	t.Parallel()
	fail := func(r *results.Results, variant string, every int, typ string, phase results.Phase) {
		k := 0
		for i := range r.Samples {
			s := &r.Samples[i]
			if s.Variant != variant {
				continue
			}
			if k%every == 0 {
				s.Error = &results.SampleError{Type: typ, Phase: phase, Reason: "on purpose"}
				if phase == results.PhaseInit {
					s.InitMs = 0
				}
				s.DurationMs, s.ColdMs = 0, 0
			}
			k++
		}
	}
	for _, tt := range []struct {
		name     string
		mutate   func(r *results.Results)
		want     results.Verdict
		failures results.Verdict
		newType  bool
	}{
		{"every head invoke errors", func(r *results.Results) { fail(r, "head", 1, "HandlerError", results.PhaseInvoke) }, results.Regression, results.Regression, true},
		{"head crashes in init a third of the time", func(r *results.Results) { fail(r, "head", 3, "Runtime.ExitError", results.PhaseInit) }, results.Regression, results.Regression, true},
		{"coldbench's own setup errors are no evidence", func(r *results.Results) { fail(r, "head", 2, results.ErrTypeSetup, results.PhaseSetup) }, results.NoChange, results.NoChange, false},
		{"both sides fail alike", func(r *results.Results) {
			fail(r, "head", 10, "Sandbox.Timedout", results.PhaseInvoke)
			fail(r, "base", 10, "Sandbox.Timedout", results.PhaseInvoke)
		}, results.NoChange, results.NoChange, false},
	} {
		r := headBase(60, 40, 40)
		tt.mutate(r)
		Analyze(r)
		c := r.Comparison(MetricFailures)
		if r.Verdict != tt.want || c == nil || c.Verdict != tt.failures || !c.Gate {
			t.Errorf("%s: verdict %s, failures %+v; want %s and failures %s (gating)", tt.name, r.Verdict, c, tt.want, tt.failures)
			continue
		}
		found := false
		for _, w := range r.Warnings {
			found = found || w.Code == WarnNewFailure
		}
		if found != tt.newType {
			t.Errorf("%s: a new-failure-type note is %v, want %v (warnings %v)", tt.name, found, tt.newType, r.Warnings)
		}
	}
}

// A failed sample ranks at the cap in the timing comparison: it is never a fast one.
func TestFailedSamplesRankAsWorst(t *testing.T) {
	t.Parallel()
	r := headBase(60, 40, 40)
	r.Config.InitTimeoutMs = 10_000
	for i := range r.Samples {
		s := &r.Samples[i]
		if s.Variant == "head" && s.Index%2 == 0 {
			s.Error = &results.SampleError{Type: "Sandbox.Timedout", Phase: results.PhaseInit, Reason: "init did not reach /next"}
			s.InitMs, s.DurationMs, s.ColdMs = 0, 0, 0
		}
	}
	Analyze(r)
	c := r.Comparison(results.MetricInit)
	if c == nil || c.ShiftPct < 100 || c.NHead != 60 {
		t.Errorf("init comparison %+v: want every head sample counted, half of them at the 10 s cap, so a large shift", c)
	}
}

// A base that failed every sample has no timings to compare: only the failure rates are shown,
// and a head that starts is not compared, neither a "+230% memory" regression nor an improvement
// that passes (a pull request could break base to win).
func TestBaseFailedEverywhere(t *testing.T) {
	t.Parallel()
	for _, headFails := range []bool{false, true} {
		r := headBase(40, 40, 40)
		for i := range r.Samples {
			s := &r.Samples[i]
			if s.Variant == "base" || headFails {
				s.Error = &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit, Reason: "exit status 2\npanic"}
				s.InitMs, s.DurationMs, s.ColdMs, s.MaxMemoryMB = 0, 0, 0, 99
			}
		}
		Analyze(r)
		want := map[bool]results.Verdict{false: results.NotCompared, true: results.Unavailable}[headFails]
		if r.Verdict != want || len(r.Comparisons) != 1 || r.Comparisons[0].Metric != MetricFailures {
			t.Errorf("head fails %v: verdict %s, comparisons %+v; want %s and the failure rates alone", headFails, r.Verdict, r.Comparisons, want)
		}
		found := false
		for _, w := range r.Warnings {
			found = found || w.Code == WarnBaseFailed && strings.Contains(w.Message, "every base sample failed (Runtime.ExitError in init: exit status 2)")
		}
		if !found {
			t.Errorf("warnings %+v: want the base's failure named", r.Warnings)
		}
	}
}

// A base that failed to build reads as one that failed every sample: not compared, with the
// build's first line, whatever head does; a head that failed to build too is unavailable.
func TestBaseBuildFailedIsNotCompared(t *testing.T) {
	t.Parallel()
	for _, headFails := range []bool{false, true} {
		r := headBase(40, 30, 40) // head would be a clear improvement
		var samples []results.Sample
		for _, s := range r.Samples {
			if s.Variant == "head" && !headFails {
				samples = append(samples, s)
			}
		}
		r.Samples = samples
		r.Variants[1].BuildError = "go: cannot find main module\nmore"
		if headFails {
			r.Variants[0].BuildError = "exit status 1"
		}
		Analyze(r)
		want := map[bool]results.Verdict{false: results.NotCompared, true: results.Unavailable}[headFails]
		found := false
		for _, w := range r.Warnings {
			found = found || w.Code == WarnBaseBuildFailed && strings.HasSuffix(w.Message, ": go: cannot find main module")
		}
		if r.Verdict != want || !found {
			t.Errorf("head fails to build %v: verdict %s, warnings %+v; want %s and a base-build-failed warning with the build's first line", headFails, r.Verdict, r.Warnings, want)
		}
	}
}

// The breakdown names a cause only for an init that changed, and then the unit that grew in
// every traced start.
func TestBreakdownCause(t *testing.T) {
	t.Parallel()
	traces := func(r *results.Results, ms float64) {
		for i := 0; i < 3; i++ {
			r.InitTraces = append(r.InitTraces,
				results.InitTrace{Variant: "base", Tracer: "GODEBUG=inittrace=1", Units: []results.TraceUnit{{Name: "runtime", Ms: 0.1}}},
				results.InitTrace{Variant: "head", Tracer: "GODEBUG=inittrace=1", Units: []results.TraceUnit{{Name: "runtime", Ms: 0.1}, {Name: "example.com/sdk", Ms: ms + float64(i), Allocs: 900}}})
		}
	}
	slower := headBase(40, 60, 40)
	traces(slower, 20)
	Analyze(slower)
	if b := slower.Breakdown; b == nil || b.Cause != "`example.com/sdk` came in: 1 package with an init new in head (+21.0 ms, 900 allocations)" || b.Traces != 3 {
		t.Errorf("slower head: breakdown %+v", b)
	}
	own := headBase(40, 60, 40) // the same package, the function's own (its main module's): no dependency came in
	traces(own, 20)
	own.Variants[0].Deploy = &results.Artifact{GoMainModule: "example.com/sdk"}
	Analyze(own)
	if b := own.Breakdown; b == nil || b.Dependency != nil || b.Cause != "`example.com/sdk` init: +21.0 ms, new in head, 900 more allocations" {
		t.Errorf("the function's own package: breakdown %+v", b)
	}
	same := headBase(40, 40, 40)
	traces(same, 20) // a unit that looks new, but init did not change: no sentence, the table stays
	Analyze(same)
	if b := same.Breakdown; b == nil || b.Cause != "" || len(b.Units) != 1 {
		t.Errorf("unchanged init: breakdown %+v, want the unit listed and no cause named", b)
	}
}

// A dependency that brings many small package inits (none of which stands out alone) is named
// with how many of the new packages are its and the bytes that came with it, before any counter.
func TestBreakdownNamesTheNewDependency(t *testing.T) {
	t.Parallel()
	r := headBase(40, 16, 10.8)
	own := []results.TraceUnit{{Name: "runtime", Ms: 0.1}, {Name: "net/http", Ms: 0.3}}
	var sdk []results.TraceUnit
	for i := range 27 {
		sdk = append(sdk, results.TraceUnit{Name: fmt.Sprintf("github.com/aws/aws-sdk-go-v2/service/dynamodb/p%02d", i), Ms: 0.1, Allocs: 10, Bytes: 2048})
	}
	for i := range 10 { // the rest of what came in: the standard library's and smithy's packages
		name := fmt.Sprintf("crypto/p%d", i)
		if i%2 == 0 {
			name = fmt.Sprintf("github.com/aws/smithy-go/p%d", i)
		}
		sdk = append(sdk, results.TraceUnit{Name: name, Ms: 0.05})
	}
	for range 3 {
		r.InitTraces = append(r.InitTraces, results.InitTrace{Variant: "base", Tracer: "GODEBUG=inittrace=1", Units: own},
			results.InitTrace{Variant: "head", Tracer: "GODEBUG=inittrace=1", Units: append(slices.Clone(own), sdk...)})
	}
	r.Variants[0].Deploy = &results.Artifact{ZipBytes: 5 << 20}
	r.Variants[1].Deploy = &results.Artifact{ZipBytes: 5<<20 - 5<<19}
	for i := range r.Samples {
		s := &r.Samples[i]
		s.Counters = &results.Counters{CPUMs: 10.8 + float64(i%3)*0.1, ReadBytes: 3 << 20}
		if s.Variant == "head" {
			s.Counters = &results.Counters{CPUMs: 17 + float64(i%3)*0.1, ReadBytes: 8 << 20}
		}
	}
	Analyze(r)
	want := "`github.com/aws/aws-sdk-go-v2` came in: 27 of the 37 packages with an init new in head (+2.7 ms, 270 allocations, 54 KB); " +
		"zip +2.5 MB; 5.0 MB more read at init; then init cpu_ms 10.9 → 17.1 (+57%), beyond both sides' ranges"
	if b := r.Breakdown; b == nil || b.Cause != want {
		t.Fatalf("cause %q, want %q", b.Cause, want)
	}
	if d := r.Breakdown.Dependency; d.Units != 27 || d.NewUnits != 37 || d.ZipDelta != 5<<19 {
		t.Errorf("dependency %+v", d)
	}
}

// Instruction counts (a few a side) show a change only when the gap between the sides exceeds
// three times each side's median absolute deviation; a start without a count is a note saying why.
func TestCompareInstructions(t *testing.T) {
	t.Parallel()
	counts := func(base, head []int64, lost string) []results.InstructionCount {
		var out []results.InstructionCount
		for _, n := range base {
			out = append(out, results.InstructionCount{Variant: "base", Instructions: n})
		}
		for _, n := range head {
			out = append(out, results.InstructionCount{Variant: "head", Instructions: n})
		}
		if lost != "" {
			out = append(out, results.InstructionCount{Variant: "head", Lost: lost})
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		base, head []int64
		lost       string
		changed    bool
		exact      bool
	}{
		{"grew far beyond the spread", []int64{1_000_000, 1_010_000, 1_020_000}, []int64{1_500_000, 1_490_000, 1_510_000}, "", true, false},
		{"apart by less than the spread (noise)", []int64{1_000_000, 1_010_000, 1_020_000}, []int64{1_021_000, 1_030_000, 1_040_000}, "", false, false},
		{"grew, one wild count in head", []int64{1_647_786, 1_653_855, 1_691_351}, []int64{269_728_879, 271_712_206, 2_821_180_002}, "", true, false},
		{"deterministic, one more instruction", []int64{500, 500, 500}, []int64{501, 501, 501}, "", true, true},
		{"unchanged", []int64{500, 500}, []int64{500, 500}, "", false, true},
		{"a lost count", []int64{500}, []int64{600}, "the runtime did not exit", true, true},
	} {
		d, note := compareInstructions(counts(tc.base, tc.head, tc.lost), "head", "base")
		if d == nil || d.Changed != tc.changed || d.Exact != tc.exact || d.Name != "instructions" {
			t.Errorf("%s: %+v, want changed %v, exact %v", tc.name, d, tc.changed, tc.exact)
		}
		if !strings.Contains(note, "cachegrind") || tc.lost != "" && !strings.Contains(note, "1 gave no count (head: "+tc.lost+")") {
			t.Errorf("%s: note %q", tc.name, note)
		}
	}
	if d, note := compareInstructions(counts(nil, []int64{5}, ""), "head", "base"); d != nil || note == "" {
		t.Errorf("no base count: %+v %q, want the note alone", d, note)
	}
	if d, note := compareInstructions(nil, "head", "base"); d != nil || note != "" {
		t.Errorf("not counted: %+v %q, want nothing", d, note)
	}
}

// gateVerdict is the verdict the gate rows of r say, folded as the gate folds them; Unavailable
// when there is no gate row.
func gateVerdict(r *results.Results) results.Verdict {
	v, seen := results.NoChange, false
	for _, c := range r.Comparisons {
		if c.Gate {
			v, seen = stats.Worse(v, c.Verdict), true
		}
	}
	if !seen {
		return results.Unavailable
	}
	return v
}

// The overall verdict is what its gate rows say, in every case the gate has a branch for: a
// reader who sees only "~ p=1.000" under the verdict must not be told "improvement".
func TestVerdictAgreesWithGateRows(t *testing.T) {
	t.Parallel()
	failAll := func(r *results.Results, variant string) {
		for i := range r.Samples {
			if s := &r.Samples[i]; s.Variant == variant {
				s.Error = &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit, Reason: "exit status 2"}
				s.InitMs, s.DurationMs, s.ColdMs = 0, 0, 0
			}
		}
	}
	for _, tt := range []struct {
		name    string
		r       func() *results.Results
		verdict results.Verdict
	}{
		{"no change", func() *results.Results { return headBase(40, 40, 40) }, results.NoChange},
		{"regression", func() *results.Results { return headBase(40, 48, 40) }, results.Regression},
		{"improvement", func() *results.Results { return headBase(40, 32, 40) }, results.Improvement},
		{"base fails 40/40, head 0/40", func() *results.Results { r := headBase(40, 40, 40); failAll(r, "base"); return r }, results.NotCompared},
		{"both fail 40/40", func() *results.Results { r := headBase(40, 40, 40); failAll(r, "base"); failAll(r, "head"); return r }, results.Unavailable},
		{"head fails 40/40", func() *results.Results { r := headBase(40, 40, 40); failAll(r, "head"); return r }, results.Regression},
	} {
		r := tt.r()
		Analyze(r)
		if r.Verdict != tt.verdict || gateVerdict(r) != r.Verdict {
			t.Errorf("%s: verdict %s, gate rows say %s (%+v); want %s from both", tt.name, r.Verdict, gateVerdict(r), r.Comparisons, tt.verdict)
		}
		Decide(r)
		if gateVerdict(r) != r.Verdict {
			t.Errorf("%s: Decide's verdict %s, its gate rows say %s", tt.name, r.Verdict, gateVerdict(r))
		}
	}
}

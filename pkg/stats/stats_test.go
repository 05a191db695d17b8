package stats

import (
	"errors"
	"github.com/coldbench/coldbench/pkg/results"
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func seq(from, to float64) []float64 {
	var out []float64
	for x := from; x <= to; x++ {
		out = append(out, x)
	}
	return out
}

func TestQuantileType7(t *testing.T) {
	t.Parallel()
	// Checked against numpy.percentile([1,2,3,4], [50, 90]) = [2.5, 3.7].
	for _, tt := range []struct{ p, want float64 }{{0.5, 2.5}, {0.9, 3.7}, {0, 1}, {1, 4}} {
		if got := Quantile([]float64{1, 2, 3, 4}, tt.p); !near(got, tt.want, 1e-12) {
			t.Errorf("Quantile(1..4, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("Quantile(nil) is not NaN")
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	// Unsorted input; the exact 95% median interval for n=10 is [x(2), x(9)]: P(B(10,½) <= 1) =
	// 11/1024, coverage 1 - 22/1024 = 97.9%, while [x(3), x(8)] covers only 89.1%.
	s, err := Summarize([]float64{7, 3, 10, 1, 9, 2, 8, 4, 6, 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := results.Summary{N: 10, Min: 1, P50: 5.5, P90: 9.1, P99: 9.91, Max: 10, Mean: 5.5, SD: 3.0276503540974917, P50Low: 2, P50High: 9}
	if s.N != want.N || s.Min != want.Min || !near(s.P50, want.P50, 1e-9) || !near(s.P90, want.P90, 1e-9) || !near(s.P99, want.P99, 1e-9) ||
		s.Max != want.Max || !near(s.Mean, want.Mean, 1e-9) || !near(s.SD, want.SD, 1e-9) || s.P50Low != want.P50Low || s.P50High != want.P50High {
		t.Errorf("Summarize(1..10) = %+v, want %+v", s, want)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("Summarize(1..10) warnings = %v, want none", s.Warnings)
	}
}

func TestSummarizeEdgeCases(t *testing.T) {
	t.Parallel()
	if _, err := Summarize(nil, 3); !errors.Is(err, ErrNoData) {
		t.Errorf("Summarize(nil) error = %v, want ErrNoData", err)
	}
	s, err := Summarize([]float64{math.NaN(), 5, math.Inf(1)}, 0)
	if err != nil || s.N != 1 || s.Failed != 2 || s.P50 != 5 {
		t.Errorf("Summarize(NaN, 5, Inf) = %+v, %v, want n 1, failed 2", s, err)
	}
	// Too few for an exact 95% median interval: n=5 covers at most 93.75%.
	s, _ = Summarize([]float64{1, 2, 3, 4, 5}, 0)
	if !hasWarning(s.Warnings, WarnMedianCIOpen) || s.P50Low != 1 || s.P50High != 5 {
		t.Errorf("Summarize(n=5) = %+v, want the full range and a warning", s)
	}
	s, _ = Summarize(seq(1, 10), 5)
	if !hasWarning(s.Warnings, WarnFailed) {
		t.Errorf("Summarize(10 ok, 5 failed) warnings = %v, want %s", s.Warnings, WarnFailed)
	}
}

func TestSummarizeWarnsOfBimodalAndDrift(t *testing.T) {
	t.Parallel()
	var bi []float64
	for i := 0; i < 40; i++ {
		bi = append(bi, 10+float64(i%3)*0.1, 50+float64(i%3)*0.1)
	}
	if s, _ := Summarize(bi, 0); !hasWarning(s.Warnings, WarnBimodal) || hasWarning(s.Warnings, WarnDrift) {
		t.Errorf("Summarize(two clusters) warnings = %v, want bimodal only", s.Warnings)
	}
	var up []float64
	for i := 0; i < 60; i++ {
		up = append(up, 100+float64(i)+float64(i%7)*3)
	}
	if s, _ := Summarize(up, 0); !hasWarning(s.Warnings, WarnDrift) || !strings.Contains(warning(s.Warnings, WarnDrift), "slower") {
		t.Errorf("Summarize(rising) warnings = %v, want drift (slower)", s.Warnings)
	}
}

func TestMannWhitney(t *testing.T) {
	t.Parallel()
	// Expected values from scipy.stats.mannwhitneyu (two-sided), computed independently.
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"exact, no overlap", seq(1, 5), seq(6, 10), 0.007936507936507936},
		{"exact, interleaved", []float64{1, 3, 5}, []float64{2, 4, 6}, 0.7},
		{"exact, smallest n", []float64{1, 2, 3}, []float64{4, 5, 6}, 0.1},
		{"normal approx with ties", []float64{10, 12, 12, 13, 15, 15, 16, 18, 20, 21, 22, 22, 25},
			[]float64{14, 15, 17, 19, 19, 21, 23, 24, 26, 27, 28, 30, 31, 33}, 0.01152227960949151},
		{"all tied", []float64{5, 5, 5}, []float64{5, 5, 5}, 1},
	}
	for _, tt := range tests {
		if got := MannWhitney(tt.x, tt.y); !near(got, tt.want, 1e-9) {
			t.Errorf("MannWhitney(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMinSamplesFor(t *testing.T) {
	t.Parallel()
	// Smallest two-sided p with n a side is 2/C(2n,n): n=3 -> 0.1, n=4 -> 0.029, n=5 -> 0.0079.
	for _, tt := range []struct {
		alpha float64
		want  int
	}{{0.05, 4}, {0.01, 5}, {0.2, 3}} {
		if got := MinSamplesFor(tt.alpha); got != tt.want {
			t.Errorf("MinSamplesFor(%v) = %d, want %d", tt.alpha, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	base := make([]float64, 0, 50)
	for i := 0; i < 50; i++ {
		base = append(base, 100+float64((i*37)%50)) // 100..149, shuffled
	}
	scaled := func(f float64) []float64 {
		out := make([]float64, len(base))
		for i, x := range base {
			out[i] = x * f
		}
		return out
	}
	tests := []struct {
		name      string
		head      []float64
		wantShift float64
		verdict   results.Verdict
	}{
		{"identical", base, 0, NoChange},
		// A 10% shift whose 98% lower bound still reaches under 5%: not surely over the threshold.
		{"10% slower", scaled(1.10), 10, Inconclusive},
		{"25% slower", scaled(1.25), 25, Regression},
		{"20% faster", scaled(0.80), -20, Improvement},
		// 1% slower with no noise between pairs is detectable but below the 5% threshold.
		{"1% slower", scaled(1.01), 1, NoChange},
	}
	for _, tt := range tests {
		c, err := Compare("init_ms", tt.head, base, DefaultRule)
		if err != nil {
			t.Fatal(err)
		}
		if !near(c.ShiftPct, tt.wantShift, 1e-9) || c.Verdict != tt.verdict {
			t.Errorf("Compare(%s) = shift %.4f%%, verdict %s (p %.3g, CI %.2f…%.2f), want %.1f%%, %s",
				tt.name, c.ShiftPct, c.Verdict, c.PValue, c.CILowPct, c.CIHighPct, tt.wantShift, tt.verdict)
		}
		if !(c.CILowPct <= c.ShiftPct && c.ShiftPct <= c.CIHighPct) {
			t.Errorf("Compare(%s): shift %.2f outside its CI %.2f…%.2f", tt.name, c.ShiftPct, c.CILowPct, c.CIHighPct)
		}
	}
}

func TestCompareSmallAndBadInput(t *testing.T) {
	t.Parallel()
	c, err := Compare("init_ms", []float64{20, 21, 22}, []float64{10, 11, 12}, DefaultRule)
	if err != nil {
		t.Fatal(err)
	}
	// A doubling, but 3 a side cannot reach p < 0.01: inconclusive, with the reason.
	if c.Verdict != Inconclusive || !hasWarning(c.Warnings, WarnFewSamples) || !hasWarning(c.Warnings, WarnWideCI) {
		t.Errorf("Compare(n=3, doubled) = %s %v, want inconclusive with few-samples and wide-ci warnings", c.Verdict, c.Warnings)
	}
	if _, err := Compare("init_ms", nil, []float64{1}, DefaultRule); !errors.Is(err, ErrNoData) {
		t.Errorf("Compare(empty head) error = %v, want ErrNoData", err)
	}
	if _, err := Compare("init_ms", []float64{1, -2}, []float64{1}, DefaultRule); err == nil {
		t.Error("Compare(negative value) succeeded")
	}
	if err := (Rule{Threshold: 0, Alpha: 0.01}).Validate(); err == nil {
		t.Error("Rule{Threshold: 0}.Validate() succeeded")
	}
}

// A change that only hurts the tail: medians equal, p90 20% worse.
func TestCompareQuantileSeesTheTail(t *testing.T) {
	t.Parallel()
	var base, head []float64
	for i := 0; i < 100; i++ {
		v := 100 + float64(i%10)
		base = append(base, v)
		if i%10 >= 8 {
			v *= 1.3
		}
		head = append(head, v)
	}
	mid, _ := Compare("cold_ms", head, base, DefaultRule)
	tail, err := CompareQuantile("cold_ms_p90", 0.9, head, base, DefaultRule, 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tail.Verdict != Regression || tail.ShiftPct < 15 {
		t.Errorf("CompareQuantile(p90) = %+v, want a regression of about 20%%", tail)
	}
	if mid.Verdict == Regression {
		t.Errorf("Compare(median) = %s, want the median comparison not to call it a regression", mid.Verdict)
	}
	again, _ := CompareQuantile("cold_ms_p90", 0.9, head, base, DefaultRule, 2000, 1)
	if again.CILowPct != tail.CILowPct {
		t.Error("CompareQuantile is not deterministic for a fixed seed")
	}
}

func hasWarning(ws []results.Warning, code string) bool { return warning(ws, code) != "" }

func warning(ws []results.Warning, code string) string {
	for _, w := range ws {
		if w.Code == code {
			return w.Message
		}
	}
	return ""
}

package verdict

import (
	"context"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// The default rule meets its targets on real cold starts of the Go and Rust references recorded
// in time order on one of our 2-core machines (testdata/recorded-go-rust.json, 300 rounds of a full
// and 4 init-only cold starts each): interleaved A/A false alarms at most 1% and inconclusive at
// most 5%, a 10% init-only regression caught at least 95% of the time, 20% at least 99%, a 10%
// crash rate at least 99%, all within the default 60 s budget. Deterministic: fixed seed.
func TestDefaultRuleMeetsCalibrationTargets(t *testing.T) {
	t.Parallel()
	rec, err := results.ReadFile("testdata/recorded-go-rust.json")
	if err != nil {
		t.Fatal(err)
	}
	var scenarios []Scenario
	for _, sc := range Scenarios {
		switch sc.Name {
		case "A/A (no change)", "init +10%", "init +20%", "10% of cold starts crash":
			scenarios = append(scenarios, sc)
		}
	}
	cells, err := Calibrate(context.Background(), Rounds(rec), scenarios, CalibrationConfig{ThresholdPct: 5, Alpha: 0.01, MaxTime: time.Minute,
		Block: 10, MaxRounds: 500, Trials: 150, BlockLen: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2*(len(scenarios)+2) {
		t.Fatalf("%d cells, want %d", len(cells), 2*(len(scenarios)+2))
	}
	for _, c := range cells {
		if c.Design != DesignInterleaved {
			continue // between runs: the warning says what it cannot control (README figures)
		}
		fail := false
		switch c.Scenario {
		case "A/A (no change)":
			fail = c.Regression > 0.01 || c.Inconclusive > 0.05
		case "init +10%":
			fail = c.Regression < 0.95
		default:
			fail = c.Regression < 0.99
		}
		if fail || c.MeanWallS > 60 {
			t.Errorf("%s, %s: regression %.1f%%, inconclusive %.1f%%, %.1fs of sampling; misses its target",
				c.Pool, c.Scenario, 100*c.Regression, 100*c.Inconclusive, c.MeanWallS)
		}
	}
}

// Decide, which the looks of a run use, reaches the verdict Analyze reports.
func TestDecideAgreesWithAnalyze(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ head, base float64 }{{40, 40}, {48, 40}, {30, 40}, {41, 40}} {
		r := headBase(60, tt.head, tt.base)
		Analyze(r)
		full := r.Verdict
		Decide(r)
		if r.Verdict != full {
			t.Errorf("head %v vs base %v: Decide %s, Analyze %s", tt.head, tt.base, r.Verdict, full)
		}
	}
}

package stats

import (
	"encoding/json"
	"os"
	"testing"
)

// recordedPools reads real cold starts recorded on one of our 2-core machines with the local
// runner (coldbench run --references go,rust --samples 300): init and cold latency per sample.
func recordedPools(t *testing.T) map[string][][]float64 {
	t.Helper()
	b, err := os.ReadFile("testdata/recorded-go-rust.json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Samples []struct {
			Variant string          `json:"variant"`
			InitMs  float64         `json:"init_ms"`
			ColdMs  float64         `json:"cold_ms"`
			Error   json.RawMessage `json:"error"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	pools := map[string][][]float64{}
	for _, s := range res.Samples {
		if s.Error == nil {
			pools[s.Variant] = append(pools[s.Variant], []float64{s.InitMs, s.ColdMs})
		}
	}
	return pools
}

// The calibration targets, checked on the recorded samples (deterministic: fixed seed): at most
// 1% false alarms in A/A, and a 10% regression caught at least 95% of the time with 50 a side.
// The full table is in the README (coldbench calibrate --from ...).
func TestDefaultRuleMeetsCalibrationTargets(t *testing.T) {
	t.Parallel()
	pools := recordedPools(t)
	if len(pools["go"]) < 300 || len(pools["rust"]) < 300 {
		t.Fatalf("recorded pools have %d go and %d rust samples, want 300 each", len(pools["go"]), len(pools["rust"]))
	}
	rule := DefaultRule
	rule.Alpha /= 2 // split across the two gate metrics, as report.Analyze does
	cells, err := Calibrate(pools, []int{50}, []float64{0, 0.10}, 400, []Decider{RuleDecider(rule), SingleRunDecider(0.10)}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		switch {
		case c.Decider == RuleDecider(rule).Name && c.ShiftPct == 0:
			if fa := c.Regression + c.Improvement; fa > 0.01 {
				t.Errorf("%s: A/A false alarms %.1f%%, want at most 1%%", c.Pool, fa*100)
			}
		case c.Decider == RuleDecider(rule).Name:
			if c.Regression < 0.95 {
				t.Errorf("%s: +10%% detected %.1f%% of the time, want at least 95%%", c.Pool, c.Regression*100)
			}
		case c.ShiftPct == 0:
			// The naive gate this replaces cries wolf most of the time on the same data.
			if fa := c.Regression + c.Improvement; fa < 0.3 {
				t.Errorf("%s: single-run 10%% gate false alarms %.1f%%; the recorded data lost its noise?", c.Pool, fa*100)
			}
		}
	}
}

func TestCalibrateRejectsSmallPools(t *testing.T) {
	t.Parallel()
	_, err := Calibrate(map[string][][]float64{"x": {{1}, {2}}}, []int{50}, []float64{0}, 10, []Decider{RuleDecider(DefaultRule)}, 1)
	if err == nil {
		t.Error("Calibrate(2 samples, n=50) succeeded")
	}
}

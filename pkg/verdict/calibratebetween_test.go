package verdict

import (
	"context"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// Release gates on a stored baseline, simulated on the recording's two halves (base from the
// first, head from the second, 100 rounds each; each of go and rust the handler in turn, the
// other its reference): corrected by the reference, unchanged handlers are flagged at most 5% of
// the time and +10% init is caught at least 90% of the time (the targets; 40 trials, the
// cheap deterministic check; the README has the full table); uncorrected, the drift between the
// halves makes at least 20% of unchanged handlers a regression or inconclusive: the control that
// shows the correction is what works.
func TestBetweenRunsCorrectionMeetsItsTargets(t *testing.T) {
	t.Parallel()
	rec, err := results.ReadFile("testdata/recorded-go-rust.json")
	if err != nil {
		t.Fatal(err)
	}
	then, now := SplitRounds(Rounds(rec))
	cells, err := CalibrateBetweenRuns(context.Background(), then, now, BetweenScenarios[:2], BetweenRunsConfig{ThresholdPct: 5, Alpha: 0.01,
		Rounds: 100, BlockLen: 10, Trials: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2*2*2 {
		t.Fatalf("%d cells, want 8", len(cells))
	}
	for _, c := range cells {
		var fail bool
		switch {
		case c.Design == DesignBetweenCorrected && c.Scenario == Scenarios[0].Name:
			fail = c.Regression > 0.05
		case c.Design == DesignBetweenCorrected:
			fail = c.Regression < 0.90
		case c.Scenario == Scenarios[0].Name:
			fail = c.Regression+c.Inconclusive < 0.20
		}
		if fail {
			t.Errorf("%s, %s, %s: regression %.0f%%, inconclusive %.0f%%: misses its target", c.Pool, c.Scenario, c.Design, 100*c.Regression, 100*c.Inconclusive)
		}
	}
	if _, err := CalibrateBetweenRuns(context.Background(), map[string][]Round{"go": then["go"]}, now, BetweenScenarios, BetweenRunsConfig{Rounds: 10, BlockLen: 10, Trials: 1}); err == nil {
		t.Error("CalibrateBetweenRuns with one variant: no error, want one (no reference to correct with)")
	}
}

package verdict

import (
	"errors"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// The sequential rule stops for each of its reasons, records its looks and rounds, and keeps
// what was taken when a take fails.
func TestSequential(t *testing.T) {
	t.Parallel()
	boom := errors.New("cancelled")
	tests := []struct {
		name       string
		head, base float64 // init ms; 0 fails every sample
		stopBase   bool    // the scheduler stopped base
		block      time.Duration
		failAt     int // take number that fails, 0 for none
		max        int
		want       Stop
		wantRounds int
	}{
		{"settled at a look", 300, 100, false, time.Second, 0, 100, StopSettled, 10},
		{"base stopped, nothing compared", 100, 0, true, time.Second, 0, 100, StopBaseStopped, 10},
		{"budget spent", 100, 100, false, 40 * time.Second, 0, 100, StopBudget, 20},
		{"max rounds, a short last block", 100, 100, false, time.Second, 0, 15, StopMaxRounds, 15},
		{"take fails", 100, 100, false, time.Second, 2, 100, StopError, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &results.Results{
				Config:   results.RunConfig{ThresholdPct: 5, Alpha: 0.01, Adaptive: true, Block: 10, InitTimeoutMs: 10_000, TimeoutMs: 30_000},
				Variants: []results.Variant{{Name: "head", Role: results.RoleHead}, {Name: "base", Role: results.RoleBase}},
			}
			takes, i := 0, 0
			add := func(name string, ms float64) {
				// Noise of ±40% in a fixed pattern: equal sides stay undecided for a while.
				noise := 1 + 0.8*(float64((i*37+int(name[0])*53)%100)/100-0.5)
				s := results.Sample{Variant: name, Index: i, InitMs: ms * noise, DurationMs: 1}
				if ms == 0 {
					s.InitMs = 0
					s.Error = &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit}
				}
				r.Samples = append(r.Samples, s)
			}
			rule := Sequential{Block: 10, MaxRounds: tc.max, MaxTime: 60 * time.Second}
			o, err := rule.Run(r, func(n int) (Block, error) {
				takes++
				if takes == tc.failAt {
					return Block{Elapsed: tc.block}, boom
				}
				for k := 0; k < n; k++ {
					add("head", tc.head)
					add("base", tc.base)
					i++
				}
				b := Block{Elapsed: tc.block, Variants: 2, Stopped: map[string]string{}}
				if tc.stopBase {
					b.Stopped["base"] = "failed alike"
				}
				return b, nil
			})
			if (err != nil) != (tc.want == StopError) {
				t.Errorf("Run() error %v", err)
			}
			if o.Stop != tc.want || o.Rounds != tc.wantRounds || r.Config.Samples != tc.wantRounds {
				t.Errorf("Run() = %+v (config samples %d, verdict %s), want stop %d after %d rounds", o, r.Config.Samples, r.Verdict, tc.want, tc.wantRounds)
			}
		})
	}
}

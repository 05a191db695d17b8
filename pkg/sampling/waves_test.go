package sampling

import (
	"context"
	"sync"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// waveSampler records its waves; variant "bad" always fails the same way.
type waveSampler struct {
	mu     sync.Mutex
	k      int
	waves  [][]string
	cancel func()
}

func (w *waveSampler) Sample(ctx context.Context, v Variant) results.Sample {
	panic("a WaveSampler with copies gets waves")
}
func (w *waveSampler) Limits() results.Limits { return results.Limits{} }
func (w *waveSampler) Copies() int            { return w.k }
func (w *waveSampler) SampleWave(ctx context.Context, tasks []Variant) []results.Sample {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	out := make([]results.Sample, len(tasks))
	for i, t := range tasks {
		names = append(names, t.Name)
		out[i] = results.Sample{InitMs: 10, WallMs: 1}
		if t.Name == "bad" {
			out[i].Error = &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit}
		}
	}
	w.waves = append(w.waves, names)
	if w.cancel != nil && len(w.waves) == 2 {
		w.cancel()
	}
	return out
}

// Waves of K rounds: every round has head's and base's sample under one Index, in the same wave;
// a variant that fails alike is stopped as in sequential rounds; a cancel keeps what was taken.
func TestRunWaves(t *testing.T) {
	t.Parallel()
	ws := &waveSampler{k: 4}
	variants := []Variant{{Name: "head"}, {Name: "base"}, {Name: "bad"}}
	samples, err := NewScheduler(ws, 7).Run(context.Background(), variants, 30)
	if err != nil {
		t.Fatal(err)
	}
	perRound := map[int]map[string]int{}
	for i, s := range samples {
		if s.Seq != i {
			t.Errorf("sample %d has Seq %d", i, s.Seq)
		}
		if perRound[s.Index] == nil {
			perRound[s.Index] = map[string]int{}
		}
		perRound[s.Index][s.Variant]++
	}
	if len(perRound) != 30 {
		t.Errorf("%d rounds, want 30", len(perRound))
	}
	for r, by := range perRound {
		if by["head"] != 1 || by["base"] != 1 {
			t.Errorf("round %d: %v, want one head and one base", r, by)
		}
	}
	if len(ws.waves) != 8 || len(ws.waves[0]) != 12 { // ceil(30/4) waves of 4 rounds x 3 variants
		t.Errorf("%d waves, first of %d tasks", len(ws.waves), len(ws.waves[0]))
	}
	bad := 0
	for _, s := range samples {
		if s.Variant == "bad" {
			bad++
		}
	}
	if bad < FailFastMax || bad >= FailFastMax+4 { // a wave already under way finishes
		t.Errorf("bad sampled %d times, want it stopped in the wave of its %dth", bad, FailFastMax)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ws = &waveSampler{k: 5, cancel: cancel}
	samples, err = NewScheduler(ws, 7).Run(ctx, variants[:2], 100)
	if err == nil || len(samples) != 20 {
		t.Errorf("cancelled after 2 waves: %d samples, err %v; want 20 kept with the error", len(samples), err)
	}
}

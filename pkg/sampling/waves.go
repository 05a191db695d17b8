package sampling

import (
	"context"

	"github.com/coldbench/coldbench/pkg/results"
)

// WaveSampler is a Sampler with copies of every variant that sample at once (Lambda: K
// functions per variant). The scheduler hands it waves of Copies rounds.
type WaveSampler interface {
	Sampler
	// Copies is how many samples of one variant it takes at once.
	Copies() int
	// SampleWave takes every task's sample, concurrently where it can, and returns them in the
	// order of tasks; it sets each sample's WallMs.
	SampleWave(ctx context.Context, tasks []Variant) []results.Sample
}

// runWaves takes n rounds in waves of ws.Copies() rounds: a wave holds those rounds' tasks, each
// round in a fresh random order, so head and base are sampled side by side in every wave and
// their samples of one round stay paired (same Index).
func (sc *Scheduler) runWaves(ctx context.Context, ws WaveSampler, variants []Variant, tasks []Variant, n int, out []results.Sample) ([]results.Sample, error) {
	total := n * len(tasks)
	k := ws.Copies()
	for done := 0; done < n; {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		w := min(k, n-done)
		var wave []Variant
		var rounds []int
		for j := 0; j < w; j++ {
			for _, i := range sc.rng.Perm(len(tasks)) {
				if _, stopped := sc.Stopped[tasks[i].Name]; stopped {
					continue
				}
				wave = append(wave, tasks[i])
				rounds = append(rounds, sc.rounds+j)
			}
		}
		got := ws.SampleWave(ctx, wave)
		for i, s := range got {
			if ctx.Err() != nil && s.Error != nil && s.Error.Type == results.ErrTypeSetup {
				continue // cut short by the cancel: not a sample
			}
			s.Clean()
			s.Variant, s.InitOnly, s.Index, s.Seq = wave[i].Name, wave[i].InitOnly, rounds[i], sc.seqs
			sc.seqs++
			sc.failFast(s)
			out = append(out, s)
			if sc.Progress != nil {
				sc.Progress(len(out), total, s)
			}
		}
		sc.rounds += w
		done += w
		if len(sc.Stopped) == len(variants) {
			break
		}
	}
	return out, ctx.Err()
}

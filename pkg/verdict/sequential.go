package verdict

import (
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// Sequential is the adaptive stopping rule: take rounds in blocks, decide after each block (a
// look), and stop as soon as the verdict is settled, when the sampling time budget is spent, or at
// MaxRounds. The pipeline samples with it and `coldbench calibrate` simulates it, so calibration
// measures the rule that runs.
type Sequential struct {
	Block     int           // rounds between looks
	MaxRounds int           // at most this many rounds in all
	MaxTime   time.Duration // the sampling time budget
}

// Block is what one take of rounds gave: how long it took, and which variants are no longer
// sampled (a sampling.Scheduler's Stopped) out of how many.
type Block struct {
	Elapsed  time.Duration
	Stopped  map[string]string
	Variants int
}

// Stop says why a sequential run stopped.
type Stop int

// The reasons to stop, in the order Run checks them after a look.
const (
	StopMaxRounds   Stop = iota // MaxRounds were taken
	StopSettled                 // the verdict is settled
	StopAllStopped              // no variant is sampled any more
	StopBaseStopped             // base is no longer sampled and never gave a good sample: nothing to compare
	StopBudget                  // the time budget is spent
	StopError                   // take failed (a cancel): what was taken is kept
)

// Outcome is where a sequential run stopped.
type Outcome struct {
	Stop    Stop
	Rounds  int // taken in all
	Looks   int
	Elapsed time.Duration
}

// Run takes blocks of rounds with take (which appends its samples to r) until the rule stops,
// recording r.Config.Samples and Looks and deciding r after every block. An error from take ends
// the run with what was taken recorded.
func (s Sequential) Run(r *results.Results, take func(rounds int) (Block, error)) (Outcome, error) {
	var o Outcome
	for o.Rounds < s.MaxRounds {
		n := min(s.Block, s.MaxRounds-o.Rounds)
		b, err := take(n)
		o.Elapsed += b.Elapsed
		if err != nil {
			o.Stop = StopError
			return o, err
		}
		o.Rounds += n
		o.Looks++
		r.Config.Samples, r.Config.Looks = o.Rounds, o.Looks
		Decide(r)
		if stop, ok := s.stop(r, b, o.Elapsed); ok {
			o.Stop = stop
			return o, nil
		}
	}
	o.Stop = StopMaxRounds
	return o, nil
}

// stop applies the rule after a look.
func (s Sequential) stop(r *results.Results, b Block, elapsed time.Duration) (Stop, bool) {
	if Settled(r) {
		return StopSettled, true
	}
	if b.Variants > 0 && len(b.Stopped) == b.Variants {
		return StopAllStopped, true
	}
	if base := r.Variant(results.RoleBase); base != nil && r.Verdict == results.NotCompared {
		if _, stopped := b.Stopped[base.Name]; stopped {
			// Base is no longer sampled and none of its samples started: more of head's cannot
			// make a comparison.
			return StopBaseStopped, true
		}
	}
	if elapsed >= s.MaxTime {
		return StopBudget, true
	}
	return 0, false
}

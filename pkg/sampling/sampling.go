// Package sampling owns the order of a run's cold starts: randomized interleaved rounds, the
// numbering of samples, progress and cancellation. Where a sample is taken is a Sampler's
// business: the local runner (pkg/runner) and real Lambda (pkg/awslambda) each implement only
// "take one cold sample of this variant", and later backends will too.
package sampling

import (
	"cmp"
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"math/rand/v2"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// Variant is one handler to sample.
type Variant struct {
	// Name identifies the variant in results; unique within a run.
	Name string
	// Artifact is the Lambda deployment zip, with an executable bootstrap at its root.
	Artifact string
	// Env is the handler's own configuration (Lambda's function environment variables).
	Env map[string]string
	// Handler is the value of _HANDLER; "bootstrap" when empty.
	Handler string
	// RuntimeDir, for a managed runtime, is the directory of its bootstrap (Lambda's
	// /var/runtime): the package holds the function's code alone. LambdaRuntime names that runtime
	// ("nodejs24.x"); both are empty for a provided.al2023 bootstrap in the package.
	RuntimeDir, LambdaRuntime string
	// MemoryMB, Timeout and EphemeralMB are the variant's own function configuration (head's
	// and base's each from its own revision); zero takes the sampler's, the run's (which the
	// references use).
	MemoryMB    int
	Timeout     time.Duration
	EphemeralMB int
	// InitSamples is how many init-only cold starts the scheduler adds to each round beside the
	// full one: start, time the first /next, kill. Init needs many samples; the invoke (the
	// handler's work) is what makes a sample expensive.
	InitSamples int
	// FullSamples, when positive, is how many full cold starts the variant takes in all (over
	// every Run of a scheduler); its later rounds take an init-only one in place of the full one.
	// A reference in a head-vs-base run is context, not the verdict: its init (cheap) keeps
	// every round, its invoke (at 128 MB, seconds of throttled CPU) a few.
	FullSamples int
	// KeepOutput keeps what the handler wrote even when the sample succeeds (a traced init).
	KeepOutput bool
	// InitOnly is set by the scheduler on the copy it hands a sampler for an init-only sample.
	InitOnly bool
	// CountInstructions (with InitOnly) runs the bootstrap under valgrind's cachegrind and counts
	// the instructions of its init (results.Counters.Instructions): an extra cold start, never a
	// timed one.
	CountInstructions bool
	// Layers are the function's layers, as zips, in the order they are laid out in /opt; their
	// executables in extensions/ are started as external extensions.
	Layers []string
	// Web: the handler is an HTTP server behind the Lambda Web Adapter, which the sampler plays
	// (its settings are the AWS_LWA_ variables of Env).
	Web bool
	// Identity is who the handler runs as: a sandbox user of the variant's own (the runner's
	// Config.Sandbox when zero).
	Identity sandbox.Identity
}

// Sampler takes one cold sample of a variant. A failure of the handler, or of the sample's
// preparation, is a failed sample with its reason, never an error: a sampler does not stop a run.
type Sampler interface {
	Sample(ctx context.Context, v Variant) results.Sample
	// Limits says what the sampler enforces (memory, CPU, page cache) and how it measures memory.
	Limits() results.Limits
}

// Scheduler takes samples in randomized interleaved rounds: each round takes one sample of every
// variant, in a fresh random order, so drift on a busy machine falls on all variants alike and
// head and base can be compared round by round. Consecutive Runs (the blocks of an adaptive run)
// continue the same random order and numbering.
type Scheduler struct {
	sampler Sampler
	rng     *rand.Rand
	rounds  int            // rounds completed so far: the next round's Index
	seqs    int            // samples taken so far: the next sample's Seq
	full    map[string]int // full samples taken so far, by variant
	// Progress, when set, is called after every sample with the samples taken so far in this
	// Run and the Run's total.
	Progress func(done, total int, s results.Sample)
	// Stopped holds the variants no longer sampled, with why: their first samples all failed the
	// same way (error type and phase), so more would only cost time (a handler that times out
	// takes the whole timeout every time). See FailFast.
	Stopped map[string]string
	// FailFastWall is the time identical first failures must have cost to stop a variant before
	// FailFastMax of them; FailFastWall by default.
	FailFastWall time.Duration
	first        map[string][]results.Sample // each variant's first samples, while they fail alike
	settled      map[string]bool             // variants decided: stopped, or never to be
}

// A variant is stopped when its first samples all failed the same way and either at least
// FailFast of them cost FailFastWall (timeouts: 3 × 10 s), or FailFastMax of them did (fast
// crashes cost nothing, so they need more evidence: a handler crashing half the time fails its
// first 10 samples once in a thousand runs, its first 3 once in eight).
const (
	FailFast     = 3
	FailFastMax  = 10
	FailFastWall = 15 * time.Second
)

// NewScheduler returns a scheduler whose order is fixed by seed.
func NewScheduler(s Sampler, seed uint64) *Scheduler {
	return &Scheduler{sampler: s, rng: rand.New(rand.NewPCG(seed, 0x636f6c64))}
}

// Run takes n samples of every variant and returns them in run order. Only ctx's end stops it
// early: what was measured until then is returned with ctx's error.
func (sc *Scheduler) Run(ctx context.Context, variants []Variant, n int) ([]results.Sample, error) {
	if n < 1 {
		return nil, fmt.Errorf("samples %d: need at least 1", n)
	}
	seen := map[string]bool{}
	for _, v := range variants {
		if v.Name == "" || seen[v.Name] {
			return nil, fmt.Errorf("variant name %q: names must be unique and not empty", v.Name)
		}
		seen[v.Name] = true
	}
	// A round's tasks: one full sample of every variant and its init-only ones, in a fresh
	// random order each round.
	var tasks []Variant
	for _, v := range variants {
		tasks = append(tasks, v)
		for k := 0; k < v.InitSamples; k++ {
			io := v
			io.InitOnly = true
			tasks = append(tasks, io)
		}
	}
	total := n * len(tasks)
	out := make([]results.Sample, 0, total)
	if sc.Stopped == nil {
		sc.Stopped, sc.first, sc.settled, sc.full = map[string]string{}, map[string][]results.Sample{}, map[string]bool{}, map[string]int{}
	}
	if ws, ok := sc.sampler.(WaveSampler); ok && ws.Copies() > 1 {
		return sc.runWaves(ctx, ws, variants, tasks, n, out)
	}
	for round := 0; round < n; round++ {
		for _, i := range sc.rng.Perm(len(tasks)) {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			if _, stopped := sc.Stopped[tasks[i].Name]; stopped {
				continue
			}
			task := tasks[i]
			if !task.InitOnly && task.FullSamples > 0 && sc.full[task.Name] >= task.FullSamples {
				task.InitOnly = true
			}
			if !task.InitOnly {
				sc.full[task.Name]++
			}
			started := time.Now()
			s := sc.sampler.Sample(ctx, task)
			s.Clean() // the handler's error type and message are pull-request text
			s.WallMs = float64(time.Since(started).Microseconds()) / 1000
			s.Variant, s.InitOnly, s.Index, s.Seq = task.Name, task.InitOnly, sc.rounds, sc.seqs
			sc.seqs++
			sc.failFast(s)
			out = append(out, s)
			if sc.Progress != nil {
				sc.Progress(len(out), total, s)
			}
		}
		sc.rounds++
		stopped := 0
		for _, v := range variants { // of these variants: a run of several functions samples some
			if _, ok := sc.Stopped[v.Name]; ok {
				stopped++
			}
		}
		if stopped == len(variants) {
			break // every variant stopped: nothing left to sample
		}
	}
	return out, nil
}

// failFast stops a variant whose first FailFast samples all failed with the same error type in
// the same phase.
func (sc *Scheduler) failFast(s results.Sample) {
	v := s.Variant
	if sc.settled[v] {
		return
	}
	first := sc.first[v]
	if s.Error == nil || len(first) > 0 && (s.Error.Type != first[0].Error.Type || s.Error.Phase != first[0].Error.Phase) {
		sc.settled[v] = true // a success, or another failure: it keeps being sampled
		return
	}
	first = append(first, s)
	sc.first[v] = first
	wall := 0.0
	for _, f := range first {
		wall += f.WallMs
	}
	limit := cmp.Or(sc.FailFastWall, FailFastWall)
	if len(first) < FailFast || len(first) < FailFastMax && wall < float64(limit.Milliseconds()) {
		return
	}
	sc.settled[v] = true
	e := first[0].Error
	sc.Stopped[v] = fmt.Sprintf("its first %d samples all failed with %s in %s (%s), %.0f s in all, so it was not sampled again",
		len(first), e.Type, e.Phase, e.Reason, wall/1000)
}

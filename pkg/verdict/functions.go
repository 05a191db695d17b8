package verdict

import (
	"fmt"
	"slices"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// analyzeFunctions is Analyze for a run of several functions: every variant summarized, then each
// sampled function analysed on its own view as a run of it alone, and the run's verdict the worst
// of theirs, its budgets all of theirs.
func analyzeFunctions(r *results.Results) {
	summarize(r) // the references' summaries, shown once for the whole run
	r.Comparisons, r.Budgets, r.Breakdown, r.Warnings = nil, nil, nil, nil
	for _, f := range r.Functions {
		if !f.Sampled() {
			continue
		}
		v := r.Function(f.Name)
		Analyze(v)
		r.SetFunction(f.Name, v)
		for _, b := range v.Budgets {
			b.Function = f.Name
			r.Budgets = append(r.Budgets, b)
		}
	}
	r.Verdict = r.WorstVerdict()
}

// FunctionsOutcome is where a sequential run of several functions stopped, function by function.
type FunctionsOutcome struct {
	// Functions are the outcomes by function name; Rounds the rounds the run took in all (the
	// references' count) and Elapsed its sampling time.
	Functions map[string]Outcome
	Rounds    int
	Elapsed   time.Duration
}

// RunFunctions is Run for a run of several functions (r.Functions): each round samples every
// function that is still open, head and base interleaved with the references, and after each block
// every open function is decided on its own view; one that is settled, or whose base stopped,
// leaves the rounds that follow. The time budget and MaxRounds are the whole run's, so a function
// still open when they are spent stops with StopBudget or StopMaxRounds. A function with nothing to
// compare (new in head, or its base did not build) is sampled for fixed rounds, as a run of it
// alone would be, and leaves then.
//
// take samples rounds of the named functions (and the references) and appends them to r.
func (s Sequential) RunFunctions(r *results.Results, fixed int, take func(functions []string, rounds int) (Block, error)) (FunctionsOutcome, error) {
	out := FunctionsOutcome{Functions: map[string]Outcome{}}
	var open []string
	for _, f := range r.Functions {
		if f.Sampled() && f.Head != "" {
			open = append(open, f.Name)
		}
	}
	compared := func(name string) bool {
		f := r.FunctionByName(name)
		return f.Base != "" && !buildFailed(r, f.Base) && !buildFailed(r, f.Head)
	}
	finish := func(name string, stop Stop) {
		o := out.Functions[name]
		o.Stop, o.Elapsed = stop, out.Elapsed
		out.Functions[name] = o
		open = slices.DeleteFunc(open, func(n string) bool { return n == name })
	}
	for _, name := range slices.Clone(open) {
		if buildFailed(r, r.FunctionByName(name).Head) {
			finish(name, StopAllStopped) // nothing of it can be sampled
		}
	}
	for len(open) > 0 && out.Rounds < s.MaxRounds {
		n := min(s.Block, s.MaxRounds-out.Rounds)
		b, err := take(slices.Clone(open), n)
		out.Elapsed += b.Elapsed
		if err != nil {
			for _, name := range slices.Clone(open) {
				finish(name, StopError)
			}
			return out, err
		}
		out.Rounds += n
		for _, name := range slices.Clone(open) {
			o := out.Functions[name]
			o.Rounds += n
			f := r.FunctionByName(name)
			if !compared(name) {
				out.Functions[name] = o
				f.Samples = o.Rounds
				if o.Rounds >= fixed || allStopped(b, f) {
					finish(name, StopMaxRounds)
				}
				continue
			}
			o.Looks++
			out.Functions[name] = o
			v := r.Function(name)
			v.Config.Samples, v.Config.Looks = o.Rounds, o.Looks
			Decide(v)
			r.SetFunction(name, v)
			if stop, ok := s.stop(v, functionBlock(b, f), out.Elapsed); ok {
				finish(name, stop)
			}
		}
	}
	for _, name := range slices.Clone(open) {
		finish(name, StopMaxRounds)
	}
	for name, o := range out.Functions {
		f := r.FunctionByName(name)
		f.Stop = o.Stop.String()
	}
	return out, nil
}

// functionBlock is b as the view of function f sees it: its head and base, named so.
func functionBlock(b Block, f *results.FunctionResult) Block {
	fb := Block{Elapsed: b.Elapsed, Variants: 1, Stopped: map[string]string{}}
	if why, ok := b.Stopped[f.Head]; ok {
		fb.Stopped[string(results.RoleHead)] = why
	}
	if f.Base != "" {
		fb.Variants = 2
		if why, ok := b.Stopped[f.Base]; ok {
			fb.Stopped[string(results.RoleBase)] = why
		}
	}
	return fb
}

// allStopped reports whether every variant of f is no longer sampled.
func allStopped(b Block, f *results.FunctionResult) bool {
	fb := functionBlock(b, f)
	return len(fb.Stopped) == fb.Variants
}

func buildFailed(r *results.Results, variant string) bool {
	for _, v := range r.Variants {
		if v.Name == variant {
			return v.BuildError != ""
		}
	}
	return true
}

// String says why a function's sampling stopped, for its results.
func (s Stop) String() string {
	switch s {
	case StopMaxRounds:
		return "max-rounds"
	case StopSettled:
		return "settled"
	case StopAllStopped:
		return "all-stopped"
	case StopBaseStopped:
		return "base-stopped"
	case StopBudget:
		return "time-budget"
	case StopError:
		return "cancelled"
	}
	return fmt.Sprintf("stop(%d)", int(s))
}

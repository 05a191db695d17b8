package pipeline

import (
	"cmp"
	"context"
	"strings"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// TraceSamples is how many traced cold starts head and base each get, and as many counted ones.
const TraceSamples = 3

// headAndBase finds head's and base's sampling variants when both were built and sampled to the
// end (a variant stopped early has nothing to explain).
func headAndBase(res *results.Results, variants []sampling.Variant) (hv, bv *sampling.Variant) {
	head, base := res.Variant(results.RoleHead), res.Variant(results.RoleBase)
	if head == nil || base == nil || head.BuildError != "" || base.BuildError != "" || head.Stopped != "" || base.Stopped != "" {
		return nil, nil
	}
	for i := range variants {
		switch variants[i].Name {
		case head.Name:
			hv = &variants[i]
		case base.Name:
			bv = &variants[i]
		}
	}
	if hv == nil || bv == nil {
		return nil, nil
	}
	return hv, bv
}

// alternate takes n extra init-only cold starts of head and of base, alternating which goes first,
// with prepare setting up each copy; keep gets each start, and returning false takes no more of
// that variant.
func alternate(ctx context.Context, s sampling.Sampler, hv, bv *sampling.Variant, n int, prepare func(*sampling.Variant), keep func(name string, smp results.Sample) bool) {
	done := map[string]bool{}
	for i := 0; i < n; i++ {
		order := []*sampling.Variant{hv, bv}
		if i%2 == 1 {
			order[0], order[1] = bv, hv
		}
		for _, v := range order {
			if ctx.Err() != nil {
				return
			}
			if done[v.Name] {
				continue
			}
			tv := *v
			tv.InitOnly, tv.InitSamples = true, 0
			prepare(&tv)
			smp := s.Sample(ctx, tv)
			smp.Clean() // its error and notes are the handler's words, as the scheduler's are
			done[v.Name] = !keep(v.Name, smp)
		}
	}
}

// traceInit takes a few extra init-only cold starts of head and base with their runtime's init
// tracer on (GODEBUG=inittrace=1, python -X importtime, coldbench's Node.js module hook), after the
// timed samples so tracing never biases the verdict, and keeps what the runtimes said. A failed
// traced start is left out; a runtime without a tracer (Rust, Deno, Bun, provided) has its
// counters, which every sample records.
func (p *Pipeline) traceInit(ctx context.Context, res *results.Results, variants []sampling.Variant, s sampling.Sampler) {
	hv, bv := headAndBase(res, variants)
	if hv == nil {
		return
	}
	r, err := build.Lookup(res.Variant(results.RoleHead).Runtime)
	if err != nil { // Build names every artifact's runtime from the registry
		p.log.printf("traced init: head: %v", err)
		return
	}
	tracer, ok := r.Tracer()
	if !ok {
		return
	}
	start := p.Clock.Now()
	defer func() {
		res.Phases["trace"] = float64(p.Clock.Now().Sub(start).Microseconds()) / 1000
		p.log.printf("traced init (%s): %d extra cold starts of head and of base in %.1fs", tracer.Name, TraceSamples, p.Clock.Now().Sub(start).Seconds())
	}()
	alternate(ctx, s, hv, bv, TraceSamples, func(v *sampling.Variant) {
		v.Env, v.KeepOutput = tracer.MergeEnv(v.Env), true
	}, func(name string, smp results.Sample) bool {
		if smp.InitOK() {
			res.InitTraces = append(res.InitTraces, results.InitTrace{Variant: name, Tracer: tracer.Name, Units: tracer.Parse(smp.Output)})
		}
		return true
	})
}

// countInit counts init's instructions (--instructions) on a few extra init-only cold starts of
// head and of base under valgrind's cachegrind: a count that hardly moves with the machine's
// noise, so a handful of starts tell a change from none. A start that gave no count is recorded
// with the reason; after an init that failed under valgrind (which can take its 5-minute limit)
// that variant is not counted again.
func (p *Pipeline) countInit(ctx context.Context, res *results.Results, variants []sampling.Variant, s sampling.Sampler) {
	hv, bv := headAndBase(res, variants)
	if hv == nil {
		return
	}
	start := p.Clock.Now()
	alternate(ctx, s, hv, bv, TraceSamples, func(v *sampling.Variant) { v.CountInstructions = true }, func(name string, smp results.Sample) bool {
		c := results.InstructionCount{Variant: name}
		if smp.Counters != nil {
			c.Instructions = smp.Counters.Instructions
		}
		switch {
		case !smp.InitOK():
			c.Lost = "init failed under valgrind"
			if smp.Error != nil {
				c.Lost += ": " + smp.Error.Reason
			}
		case c.Instructions == 0:
			c.Lost = cmp.Or(strings.Join(smp.Notes, "; "), "valgrind gave no count")
		}
		res.InitInstructions = append(res.InitInstructions, c)
		return smp.InitOK()
	})
	res.Phases["count"] = float64(p.Clock.Now().Sub(start).Microseconds()) / 1000
	p.log.printf("counted init's instructions (valgrind): %d extra cold starts of head and of base in %.1fs", TraceSamples, p.Clock.Now().Sub(start).Seconds())
}

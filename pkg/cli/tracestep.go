package cli

import (
	"context"
	"time"

	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// traceSamples is how many traced cold starts head and base each get.
const traceSamples = 3

// traceInit takes a few extra init-only cold starts of head and base with their runtime's init
// tracer on (GODEBUG=inittrace=1, python -X importtime, coldbench's Node.js module hook), after the
// timed samples so tracing never biases the verdict, and keeps what the runtimes said. A failed
// traced start is left out; a runtime without a tracer (Rust, Deno, Bun, provided) has its
// counters, which every sample records.
func (p *pipeline) traceInit(ctx context.Context, res *results.Results, variants []sampling.Variant, s sampling.Sampler) {
	head, base := res.Variant(results.RoleHead), res.Variant(results.RoleBase)
	if head == nil || base == nil || head.BuildError != "" || base.BuildError != "" || head.Stopped != "" || base.Stopped != "" {
		return
	}
	tracer, ok := inittrace.For(head.Runtime)
	if !ok {
		return
	}
	var hv, bv *sampling.Variant
	for i := range variants {
		switch variants[i].Name {
		case head.Name:
			hv = &variants[i]
		case base.Name:
			bv = &variants[i]
		}
	}
	if hv == nil || bv == nil {
		return
	}
	start := time.Now()
	defer func() {
		res.Phases["trace"] = float64(time.Since(start).Microseconds()) / 1000
		p.log.printf("traced init (%s): %d extra cold starts of head and of base in %.1fs", tracer.Name, traceSamples, time.Since(start).Seconds())
	}()
	for i := 0; i < traceSamples; i++ {
		order := []*sampling.Variant{hv, bv}
		if i%2 == 1 {
			order[0], order[1] = bv, hv
		}
		for _, v := range order {
			if ctx.Err() != nil {
				return
			}
			tv := *v
			tv.Env, tv.InitOnly, tv.KeepOutput, tv.InitSamples = tracer.MergeEnv(v.Env), true, true, 0
			smp := s.Sample(ctx, tv)
			if !smp.InitOK() {
				continue
			}
			res.InitTraces = append(res.InitTraces, results.InitTrace{Variant: v.Name, Tracer: tracer.Name, Units: tracer.Parse(smp.Output)})
		}
	}
}

package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/coldbench/coldbench/pkg/awslambda"
	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/stats"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// sample takes the cold starts: a fixed count, or (samples: auto, with a base to compare) blocks
// until the verdict is settled, each look at alpha / looks.
func (p *pipeline) sample(ctx context.Context, res *results.Results, variants []sampling.Variant, workDir string) error {
	cfg := p.cfg
	if len(variants) == 0 {
		return nil
	}
	var event []byte
	if cfg.Event != "" {
		var err error
		if event, err = os.ReadFile(cfg.Event); err != nil {
			return badInput(err)
		}
	}
	blocks := []int{cfg.Samples}
	base := res.Variant(results.RoleBase)
	if cfg.Adaptive && res.Variant(results.RoleHead) != nil && base != nil && base.BuildError == "" {
		seq := stats.Sequential{Block: config.AdaptiveBlock, Max: cfg.MaxSamples}
		blocks = nil
		prev := 0
		for _, n := range seq.Sizes() {
			blocks = append(blocks, n-prev)
			prev = n
		}
		res.Config.Adaptive, res.Config.Looks, res.Config.Block = true, seq.Looks(), seq.Block
	} else if cfg.Adaptive {
		p.log.printf("samples auto: nothing to compare, so a fixed %d samples", cfg.Samples)
	}
	total := 0
	for _, b := range blocks {
		total += b
	}
	s, closeSampler, err := p.newSampler(ctx, event, workDir, variants)
	if err != nil {
		return err
	}
	defer closeSampler()
	res.Environment.Limits = s.Limits()
	prog := newProgress(p.env, cfg.Quiet, len(variants)*total)
	defer prog.done()
	sched := sampling.NewScheduler(s, res.Config.Seed)
	offset := 0
	sched.Progress = func(done, _ int, smp results.Sample) { prog.update(offset+done, len(variants)*total, smp) }
	p.log.printf("sampling %d variants x %d cold starts (memory %d MB, cgroup %s)", len(variants), total, cfg.MemoryMB, res.Environment.Limits.Cgroup)
	for look, n := range blocks {
		got, err := sched.Run(ctx, variants, n)
		res.Samples = append(res.Samples, got...)
		if err != nil {
			return err
		}
		offset += len(got)
		res.Config.Samples = len(res.SamplesOf("head"))
		if !res.Config.Adaptive {
			res.Config.Samples = cfg.Samples
			continue
		}
		verdict.Analyze(res)
		if stats.Settled(res.Verdict) && look < len(blocks)-1 {
			p.log.printf("verdict %s after %d samples a side (look %d of %d): stopping early", res.Verdict, res.Config.Samples, look+1, res.Config.Looks)
			break
		}
	}
	return nil
}

// newSampler is the local runner, or in mode aws the Lambda runner with every variant deployed.
// The returned func releases it (for aws: deletes the functions, even after a cancel).
func (p *pipeline) newSampler(ctx context.Context, event []byte, workDir string, variants []sampling.Variant) (sampling.Sampler, func(), error) {
	cfg := p.cfg
	if cfg.Mode != config.ModeAWS {
		r, err := runner.New(runner.Config{
			MemoryMB: cfg.MemoryMB, Timeout: cfg.Timeout, WarmInvokes: cfg.WarmInvokes, Event: event,
			NoEvict: cfg.NoEvict, WorkDir: workDir, OutboundDelay: cfg.OutboundDelay,
			Sandbox: p.sandbox, InitCPU: cfg.InitCPU, EphemeralMB: cfg.EphemeralMB,
		})
		if err != nil {
			return nil, nil, failure(err)
		}
		return r, r.Close, nil
	}
	client, err := awslambda.NewClient(ctx, cfg.AWSRegion, cfg.AWSEndpoint)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("mode aws: %w", err))
	}
	r, err := awslambda.New(awslambda.Config{Client: client, RoleARN: cfg.AWSRoleARN, MemoryMB: cfg.MemoryMB, Timeout: cfg.Timeout,
		Arch: build.ArchARM64, Event: event})
	if err != nil {
		return nil, nil, badInput(err)
	}
	p.log.printf("deploying %d functions to Lambda", len(variants))
	r.Deploy(ctx, variants)
	return r, func() { r.Close(ctx) }, nil
}

package cli

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/coldbench/coldbench/pkg/awslambda"
	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// sample takes the cold starts in interleaved rounds. With a base to compare and samples: auto
// (the default) it looks at the verdict every config.AdaptiveBlock rounds and stops as soon as it
// is settled (a regression, an improvement, or no change within the threshold), when the time
// budget is spent, or at max-samples rounds; otherwise it takes a fixed number of rounds.
func (p *pipeline) sample(ctx context.Context, res *results.Results, variants []sampling.Variant, workDir string) error {
	cfg := p.cfg
	if len(variants) == 0 {
		return nil
	}
	event, err := cfg.EventJSON()
	if err != nil {
		return badInput(fmt.Errorf("event %q: %w", cfg.Event, err))
	}
	head, base := res.Variant(results.RoleHead), res.Variant(results.RoleBase)
	compared := head != nil && head.BuildError == "" && base != nil && base.BuildError == ""
	sequential := cfg.Adaptive && compared
	initSamples := cfg.InitSamples
	if initSamples == config.InitSamplesAuto {
		initSamples = map[bool]int{true: 4, false: 0}[compared]
	}
	if cfg.Mode != config.ModeAWS { // on Lambda every cold start costs a configuration change
		for i := range variants {
			// Init-only samples serve the head-vs-base verdict; the references are its context
			// and get one full cold start a round (their tables say how many they had).
			if !compared || !isReference(res, variants[i].Name) {
				variants[i].InitSamples = initSamples
			}
		}
		res.Config.InitSamples = initSamples
	}
	if cfg.Adaptive && !sequential {
		p.log.printf("samples auto: nothing to compare, so a fixed %d rounds", cfg.Samples)
	}
	s, closeSampler, err := p.newSampler(ctx, event, workDir, variants)
	if err != nil {
		return err
	}
	defer closeSampler()
	res.Environment.Limits = s.Limits()
	perRound := 0
	for _, v := range variants {
		perRound += 1 + v.InitSamples
	}
	rounds := cfg.Samples
	if sequential {
		rounds = cfg.MaxSamples
		res.Config.Adaptive, res.Config.Block, res.Config.MaxTimeMs = true, config.AdaptiveBlock, float64(cfg.MaxTime.Milliseconds())
	}
	prog := newProgress(p.env, cfg.Quiet, perRound*rounds)
	defer prog.done()
	sched := sampling.NewScheduler(s, res.Config.Seed)
	if cfg.Mode != config.ModeAWS {
		// After the timed samples (and after the stopped variants are marked), never among them.
		defer func() {
			p.traceInit(ctx, res, variants, s)
			if cfg.Instructions {
				p.countInit(ctx, res, variants, s)
			}
		}()
	}
	defer func() { // variants that failed the same way every time were stopped early: say so
		for i := range res.Variants {
			if why, ok := sched.Stopped[res.Variants[i].Name]; ok {
				res.Variants[i].Stopped = why
				p.log.printf("%s: %s", res.Variants[i].Name, why)
			}
		}
	}()
	offset := 0
	sched.Progress = func(done, _ int, smp results.Sample) { prog.update(offset+done, perRound*rounds, smp) }
	if !sequential {
		p.log.printf("sampling %d variants x %d rounds (memory %d MB, cgroup %s)", len(variants), rounds, cfg.MemoryMB, res.Environment.Limits.Cgroup)
		got, err := sched.Run(ctx, variants, rounds)
		res.Samples = append(res.Samples, got...)
		res.Config.Samples = rounds
		return err
	}
	p.log.printf("sampling %d variants until the verdict is settled (at most %s or %d rounds; memory %d MB, cgroup %s)",
		len(variants), cfg.MaxTime, rounds, cfg.MemoryMB, res.Environment.Limits.Cgroup)
	start := time.Now()
	for look, taken := 1, 0; taken < rounds; look++ {
		n := min(config.AdaptiveBlock, rounds-taken)
		got, err := sched.Run(ctx, variants, n)
		res.Samples = append(res.Samples, got...)
		if err != nil {
			return err
		}
		offset += len(got)
		taken += n
		res.Config.Samples, res.Config.Looks = taken, look
		verdict.Decide(res)
		if verdict.Settled(res) {
			p.log.printf("verdict %s after %d rounds (look %d, %.1fs): stopping", res.Verdict, taken, look, time.Since(start).Seconds())
			break
		}
		if len(sched.Stopped) == len(variants) {
			break
		}
		if b := res.Variant(results.RoleBase); b != nil && res.Verdict == results.NotCompared {
			if _, stopped := sched.Stopped[b.Name]; stopped {
				// Base is no longer sampled and none of its samples started: more of head's
				// cannot make a comparison.
				p.log.printf("base stopped without one good sample after %d rounds: not compared; stopping", taken)
				break
			}
		}
		if time.Since(start) >= cfg.MaxTime {
			p.log.printf("time budget of %s spent after %d rounds: verdict %s", cfg.MaxTime, taken, res.Verdict)
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
		var valgrind string
		if cfg.Instructions {
			valgrind, _ = exec.LookPath("valgrind") // Validate made sure of it
		}
		run := p.runFunction() // the references'; head and base carry their own
		r, err := runner.New(runner.Config{
			MemoryMB: run.MemoryMB, Timeout: run.Timeout, WarmInvokes: cfg.WarmInvokes, Event: event,
			NoEvict: cfg.NoEvict, WorkDir: workDir, OutboundDelay: cfg.OutboundDelay,
			Sandbox: p.sandbox, InitCPU: cfg.InitCPU, EphemeralMB: run.EphemeralMB, Valgrind: valgrind,
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
	run := p.runFunction()
	r, err := awslambda.New(awslambda.Config{Client: client, RoleARN: cfg.AWSRoleARN, MemoryMB: run.MemoryMB, Timeout: run.Timeout,
		Arch: build.ArchARM64, Event: event})
	if err != nil {
		return nil, nil, badInput(err)
	}
	p.log.printf("deploying %d functions to Lambda", len(variants))
	r.Deploy(ctx, variants)
	return r, func() { r.Close(ctx) }, nil
}

// isReference reports whether the variant called name is one of the reference handlers.
func isReference(res *results.Results, name string) bool {
	for _, v := range res.Variants {
		if v.Name == name {
			return v.Role == results.RoleReference
		}
	}
	return false
}

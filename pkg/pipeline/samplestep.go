package pipeline

import (
	"context"
	"fmt"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// ReferenceFullSamples is how many full cold starts a reference takes in a head-vs-base run; its
// other rounds take an init-only one. Its invoke is the same fixed work every time (a checksum
// and a 50 ms call) and costs seconds at 128 MB, where three references' invokes were ~70% of a
// check's sampling; its init, which the cross-runtime table is about, keeps every round.
const ReferenceFullSamples = 3

// sample takes the cold starts in interleaved rounds. With a base to compare and samples: auto
// (the default) it looks at the verdict every config.AdaptiveBlock rounds and stops as soon as it
// is settled (a regression, an improvement, or no change within the threshold), when the time
// budget is spent, or at max-samples rounds; otherwise it takes a fixed number of rounds.
func (p *Pipeline) sample(ctx context.Context, res *results.Results, variants []sampling.Variant, workDir string) error {
	cfg := p.Config
	if len(variants) == 0 {
		return nil
	}
	if p.App != nil {
		return p.sampleApp(ctx, res, variants, workDir)
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
		initSamples = 0
		if compared {
			initSamples = 4 // they serve the head-vs-base verdict alone
		}
	}
	if cfg.Mode != config.ModeAWS { // on Lambda every cold start costs a configuration change
		for i := range variants {
			// Init-only samples serve the head-vs-base verdict; the references are its context
			// and get one full cold start a round (their tables say how many they had).
			if !compared || !isReference(res, variants[i].Name) {
				variants[i].InitSamples = initSamples
			} else {
				variants[i].FullSamples = ReferenceFullSamples
				res.Config.ReferenceFullSamples = ReferenceFullSamples
			}
		}
		res.Config.InitSamples = initSamples
	}
	if cfg.Adaptive && !sequential {
		p.log.printf("samples auto: nothing to compare, so a fixed %d rounds", cfg.Samples)
	}
	s, closeSampler, err := p.startSampler(ctx, res, variants, workDir, event)
	if err != nil {
		return err
	}
	defer closeSampler()
	perRound := 0
	for _, v := range variants {
		perRound += 1 + v.InitSamples
	}
	rounds := cfg.Samples
	if sequential {
		rounds = cfg.MaxSamples
		res.Config.Adaptive, res.Config.Block, res.Config.MaxTimeMs = true, config.AdaptiveBlock, float64(cfg.MaxTime.Milliseconds())
	}
	lambda := p.describeLambda(res, s, variants, rounds)
	defer p.countLambda(res, lambda)
	prog := newProgress(p.Progress, p.Terminal, p.Clock, cfg.Quiet, perRound*rounds)
	sched := sampling.NewScheduler(s, res.Config.Seed)
	offset := 0
	sched.Progress = func(done, _ int, smp results.Sample) { prog.update(offset+done, perRound*rounds, smp) }
	// The steps, in order; a cancelled run still records what it measured and marks the
	// stopped variants, and takes no traced or counted starts.
	if sequential {
		err = p.sampleSequential(ctx, res, sched, variants, rounds, &offset)
	} else {
		p.log.printf("sampling %d variants x %d rounds (memory %d MB, cgroup %s)", len(variants), rounds, cfg.MemoryMB, res.Environment.Limits.Cgroup)
		var got []results.Sample
		got, err = sched.Run(ctx, variants, rounds)
		res.Samples = append(res.Samples, got...)
		res.Config.Samples = rounds
	}
	prog.done()
	p.markStopped(res, sched)
	if cfg.Mode != config.ModeAWS && ctx.Err() == nil {
		// After the timed samples (and after the stopped variants are marked), never among them.
		p.traceInit(ctx, res, variants, s)
		if cfg.Instructions {
			p.countInit(ctx, res, variants, s)
		}
	}
	return err
}

// startSampler starts the sampler of the run's variants and records what it enforces.
func (p *Pipeline) startSampler(ctx context.Context, res *results.Results, variants []sampling.Variant, workDir string, event []byte) (sampling.Sampler, func(), error) {
	s, closeSampler, err := p.Samplers.New(ctx, SamplerSpec{Config: p.Config, Function: p.runFunction(), Event: event,
		WorkDir: workDir, Sandbox: p.sandbox, Variants: variants})
	if err != nil {
		return nil, nil, err
	}
	res.Environment.Limits = s.Limits()
	return s, closeSampler, nil
}

// markStopped says which variants failed the same way every time and were stopped early.
func (p *Pipeline) markStopped(res *results.Results, sched *sampling.Scheduler) {
	for i := range res.Variants {
		if why, ok := sched.Stopped[res.Variants[i].Name]; ok {
			res.Variants[i].Stopped = why
			p.log.printf("%s: %s", res.Variants[i].Name, why)
		}
	}
}

// sampleSequential takes rounds in blocks under the sequential rule (verdict.Sequential, the rule
// `coldbench calibrate` measures) until the verdict is settled or a budget is spent.
func (p *Pipeline) sampleSequential(ctx context.Context, res *results.Results, sched *sampling.Scheduler, variants []sampling.Variant, rounds int, offset *int) error {
	cfg := p.Config
	p.log.printf("sampling %d variants until the verdict is settled (at most %s or %d rounds; memory %d MB, cgroup %s)",
		len(variants), cfg.MaxTime, rounds, cfg.MemoryMB, res.Environment.Limits.Cgroup)
	rule := verdict.Sequential{Block: config.AdaptiveBlock, MaxRounds: rounds, MaxTime: cfg.MaxTime}
	o, err := rule.Run(res, func(n int) (verdict.Block, error) {
		t := p.Clock.Now()
		got, err := sched.Run(ctx, variants, n)
		res.Samples = append(res.Samples, got...)
		*offset += len(got)
		return verdict.Block{Elapsed: p.Clock.Now().Sub(t), Stopped: sched.Stopped, Variants: len(variants)}, err
	})
	switch o.Stop {
	case verdict.StopSettled:
		p.log.printf("verdict %s after %d rounds (look %d, %.1fs): stopping", res.Verdict, o.Rounds, o.Looks, o.Elapsed.Seconds())
	case verdict.StopBaseStopped:
		p.log.printf("base stopped without one good sample after %d rounds: not compared; stopping", o.Rounds)
	case verdict.StopBudget:
		p.log.printf("time budget of %s spent after %d rounds: verdict %s", cfg.MaxTime, o.Rounds, res.Verdict)
	}
	return err
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

package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sam"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// App is a run of several functions of one template (function: all, changed or A,B): one run, one
// set of references, every chosen function's head and base in the same rounds, one results value
// with a verdict per function.
type App struct {
	// Template is head's template (an absolute path, already confined to the repository).
	Template string
	// Functions are the head template's functions; Read reads a definition's (base's, in its
	// worktree) as the caller reads head's (a SAM template, a CDK cloud assembly, a serverless.yml,
	// a Terraform module).
	Functions []sam.Function
	Read      func(path string) ([]sam.Function, error)
	// Head is head's settings of the function called name: its template's, the flags on top.
	Head func(name string) (config.Config, error)
	// Base is base's settings of the function called name as revision sha has them (its worktree
	// wt): the caller's trusted loading, as BaseSettings is for one function.
	Base func(ctx context.Context, root, wt, sha, name string) (config.Config, error)
}

// appFunction is one chosen function while it is planned.
type appFunction struct {
	name   string
	status results.FunctionStatus
	reason string
}

// planApp plans a run of several functions: base's worktree once, the functions chosen (every
// one, the named ones, or those the diff reaches), each one's head and base, then the references.
func (p *Pipeline) planApp(ctx context.Context, res *results.Results) ([]planned, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for _, c := range slices.Backward(cleanups) {
			c()
		}
	}
	app := p.App
	root, rootErr := p.Repo.Root(ctx, filepath.Dir(app.Template))
	if rootErr == nil {
		if sha, err := p.Repo.Resolve(ctx, root, "HEAD"); err == nil {
			res.Config.HeadRef = sha
		}
	}
	tmplRel := filepath.Base(app.Template)
	if rootErr == nil {
		tmplRel, _ = filepath.Rel(root, app.Template)
	}
	res.Config.Function = tmplRel
	// Base: resolved and checked out once for every function.
	var sha, wt string
	var baseFns []sam.Function
	baseNote := ""
	switch {
	case p.Config.Base == "none":
		baseNote = "no base (base none)"
	case rootErr != nil:
		baseNote = "no base: " + tmplRel + " is not in a git repository"
		if p.Config.Base != "" {
			return nil, cleanup, badInput(fmt.Errorf("base %q: %s is not in a git repository", p.Config.Base, app.Template))
		}
	default:
		var err error
		if sha, err = p.resolveBase(ctx, root); err != nil {
			return nil, cleanup, err
		}
		res.Config.BaseRef = sha
		dir, done, err := p.Repo.Checkout(ctx, root, sha)
		if err != nil {
			return nil, cleanup, err
		}
		wt = dir
		cleanups = append(cleanups, done)
		if fns, err := p.App.Read(filepath.Join(wt, tmplRel)); err == nil {
			baseFns = fns
		} else {
			p.log.printf("base %.12s: %s: %v: every function is new", sha, tmplRel, err)
		}
	}
	chosen, err := p.chooseFunctions(ctx, root, sha, tmplRel, baseFns, baseNote)
	if err != nil {
		return nil, cleanup, err
	}
	// Every function's head is the pull request's code, every base the base revision's: the heads
	// share head's sandbox user (and so its build caches: a second function's build is
	// incremental), the bases base's, and no head shares anything with a base or a reference.
	p.slots = map[string]int{}
	var out []planned
	for _, f := range chosen {
		fr := results.FunctionResult{Name: f.name, Status: f.status, Reason: f.reason}
		p.log.printf("%s: %s (%s)", f.name, f.status, f.reason)
		if !fr.Sampled() {
			res.Functions = append(res.Functions, fr)
			continue
		}
		head, base, notes, err := p.planFunction(ctx, res, root, sha, wt, f)
		if err != nil {
			return nil, cleanup, err
		}
		fr.Head, fr.Notes = head.name, notes
		p.slots[head.name] = 0
		out = append(out, head)
		if base != nil {
			fr.Base = base.name
			p.slots[base.name] = 1
			out = append(out, *base)
		}
		res.Functions = append(res.Functions, fr)
	}
	if len(out) == 0 {
		p.log.printf("no function to measure: the references are not sampled either")
		return nil, cleanup, nil
	}
	refs, err := p.planReferences()
	if err != nil {
		return nil, cleanup, err
	}
	return append(out, refs...), cleanup, nil
}

// planFunction plans one function's head and base as planHandler plans a run of it alone, its
// variants named for the function; notes are what planning said of it.
func (p *Pipeline) planFunction(ctx context.Context, res *results.Results, root, sha, wt string, f appFunction) (head planned, base *planned, notes []string, err error) {
	cfg, err := p.App.Head(f.name)
	if err != nil {
		// Its definition cannot be built (an unsupported runtime...): a head that failed to build.
		head = planned{name: results.FunctionVariant(f.name, results.RoleHead), role: results.RoleHead, fn: p.Config.FunctionSpec(), err: err}
		return head, nil, nil, nil
	}
	one := *p
	one.App, one.Config = nil, cfg
	one.Config.Base = "none"
	if sha != "" && f.status == results.FunctionMeasured {
		one.Config.Base = sha
		one.Repo = checkedOut{Repository: p.Repo, wt: wt}
		one.BaseSettings = func(ctx context.Context, root, wt, sha, _ string) (config.Config, error) {
			return p.App.Base(ctx, root, wt, sha, f.name)
		}
	}
	scratch := &results.Results{}
	h, b, _, err := one.planHandler(ctx, scratch)
	if err != nil {
		return head, nil, nil, err
	}
	h.name, h.function = results.FunctionVariant(f.name, results.RoleHead), f.name
	if b != nil {
		b.name, b.function = results.FunctionVariant(f.name, results.RoleBase), f.name
	}
	notes = append(notes, cfg.Notes...)
	for _, n := range scratch.Config.Notes {
		if !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	return h, b, notes, nil
}

// checkedOut is a Repository whose base is already checked out at wt: every function's base is
// the same worktree, removed once at the end.
type checkedOut struct {
	Repository
	wt string
}

func (c checkedOut) Checkout(ctx context.Context, root, rev string) (string, func(), error) {
	return c.wt, func() {}, nil
}

// resolveBase is the commit base is built from: the base setting (previous-tag resolved to the
// release before head), or the merge-base of HEAD and the default branch.
func (p *Pipeline) resolveBase(ctx context.Context, root string) (string, error) {
	rev, err := p.baseRevision(ctx, root, p.Config.Base)
	if err != nil {
		return "", badInput(err)
	}
	if rev == "" {
		def, err := p.Repo.DefaultBranch(ctx, root)
		if err != nil {
			return "", badInput(fmt.Errorf("no base given and %v; pass --base REV (or --base none)", err))
		}
		if rev, err = p.Repo.MergeBase(ctx, root, "HEAD", def); err != nil {
			return "", badInput(err)
		}
		p.log.printf("base: merge-base of HEAD and %s is %.12s", def, rev)
	}
	sha, err := p.Repo.Resolve(ctx, root, rev)
	if err != nil {
		return "", badInput(fmt.Errorf("base: %w", err))
	}
	return sha, nil
}

// sampleApp samples a run of several functions: every open function's head and base and the
// references in the same randomized rounds; each function is decided after every block and
// leaves the rounds once settled (verdict.Sequential.RunFunctions), within one time budget.
func (p *Pipeline) sampleApp(ctx context.Context, res *results.Results, variants []sampling.Variant, workDir string) error {
	cfg := p.Config
	event, err := cfg.EventJSON()
	if err != nil {
		return badInput(fmt.Errorf("event %q: %w", cfg.Event, err))
	}
	byFunction := map[string][]sampling.Variant{}
	var refs []sampling.Variant
	initSamples := cfg.InitSamples
	if initSamples == config.InitSamplesAuto {
		initSamples = 4
	}
	for i, v := range variants {
		fn := functionOf(res, v.Name)
		if fn == "" {
			refs = append(refs, v)
			continue
		}
		if f := res.FunctionByName(fn); f.Base != "" && cfg.Mode != config.ModeAWS {
			variants[i].InitSamples = initSamples // they serve the head-vs-base verdicts alone
		}
		byFunction[fn] = append(byFunction[fn], variants[i])
	}
	res.Config.InitSamples = initSamples
	s, closeSampler, err := p.startSampler(ctx, res, variants, workDir, event)
	if err != nil {
		return err
	}
	defer closeSampler()
	rounds := cfg.Samples
	rule := verdict.Sequential{Block: cfg.Samples, MaxRounds: cfg.Samples, MaxTime: time.Duration(1<<63 - 1)}
	if cfg.Adaptive {
		rounds = cfg.MaxSamples
		rule = verdict.Sequential{Block: config.AdaptiveBlock, MaxRounds: rounds, MaxTime: cfg.MaxTime}
		res.Config.Adaptive, res.Config.Block, res.Config.MaxTimeMs = true, config.AdaptiveBlock, float64(cfg.MaxTime.Milliseconds())
	}
	perRound := 0
	for _, v := range variants {
		perRound += 1 + v.InitSamples
	}
	lambda := p.describeLambda(res, s, variants, rounds) // mode aws: what Lambda runs and costs
	defer p.countLambda(res, lambda)
	prog := newProgress(p.Progress, p.Terminal, p.Clock, cfg.Quiet, perRound*rounds)
	sched := sampling.NewScheduler(s, res.Config.Seed)
	offset := 0
	sched.Progress = func(done, _ int, smp results.Sample) { prog.update(offset+done, perRound*rounds, smp) }
	p.log.printf("sampling %d functions and %d references in the same rounds (at most %s or %d rounds; memory %d MB, cgroup %s)",
		len(byFunction), len(refs), cfg.MaxTime, rounds, cfg.MemoryMB, res.Environment.Limits.Cgroup)
	o, err := rule.RunFunctions(res, cfg.Samples, func(fns []string, n int) (verdict.Block, error) {
		vs := slices.Clone(refs)
		for _, fn := range fns {
			vs = append(vs, byFunction[fn]...)
		}
		t := p.Clock.Now()
		got, err := sched.Run(ctx, vs, n)
		res.Samples = append(res.Samples, got...)
		offset += len(got)
		return verdict.Block{Elapsed: p.Clock.Now().Sub(t), Stopped: sched.Stopped, Variants: len(vs)}, err
	})
	prog.done()
	res.Config.Samples = o.Rounds
	for _, f := range res.Functions {
		if fo, ok := o.Functions[f.Name]; ok {
			p.log.printf("%s: sampled %d rounds (%s)", f.Name, fo.Rounds, fo.Stop)
		}
	}
	p.markStopped(res, sched)
	if cfg.Mode != config.ModeAWS && ctx.Err() == nil {
		p.traceFunctions(ctx, res, byFunction, s)
	}
	return err
}

// traceFunctions takes each function's traced (and counted) init starts on its own view.
func (p *Pipeline) traceFunctions(ctx context.Context, res *results.Results, byFunction map[string][]sampling.Variant, s sampling.Sampler) {
	for _, f := range res.Functions {
		if f.Base == "" || len(byFunction[f.Name]) == 0 {
			continue
		}
		view := res.Function(f.Name)
		var vs []sampling.Variant
		back := map[string]string{}
		for _, v := range byFunction[f.Name] {
			short := strings.TrimPrefix(v.Name, f.Name+":")
			back[short] = v.Name
			v.Name = short
			vs = append(vs, v)
		}
		traces, counts := len(view.InitTraces), len(view.InitInstructions)
		p.traceInit(ctx, view, vs, s)
		if p.Config.Instructions {
			p.countInit(ctx, view, vs, s)
		}
		for _, t := range view.InitTraces[traces:] {
			t.Variant = back[t.Variant]
			res.InitTraces = append(res.InitTraces, t)
		}
		for _, c := range view.InitInstructions[counts:] {
			c.Variant = back[c.Variant]
			res.InitInstructions = append(res.InitInstructions, c)
		}
	}
}

// functionOf is the function the variant called name belongs to ("" for a reference).
func functionOf(res *results.Results, name string) string {
	for _, v := range res.Variants {
		if v.Name == name {
			return v.Function
		}
	}
	return ""
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/coldbench/coldbench/pkg/awslambda"
	"github.com/coldbench/coldbench/pkg/baseline"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/report"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/stats"
)

// buildTimeout bounds one build (a cold Rust build for arm64 takes about two minutes here).
const buildTimeout = 20 * time.Minute

// planned is a variant before it is built.
type planned struct {
	name, role, runtime, dir, handler, ref, cacheKey string
	err                                              error // could not even be checked out
}

// pipeline runs one benchmark: plan, build, sample, analyze. It is shared by `run` and `action`.
type pipeline struct {
	cfg   config.Config
	env   Env
	log   *logger
	tools build.Tools
}

// execute runs the whole benchmark and returns its results. An error means nothing could be
// measured at all; a failed build or failed samples are recorded in the results instead.
// The steps, in order:
//
//	plan      head, base (a worktree of the base revision) and references
//	build     the arm64 artifact that ships, and the host build that is timed locally
//	sample    interleaved cold starts, in blocks when adaptive
//	baseline  a stored run as the base, for release gates
//	analyze   summaries, comparisons, verdict, budgets
//	store     the run added to the history
func (p *pipeline) execute(ctx context.Context) (*report.Results, error) {
	start := p.env.Now()
	cfg := p.cfg
	res := &report.Results{
		SchemaVersion: report.SchemaVersion,
		Tool:          "coldbench " + Version,
		CreatedAt:     start.UTC(),
		Config: report.RunConfig{
			Samples: cfg.Samples, MemoryMB: cfg.MemoryMB, ThresholdPct: cfg.Threshold, Alpha: cfg.Alpha,
			WarmInvokes: cfg.WarmInvokes, TimeoutMs: float64(cfg.Timeout.Milliseconds()),
			OutboundDelayMs: float64(cfg.OutboundDelay.Milliseconds()), Seed: cfg.Seed, Budgets: cfg.Budgets,
		},
	}
	if res.Config.Seed == 0 {
		res.Config.Seed = uint64(start.UnixNano())
	}

	plan, cleanup, err := p.plan(ctx, res)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	workDir, err := os.MkdirTemp("", "coldbench-run-")
	if err != nil {
		return nil, failure(err)
	}
	defer os.RemoveAll(workDir)

	variants, err := p.buildAll(ctx, plan, res, workDir)
	if err != nil {
		return nil, err
	}
	rule := stats.Rule{Threshold: cfg.Threshold / 100, Alpha: cfg.Alpha}
	seq, err := p.sample(ctx, res, variants, workDir, rule)
	if err != nil {
		return nil, err
	}
	later, err := p.attachBaseline(res)
	if err != nil {
		return nil, err
	}
	if res.Config.Adaptive {
		rule.Alpha = res.Config.Alpha // the per-look level the run stopped with
	}
	res.Analyze(rule)
	res.Warnings = append(res.Warnings, later...)
	if res.Config.Adaptive {
		res.Warnings = append(res.Warnings, stats.Warning{Code: "adaptive", Message: fmt.Sprintf(
			"adaptive sampling: %d samples a side, analysed after every %d, at alpha %.2g per look (%g over %d looks)",
			res.Config.Samples, seq.Block, res.Config.Alpha, cfg.Alpha, seq.Looks())})
	}
	res.DurationMs = float64(p.env.Now().Sub(start).Milliseconds())
	if cfg.Store != "" {
		path, err := baseline.Store{Dir: cfg.Store}.Save(res, p.storeKey())
		if err != nil {
			return nil, failure(err)
		}
		p.log.printf("stored results in %s", path)
	}
	return res, nil
}

// buildAll builds every planned variant and records it in res; it returns the ones to sample.
func (p *pipeline) buildAll(ctx context.Context, plan []planned, res *report.Results, workDir string) ([]runner.Variant, error) {
	host := build.HostArch()
	res.Environment = environment(host)
	if p.cfg.Mode == "aws" {
		host = build.ArchARM64
		res.Environment.Notes = append(res.Environment.Notes, "timed on AWS Lambda (arm64, provided.al2023): Init Duration, Duration and Max Memory Used are Lambda's own REPORT figures")
	} else if host != build.ArchARM64 {
		res.Environment.Notes = append(res.Environment.Notes, fmt.Sprintf(
			"timed on %s: arm64 timings are only taken natively (qemu adds ~90 ms to a Go start), so each handler is also built for %s and that build is what was timed; arm64 zip sizes are of the arm64 build",
			host, host))
	}
	var variants []runner.Variant
	for _, pv := range plan {
		v := report.Variant{Name: pv.name, Role: pv.role, Runtime: pv.runtime, Handler: pv.handler, Ref: pv.ref, Arch: host, DeployArch: build.ArchARM64}
		if pv.err != nil {
			v.BuildError = pv.err.Error()
			res.Variants = append(res.Variants, v)
			p.log.printf("%s: %v", pv.name, pv.err)
			continue
		}
		deploy, timed, err := p.buildBoth(ctx, pv, filepath.Join(workDir, pv.name))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if deploy != nil {
			v.Runtime, v.Deploy = deploy.Runtime, deploy
		}
		v.Artifact = timed
		if err != nil {
			v.BuildError = err.Error()
			p.log.printf("build %s failed: %s", pv.name, firstLine(err.Error()))
		} else {
			for k, val := range timed.Toolchain {
				if res.Environment.Toolchains == nil {
					res.Environment.Toolchains = map[string]string{}
				}
				res.Environment.Toolchains[k] = val
			}
			variants = append(variants, runner.Variant{Name: pv.name, Artifact: timed.Path, Handler: pv.handler})
		}
		res.Variants = append(res.Variants, v)
	}
	return variants, nil
}

// sample takes the cold starts: a fixed count, or (samples: auto, with a base to compare) blocks
// until the verdict is settled, each look at alpha / looks. It returns the schedule it used.
func (p *pipeline) sample(ctx context.Context, res *report.Results, variants []runner.Variant, workDir string, rule stats.Rule) (stats.Sequential, error) {
	cfg := p.cfg
	var seq stats.Sequential
	if len(variants) == 0 {
		return seq, nil
	}
	var event []byte
	if cfg.Event != "" {
		var err error
		if event, err = os.ReadFile(cfg.Event); err != nil {
			return seq, badInput(err)
		}
	}
	blocks := []int{cfg.Samples}
	base := res.Variant(report.RoleBase)
	if cfg.Adaptive && res.Variant(report.RoleHead) != nil && base != nil && base.BuildError == "" {
		seq = stats.Sequential{Block: config.AdaptiveBlock, Max: cfg.MaxSamples}
		blocks = nil
		prev := 0
		for _, n := range seq.Sizes() {
			blocks = append(blocks, n-prev)
			prev = n
		}
		res.Config.Adaptive, res.Config.Samples = true, cfg.MaxSamples
	} else if cfg.Adaptive {
		p.log.printf("samples auto: nothing to compare, so a fixed %d samples", cfg.Samples)
	}
	total := 0
	for _, b := range blocks {
		total += b
	}
	prog := newProgress(p.env, cfg.Quiet, len(variants)*total)
	defer prog.done()
	offset := 0
	r, err := p.newSampler(ctx, event, workDir, res.Config.Seed,
		func(done, _ int, s runner.Sample) { prog.update(offset+done, len(variants)*total, s) })
	if err != nil {
		return seq, err
	}
	if c, ok := r.(interface{ Close() }); ok {
		defer c.Close()
	}
	p.log.printf("sampling %d variants x %d cold starts (memory %d MB, cgroup %s)", len(variants), total, cfg.MemoryMB, r.Limits().Cgroup)
	for look, n := range blocks {
		run, err := r.Run(ctx, variants, n)
		if run != nil {
			res.Samples = append(res.Samples, run.Samples...)
			res.Environment.Limits = run.Limits
		}
		if err != nil {
			return seq, err
		}
		offset += len(run.Samples)
		if seq.Block == 0 {
			continue
		}
		lookRule := seq.LookRule(rule)
		res.Config.Alpha, res.Config.Looks, res.Config.Samples = lookRule.Alpha, seq.Looks(), len(res.SamplesOf("head"))
		res.Analyze(lookRule)
		if stats.Settled(res.Verdict) && look < len(blocks)-1 {
			p.log.printf("verdict %s after %d samples a side (look %d of %d): stopping early", res.Verdict, res.Config.Samples, look+1, seq.Looks())
			break
		}
	}
	return seq, nil
}

// attachBaseline makes the latest stored run the base (--baseline). An empty store is a warning
// for after the analysis, not an error: the first run of a new history has nothing to compare.
func (p *pipeline) attachBaseline(res *report.Results) ([]stats.Warning, error) {
	if p.cfg.Baseline == "" {
		return nil, nil
	}
	entry, err := baseline.Store{Dir: p.cfg.Baseline}.Latest(p.storeKey())
	switch {
	case errors.Is(err, baseline.ErrEmpty):
		return []stats.Warning{{Code: "no-baseline", Message: err.Error() + ": this run can only be stored (--store), not compared"}}, nil
	case err != nil:
		return nil, badInput(fmt.Errorf("baseline: %w", err))
	}
	if err := baseline.AsBase(res, entry); err != nil {
		return nil, badInput(err)
	}
	p.log.printf("base: stored baseline %s", entry.Path)
	return nil, nil
}

// storeKey names the handler's history: its path relative to the working directory.
func (p *pipeline) storeKey() string {
	if p.cfg.Handler == "" {
		return baseline.Key("")
	}
	rel, err := filepath.Rel(p.env.Dir, p.cfg.Handler)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(p.cfg.Handler)
	}
	return baseline.Key(rel)
}

// sampler takes cold samples in randomized interleaved rounds. Its two implementations are the
// local runner (embedded Runtime API emulator) and the AWS runner (real Lambda).
type sampler interface {
	Run(ctx context.Context, variants []runner.Variant, n int) (*runner.Result, error)
	Limits() runner.Limits
}

func (p *pipeline) newSampler(ctx context.Context, event []byte, workDir string, seed uint64, progress func(int, int, runner.Sample)) (sampler, error) {
	cfg := p.cfg
	if cfg.Mode != "aws" {
		r, err := runner.New(runner.Config{
			MemoryMB: cfg.MemoryMB, Timeout: cfg.Timeout, WarmInvokes: cfg.WarmInvokes, Event: event,
			NoEvict: cfg.NoEvict, WorkDir: workDir, Seed: seed, OutboundDelay: cfg.OutboundDelay, Progress: progress,
		})
		if err != nil {
			return nil, failure(err)
		}
		return r, nil
	}
	// coldbench's own credentials (environment, profile, role): they sign API calls and are never
	// passed to builds or handlers.
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.AWSRegion != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.AWSRegion))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, badInput(fmt.Errorf("mode aws: load AWS configuration: %w", err))
	}
	if awsCfg.Region == "" {
		return nil, badInput(errors.New("mode aws: no region: set --aws-region or AWS_REGION"))
	}
	client := lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		if cfg.AWSEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.AWSEndpoint)
		}
	})
	r, err := awslambda.New(awslambda.Config{Client: client, RoleARN: cfg.AWSRoleARN, MemoryMB: cfg.MemoryMB, Timeout: cfg.Timeout,
		Arch: build.ArchARM64, Event: event, Seed: seed, Progress: progress})
	if err != nil {
		return nil, badInput(err)
	}
	return r, nil
}

// plan decides the variants: head (the handler as it is in the work tree), base (the same path
// at the base revision, from a temporary worktree) and the references.
func (p *pipeline) plan(ctx context.Context, res *report.Results) ([]planned, func(), error) {
	cfg := p.cfg
	var out []planned
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	if cfg.Handler != "" {
		dir, err := filepath.Abs(cfg.Handler)
		if err != nil {
			return nil, cleanup, badInput(err)
		}
		head := planned{name: "head", role: report.RoleHead, runtime: cfg.Runtime, dir: dir, cacheKey: dir}
		root, rootErr := build.RepoRoot(ctx, dirOf(dir))
		if rootErr == nil {
			rel, _ := filepath.Rel(root, dir)
			head.cacheKey = rel
			if sha, err := build.ResolveRev(ctx, root, "HEAD"); err == nil {
				head.ref = sha
				res.Config.HeadRef = sha
			}
		}
		out = append(out, head)

		if cfg.Base != "none" && cfg.Baseline == "" {
			base := planned{name: "base", role: report.RoleBase, runtime: cfg.Runtime, cacheKey: head.cacheKey}
			switch {
			case rootErr != nil && cfg.Base != "":
				return nil, cleanup, badInput(fmt.Errorf("base %q: %s is not in a git repository", cfg.Base, cfg.Handler))
			case rootErr != nil:
				p.log.printf("no base: %s is not in a git repository (use --base none to silence this)", cfg.Handler)
			default:
				rev := cfg.Base
				if rev == "" {
					def, err := defaultBranch(ctx, root)
					if err != nil {
						return nil, cleanup, badInput(fmt.Errorf("no base given and %v; pass --base REV (or --base none)", err))
					}
					if rev, err = build.MergeBase(ctx, root, "HEAD", def); err != nil {
						return nil, cleanup, badInput(err)
					}
					p.log.printf("base: merge-base of HEAD and %s is %.12s", def, rev)
				}
				sha, err := build.ResolveRev(ctx, root, rev)
				if err != nil {
					return nil, cleanup, badInput(fmt.Errorf("base: %w", err))
				}
				base.ref = sha
				res.Config.BaseRef = sha
				wt, done, err := build.Checkout(ctx, root, sha)
				if err != nil {
					return nil, cleanup, failure(err)
				}
				cleanups = append(cleanups, done)
				rel, _ := filepath.Rel(root, dir)
				base.dir = filepath.Join(wt, rel)
				if _, err := os.Stat(base.dir); err != nil {
					base.err = fmt.Errorf("the handler %s does not exist at base %.12s", rel, sha)
				}
				out = append(out, base)
			}
		}
	}
	if len(cfg.References) > 0 {
		hdir, err := findHandlersDir(p.env, cfg.HandlersDir)
		if err != nil {
			return nil, cleanup, failure(err)
		}
		for _, ref := range cfg.References {
			rt, handler, _ := strings.Cut(ref, "-")
			if handler == "" {
				handler = "work"
			}
			out = append(out, planned{name: ref, role: report.RoleReference, runtime: rt, handler: handler,
				dir: filepath.Join(hdir, rt), cacheKey: "coldbench-reference/" + rt})
		}
	}
	return out, cleanup, nil
}

// buildBoth builds the arm64 artifact that ships and, on another host, the host build that is
// timed. On an arm64 host they are one and the same.
func (p *pipeline) buildBoth(ctx context.Context, pv planned, outDir string) (deploy, timed *build.Artifact, err error) {
	req := build.Request{Dir: pv.dir, Runtime: pv.runtime, OutDir: outDir, Tools: p.tools, CacheKey: pv.cacheKey}
	host := build.HostArch()
	arches := []string{build.ArchARM64}
	if host != build.ArchARM64 && p.cfg.Mode != "aws" {
		arches = append(arches, host) // timed here; arm64 is timed on Lambda in mode aws
	}
	for _, arch := range arches {
		req.Arch, req.Name = arch, pv.name+"-"+arch
		t := time.Now()
		// Every build has a deadline: a hanging build script must not hang the job.
		bctx, cancel := context.WithTimeout(ctx, buildTimeout)
		art, err := build.Build(bctx, req)
		cancel()
		if err != nil {
			return deploy, nil, err
		}
		p.log.printf("built %s for %s: %s zip, %s unzipped, %.1fs (%s)", pv.name, arch, bytesHuman(art.ZipBytes), bytesHuman(art.UnzippedBytes), time.Since(t).Seconds(), art.Method)
		for _, n := range art.Notes {
			p.log.printf("  note: %s", n)
		}
		if arch == build.ArchARM64 {
			deploy = art
		}
		timed = art
	}
	return deploy, timed, nil
}

// defaultBranch finds the branch a pull request would merge into.
func defaultBranch(ctx context.Context, root string) (string, error) {
	if out, err := exec.CommandContext(ctx, "git", "-C", root, "-c", "safe.directory=*", "symbolic-ref", "--short", "refs/remotes/origin/HEAD").Output(); err == nil {
		return strings.TrimSpace(string(out)), nil
	}
	for _, b := range []string{"origin/main", "origin/master", "main", "master"} {
		if _, err := build.ResolveRev(ctx, root, b); err == nil {
			return b, nil
		}
	}
	return "", errors.New("the default branch could not be found (no origin/HEAD, main or master)")
}

// findHandlersDir locates the reference handlers: the flag, $COLDBENCH_HANDLERS_DIR, beside the
// binary (share/coldbench/handlers, as the container installs them), or up from the work dir
// (a checkout of coldbench itself).
func findHandlersDir(env Env, flag string) (string, error) {
	var cands []string
	if flag != "" {
		cands = append(cands, flag)
	}
	if d := env.Getenv("COLDBENCH_HANDLERS_DIR"); d != "" {
		cands = append(cands, d)
	}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "..", "share", "coldbench", "handlers"))
	}
	for d := env.Dir; d != "" && d != "/"; d = filepath.Dir(d) {
		cands = append(cands, filepath.Join(d, "handlers"))
	}
	for _, c := range cands {
		if st, err := os.Stat(filepath.Join(c, "go", "main.go")); err == nil && !st.IsDir() {
			if _, err := os.Stat(filepath.Join(c, "rust", "Cargo.toml")); err == nil {
				return filepath.Abs(c)
			}
		}
	}
	return "", errors.New("reference handlers not found: set --handlers-dir or COLDBENCH_HANDLERS_DIR to coldbench's handlers/ directory, or use --references none")
}

func environment(arch string) report.Environment {
	e := report.Environment{Cores: goruntime.NumCPU(), Arch: arch}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		e.Kernel = charsToString(u.Release[:])
	}
	return e
}

func charsToString[T int8 | uint8](cs []T) string {
	b := make([]byte, 0, len(cs))
	for _, c := range cs {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

func dirOf(p string) string {
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func bytesHuman(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// logger writes plain progress lines to stderr unless quiet.
type logger struct {
	w     io.Writer
	quiet bool
}

func (l *logger) printf(format string, args ...any) {
	if l.quiet {
		return
	}
	fmt.Fprintf(l.w, format+"\n", args...)
}

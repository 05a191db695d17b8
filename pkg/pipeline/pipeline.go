package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/baseline"
	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// Pipeline runs one benchmark: `run` and `action` parse their inputs into a Pipeline and call
// Execute. Each step is a method of its own, in plan.go, buildstep.go and samplestep.go; what they
// build, sample, check out and run as comes through the seams (seams.go).
type Pipeline struct {
	Config config.Config
	// Dir is the working directory relative paths were resolved against.
	Dir    string
	Getenv func(string) string
	// Logf prints a progress line (the caller makes it safe for a CI log and quiet);
	// Progress gets the sampling progress (nothing when Config.Quiet), redrawn as a bar when
	// it is an interactive Terminal.
	Logf     func(format string, args ...any)
	Progress io.Writer
	Terminal bool
	// Version is coldbench's, for the results.
	Version string

	Builder  Builder
	Samplers Samplers
	Repo     Repository
	Sandbox  Sandbox
	Clock    Clock
	// BaseSettings loads base's own settings as its revision sha has them (its coldbench.yml
	// from git's objects, its template in its worktree wt), confined to wt: the caller's trusted
	// loading. headPath is head's handler, the default when base names none.
	BaseSettings func(ctx context.Context, root, wt, sha, headPath string) (config.Config, error)
	// App, when set, makes the run one of several functions of a template (app.go).
	App *App
	// ReferenceSources writes the reference handlers of runtimes to a directory and returns it.
	ReferenceSources func(runtimes []string) (string, error)
	// Preview, when set, is shown a first table in a run of the references alone whose slow
	// references (build.Reference.SlowBuild: Rust's crates) still build: the others, built first
	// and sampled for PreviewRounds rounds beside those builds; pending names what still builds.
	// Those rounds are a first look, never among the run's samples.
	Preview func(res *results.Results, pending []string)
	// SlotOwner names whose untrusted code the head builds run, for the sandbox's caches: a
	// head slot that another owner's code wrote last starts empty (build.Request.SlotOwner). The
	// action's is the repository and pull request, the CLI's the checkout and branch; "" is the
	// head's checkout (slotOwner).
	SlotOwner string
	// TrustedHead is the commit the run's event vouches for as the repository's own (a push's,
	// a schedule's GITHUB_SHA), "" for none: a head checked out at it, unmodified, is trusted
	// code, whose slot a later run's head (a pull request's first) takes over warm.
	TrustedHead string

	log *logger
	// sandbox is who builds and handlers run as: its first slot; each variant and arch has a
	// slot of its own (identity).
	sandbox sandbox.Identity
	// sandboxNotes say what the sandbox could not do as it usually does, for the results' limits.
	sandboxNotes []string
	// slots are the sandbox slots of a run of several functions' variants, by name.
	slots map[string]int
	// inputCache is what each function of a run of several is built from (select.go).
	inputCache map[string][]build.Input
}

// runnerDirs are the directories of the runner's that sandboxed code must not read: the
// workspace (its .git/config holds the job's token when actions/checkout persists credentials),
// the runner's file-command files and home. A directory holding what the sandbox must reach (the
// cache, the tools, the work dir) is left alone.
func (p *Pipeline) runnerDirs() []string {
	var dirs []string
	for _, d := range []string{p.Dir, p.Getenv("GITHUB_WORKSPACE"), p.Getenv("HOME"), p.Getenv("RUNNER_TEMP")} {
		dirs = append(dirs, d)
	}
	// The checkouts' .git too: a workspace that holds the cache is left open, its token must not be.
	for _, d := range []string{p.Dir, p.Getenv("GITHUB_WORKSPACE")} {
		if d != "" {
			dirs = append(dirs, filepath.Join(d, ".git"))
		}
	}
	for _, k := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH"} {
		if f := p.Getenv(k); f != "" {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	keep := []string{p.CacheDir(), build.DefaultToolsDir(p.Getenv), os.TempDir(), p.Getenv("COLDBENCH_REFERENCES_DIR")}
	var out []string
	for _, d := range dirs {
		d = filepath.Clean(d)
		if d == "." || d == "/" || slices.Contains(sandbox.SystemExec, d) || slices.Contains(out, d) {
			continue
		}
		holds := false
		for _, k := range keep {
			if k != "" && (k == d || strings.HasPrefix(k, d+"/")) {
				holds = true
			}
		}
		if !holds {
			out = append(out, d)
		}
	}
	return out
}

// endSandbox kills whatever still runs as any sandbox user and removes what they left in the
// shared directories, saying so in the results.
func (p *Pipeline) endSandbox(res *results.Results) {
	n, left, err := p.Sandbox.End(p.sandbox)
	if err != nil {
		p.log.printf("warning: %v", err)
	} else if n > 0 {
		res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, fmt.Sprintf("%d process(es) of the sandbox's users were still running at the end of the run; killed", n))
	}
	if len(left) > 0 {
		res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, "removed what sandboxed code left in shared directories: "+strings.Join(left, ", "))
	}
}

// Execute runs the whole benchmark and returns its results. An error means nothing could be
// measured at all (or, with results, that the run was cancelled while sampling: they hold what
// was measured); a failed build or failed samples are recorded in the results instead.
// The steps, in order:
//
//	plan      head, base (a worktree of the base revision) and references
//	build     the arm64 artifact that ships, and the host build that is timed locally
//	sample    interleaved cold starts, in blocks when adaptive
//	baseline  a stored run as the base, for release gates
//	analyze   summaries, comparisons, verdict, budgets, caveats (pkg/verdict)
//	store     the run added to the history
func (p *Pipeline) Execute(ctx context.Context) (*results.Results, error) {
	p.log = &logger{f: p.Logf}
	start := p.Clock.Now()
	res := p.newResults(start)
	leave, err := p.enterSandbox(res)
	if err != nil {
		return nil, err
	}
	defer leave()

	res.Phases = map[string]float64{}
	phase := func(name string, since time.Time) {
		res.Phases[name] += float64(p.Clock.Now().Sub(since).Microseconds()) / 1000
	}
	if c, ok := p.Samplers.(Checker); ok {
		// Before anything is built: mode aws's region, credentials and role.
		if err := c.Check(ctx, p.Config); err != nil {
			return nil, err
		}
	}
	t := p.Clock.Now()
	plan, cleanup, err := p.plan(ctx, res)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	phase("plan", t)
	workDir, cleanupWork, err := WorkDir()
	if err != nil {
		return nil, err
	}
	defer cleanupWork()

	t = p.Clock.Now()
	var variants []sampling.Variant
	if quick, slow := p.previewSplit(plan); len(slow) > 0 && len(quick) > 0 {
		variants, err = p.buildWithPreview(ctx, plan, quick, slow, res, workDir)
	} else {
		variants, err = p.buildAll(ctx, plan, res, workDir)
	}
	if err != nil {
		return nil, err
	}
	phase("build", t)
	t = p.Clock.Now()
	if err := p.sample(ctx, res, variants, workDir); err != nil {
		if ctx.Err() == nil {
			return nil, err
		}
		// Cancelled while sampling: what was measured is kept, analysed, with the error.
		phase("sample", t)
		res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, p.sandboxNotes...)
		verdict.Analyze(res)
		return res, fmt.Errorf("sample: %w", err)
	}
	phase("sample", t)
	t = p.Clock.Now()
	if err := p.attachBaseline(res); err != nil {
		return nil, err
	}
	res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, p.sandboxNotes...)
	verdict.Analyze(res)
	phase("analyze", t)
	res.DurationMs = float64(p.Clock.Now().Sub(start).Milliseconds())
	if p.Config.Store != "" {
		t = p.Clock.Now()
		path, err := baseline.Store{Dir: p.Config.Store}.Save(res, p.storeKey())
		if err != nil {
			return nil, err
		}
		phase("store", t)
		p.log.printf("stored results in %s", path)
	}
	return res, nil
}

// enterSandbox takes the run's sandbox users before any untrusted code runs (builds, then
// handlers) and closes the runner's directories to them; leave undoes it in reverse: the
// directories opened again, whatever the sandbox's users left killed and removed (said in res),
// the users given back.
func (p *Pipeline) enterSandbox(res *results.Results) (leave func(), err error) {
	if err := sandbox.ProtectSelf(); err != nil {
		p.log.printf("warning: could not make coldbench non-dumpable: %v", err)
	}
	id, release, err := p.Sandbox.Acquire()
	if err != nil {
		return nil, badInput(err)
	}
	p.sandbox = id
	if !id.Separate {
		return release, nil
	}
	// Landlock keeps sandboxed code out of every tree not granted to it; the runner's own
	// directories are also closed to other users for the run, where Landlock is missing and
	// where a workspace lies in a tree it grants (a self-hosted runner's /opt/actions-runner).
	restore, sealed, landlock := p.Sandbox.Seal(p.runnerDirs())
	if len(sealed) > 0 && !landlock {
		p.sandboxNotes = append(p.sandboxNotes, "without Landlock, these directories were closed to other users for the run (the token in .git/config and the runner's files out of the sandbox's reach): "+strings.Join(sealed, ", "))
	}
	return func() {
		restore()
		// However the run ends: no process of any sandbox user outlives it, nor (where Landlock
		// did not keep them out) what they left in the machine's shared directories.
		p.endSandbox(res)
		release()
	}, nil
}

// WorkDir is a temporary directory the sandbox user may search (for its task roots and
// build directories) but not list.
func WorkDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "coldbench-run-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o711); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// newResults records the settings that shape the numbers.
func (p *Pipeline) newResults(start time.Time) *results.Results {
	cfg := p.Config
	res := &results.Results{
		SchemaVersion: results.SchemaVersion,
		Tool:          "coldbench " + p.Version,
		CreatedAt:     start.UTC(),
		Config: results.RunConfig{
			Samples: cfg.Samples, MemoryMB: cfg.MemoryMB, ThresholdPct: cfg.Threshold, Alpha: cfg.Alpha,
			WarmInvokes: cfg.WarmInvokes, TimeoutMs: float64(cfg.Timeout.Milliseconds()),
			OutboundDelayMs: float64(cfg.OutboundDelay.Milliseconds()), Seed: cfg.Seed, Budgets: cfg.Budgets.Record(),
			Baseline: cfg.Baseline, InitTimeoutMs: float64(runner.DefaultInitTimeout.Milliseconds()),
			Build: cfg.Build, Notes: cfg.Notes,
		},
	}
	for _, c := range cfg.JudgeChanges {
		// The head's value is the pull request's text: one short line wherever it is shown.
		res.Config.SettingChanges = append(res.Config.SettingChanges, results.SettingChange{Key: c.Key,
			Base: results.CleanLine(c.Base, 200), Head: results.CleanLine(c.Head, 200)})
	}
	if cfg.Template != "" && cfg.Function != "" {
		rel, err := filepath.Rel(p.Dir, cfg.Template)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = cfg.Template
		}
		res.Config.Function = cfg.Function + " in " + rel
	}
	if res.Config.Seed == 0 {
		res.Config.Seed = uint64(start.UnixNano())
	}
	return res
}

// attachBaseline makes the latest stored run the base (--baseline). An empty store is no error:
// the first run of a new history has nothing to compare, and the analysis says so.
func (p *Pipeline) attachBaseline(res *results.Results) error {
	if p.Config.Baseline == "" {
		return nil
	}
	entry, err := baseline.Store{Dir: p.Config.Baseline}.Latest(p.storeKey())
	switch {
	case errors.Is(err, baseline.ErrEmpty):
		return nil
	case err != nil:
		return badInput(fmt.Errorf("baseline: %w", err))
	}
	if err := baseline.AsBase(res, entry); err != nil {
		return badInput(err)
	}
	p.log.printf("base: stored baseline %s", entry.Path)
	return nil
}

// storeKey names the handler's history: its path relative to the working directory.
func (p *Pipeline) storeKey() string {
	if p.Config.Handler == "" {
		return baseline.Key("")
	}
	rel, err := filepath.Rel(p.Dir, p.Config.Handler)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(p.Config.Handler)
	}
	return baseline.Key(rel)
}

func dirOf(p string) string {
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// logger is where the steps say what they did.
type logger struct {
	f func(format string, args ...any)
}

func (l *logger) printf(format string, args ...any) { l.f(format, args...) }

package cli

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
	"github.com/coldbench/coldbench/pkg/report"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// pipeline runs one benchmark. It is shared by `run` and `action`; each step is a method of its
// own, in plan.go, buildstep.go and samplestep.go.
type pipeline struct {
	cfg config.Config
	env Env
	log *logger
	// sandbox is who builds and handlers run as: its first slot; each variant and arch has a
	// slot of its own (identity).
	sandbox sandbox.Identity
	// sandboxNotes say what the sandbox could not do as it usually does, for the results' limits.
	sandboxNotes []string
}

// runnerDirs are the directories of the runner's that sandboxed code must not read: the
// workspace (its .git/config holds the job's token when actions/checkout persists credentials),
// the runner's file-command files and home. A directory holding what the sandbox must reach (the
// cache, the tools, the work dir) is left alone.
func (p *pipeline) runnerDirs() []string {
	var dirs []string
	for _, d := range []string{p.env.Dir, p.env.Getenv("GITHUB_WORKSPACE"), p.env.Getenv("HOME"), p.env.Getenv("RUNNER_TEMP")} {
		dirs = append(dirs, d)
	}
	// The checkouts' .git too: a workspace that holds the cache is left open, its token must not be.
	for _, d := range []string{p.env.Dir, p.env.Getenv("GITHUB_WORKSPACE")} {
		if d != "" {
			dirs = append(dirs, filepath.Join(d, ".git"))
		}
	}
	for _, k := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH"} {
		if f := p.env.Getenv(k); f != "" {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	keep := []string{p.cacheDir(), build.DefaultToolsDir(p.env.Getenv), os.TempDir(), p.env.Getenv("COLDBENCH_REFERENCES_DIR")}
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
func (p *pipeline) endSandbox(res *results.Results) {
	if n, err := p.sandbox.KillSlots(); err != nil {
		p.log.printf("warning: %v", err)
	} else if n > 0 {
		res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, fmt.Sprintf("%d process(es) of the sandbox's users were still running at the end of the run; killed", n))
	}
	if left := p.sandbox.RemoveLeftovers(); len(left) > 0 {
		res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, "removed what sandboxed code left in shared directories: "+strings.Join(left, ", "))
	}
}

// execute runs the whole benchmark and returns its results. An error means nothing could be
// measured at all; a failed build or failed samples are recorded in the results instead.
// The steps, in order:
//
//	plan      head, base (a worktree of the base revision) and references
//	build     the arm64 artifact that ships, and the host build that is timed locally
//	sample    interleaved cold starts, in blocks when adaptive
//	baseline  a stored run as the base, for release gates
//	analyze   summaries, comparisons, verdict, budgets, caveats (pkg/verdict)
//	store     the run added to the history
func (p *pipeline) execute(ctx context.Context) (*results.Results, error) {
	start := p.env.Now()
	res := p.newResults(start)
	// Untrusted code runs from here on: builds, then handlers.
	if err := sandbox.ProtectSelf(); err != nil {
		p.log.printf("warning: could not make coldbench non-dumpable: %v", err)
	}
	id, release, err := sandbox.Acquire(p.env.Getenv)
	if err != nil {
		return nil, badInput(err)
	}
	defer release()
	p.sandbox = id
	if id.Separate {
		// However the run ends: no process of any sandbox user outlives it, nor (where Landlock
		// did not keep them out) what they left in the machine's shared directories.
		defer p.endSandbox(res)
		// Landlock keeps sandboxed code out of every tree not granted to it; the runner's own
		// directories are also closed to other users for the run, where Landlock is missing and
		// where a workspace lies in a tree it grants (a self-hosted runner's /opt/actions-runner).
		restore, sealed := sandbox.Seal(p.runnerDirs())
		defer restore()
		if len(sealed) > 0 && !sandbox.LandlockOn() {
			p.sandboxNotes = append(p.sandboxNotes, "without Landlock, these directories were closed to other users for the run (the token in .git/config and the runner's files out of the sandbox's reach): "+strings.Join(sealed, ", "))
		}
	}

	res.Phases = map[string]float64{}
	phase := func(name string, since time.Time) {
		res.Phases[name] += float64(p.env.Now().Sub(since).Microseconds()) / 1000
	}
	t := p.env.Now()
	plan, cleanup, err := p.plan(ctx, res)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	phase("plan", t)
	workDir, cleanupWork, err := sandboxWorkDir()
	if err != nil {
		return nil, failure(err)
	}
	defer cleanupWork()

	t = p.env.Now()
	variants, err := p.buildAll(ctx, plan, res, workDir)
	if err != nil {
		return nil, err
	}
	phase("build", t)
	t = p.env.Now()
	if err := p.sample(ctx, res, variants, workDir); err != nil {
		return nil, err
	}
	phase("sample", t)
	t = p.env.Now()
	if err := p.attachBaseline(res); err != nil {
		return nil, err
	}
	res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, p.sandboxNotes...)
	verdict.Analyze(res)
	phase("analyze", t)
	res.DurationMs = float64(p.env.Now().Sub(start).Milliseconds())
	if p.cfg.Store != "" {
		t = p.env.Now()
		path, err := baseline.Store{Dir: p.cfg.Store}.Save(res, p.storeKey())
		if err != nil {
			return nil, failure(err)
		}
		phase("store", t)
		p.log.printf("stored results in %s", path)
	}
	return res, nil
}

// sandboxWorkDir is a temporary directory the sandbox user may search (for its task roots and
// build directories) but not list.
func sandboxWorkDir() (string, func(), error) {
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
func (p *pipeline) newResults(start time.Time) *results.Results {
	cfg := p.cfg
	res := &results.Results{
		SchemaVersion: results.SchemaVersion,
		Tool:          "coldbench " + Version,
		CreatedAt:     start.UTC(),
		Config: results.RunConfig{
			Samples: cfg.Samples, MemoryMB: cfg.MemoryMB, ThresholdPct: cfg.Threshold, Alpha: cfg.Alpha,
			WarmInvokes: cfg.WarmInvokes, TimeoutMs: float64(cfg.Timeout.Milliseconds()),
			OutboundDelayMs: float64(cfg.OutboundDelay.Milliseconds()), Seed: cfg.Seed, Budgets: cfg.Budgets,
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
		rel, err := filepath.Rel(p.env.Dir, cfg.Template)
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
func (p *pipeline) attachBaseline(res *results.Results) error {
	if p.cfg.Baseline == "" {
		return nil
	}
	entry, err := baseline.Store{Dir: p.cfg.Baseline}.Latest(p.storeKey())
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
	// A line may quote the pull request (a build's error, an artifact's notes).
	_, _ = io.WriteString(l.w, report.LogSafe(fmt.Sprintf(format+"\n", args...)))
}

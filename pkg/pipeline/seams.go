package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/git"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// The pipeline's seams: what it builds with, samples with, reads revisions from, runs untrusted
// code as, and tells the time by. Each has the real implementation here and a fake in the tests.

// Builder builds one arch of one variant.
type Builder interface {
	// Build builds req (or, for a reference, finds it prebuilt). A failed build is an error that
	// the pipeline records in the variant, never a failure of the run.
	Build(ctx context.Context, req build.Request, reference bool) (*results.Artifact, error)
}

// Samplers starts the sampler a run's variants are measured with.
type Samplers interface {
	// New returns the sampler for spec's variants and a func that releases it (in mode aws it
	// deletes the functions, even after a cancel).
	New(ctx context.Context, spec SamplerSpec) (sampling.Sampler, func(), error)
}

// SamplerSpec is what a sampler is started with.
type SamplerSpec struct {
	Config   config.Config
	Function config.Function // the run's own: the references' settings and the sampler's defaults
	Event    []byte
	WorkDir  string
	Sandbox  sandbox.Identity
	Variants []sampling.Variant
}

// Repository is the git repository head's handler lives in: base is a worktree of another
// revision of it.
type Repository interface {
	Root(ctx context.Context, dir string) (string, error)
	Resolve(ctx context.Context, root, rev string) (string, error)
	// Dirty reports whether path differs from HEAD in the work tree.
	Dirty(ctx context.Context, root, path string) (bool, error)
	DefaultBranch(ctx context.Context, root string) (string, error)
	MergeBase(ctx context.Context, root, a, b string) (string, error)
	// Checkout makes a worktree of rev; cleanup removes it.
	Checkout(ctx context.Context, root, rev string) (dir string, cleanup func(), err error)
}

// Sandbox is who builds and handlers run as for one run.
type Sandbox interface {
	// Acquire takes the run's sandbox users (coldbench's own user when it is not root);
	// release gives them back.
	Acquire() (id sandbox.Identity, release func(), err error)
	// Seal closes dirs to other users for the run; restore opens them again. landlock says
	// whether Landlock keeps sandboxed code out of them anyway.
	Seal(dirs []string) (restore func(), sealed []string, landlock bool)
	// End kills whatever still runs as any of id's users and removes what they left in the
	// shared directories.
	End(id sandbox.Identity) (killed int, removed []string, err error)
}

// Clock tells the time: phases, budgets and the results' timestamps.
type Clock interface{ Now() time.Time }

// ClockFunc is a Clock of a func such as time.Now.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// InputError marks an error as the run's input being wrong (a bad base, baseline or event), as
// opposed to the benchmark failing.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func badInput(err error) error { return &InputError{Err: err} }

// IsInput reports whether err is the input's fault.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Toolchains is the real Builder: pkg/build, with the reference handlers' prebuilt artifacts
// looked up in ReferencesDir (the image's) and the store (StoreDir, else CacheDir/references)
// and stored in the latter.
type Toolchains struct {
	ReferencesDir, CacheDir string
	StoreDir                string // where built references are kept: CacheDir/references when ""
	Log                     func(format string, args ...any)
}

func (t Toolchains) store() build.Prebuilt {
	return build.Prebuilt{Dir: cmp.Or(t.StoreDir, filepath.Join(t.CacheDir, "references"))}
}

// Build builds req, or finds a reference prebuilt. A reference is built by one process at a
// time (build.Prebuilt.Claim): a run that finds another coldbench building it (run.sh's early
// Rust build) waits for that artifact rather than building it again beside it.
func (t Toolchains) Build(ctx context.Context, req build.Request, reference bool) (*results.Artifact, error) {
	name := strings.TrimSuffix(req.Name, "-"+req.Arch) // the variant's
	var hash, toolchain string
	if reference {
		r, err := build.Lookup(req.Runtime)
		if err != nil {
			return nil, fmt.Errorf("reference %s: %w", name, err)
		}
		hash, _ = build.SourceHash(req.Dir)
		toolchain = build.ToolchainKey(ctx, req, r)
		if art, ok := t.prebuilt(name, req.Runtime, req.Arch, hash, toolchain); ok {
			return art, nil
		}
		release, err := t.store().Claim(ctx, req.Runtime, req.Arch, func() {
			t.Log("%s for %s: another coldbench is building it; waiting for its artifact", name, req.Arch)
		})
		if err != nil {
			return nil, fmt.Errorf("reference %s: %w", name, err)
		}
		defer release()
		if art, ok := t.prebuilt(name, req.Runtime, req.Arch, hash, toolchain); ok {
			return art, nil
		}
	}
	// Every build has a deadline: a hanging build script must not hang the job.
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, buildTimeout)
	art, err := build.Build(bctx, req)
	cancel()
	if err != nil {
		return nil, err
	}
	t.Log("built %s for %s: %s zip, %s unzipped, %.1fs (%s)", name, req.Arch, results.FormatBytes(art.ZipBytes), results.FormatBytes(art.UnzippedBytes), time.Since(start).Seconds(), art.Method)
	for _, n := range art.Notes {
		t.Log("  note: %s", n)
	}
	if reference && hash != "" && toolchain != "" {
		if err := t.store().Store(req.Runtime, req.Arch, hash, toolchain, art); err != nil {
			t.Log("  note: could not keep the %s artifact in the cache: %v", name, err)
		}
	}
	return art, nil
}

// prebuilt finds a reference's artifact in the image's directory or the store.
func (t Toolchains) prebuilt(name, runtime, arch, hash, toolchain string) (*results.Artifact, bool) {
	for _, p := range []build.Prebuilt{{Dir: t.ReferencesDir}, t.store()} {
		if art, ok := p.Lookup(runtime, arch, hash, toolchain); ok {
			t.Log("prebuilt %s for %s: %s zip (%s)", name, arch, results.FormatBytes(art.ZipBytes), p.Dir)
			return art, true
		}
	}
	return nil, false
}

// Inputs lists what a function's build reads (build.Inputs), in the sandbox as its build runs.
func (t Toolchains) Inputs(ctx context.Context, req build.Request) ([]build.Input, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	return build.Inputs(ctx, req)
}

// Backends is the real Samplers: the local runner, or in mode aws the Lambda runner with every
// variant deployed.
type Backends struct {
	Log func(format string, args ...any)
	// Warn prints what must be said even in a quiet run (mode aws: what could not be deleted);
	// Log when nil.
	Warn func(format string, args ...any)
}

// New starts the sampler.
func (b Backends) New(ctx context.Context, s SamplerSpec) (sampling.Sampler, func(), error) {
	cfg, run := s.Config, s.Function
	if cfg.Mode != config.ModeAWS {
		var valgrind string
		if cfg.Instructions {
			valgrind, _ = exec.LookPath("valgrind") // Validate made sure of it
		}
		r, err := runner.New(runner.Config{
			MemoryMB: run.MemoryMB, Timeout: run.Timeout, WarmInvokes: cfg.WarmInvokes, Event: s.Event,
			NoEvict: cfg.NoEvict, WorkDir: s.WorkDir, OutboundDelay: cfg.OutboundDelay,
			Sandbox: s.Sandbox, InitCPU: cfg.InitCPU, EphemeralMB: run.EphemeralMB, Valgrind: valgrind,
		})
		if err != nil {
			return nil, nil, err
		}
		return r, r.Close, nil
	}
	return b.lambda(ctx, s)
}

// Git is the real Repository: pkg/git.
type Git struct{}

func (Git) Root(ctx context.Context, dir string) (string, error) { return git.RepoRoot(ctx, dir) }
func (Git) Resolve(ctx context.Context, root, rev string) (string, error) {
	return git.ResolveRev(ctx, root, rev)
}
func (Git) Dirty(ctx context.Context, root, path string) (bool, error) {
	return git.Dirty(ctx, root, path)
}
func (Git) DefaultBranch(ctx context.Context, root string) (string, error) {
	return git.DefaultBranch(ctx, root)
}
func (Git) MergeBase(ctx context.Context, root, a, b string) (string, error) {
	return git.MergeBase(ctx, root, a, b)
}
func (Git) Changed(ctx context.Context, root, rev string) ([]string, error) {
	return git.Changed(ctx, root, rev)
}
func (Git) Checkout(ctx context.Context, root, rev string) (string, func(), error) {
	return git.Checkout(ctx, root, rev)
}

// System is the real Sandbox: separate users when coldbench is root (pkg/sandbox).
type System struct{ Getenv func(string) string }

// Acquire is sandbox.Acquire.
func (s System) Acquire() (sandbox.Identity, func(), error) { return sandbox.Acquire(s.Getenv) }

// Seal is sandbox.Seal.
func (System) Seal(dirs []string) (func(), []string, bool) {
	restore, sealed := sandbox.Seal(dirs)
	return restore, sealed, sandbox.LandlockOn()
}

// End kills id's users' processes and removes their leftovers.
func (System) End(id sandbox.Identity) (int, []string, error) {
	n, err := id.KillSlots()
	return n, id.RemoveLeftovers(), err
}

package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
)

// planned is a variant before it is built.
type planned struct {
	name, runtime, dir, handler, ref, cacheKey string
	// root is the tree the build may read: the repository (a go.mod, a Cargo path dependency or
	// a Makefile above the handler), or dir.
	root string
	role results.Role
	// function is the function's logical ID in a run of several (App), "" otherwise.
	function string
	// fn is the function as this side's own revision defines it (its coldbench.yml's function
	// keys and its template, the flags and inputs on top); the references' is the run's.
	fn  config.Function
	err error // could not even be checked out
}

// plan decides the variants: head (the handler as it is in the work tree), base (the same path
// at the base revision, from a temporary worktree) and the references.
func (p *Pipeline) plan(ctx context.Context, res *results.Results) ([]planned, func(), error) {
	if p.App != nil {
		return p.planApp(ctx, res)
	}
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	var out []planned
	if p.Config.Handler != "" {
		head, base, done, err := p.planHandler(ctx, res)
		if done != nil {
			cleanups = append(cleanups, done)
		}
		if err != nil {
			return nil, cleanup, err
		}
		out = append(out, head)
		if base != nil {
			out = append(out, *base)
		}
	}
	refs, err := p.planReferences()
	if err != nil {
		return nil, cleanup, err
	}
	return append(out, refs...), cleanup, nil
}

// planReferences plans the reference handlers, with the run's own function configuration.
func (p *Pipeline) planReferences() ([]planned, error) {
	if len(p.Config.References) == 0 {
		return nil, nil
	}
	var runtimes []string
	for _, ref := range p.Config.References {
		dir, _, _ := strings.Cut(ref, "-")
		runtimes = append(runtimes, dir)
	}
	hdir, err := p.ReferenceSources(runtimes)
	if err != nil {
		return nil, err
	}
	var out []planned
	run := p.runFunction()
	for _, ref := range p.Config.References {
		rp := referencePlan(ref, hdir)
		rp.fn = config.Function{MemoryMB: run.MemoryMB, Timeout: run.Timeout, EphemeralMB: run.EphemeralMB}
		out = append(out, rp)
	}
	return out, nil
}

// referencePlan plans a reference ("node", "python-hello"): its directory under hdir, its
// runtime, and its handler setting (work or hello; a module's export for the managed runtimes).
func referencePlan(ref, hdir string) planned {
	dir, fn, _ := strings.Cut(ref, "-")
	fn = cmp.Or(fn, "work")
	r, _ := build.ForReference(dir) // config's validation took only the registry's references
	return planned{name: ref, role: results.RoleReference, runtime: r.Name(), handler: r.Reference().Handler(fn),
		dir: filepath.Join(hdir, dir), cacheKey: "coldbench-reference/" + dir}
}

// Reference is how a reference handler is built: its runtime, source directory, handler
// setting and build cache key.
type Reference struct {
	Runtime                build.Runtime
	Dir, Handler, CacheKey string
}

// ReferencePlan is the reference called ref ("node", "python-hello") with its sources in hdir.
// ref is one of the registry's references (config's validation took no other).
func ReferencePlan(ref, hdir string) Reference {
	dir, _, _ := strings.Cut(ref, "-")
	r, _ := build.ForReference(dir)
	p := referencePlan(ref, hdir)
	return Reference{Runtime: r, Dir: p.dir, Handler: p.handler, CacheKey: p.cacheKey}
}

// planHandler plans head and, unless turned off or replaced by a stored baseline, base. done
// removes base's worktree.
func (p *Pipeline) planHandler(ctx context.Context, res *results.Results) (head planned, base *planned, done func(), err error) {
	cfg := p.Config
	dir, err := filepath.Abs(cfg.Handler)
	if err != nil {
		return head, nil, nil, badInput(err)
	}
	head = planned{name: "head", role: results.RoleHead, runtime: cfg.Runtime, dir: dir, cacheKey: dir, fn: cfg.FunctionSpec()}
	root, rootErr := p.Repo.Root(ctx, dirOf(dir))
	rel := ""
	if rootErr != nil {
		// No repository (an unpacked tarball, a CI cache): the build reads the package root
		// above the handler (its go.mod, package.json, Cargo workspace), inside the work directory.
		head.root = build.PackageRoot(dirOf(dir), p.Dir)
	}
	if rootErr == nil {
		rel, _ = filepath.Rel(root, dir)
		head.cacheKey, head.root = rel, root
		if sha, err := p.Repo.Resolve(ctx, root, "HEAD"); err == nil {
			if dirty, err := p.Repo.Dirty(ctx, root, rel); err == nil && dirty {
				sha += results.DirtySuffix // the work tree was measured, not the commit
			}
			head.ref, res.Config.HeadRef = sha, sha
		}
	}
	if cfg.Base == "none" || cfg.Baseline != "" {
		return head, nil, nil, nil
	}
	switch {
	case rootErr != nil && cfg.Base != "":
		return head, nil, nil, badInput(fmt.Errorf("base %q: %s is not in a git repository", cfg.Base, cfg.Handler))
	case rootErr != nil:
		p.log.printf("no base: %s is not in a git repository (use --base none to silence this)", cfg.Handler)
		return head, nil, nil, nil
	}
	sha, err := p.resolveBase(ctx, root)
	if err != nil {
		return head, nil, nil, err
	}
	res.Config.BaseRef = sha
	wt, done, err := p.Repo.Checkout(ctx, root, sha)
	if err != nil {
		return head, nil, nil, err
	}
	base = &planned{name: "base", role: results.RoleBase, runtime: cfg.Runtime, cacheKey: head.cacheKey, ref: sha, dir: filepath.Join(wt, rel), root: wt}
	bcfg, err := p.BaseSettings(ctx, root, wt, sha, base.dir)
	switch {
	case err != nil:
		base.err = fmt.Errorf("base %.12s: %w", sha, err)
	default:
		base.dir, base.runtime, base.fn = bcfg.Handler, bcfg.Runtime, bcfg.FunctionSpec()
		if r, err := filepath.Rel(wt, base.dir); err == nil && !strings.HasPrefix(r, "..") {
			rel, base.cacheKey = r, r
		}
		for _, n := range bcfg.Notes {
			if !slices.Contains(cfg.Notes, n) {
				res.Config.Notes = append(res.Config.Notes, "base: "+n)
			}
		}
		if h, b := cfg.FunctionSpec(), base.fn; h.MemoryMB != b.MemoryMB || h.Timeout != b.Timeout || h.EphemeralMB != b.EphemeralMB {
			res.Config.Notes = append(res.Config.Notes, fmt.Sprintf(
				"head and base are configured differently, each as its own revision says: memory %d → %d MB, timeout %s → %s, ephemeral storage %d → %d MB (base → head)",
				b.MemoryMB, h.MemoryMB, b.Timeout, h.Timeout, b.EphemeralMB, h.EphemeralMB))
		}
	}
	if _, err := os.Stat(base.dir); err != nil && base.err == nil {
		base.err = fmt.Errorf("the handler %s does not exist at base %.12s", rel, sha)
	}
	return head, base, done, nil
}

// runFunction is the run's own function configuration (defaults, flags and inputs; no
// repository's file): the references' memory, timeout and /tmp, and the sampler's defaults.
func (p *Pipeline) runFunction() config.Function {
	c, err := p.Config.ForSide(config.File{})
	if err != nil {
		return p.Config.FunctionSpec() // the flags' problems were reported when they were read
	}
	return c.FunctionSpec()
}

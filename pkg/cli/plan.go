package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/git"
	"github.com/coldbench/coldbench/pkg/results"
)

// planned is a variant before it is built.
type planned struct {
	name, runtime, dir, handler, ref, cacheKey string
	// root is the tree the build may read: the repository (a go.mod, a Cargo path dependency or
	// a Makefile above the handler), or dir.
	root string
	role results.Role
	// fn is the function as this side's own revision defines it (its coldbench.yml's function
	// keys and its template, the flags and inputs on top); the references' is the run's.
	fn  config.Function
	err error // could not even be checked out
}

// plan decides the variants: head (the handler as it is in the work tree), base (the same path
// at the base revision, from a temporary worktree) and the references.
func (p *pipeline) plan(ctx context.Context, res *results.Results) ([]planned, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	var out []planned
	if p.cfg.Handler != "" {
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
	if len(p.cfg.References) > 0 {
		var runtimes []string
		for _, ref := range p.cfg.References {
			dir, _, _ := strings.Cut(ref, "-")
			runtimes = append(runtimes, dir)
		}
		hdir, err := referenceSources(p.env, p.cfg.HandlersDir, p.cacheDir(), runtimes)
		if err != nil {
			return nil, cleanup, failure(err)
		}
		run := p.runFunction()
		for _, ref := range p.cfg.References {
			rp := referencePlan(ref, hdir)
			rp.fn = config.Function{MemoryMB: run.MemoryMB, Timeout: run.Timeout, EphemeralMB: run.EphemeralMB}
			out = append(out, rp)
		}
	}
	return out, cleanup, nil
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

// planHandler plans head and, unless turned off or replaced by a stored baseline, base. done
// removes base's worktree.
func (p *pipeline) planHandler(ctx context.Context, res *results.Results) (head planned, base *planned, done func(), err error) {
	cfg := p.cfg
	dir, err := filepath.Abs(cfg.Handler)
	if err != nil {
		return head, nil, nil, badInput(err)
	}
	head = planned{name: "head", role: results.RoleHead, runtime: cfg.Runtime, dir: dir, cacheKey: dir, fn: cfg.FunctionSpec()}
	root, rootErr := git.RepoRoot(ctx, dirOf(dir))
	rel := ""
	if rootErr == nil {
		rel, _ = filepath.Rel(root, dir)
		head.cacheKey, head.root = rel, root
		if sha, err := git.ResolveRev(ctx, root, "HEAD"); err == nil {
			if dirty, err := git.Dirty(ctx, root, rel); err == nil && dirty {
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
	rev := cfg.Base
	if rev == "" {
		def, err := git.DefaultBranch(ctx, root)
		if err != nil {
			return head, nil, nil, badInput(fmt.Errorf("no base given and %v; pass --base REV (or --base none)", err))
		}
		if rev, err = git.MergeBase(ctx, root, "HEAD", def); err != nil {
			return head, nil, nil, badInput(err)
		}
		p.log.printf("base: merge-base of HEAD and %s is %.12s", def, rev)
	}
	sha, err := git.ResolveRev(ctx, root, rev)
	if err != nil {
		return head, nil, nil, badInput(fmt.Errorf("base: %w", err))
	}
	res.Config.BaseRef = sha
	wt, done, err := git.Checkout(ctx, root, sha)
	if err != nil {
		return head, nil, nil, failure(err)
	}
	base = &planned{name: "base", role: results.RoleBase, runtime: cfg.Runtime, cacheKey: head.cacheKey, ref: sha, dir: filepath.Join(wt, rel), root: wt}
	bcfg, err := p.baseSide(ctx, root, wt, sha, base.dir)
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

// baseSide loads base's own function settings, as the base revision has them: its coldbench.yml's
// function keys (read from git's objects), its template (in its worktree wt), the flags and
// inputs on top; the paths its files give are confined to wt. So the head's build command, env
// and handler never apply to base.
//
// A base that names no handler of its own (the head's coldbench.yml or template is what adds
// one) is measured at the head's handler path in its own tree, with its own settings.
func (p *pipeline) baseSide(ctx context.Context, root, wt, sha, headPath string) (config.Config, error) {
	cfg := p.cfg
	side := cfg.SideFile() // a coldbench.yml outside the repository is the caller's, for both sides
	if cfg.ConfigFile != "" {
		if rel, ok := lexicallyInside(root, cfg.ConfigFile); ok {
			f, err := fileAt(ctx, root, sha, rel, filepath.Base(cfg.ConfigFile))
			if err != nil {
				return config.Config{}, err
			}
			side = f
		}
	}
	bcfg, err := cfg.ForSide(side)
	if err != nil {
		return bcfg, err
	}
	// The work directory's place in base's tree: relative paths are resolved from it.
	dir := wt
	if rel, ok := inside(root, cmp.Or(cfg.WorkDir, root)); ok {
		dir = filepath.Join(wt, rel)
	}
	switch h := bcfg.Handler; {
	case h == "":
	case filepath.IsAbs(h):
		if rel, ok := inside(root, h); ok {
			bcfg.Handler = filepath.Join(wt, rel) // a flag's path in the work tree: the same path in base's
		}
	default:
		bcfg.Handler = filepath.Join(dir, h)
	}
	if ps := settleFunction(&bcfg, dir, "template: "); len(ps) > 0 {
		return bcfg, ps
	}
	if bcfg.Handler == "" {
		bcfg.Handler = headPath
	}
	if err := bcfg.Validate(func(f string) string { return "base's " + f }, build.Vocabulary()); err != nil {
		return bcfg, err
	}
	return bcfg, nil
}

// runFunction is the run's own function configuration (defaults, flags and inputs; no
// repository's file): the references' memory, timeout and /tmp, and the sampler's defaults.
func (p *pipeline) runFunction() config.Function {
	c, err := p.cfg.ForSide(config.File{})
	if err != nil {
		return p.cfg.FunctionSpec() // the flags' problems were reported when they were read
	}
	return c.FunctionSpec()
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

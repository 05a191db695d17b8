package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coldbench/coldbench/pkg/build"
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
	err  error // could not even be checked out
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
		for _, ref := range p.cfg.References {
			out = append(out, referencePlan(ref, hdir))
		}
	}
	return out, cleanup, nil
}

// referencePlan plans a reference ("node", "python-hello"): its directory under hdir, its
// runtime, and its handler setting (work or hello; a module's export for the managed runtimes).
func referencePlan(ref, hdir string) planned {
	dir, fn, _ := strings.Cut(ref, "-")
	fn = cmp.Or(fn, "work")
	rt, handler := dir, fn
	switch dir {
	case "node":
		rt, handler = build.RuntimeNode, "index."+fn
	case "python":
		handler = "lambda_function." + fn
	case "bun":
		handler = "index." + fn
	}
	return planned{name: ref, role: results.RoleReference, runtime: rt, handler: handler,
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
	head = planned{name: "head", role: results.RoleHead, runtime: cfg.Runtime, dir: dir, cacheKey: dir}
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
	if _, err := os.Stat(base.dir); err != nil {
		base.err = fmt.Errorf("the handler %s does not exist at base %.12s", rel, sha)
	}
	return head, base, done, nil
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

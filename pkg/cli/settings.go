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
)

// loadSpec is what `run` and `action` hand the load sequence.
type loadSpec struct {
	// dir is the work directory: relative paths and coldbench.yml are found from it.
	dir string
	// config is coldbench.yml's path as given, relative to dir; explicit when a flag or an
	// input named it (its absence is then a problem). configName is how messages name it.
	config     string
	explicit   bool
	configName string
	given      []config.Given
	// action: no base revision unless the pull request or the base input gives one (a push or
	// a schedule compares nothing); prBase is the pull request's base commit.
	action bool
	prBase string
}

// loadSettings is the load sequence that `run` and `action` share: the defaults, the judge
// settings of the trusted coldbench.yml (the base revision's, read from git's objects; the work
// tree's only when there is no base revision), the head's function settings from the work tree's
// coldbench.yml, then the flags or inputs. The template comes after, in settleFunction. The judge
// settings the head's file changes are recorded, not applied.
func loadSettings(ctx context.Context, s loadSpec) (config.Config, config.Problems) {
	var problems config.Problems
	// The path is looked up at the base revision even when the work tree has no such file: a
	// pull request that deletes coldbench.yml still gets the base's judge settings.
	path := cmp.Or(s.config, "coldbench.yml")
	full := configPath(s.dir, path)
	head := config.File{Name: path}
	data, err := os.ReadFile(full)
	switch {
	case err == nil:
		f, err := config.ParseFile(path, data)
		problems = append(problems, asProblems(err)...)
		head = f
	case s.explicit:
		problems = append(problems, fmt.Sprintf("%s: %v", s.configName, err))
	}
	judge, fromBase := head, false
	rev, err := trustedRevision(ctx, s)
	if err != nil {
		problems = append(problems, err.Error())
	}
	root := ""
	if rev != "" {
		root, _ = git.RepoRoot(ctx, s.dir)
		if rel, ok := lexicallyInside(root, full); ok {
			judge, err = fileAt(ctx, root, rev, rel, path)
			problems = append(problems, asProblems(err)...)
			fromBase = true
		} // else a file outside the repository: the caller's own, not the pull request's
	}
	cfg, err := config.Load(config.Layers{Judge: judge, Side: head, Given: s.given})
	problems = append(problems, asProblems(err)...)
	cfg.ConfigFile, cfg.WorkDir = full, s.dir
	if rev != "" {
		cfg.Event = trustedEvent(ctx, root, rev, s.dir, cfg.Event)
	}
	if fromBase {
		cfg.JudgeChanges = config.JudgeChanges(judge, head)
		// Not applied here, but the trusted file once merged: a bad value is said now.
		problems = append(problems, asProblems(head.Check(config.KindJudge))...)
	}
	return cfg, problems
}

// trustedEvent is an event file of the repository as the trusted revision has it, inline: the
// event is a judge setting (both sides are invoked with it), so the pull request's copy of the
// file in the work tree does not choose it. Presets, inline JSON, files outside the repository
// and files the revision does not have stay as they are.
func trustedEvent(ctx context.Context, root, rev, dir, event string) string {
	ev := strings.TrimSpace(event)
	if ev == "" || slices.Contains(config.EventPresets, ev) || strings.HasPrefix(ev, "{") || strings.HasPrefix(ev, "[") {
		return event
	}
	rel, ok := lexicallyInside(root, configPath(dir, ev))
	if !ok {
		return event
	}
	data, err := git.ShowFile(ctx, root, rev, rel)
	if t := strings.TrimSpace(string(data)); err == nil && (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) {
		return t
	}
	return event
}

// trustedRevision is the revision whose coldbench.yml holds the judge settings: the base given
// by a flag or an input, else the merge-base with the pull request's base (action; also when
// base-ref is none or a stored baseline replaces the base: the checkout is still the pull
// request's) or with the default branch (run). "" when there is none (run's --base none, no git
// repository, no default branch, a push): the work tree's coldbench.yml is then the only one.
func trustedRevision(ctx context.Context, s loadSpec) (string, error) {
	base, baseName := "", ""
	for _, g := range s.given {
		if g.Key == "base" {
			base, baseName = strings.TrimSpace(g.Text), g.Name
		}
	}
	if base == "none" && s.prBase == "" {
		return "", nil // a developer's own run without a base: the work tree's file is theirs
	}
	root, err := git.RepoRoot(ctx, s.dir)
	if err != nil {
		return "", nil
	}
	if base == config.BasePreviousTag {
		// A release gate: the judge settings are the previous release's, as its base is.
		if base, err = git.PreviousTag(ctx, root, "HEAD"); err != nil {
			return "", fmt.Errorf("%s %q: %w", baseName, config.BasePreviousTag, err)
		}
	}
	switch {
	case base != "" && base != "none":
		sha, err := git.ResolveRev(ctx, root, base)
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", baseName, base, err)
		}
		return sha, nil
	case s.prBase != "":
		return git.MergeBase(ctx, root, "HEAD", s.prBase)
	case s.action:
		return "", nil
	}
	def, err := git.DefaultBranch(ctx, root)
	if err != nil {
		return "", nil // plan says so when a handler needs a base
	}
	if mb, err := git.MergeBase(ctx, root, "HEAD", def); err == nil {
		return mb, nil
	}
	return "", nil
}

// fileAt is the coldbench.yml at rev (an empty one when the revision has none), named for
// messages as the base's.
func fileAt(ctx context.Context, root, rev, rel, name string) (config.File, error) {
	label := fmt.Sprintf("%s at base %.12s", name, rev)
	data, err := git.ShowFile(ctx, root, rev, rel)
	switch {
	case errors.Is(err, git.ErrNotInRevision):
		return config.File{Name: label}, nil
	case err != nil:
		return config.File{Name: label}, err
	}
	return config.ParseFile(label, data)
}

// configPath is coldbench.yml's absolute path: the work directory (the caller's) with its links
// resolved, and the name as given joined to it without following any link in the checkout. Whether
// the file is the repository's is decided on this path: a coldbench.yml (or a directory above it)
// that the pull request committed as a link out of the repository is still the repository's file.
func configPath(dir, name string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Join(dir, name)
}

// lexicallyInside returns path relative to root when it is inside it, following no link.
func lexicallyInside(root, path string) (string, bool) {
	if root == "" {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, filepath.Clean(path))
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// inside returns path relative to root when it is inside it, links followed (for the caller's
// own paths: the work directory, a flag's handler).
func inside(root, path string) (string, bool) {
	if root == "" {
		return "", false
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", false
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		real = filepath.Clean(path)
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// asProblems spreads a config error into its problems.
func asProblems(err error) config.Problems {
	var ps config.Problems
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ps):
		return ps
	}
	return config.Problems{err.Error()}
}

// baseSide loads base's own function settings, as the base revision has them: its coldbench.yml's
// function keys (read from git's objects), its template (in its worktree wt), the flags and
// inputs on top; the paths its files give are confined to wt. So the head's build command, env
// and handler never apply to base.
//
// A base that names no handler of its own (the head's coldbench.yml or template is what adds
// one) is measured at the head's handler path in its own tree, with its own settings.
func baseSide(ctx context.Context, cfg config.Config, root, wt, sha, headPath string) (config.Config, error) {
	return baseSideOf(ctx, cfg, root, wt, sha, headPath, "")
}

// baseSideOf is baseSide for the function called function of a run of several ("" for a run of
// one): the template's function base measures.
func baseSideOf(ctx context.Context, cfg config.Config, root, wt, sha, headPath, function string) (config.Config, error) {
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
	if function != "" {
		bcfg = bcfg.ForFunction(function)
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
	if bcfg.Handler == "" && (bcfg.Template == "" || bcfg.Template == "none") && bcfg.Function != "" {
		// The function is named in head's definition only (a cdk.out that git does not track, a
		// template the pull request adds): base is that path in its own tree, its own settings.
		bcfg.Notes = append(bcfg.Notes, fmt.Sprintf("its revision has no definition of %s: measured at the head's path with its own settings", bcfg.Function))
		bcfg.Function = ""
	}
	if bcfg.Handler == "" {
		bcfg.Handler = headPath
	}
	if err := bcfg.Validate(func(f string) string { return "base's " + f }, build.Vocabulary()); err != nil {
		return bcfg, err
	}
	return bcfg, nil
}

package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrShallow means a revision is missing because the clone is shallow.
var ErrShallow = errors.New("revision not in this shallow clone")

// Checkout makes the repository at repoDir available as of rev in a temporary git worktree,
// leaving the user's work tree untouched. The returned cleanup removes the worktree.
func Checkout(ctx context.Context, repoDir, rev string) (dir string, cleanup func(), err error) {
	sha, err := ResolveRev(ctx, repoDir, rev)
	if err != nil {
		return "", nil, err
	}
	parent, err := os.MkdirTemp("", "coldbench-rev-")
	if err != nil {
		return "", nil, err
	}
	dir = filepath.Join(parent, "src")
	if out, err := git(ctx, repoDir, "worktree", "add", "--detach", "--force", dir, sha); err != nil {
		os.RemoveAll(parent)
		return "", nil, fmt.Errorf("check out %s: %w: %s", rev, err, out)
	}
	cleanup = func() {
		_, _ = git(context.Background(), repoDir, "worktree", "remove", "--force", dir)
		os.RemoveAll(parent)
		_, _ = git(context.Background(), repoDir, "worktree", "prune")
	}
	return dir, cleanup, nil
}

// ResolveRev returns the commit rev names, with a clear error for a shallow clone.
func ResolveRev(ctx context.Context, repoDir, rev string) (string, error) {
	out, err := git(ctx, repoDir, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err == nil {
		return strings.TrimSpace(out), nil
	}
	if sh, _ := git(ctx, repoDir, "rev-parse", "--is-shallow-repository"); strings.TrimSpace(sh) == "true" {
		return "", fmt.Errorf("%w: %q is not in this clone, which is shallow; set fetch-depth: 0 on actions/checkout (or git fetch --unshallow)", ErrShallow, rev)
	}
	return "", fmt.Errorf("revision %q not found in %s", rev, repoDir)
}

// MergeBase is the best common ancestor of a and b.
func MergeBase(ctx context.Context, repoDir, a, b string) (string, error) {
	out, err := git(ctx, repoDir, "merge-base", a, b)
	if err != nil {
		if sh, _ := git(ctx, repoDir, "rev-parse", "--is-shallow-repository"); strings.TrimSpace(sh) == "true" {
			return "", fmt.Errorf("%w: no merge base of %s and %s; set fetch-depth: 0 on actions/checkout", ErrShallow, a, b)
		}
		return "", fmt.Errorf("merge-base %s %s: %w: %s", a, b, err, out)
	}
	return strings.TrimSpace(out), nil
}

// RepoRoot is the top of the git work tree holding dir.
func RepoRoot(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("%s is not in a git repository", dir)
	}
	return strings.TrimSpace(out), nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	// safe.directory: in a container action the checkout belongs to another user.
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=*"}, args...)...)
	cmd.Dir = dir
	// git needs little; in particular it gets no token (a credential helper could print one).
	cmd.Env = BuildEnv(os.Getenv, "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

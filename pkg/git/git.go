// Package git is every git call coldbench makes: base revisions in temporary worktrees, merge
// bases, the default branch. Every call runs with an allow-listed environment (no token, no
// credentials, no CI variables: a credential helper or a hook could print them) and without
// prompting.
package git

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
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

// Branch is the branch checked out at root: "" for a detached HEAD (or no repository).
func Branch(ctx context.Context, root string) string {
	out, err := git(ctx, root, "symbolic-ref", "--short", "-q", "HEAD")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// Tracked lists the files under path (relative to root, or absolute inside it) that the
// repository at root tracks.
func Tracked(ctx context.Context, root, path string) ([]string, error) {
	out, err := git(ctx, root, "ls-files", "-z", "--", path)
	if err != nil {
		return nil, fmt.Errorf("git ls-files %s: %w: %s", path, err, out)
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// Dirty reports whether the work tree at root has changes (staged, unstaged or untracked files)
// under path (coldbench's own .coldbench directory aside), so that results built from it are not labelled with the commit alone.
func Dirty(ctx context.Context, root, path string) (bool, error) {
	out, err := git(ctx, root, "status", "--porcelain", "--untracked-files=normal", "--", cmp.Or(path, "."), ":(exclude).coldbench")
	if err != nil {
		return false, fmt.Errorf("git status: %w: %s", err, out)
	}
	return strings.TrimSpace(out) != "", nil
}

// DefaultBranch finds the branch a pull request would merge into: origin's HEAD, else the first
// of origin/main, origin/master, main and master that exists.
func DefaultBranch(ctx context.Context, root string) (string, error) {
	if out, err := git(ctx, root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD"); err == nil {
		return strings.TrimSpace(out), nil
	}
	for _, b := range []string{"origin/main", "origin/master", "main", "master"} {
		if _, err := ResolveRev(ctx, root, b); err == nil {
			return b, nil
		}
	}
	return "", errors.New("the default branch could not be found (no origin/HEAD, main or master)")
}

// PreviousTag is the release before rev: the latest tag reachable from rev that does not point
// at rev itself (a release candidate is usually tagged already when its workflow runs). Tags
// are read from the repository as fetched: a shallow clone has none (fetch-depth: 0).
func PreviousTag(ctx context.Context, root, rev string) (string, error) {
	sha, err := ResolveRev(ctx, root, rev)
	if err != nil {
		return "", err
	}
	own, err := git(ctx, root, "tag", "--points-at", sha)
	if err != nil {
		return "", fmt.Errorf("git tag --points-at %.12s: %w: %s", sha, err, strings.TrimSpace(own))
	}
	args := []string{"describe", "--tags", "--abbrev=0"}
	for _, t := range strings.Fields(own) {
		args = append(args, "--exclude", t)
	}
	out, err := git(ctx, root, append(args, sha)...)
	if err != nil {
		return "", fmt.Errorf("no tag is reachable from %.12s other than its own (%s): the previous release needs the repository's tags (actions/checkout with fetch-depth: 0): %s",
			sha, strings.Join(strings.Fields(own), ", "), firstLine(strings.TrimSpace(out)))
	}
	return strings.TrimSpace(out), nil
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// envKeys are the variables git sees: what it needs to find itself, its configuration and a
// proxy. Nothing else of coldbench's environment.
var envKeys = []string{"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "USER",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

// Env is git's environment: the allow-listed variables of getenv, no prompts.
func Env(getenv func(string) string) []string {
	env := []string{"GIT_TERMINAL_PROMPT=0"}
	for _, k := range envKeys {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	// safe.directory: in a container action the checkout belongs to another user.
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=*"}, args...)...)
	cmd.Dir = dir
	cmd.Env = Env(os.Getenv)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ErrNotInRevision means a file is not in the revision asked for.
var ErrNotInRevision = errors.New("not in the revision")

// ShowFile returns the contents of path (relative to the repository's root) as of the commit
// rev, read from git's objects: the work tree, which a pull request's checkout fills, is not
// consulted. A path the revision does not have is ErrNotInRevision.
func ShowFile(ctx context.Context, repoDir, rev, path string) ([]byte, error) {
	sha, err := ResolveRev(ctx, repoDir, rev)
	if err != nil {
		return nil, err
	}
	spec := sha + ":" + filepath.ToSlash(path)
	if _, err := git(ctx, repoDir, "cat-file", "-e", spec); err != nil {
		return nil, fmt.Errorf("%s at %.12s: %w", path, sha, ErrNotInRevision)
	}
	cmd := exec.CommandContext(ctx, "git", "-c", "safe.directory=*", "cat-file", "blob", spec)
	cmd.Dir = repoDir
	cmd.Env = Env(os.Getenv)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("read %s at %.12s: %w: %s", path, sha, err, stderr.String())
	}
	return out, nil
}

// CommitAndPush commits everything in dir (a worktree of a data branch, such as the results
// history on coldbench-data) and pushes it to remote's branch. A push rejected because another
// writer pushed first is rebased onto theirs and tried again, up to attempts times with a growing,
// jittered pause: two scheduled refreshes racing on the branch both land. Writers must add files
// under names no other writer uses (the history's are), so the rebase never conflicts; if it does,
// it is aborted and reported, and nothing is lost locally. pushed is false when there was nothing
// to commit; tries counts the pushes tried.
func CommitAndPush(ctx context.Context, dir, remote, branch, message string, attempts int) (pushed bool, tries int, err error) {
	if out, err := git(ctx, dir, "add", "-A"); err != nil {
		return false, 0, fmt.Errorf("git add: %w: %s", err, out)
	}
	if _, err := git(ctx, dir, "diff", "--cached", "--quiet"); err == nil {
		return false, 0, nil
	}
	ident := []string{"-c", "user.name=coldbench", "-c", "user.email=coldbench@users.noreply.github.com"}
	if out, err := git(ctx, dir, append(ident, "commit", "-q", "-m", message)...); err != nil {
		return false, 0, fmt.Errorf("git commit: %w: %s", err, out)
	}
	attempts = max(attempts, 1)
	var last string
	for tries = 1; tries <= attempts; tries++ {
		out, err := git(ctx, dir, "push", "-q", remote, "HEAD:refs/heads/"+branch)
		if err == nil {
			return true, tries, nil
		}
		last = strings.TrimSpace(out)
		if !rejected(last) || tries == attempts {
			break
		}
		// Someone else pushed first: take theirs and put ours on top.
		if out, err := git(ctx, dir, "fetch", "-q", remote, branch); err != nil {
			return false, tries, fmt.Errorf("git fetch %s %s: %w: %s", remote, branch, err, out)
		}
		if out, err := git(ctx, dir, append(ident, "rebase", "-q", "FETCH_HEAD")...); err != nil {
			_, _ = git(ctx, dir, "rebase", "--abort")
			return false, tries, fmt.Errorf("git rebase onto %s/%s (another writer changed the same files): %w: %s", remote, branch, err, out)
		}
		pause := time.Duration(100*tries*tries)*time.Millisecond + time.Duration(rand.Int64N(int64(200*time.Millisecond)))
		select {
		case <-ctx.Done():
			return false, tries, ctx.Err()
		case <-time.After(pause):
		}
	}
	return false, tries, fmt.Errorf("git push %s %s: %s", remote, branch, last)
}

// rejected reports whether push output says the remote moved on (not an auth or network error).
func rejected(out string) bool {
	for _, s := range []string{"[rejected]", "non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "stale info"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// Tags lists the repository's tags by the commit they point at (annotated tags peeled).
func Tags(ctx context.Context, root string) (map[string][]string, error) {
	out, err := git(ctx, root, "for-each-ref", "refs/tags", "--format=%(objectname) %(*objectname) %(refname:short)")
	if err != nil {
		return nil, fmt.Errorf("git for-each-ref refs/tags: %w: %s", err, strings.TrimSpace(out))
	}
	tags := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		switch len(f) {
		case 2: // lightweight: the object is the commit
			tags[f[0]] = append(tags[f[0]], f[1])
		case 3: // annotated: the peeled object is the commit
			tags[f[1]] = append(tags[f[1]], f[2])
		}
	}
	return tags, nil
}

// Changed lists the files (relative to root) that differ between rev and the work tree:
// committed, staged and unstaged changes (a rename as both of its names) and untracked files
// that are not ignored.
func Changed(ctx context.Context, root, rev string) ([]string, error) {
	var out []string
	for _, args := range [][]string{
		{"diff", "--name-only", "--no-renames", "-z", rev, "--"},
		{"ls-files", "--others", "--exclude-standard", "-z"},
	} {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=*", "-c", "core.quotepath=off"}, args...)...)
		cmd.Dir = root
		cmd.Env = Env(os.Getenv)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
		}
		for _, f := range strings.Split(string(b), "\x00") {
			if f != "" && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

package git

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// A revision is built from a temporary worktree; the user's work tree is not touched.
func TestCheckoutRevision(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	testenv.Write(t, repo, "fn/bootstrap", "#!/bin/sh\necho v1\n")
	_ = os.Chmod(filepath.Join(repo, "fn/bootstrap"), 0o755)
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-qm", "v1")
	testenv.Write(t, repo, "fn/bootstrap", "#!/bin/sh\necho v2\n")
	gitT(t, repo, "commit", "-qam", "v2")
	testenv.Write(t, repo, "fn/bootstrap", "#!/bin/sh\necho uncommitted\n")

	dir, cleanup, err := Checkout(context.Background(), repo, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "fn/bootstrap"))
	if !strings.Contains(string(b), "v1") {
		t.Errorf("checkout of HEAD~1 has %q", b)
	}
	cleanup()
	if b, _ := os.ReadFile(filepath.Join(repo, "fn/bootstrap")); !strings.Contains(string(b), "uncommitted") {
		t.Errorf("work tree changed: %q", b)
	}
	if out := gitT(t, repo, "worktree", "list"); strings.Count(out, "\n") != 1 {
		t.Errorf("worktree left behind:\n%s", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("checkout dir %s still exists", dir)
	}
	if _, _, err := Checkout(context.Background(), repo, "no-such-rev"); err == nil || !strings.Contains(err.Error(), `"no-such-rev" not found`) {
		t.Errorf("Checkout(no-such-rev) error = %v", err)
	}
}

func TestShallowCloneError(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	src := t.TempDir()
	gitT(t, src, "init", "-q", "-b", "main")
	for _, m := range []string{"a", "b", "c"} {
		testenv.Write(t, src, "f", m)
		gitT(t, src, "add", ".")
		gitT(t, src, "commit", "-qm", m)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	gitT(t, src, "clone", "-q", "--depth", "1", "file://"+src, clone)
	_, err := ResolveRev(context.Background(), clone, "HEAD~2")
	if !errors.Is(err, ErrShallow) || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Errorf("ResolveRev(shallow) error = %v, want advice to set fetch-depth: 0", err)
	}
}

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// git sees nothing of coldbench's secrets: a hook that dumps its environment finds no token.
func TestGitSeesNoSecrets(t *testing.T) {
	testenv.Tool(t, "git")
	t.Setenv("GITHUB_TOKEN", "ghs_secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("ACTIONS_RUNTIME_TOKEN", "secret")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	testenv.Write(t, repo, "f", "a")
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-qm", "a")
	dump := filepath.Join(t.TempDir(), "env.txt")
	testenv.Write(t, repo, ".git/hooks/post-checkout", "#!/bin/sh\nenv > "+dump+"\n")
	if err := os.Chmod(filepath.Join(repo, ".git", "hooks", "post-checkout"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, cleanup, err := Checkout(context.Background(), repo, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	env, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("the post-checkout hook did not run: %v", err)
	}
	if strings.Contains(string(env), "secret") {
		t.Errorf("git's hook saw a secret:\n%s", env)
	}
	if !strings.Contains(string(env), "GIT_TERMINAL_PROMPT=0") {
		t.Errorf("git may prompt: GIT_TERMINAL_PROMPT is not 0 in\n%s", env)
	}
}

func TestDefaultBranchAndMergeBase(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	testenv.Write(t, repo, "f", "a")
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-qm", "a")
	base := strings.TrimSpace(gitT(t, repo, "rev-parse", "HEAD"))
	gitT(t, repo, "checkout", "-qb", "feature")
	testenv.Write(t, repo, "f", "b")
	gitT(t, repo, "commit", "-qam", "b")
	ctx := context.Background()
	if b, err := DefaultBranch(ctx, repo); err != nil || b != "main" {
		t.Errorf("DefaultBranch() = %q, %v; want main", b, err)
	}
	if mb, err := MergeBase(ctx, repo, "HEAD", "main"); err != nil || mb != base {
		t.Errorf("MergeBase(HEAD, main) = %q, %v; want %s", mb, err, base)
	}
	if root, err := RepoRoot(ctx, repo); err != nil || root != repo {
		t.Errorf("RepoRoot() = %q, %v; want %s", root, err, repo)
	}
	gitT(t, repo, "branch", "-qm", "main", "trunk")
	if b, err := DefaultBranch(ctx, repo); err == nil {
		t.Errorf("DefaultBranch(no main) = %q, want an error", b)
	}
}

func TestDirty(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	testenv.Write(t, repo, "fn/main.go", "package main")
	testenv.Write(t, repo, "other/x", "a")
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-qm", "a")
	ctx := context.Background()
	dirty := func(path string) bool {
		t.Helper()
		d, err := Dirty(ctx, repo, path)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	testenv.Write(t, repo, ".coldbench/cache/x", "coldbench's own")
	testenv.Write(t, repo, "other/x", "b")
	if dirty("fn") || dirty("") != true {
		t.Errorf("Dirty(fn) = %v, Dirty(.) = %v: want a change elsewhere (and .coldbench) not to count for fn", dirty("fn"), dirty(""))
	}
	testenv.Write(t, repo, "fn/new.go", "package main")
	if !dirty("fn") {
		t.Error("Dirty(fn) = false with an untracked file in fn")
	}
}

// ShowFile reads a file as a revision has it, whatever the work tree holds in its place.
func TestShowFile(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	testenv.Write(t, repo, "coldbench.yml", "threshold: 5\n")
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-qm", "v1")
	testenv.Write(t, repo, "coldbench.yml", "threshold: 999\n")
	gitT(t, repo, "commit", "-qam", "v2")
	testenv.Write(t, repo, "coldbench.yml", "threshold: 1000\n")
	ctx := context.Background()
	if b, err := ShowFile(ctx, repo, "HEAD~1", "coldbench.yml"); err != nil || string(b) != "threshold: 5\n" {
		t.Errorf("ShowFile(HEAD~1) = %q, %v; want the first commit's", b, err)
	}
	if b, err := ShowFile(ctx, repo, "HEAD", "coldbench.yml"); err != nil || string(b) != "threshold: 999\n" {
		t.Errorf("ShowFile(HEAD) = %q, %v; want the commit's, not the work tree's", b, err)
	}
	if _, err := ShowFile(ctx, repo, "HEAD", "missing.yml"); !errors.Is(err, ErrNotInRevision) {
		t.Errorf("ShowFile(missing) = %v, want ErrNotInRevision", err)
	}
}

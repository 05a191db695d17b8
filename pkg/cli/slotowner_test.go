package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// A run's head slot belongs to the checkout's branch (a detached HEAD: its commit), or to what
// the CI names in COLDBENCH_SLOT_OWNER.
func TestRunSlotOwner(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	git := gitIn(t, dir)
	git("init", "-q", "-b", "main")
	testenv.Write(t, dir, "fn/main.go", "package main\n")
	git("add", "-A")
	git("commit", "-qm", "one")
	cfg := config.Config{Handler: filepath.Join(dir, "fn")}
	getenv := map[string]string{}
	env := Env{Getenv: func(k string) string { return getenv[k] }}
	owner := func() string { return runSlotOwner(context.Background(), cfg, env) }
	if got, want := owner(), "checkout "+dir+" branch main"; got != want {
		t.Errorf("on main: %q, want %q", got, want)
	}
	git("checkout", "-q", "-b", "pr-12")
	onPR := owner()
	git("checkout", "-q", "--detach")
	sha := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	if got, want := owner(), "checkout "+dir+" at "+sha; got != want || onPR != "checkout "+dir+" branch pr-12" {
		t.Errorf("detached: %q, want %q; on pr-12: %q", got, want, onPR)
	}
	getenv["COLDBENCH_SLOT_OWNER"] = "group/app!7"
	if got := owner(); got != "group/app!7" {
		t.Errorf("with COLDBENCH_SLOT_OWNER: %q", got)
	}
	delete(getenv, "COLDBENCH_SLOT_OWNER")
	cfg.Handler = filepath.Join(t.TempDir(), "fn")
	if err := os.MkdirAll(cfg.Handler, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := owner(); got != "" {
		t.Errorf("outside a repository: %q, want the pipeline's default", got)
	}
}

package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

func TestStdFlags(t *testing.T) {
	for _, tt := range []struct {
		flags []string
		want  []string
		ok    bool
	}{
		{nil, nil, true},
		{ReferenceGoFlags, []string{"-trimpath", "-tags", "lambda.norpc"}, true},
		{[]string{"--trimpath", "-tags=a,b", "-ldflags=-X main.v=1"}, []string{"-trimpath", "-tags", "a,b"}, true},
		{[]string{"-toolexec", "/tmp/x"}, nil, false},
		{[]string{"-overlay=/tmp/o.json"}, nil, false},
		{[]string{"-gcflags", "all=-N"}, nil, false},
		{[]string{"-tags", "$(touch /x)"}, nil, false},
		{[]string{"-tags"}, nil, false},
		{[]string{"-trimpath=false"}, nil, false},
	} {
		got, ok := stdFlags(tt.flags)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("stdFlags(%q) = %q, %v; want %q, %v", tt.flags, got, ok, tt.want, tt.ok)
		}
	}
}

// A sandbox user's Go build finds the standard library compiled: the seed coldbench compiled as
// root is copied in as the user's own files, and the build compiles only the handler's packages.
// A seed another user could write is not used.
func TestGoBuildIsSeededWithTheStandardLibrary(t *testing.T) {
	id := seedTestUser(t)
	cache := testenv.SharedTempDir(t)
	if err := os.Chmod(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	req := Request{
		Dir: t.TempDir(), Arch: ArchARM64, OutDir: t.TempDir(), Sandbox: id, GoFlags: ReferenceGoFlags,
		Tools: Tools{CacheDir: SlotDir(filepath.Join(cache, "sandbox"), id)}.Resolve(),
	}
	testenv.Write(t, req.Dir, "go.mod", "module example.com/fn\n\ngo 1.22\n")
	testenv.Write(t, req.Dir, "main.go", "package main\n\nimport (\n\t\"encoding/json\"\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc main() { _ = json.NewEncoder(os.Stdout).Encode(http.StatusOK) }\n")
	if err := prepareSlot(id, req.Tools.CacheDir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := BuildEnv(req.Tools.getenv, "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if err := seedGoCache(ctx, req, env, "arm64", ReferenceGoFlags); err != nil {
		t.Fatalf("seed: %v", err)
	}
	goBuild := filepath.Join(req.Tools.CacheDir, "go-build")
	seeded := cacheFiles(t, goBuild, id.UID)
	if len(seeded) < 300 {
		t.Fatalf("the user's cache holds %d of its own files after the seed, want the standard library's (hundreds)", len(seeded))
	}
	art, err := Build(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(art.Notes) > 0 {
		t.Errorf("notes %q: want none", art.Notes)
	}
	// Compiled by the build itself: the main package, its link, and the cache's bookkeeping.
	if after := cacheFiles(t, goBuild, id.UID); len(after)-len(seeded) > 20 {
		t.Errorf("the build added %d cache files: it compiled the standard library again", len(after)-len(seeded))
	}

	// A seed directory anyone can write (a cache restored with loose modes) is not used.
	loose := t.TempDir()
	st, err := os.Stat(req.Tools.Go)
	if err != nil {
		t.Fatal(err)
	}
	std, _ := stdFlags(ReferenceGoFlags)
	planted := filepath.Join(loose, seedKey(req.Tools.Go, st, std, stdEnv(env, "arm64"), "arm64"))
	testenv.Write(t, planted, "ab/planted-a", "poisoned index entry")
	if err := os.Chmod(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	other := id.Slot(1)
	req.Sandbox, req.Tools.CacheDir = other, SlotDir(filepath.Join(cache, "sandbox"), other)
	req.Tools.Getenv = func(k string) string {
		if k == "COLDBENCH_GO_STD_DIR" {
			return loose
		}
		return os.Getenv(k)
	}
	if err := prepareSlot(other, req.Tools.CacheDir); err != nil {
		t.Fatal(err)
	}
	if err := seedGoCache(ctx, req, env, "arm64", ReferenceGoFlags); err == nil || !strings.Contains(err.Error(), "only its owner can write") {
		t.Errorf("seed from a world-writable directory: %v, want it refused", err)
	}
	if n := len(cacheFiles(t, filepath.Join(req.Tools.CacheDir, "go-build"), other.UID)); n != 0 {
		t.Errorf("%d files copied from the world-writable seed", n)
	}
}

// cacheFiles are the regular files under dir owned by uid.
func cacheFiles(t *testing.T, dir string, uid int) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if info, err := d.Info(); err == nil && int(info.Sys().(*syscall.Stat_t).Uid) == uid {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// The template's BuildProperties are the pull request's: a -toolexec among them would run its
// program as root in the standard library's compile. Unfiltered (the control), it does; through
// seedGoCache it is never passed, and there is no seed.
func TestGoStdSeedRunsNoFlagOfThePullRequests(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a separate sandbox user needs root")
	}
	needToolchain(t, RuntimeGo)
	dir := t.TempDir()
	proof := filepath.Join(dir, "ran-as-root")
	testenv.Write(t, dir, "toolexec.sh", "#!/bin/sh\nid -u > "+proof+"\nexit 1\n") // the first tool call (-V=full) is enough
	if err := os.Chmod(filepath.Join(dir, "toolexec.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	flags := []string{"-toolexec", filepath.Join(dir, "toolexec.sh")}
	gobin := Tools{}.Resolve().Go
	ctx := context.Background()
	env := stdEnv(BuildEnv(os.Getenv, "CGO_ENABLED=0"), "arm64")
	// The control: the flags as given, to `go build std` as root.
	_ = buildStd(ctx, gobin, filepath.Join(dir, "control"), env, flags)
	if b, err := os.ReadFile(proof); err != nil || strings.TrimSpace(string(b)) != "0" {
		t.Fatalf("control: the -toolexec program did not run as root (%v, %q): the test proves nothing", err, b)
	}
	_ = os.Remove(proof)
	id := sandbox.Identity{UID: 64999, GID: 64999, Separate: true}
	req := Request{Sandbox: id, Tools: Tools{Go: gobin, CacheDir: filepath.Join(dir, "cache", "sandbox", "u64999"),
		Getenv: func(k string) string {
			if k == "COLDBENCH_GO_STD_DIR" {
				return ""
			}
			return os.Getenv(k)
		}}}
	if err := seedGoCache(ctx, req, env, "arm64", flags); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(proof); err == nil {
		t.Error("seedGoCache passed -toolexec to the root build")
	}
	if _, err := os.Stat(filepath.Join(dir, "cache", "go-std")); err == nil {
		t.Error("a seed was made for flags that are not the standard library's")
	}
}

// A reference build takes a compiled standard library where one is built, and compiles none: for
// the one slot that builds the Go reference, all of std costs more than what the build needs.
func TestReferenceBuildsCompileNoSeed(t *testing.T) {
	t.Parallel()
	id := seedTestUser(t)
	seeds := t.TempDir()
	getenv := func(k string) string {
		if k == "COLDBENCH_GO_STD_DIR" {
			return seeds
		}
		return os.Getenv(k)
	}
	cache := testenv.SharedTempDir(t)
	req := Request{Arch: ArchARM64, Sandbox: id, GoFlags: ReferenceGoFlags, StdSeedIfBuilt: true,
		Tools: Tools{CacheDir: SlotDir(filepath.Join(cache, "sandbox"), id), Getenv: getenv}.Resolve()}
	if err := prepareSlot(id, req.Tools.CacheDir); err != nil {
		t.Fatal(err)
	}
	env := BuildEnv(req.Tools.getenv, "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if err := seedGoCache(context.Background(), req, env, "arm64", ReferenceGoFlags); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if built, _ := os.ReadDir(seeds); len(built) != 0 {
		t.Errorf("a reference build compiled a seed: %v", built)
	}
	if files := cacheFiles(t, filepath.Join(req.Tools.CacheDir, "go-build"), id.UID); len(files) != 0 {
		t.Errorf("%d files copied into the reference's cache from no seed", len(files))
	}
}

// seedTestUser skips t without root or Go, and is a range of sandbox users of t's own.
func seedTestUser(t *testing.T) sandbox.Identity {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a separate sandbox user needs root")
	}
	needToolchain(t, RuntimeGo)
	id, release, err := sandbox.Acquire(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return id
}

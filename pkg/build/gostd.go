package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// The Go standard library, compiled once and shared.
//
// Every sandbox user has a build cache of its own (one variant's build must not plant compiled
// code another's reads), so without help each of them compiles the standard library for each
// GOARCH again: on these 2-core machines ~25 s of CPU each, for head, base and the Go reference
// alike, while the handler's own packages take under a second. So coldbench compiles the standard
// library itself, as root, from `/`, with the trusted toolchain and nothing of the pull request's
// but a filtered set of flags, into a cache of its own (<cache>/go-std/<key>) that no sandbox user
// can write; a sandbox user's cache gets a copy of it (its own files: what it does to them reaches
// no one else). The flags are the build's (-trimpath changes every compile's cache key), but only
// those that cannot run anything: -trimpath, -tags, and -ldflags (which std, linking nothing, does
// not see). Any other flag (-toolexec, -overlay, -gcflags...) and there is no seed: the build
// compiles the standard library in the sandbox, as before.

// seedGoCache copies the standard library, compiled for goarch with the build's flags, into the
// sandbox user's Go build cache, building the shared copy first if there is none. env is the
// build's environment before sandboxEnv. It does nothing without a separate sandbox user, and
// any problem leaves the cache as it was: the build then compiles what it needs itself.
func seedGoCache(ctx context.Context, req Request, env []string, goarch string, flags []string) error {
	if !req.Sandbox.Separate || req.Tools.Go == "" || req.Tools.CacheDir == "" {
		return nil
	}
	std, ok := stdFlags(flags)
	if !ok {
		return nil
	}
	st, err := os.Stat(req.Tools.Go)
	if err != nil {
		return err
	}
	rootEnv := stdEnv(env, goarch)
	key := seedKey(req.Tools.Go, st, std, rootEnv, goarch)
	seed := filepath.Join(SeedDir(req.Tools), key)
	dst := filepath.Join(req.Tools.CacheDir, "go-build")
	marker := ".coldbench-std-" + key
	if _, err := os.Lstat(filepath.Join(dst, marker)); err == nil {
		return nil
	}
	if err := trusted(seed); req.StdSeedIfBuilt && err != nil {
		return nil // none yet: the build compiles the packages it needs itself
	}
	if err := buildStd(ctx, req.Tools.Go, seed, rootEnv, std); err != nil {
		return err
	}
	return copySeed(seed, dst, marker, req.Sandbox)
}

// SeedDir is where the compiled standard libraries are kept: $COLDBENCH_GO_STD_DIR (the
// runner's setting: a directory kept between runs, or an image's own), else go-std in the cache
// directory, beside sandbox/ (a slot is <cache>/sandbox/u<uid>).
func SeedDir(t Tools) string {
	if d := t.getenv("COLDBENCH_GO_STD_DIR"); d != "" {
		return d
	}
	return filepath.Join(filepath.Dir(filepath.Dir(t.CacheDir)), "go-std")
}

// seedKey names one compiled standard library: the toolchain binary, the flags, the environment
// and the arch.
func seedKey(gobin string, st os.FileInfo, std, env []string, goarch string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d %d\n%q\n%q\n", gobin, st.Size(), st.ModTime().UnixNano(), std, env)
	return hex.EncodeToString(h.Sum(nil)[:8]) + "-" + goarch
}

// tagsRe is what -tags may hold for the standard library to be compiled as root with it.
var tagsRe = regexp.MustCompile(`^[A-Za-z0-9_.,]*$`)

// stdFlags are the flags of flags that `go build std` takes as root: -trimpath and -tags (of
// plain words); -ldflags is dropped (the standard library links nothing). ok is false for any
// other flag.
func stdFlags(flags []string) (std []string, ok bool) {
	for i := 0; i < len(flags); i++ {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(flags[i], "-"), "=")
		name = strings.TrimPrefix(name, "-")
		takeValue := func() bool {
			if hasValue {
				return true
			}
			if i+1 >= len(flags) {
				return false
			}
			i++
			value = flags[i]
			return true
		}
		switch {
		case name == "trimpath" && (!hasValue || value == "true"):
			std = append(std, "-trimpath")
		case name == "tags" && takeValue() && tagsRe.MatchString(value):
			std = append(std, "-tags", value)
		case name == "ldflags" && takeValue():
		default:
			return nil, false
		}
	}
	return std, true
}

// stdEnv is the root build's environment: the build's own, with coldbench's choices for what
// could otherwise come from a file (go.env, go.work, a toolchain line).
func stdEnv(env []string, goarch string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOCACHE", "GOPATH", "GOMODCACHE", "HOME", "TMPDIR", "GOENV", "GOWORK", "GOTOOLCHAIN", "GOARCH", "GOOS", "CGO_ENABLED":
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "GOENV=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	slices.Sort(out)
	return out
}

// buildStd compiles the standard library into seed unless it is there, other coldbench processes
// waiting meanwhile. seed is coldbench's: a seed any other user could write is not used.
func buildStd(ctx context.Context, gobin, seed string, env, flags []string) error {
	if err := trusted(seed); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(seed), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(seed + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if err := trusted(seed); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(seed), filepath.Base(seed)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	cache := filepath.Join(tmp, "go-build")
	cmd := exec.CommandContext(ctx, gobin, append(append([]string{"build"}, flags...), "std")...)
	cmd.Dir = "/" // no go.mod, go.work or toolchain line of anyone's
	// Killed with coldbench, even by SIGKILL (the context cannot be cancelled then): its compiles
	// finish their package and exit.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(env, "GOCACHE="+cache, "HOME="+home, "TMPDIR="+home, "GOPATH="+filepath.Join(home, "go"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build std: %v\n%s", err, out)
	}
	if err := os.Chmod(cache, 0o755); err != nil {
		return err
	}
	return os.Rename(cache, seed)
}

// trusted is nil when dir is a directory (not a link) that no one but its owner can write:
// coldbench's, or the runner's when actions/cache restored it; no sandbox user owns anything
// outside its slot, so group- and world-writable is what a planted seed would need.
func trusted(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() || st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s: not a directory only its owner can write: not used", dir)
	}
	return nil
}

// copySeed copies seed's cache entries into dst, the sandbox user's cache, as that user's files:
// through an os.Root (the user may have left links in dst: they are not followed out of it), new
// files only (an entry it has is its own), then marks dst as seeded.
func copySeed(seed, dst, marker string, id sandbox.Identity) error {
	if err := trusted(seed); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	dirs, err := os.ReadDir(seed)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue // README, trim.txt: the user's cache has its own
		}
		if err := root.Mkdir(d.Name(), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := root.Lchown(d.Name(), id.UID, id.GID); err != nil {
			return err
		}
		entries, err := os.ReadDir(filepath.Join(seed, d.Name()))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			rel := filepath.Join(d.Name(), e.Name())
			if err := copyEntry(filepath.Join(seed, rel), root, rel, id); err != nil {
				return err
			}
		}
	}
	f, err := root.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// copyEntry copies one cache file, unless dst has it.
func copyEntry(src string, root *os.Root, rel string, id sandbox.Identity) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Fresh times: the copy is as new to the user's cache as the compile would have been.
	now := time.Now()
	if err := root.Chtimes(rel, now, now); err != nil {
		return err
	}
	return root.Lchown(rel, id.UID, id.GID)
}

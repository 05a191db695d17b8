package build

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// A build is pull-request code (build.rs, a toolchain directive, a bundler plugin). With a separate
// sandbox user it runs as that user, the way SAM builds in a scratch directory: the handler's
// source is copied into a build directory of that user's, its caches are that user's, and it
// reaches only the toolchains that user may run. It can read neither coldbench's environment nor
// its memory, and write nothing of coldbench's or of the user's checkout.

// skipDirs are not copied into the build directory: history, build output, dependencies that the
// build installs itself.
var skipDirs = map[string]bool{".git": true, "target": true, "node_modules": true, ".coldbench": true, ".aws-sam": true}

// DefaultSandboxCache is where a root coldbench keeps the sandbox user's build caches (Go's build
// and module caches, cargo's registry and target dirs, Deno's cache).
const DefaultSandboxCache = "/var/cache/coldbench/sandbox"

// sandboxed prepares req for a build as the sandbox user: the source copied into stage/src and
// the stage given to that user, caches of that user's, toolchains that user can run.
func sandboxed(req Request, stage string) (Request, func(), error) {
	id := req.Sandbox
	if !id.Separate {
		return req, func() {}, nil
	}
	if req.Tools.CacheDir == "" || !strings.HasPrefix(req.Tools.CacheDir, DefaultSandboxCache) && id.Reachable(req.Tools.CacheDir) != nil {
		req.Tools.CacheDir = DefaultSandboxCache
	}
	// The copy lives at a stable path per handler and build (head-arm64, base-x86_64...) with the
	// source's modification times, so cargo and go find their caches still valid for unchanged code.
	key := req.CacheKey
	if key == "" {
		key = req.Dir
	}
	sum := sha256.Sum256([]byte(key))
	src := filepath.Join(req.Tools.CacheDir, "src", hex.EncodeToString(sum[:8])+"-"+req.Name)
	// Builds of the same handler in other coldbench processes wait for this one.
	unlock, err := lockFile(src + ".lock")
	if err != nil {
		return req, nil, fmt.Errorf("lock the sandboxed build's source: %w", err)
	}
	fail := func(format string, err error) (Request, func(), error) {
		unlock()
		return req, nil, fmt.Errorf(format, err)
	}
	if err := os.RemoveAll(src); err != nil {
		return fail("clear the sandboxed build's source: %w", err)
	}
	root := cmp.Or(req.Root, req.Dir)
	rel, err := filepath.Rel(root, req.Dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fail("handler directory: %w", fmt.Errorf("%s is not inside %s", req.Dir, root))
	}
	if err := unreadable(id, root); err != nil {
		return fail("copy the source for the sandboxed build: %w", err)
	}
	if err := copyTree(root, src); err != nil {
		return fail("copy the source for the sandboxed build: %w", err)
	}
	for _, d := range []string{stage, src} {
		if err := id.OwnTree(d); err != nil {
			return fail("give the build directory to the sandbox user: %w", err)
		}
	}
	req.Root, req.Dir = src, filepath.Join(src, rel)
	if err := os.MkdirAll(req.Tools.CacheDir, 0o755); err != nil {
		return fail("create the sandbox's cache: %w", err)
	}
	if err := id.Reachable(req.Tools.CacheDir); err != nil {
		return fail("sandbox cache: %w", err)
	}
	if err := id.Own(req.Tools.CacheDir); err != nil {
		return fail("give the cache to the sandbox user: %w", err)
	}
	req.Tools = req.Tools.runnableBy(id)
	return req, unlock, nil
}

// unreadable refuses a source tree holding a file or directory the sandbox user could not read
// itself: coldbench copies it as its own user, and must not hand the sandbox a copy of what it
// may not see (a handler path pointed at /etc or a home directory).
func unreadable(id sandbox.Identity, root string) error {
	if !id.Separate {
		return nil
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && skipDirs[d.Name()] {
			return filepath.SkipDir
		}
		if p == root || d.Type()&fs.ModeSymlink != 0 || !(d.IsDir() || d.Type().IsRegular()) {
			return nil // links are copied as links, never followed; devices and the like not at all
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !id.CanRead(info) {
			return fmt.Errorf("%s is not readable by the sandbox user (uid %d; mode %v): coldbench copies only what the sandbox may read itself; make it readable to others (chmod o+r), or leave it out of the handler's tree",
				p, id.UID, info.Mode().Perm())
		}
		return nil
	})
}

// lockFile takes an exclusive lock on path (created if needed) until the returned func runs.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// runnableBy keeps the toolchains the sandbox user can run.
func (t Tools) runnableBy(id sandbox.Identity) Tools {
	for _, p := range []*string{&t.Go, &t.Cargo, &t.Deno, &t.Denort, &t.CrossCargo, &t.CrossRustc, &t.CrossLinker, &t.CargoLambda,
		&t.Npm, &t.Esbuild, &t.Python, &t.Bun, &t.BunX64, &t.BunARM64} {
		if *p != "" && !id.CanExec(*p) {
			*p = ""
		}
	}
	return t
}

// sandboxEnv is a build's environment as the sandbox user: its own home and caches, and only the
// PATH entries it can reach.
func sandboxEnv(env []string, req Request) []string {
	cache := req.Tools.CacheDir
	set := map[string]string{
		"HOME":           filepath.Join(cache, "home"),
		"XDG_CACHE_HOME": filepath.Join(cache, "home", ".cache"),
		"GOPATH":         filepath.Join(cache, "gopath"),
		"GOCACHE":        filepath.Join(cache, "go-build"),
		"GOMODCACHE":     filepath.Join(cache, "gopath", "pkg", "mod"),
		"CARGO_HOME":     filepath.Join(cache, "cargo-home"),
		"DENO_DIR":       filepath.Join(cache, "deno"),
		"TMPDIR":         filepath.Join(cache, "tmp"),
	}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			var keep []string
			for _, d := range filepath.SplitList(v) {
				if req.Sandbox.Reachable(d) == nil {
					keep = append(keep, d)
				}
			}
			out = append(out, "PATH="+strings.Join(keep, ":"))
		case k == "RUSTUP_HOME" && req.Sandbox.Reachable(v) != nil:
			// rustup's toolchains live in coldbench's home: the sandbox uses a system rustc. (The
			// action's image keeps them in /usr/local/rustup, which the sandbox user reaches.)
		case set[k] == "":
			out = append(out, kv)
		}
	}
	for _, k := range []string{"HOME", "XDG_CACHE_HOME", "GOPATH", "GOCACHE", "GOMODCACHE", "CARGO_HOME", "DENO_DIR", "TMPDIR"} {
		out = append(out, k+"="+set[k])
	}
	return out
}

// mkSandboxDirs creates the sandbox user's home and cache directories.
func mkSandboxDirs(req Request) error {
	for _, kv := range sandboxEnv(nil, req) {
		_, dir, _ := strings.Cut(kv, "=")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := req.Sandbox.Own(dir); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the regular files, directories and symbolic links under src to dst. Links are
// copied as links and never followed: coldbench must not read, through a link in pull-request
// code, a file the sandbox user could not.
func copyTree(src, dst string) error {
	return copyTreeSkipping(src, dst, func(name string) bool { return skipDirs[name] })
}

// copyTreeSkipping is copyTree, leaving out the directories skip says to.
func copyTreeSkipping(src, dst string, skip func(name string) bool) error {
	return copyFS(os.DirFS(src), dst, skip)
}

// OwnCache gives the sandbox user whatever under its cache dir it does not own yet (a cache
// restored by actions/cache belongs to the runner's user), once per run.
func OwnCache(id sandbox.Identity, dir string) error {
	if !id.Separate {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != id.UID || int(st.Gid) != id.GID) {
			return os.Lchown(p, id.UID, id.GID)
		}
		return nil
	})
}

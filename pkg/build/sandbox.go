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

// DefaultSandboxCache is where a root coldbench keeps the sandbox users' build caches (Go's build
// and module caches, cargo's registry and target dirs, Deno's cache): a directory per uid.
const DefaultSandboxCache = "/var/cache/coldbench/sandbox"

// SlotDir is the cache directory of the sandbox identity id under the sandbox cache dir.
func SlotDir(cacheDir string, id sandbox.Identity) string {
	return filepath.Join(cacheDir, fmt.Sprintf("u%d", id.UID))
}

// sandboxDirs are the sandbox user's own directories in its cache directory, by variable.
var sandboxDirs = []struct{ env, dir string }{
	{"HOME", "home"}, {"XDG_CACHE_HOME", "xdg-cache"}, {"GOPATH", "gopath"}, {"GOCACHE", "go-build"},
	{"GOMODCACHE", "gomodcache"}, {"CARGO_HOME", "cargo-home"}, {"DENO_DIR", "deno"}, {"TMPDIR", "tmp"},
	{"", "cargo"}, // cargo's target dirs
}

// sandboxed prepares req for a build as the sandbox user: the source copied into its cache
// directory and given to it, the stage given to it, caches of its own, toolchains it can run.
//
// The cache directory of a sandbox user is coldbench's, searchable by that user: its entries
// (the user's home and caches, and src, coldbench's) cannot be replaced by the user, so a link
// it plants can only be inside one of its own directories, where coldbench creates nothing
// through a path.
func sandboxed(req Request, stage string) (Request, func(), error) {
	id := req.Sandbox
	if !id.Separate {
		return req, func() {}, nil
	}
	if req.Tools.CacheDir == "" || id.Reachable(filepath.Dir(filepath.Dir(req.Tools.CacheDir))) != nil {
		req.Tools.CacheDir = SlotDir(DefaultSandboxCache, id)
	}
	// Nothing of this user's may run while its directories are set up.
	if _, err := id.KillAll(); err != nil {
		return req, nil, err
	}
	mark, err := claimSlot(id, req.Tools.CacheDir, req)
	if err != nil {
		return req, nil, fmt.Errorf("prepare the sandbox's cache: %w", err)
	}
	if err := prepareSlot(id, req.Tools.CacheDir); err != nil {
		return req, nil, fmt.Errorf("prepare the sandbox's cache: %w", err)
	}
	if mark != nil {
		if err := writeSlotMark(req.Tools.CacheDir, *mark); err != nil {
			return req, nil, fmt.Errorf("prepare the sandbox's cache: %w", err)
		}
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
	if err := id.Reachable(req.Tools.CacheDir); err != nil {
		return fail("sandbox cache: %w", err)
	}
	req.Tools = req.Tools.runnableBy(id)
	return req, unlock, nil
}

// prepareSlot makes dir the sandbox user's cache directory: coldbench's own, with src
// (coldbench's) and the user's own directories (owned by it through and through: a cache
// restored by actions/cache belongs to the runner's user). Anything else in their place (a link,
// a file) is removed. No process of the user's runs meanwhile. Everything stays readable to
// others (mode 0755), so that actions/cache, as the runner's user, can save it; what keeps one
// sandbox user out of another's directories is that it can write none of them, and Landlock,
// under which it reads none of them.
func prepareSlot(id sandbox.Identity, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	ensureDir := func(p string, mode os.FileMode) error {
		if st, err := os.Lstat(p); err == nil && !st.IsDir() {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
		if err := os.Mkdir(p, mode); err != nil && !os.IsExist(err) {
			return err
		}
		return os.Chmod(p, mode)
	}
	for _, p := range []string{dir, filepath.Join(dir, "src")} {
		if err := ensureDir(p, 0o755); err != nil {
			return err
		}
		if err := os.Lchown(p, 0, 0); err != nil {
			return err
		}
	}
	for _, d := range sandboxDirs {
		p := filepath.Join(dir, d.dir)
		if err := ensureDir(p, 0o755); err != nil {
			return err
		}
		if err := ownForeign(id, p); err != nil {
			return err
		}
	}
	return nil
}

// ownForeign gives the sandbox user whatever under dir it does not own yet, without following
// links. A file of someone else's with more than one name is left as it is: its other name may be
// anywhere on the file system (a hard link the user planted to /etc/shadow, where the kernel lets
// it: fs.protected_hardlinks off, no Landlock), and chowning the inode would give the user that
// file.
func ownForeign(id sandbox.Identity, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		switch {
		case !ok || int(st.Uid) == id.UID && int(st.Gid) == id.GID:
		case !info.IsDir() && st.Nlink > 1 && !sandbox.Off("hardlinks"):
		default:
			return os.Lchown(p, id.UID, id.GID)
		}
		return nil
	})
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
		if !id.CouldRead(p, info) {
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

// runnableBy keeps the toolchains the sandbox user can run: a tool it cannot run is replaced by
// the next of that tool's places that it can (rustup's cargo in root's home, then the copy that
// scripts/setup.sh links into the tools directory), or dropped.
func (t Tools) runnableBy(id sandbox.Identity) Tools {
	home := t.getenv("HOME")
	for _, tool := range AllTools() {
		if tool.field == nil || tool.notRun {
			continue
		}
		p := tool.field(&t)
		if *p == "" || id.CanExec(*p) {
			continue
		}
		*p = ""
		if tool.find == nil {
			continue
		}
		for _, name := range tool.find(t, home) {
			if c := look("", name); c != "" && id.CanExec(c) {
				*p = c
				break
			}
		}
	}
	return t
}

// sandboxEnv is a build's environment as the sandbox user: its own home and caches, and only the
// PATH entries it can reach.
func sandboxEnv(env []string, req Request) []string {
	set := map[string]string{}
	for _, d := range sandboxDirs {
		if d.env != "" {
			set[d.env] = filepath.Join(req.Tools.CacheDir, d.dir)
		}
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
	for _, d := range sandboxDirs {
		if d.env != "" {
			out = append(out, d.env+"="+set[d.env])
		}
	}
	return out
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

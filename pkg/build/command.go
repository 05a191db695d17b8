package build

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coldbench/coldbench/pkg/lambdazip"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// buildCommand runs the user's own build (a Makefile target, a build script) and packages what it
// produced, so what is timed is the artifact the user ships. It runs like every build: as the
// sandbox user, in the copy of the source, with the scrubbed environment, plus what SAM's
// makefile method and cross-building scripts read: ARTIFACTS_DIR, GOOS, GOARCH, COLDBENCH_ARCH.
func buildCommand(ctx context.Context, req Request, rt, stage string) (*results.Artifact, error) {
	goarch, err := goArch.of(req.Arch)
	if err != nil {
		return nil, &Error{Runtime: rt, Step: "set GOARCH", Err: err}
	}
	// ARTIFACTS_DIR is the sandbox's, in the build's own directory (coldbench's), so neither it
	// nor what coldbench assembles beside it can be swapped for a link.
	artifacts := filepath.Join(req.Work, "artifacts")
	collected := filepath.Join(req.Work, "collected") // coldbench's: the package as it is zipped
	if sandbox.Off("saferoot") {                      // the hostile tests' control: the old layout, all in the sandbox's stage
		artifacts, collected = filepath.Join(stage, "artifacts"), filepath.Join(stage, "pkg")
	}
	if err := runCommand(ctx, req, rt, artifacts, goarch); err != nil {
		return nil, err
	}
	art := &results.Artifact{Method: "your build command: " + req.Command, Toolchain: map[string]string{}}
	bootstrap := filepath.Join(collected, "bootstrap")
	if err := collectProduced(req, rt, artifacts, collected, art); err != nil {
		return nil, err
	}
	if art.Path == "" { // a directory or a bootstrap, collected: zip it
		if err := packageCollected(req, rt, collected, art); err != nil {
			return nil, err
		}
	}
	if err := timedArch(bootstrap, req.Arch); err != nil {
		err.(*Error).Err = fmt.Errorf("%w (your build command runs with GOARCH=%s and COLDBENCH_ARCH=%s: build for those instead of a fixed arch)", err.(*Error).Err, goarch, req.Arch)
		return nil, err
	}
	art.Notes = archNote(bootstrap, req.Arch)
	return art, nil
}

// runCommand prepares ARTIFACTS_DIR for the sandbox user and runs the build command in the
// handler's directory, with the toolchains coldbench found first on PATH.
func runCommand(ctx context.Context, req Request, rt, artifacts, goarch string) error {
	if err := os.Mkdir(artifacts, 0o755); err != nil {
		return &Error{Runtime: rt, Step: "prepare ARTIFACTS_DIR", Err: err}
	}
	if err := req.Sandbox.Own(artifacts); err != nil {
		return &Error{Runtime: rt, Step: "prepare ARTIFACTS_DIR", Err: err}
	}
	env := BuildEnv(req.Tools.getenv, "ARTIFACTS_DIR="+artifacts, "GOOS=linux", "GOARCH="+goarch, "COLDBENCH_ARCH="+req.Arch,
		"CGO_ENABLED=0", "NO_COLOR=1", "TERM=dumb", "CARGO_TERM_COLOR=never")
	for _, tool := range []string{req.Tools.Go, req.Tools.Cargo, req.Tools.Deno} {
		if tool != "" {
			env = withPath(env, filepath.Dir(tool))
		}
	}
	_, err := run(ctx, req, rt, "build command ("+req.Command+")", req.Dir, env, "/bin/sh", "-c", req.Command)
	return err
}

// collectProduced opens what the command produced (req.Artifact, else ARTIFACTS_DIR's contents)
// and collects it: a directory or a single bootstrap into collected, a zip as art's package.
func collectProduced(req Request, rt, artifacts, collected string, art *results.Artifact) error {
	// What the command produced is read through an os.Root: a link in it that points out of the
	// source tree or ARTIFACTS_DIR (at a secret of the runner's) is refused, never followed.
	from, name := artifacts, "."
	if req.Artifact != "" { // relative to the handler's directory, anywhere in the source tree
		from = cmp.Or(req.Root, req.Dir)
		rel, _ := filepath.Rel(from, req.Dir)
		name = path.Join(filepath.ToSlash(rel), filepath.ToSlash(req.Artifact))
	}
	root, err := os.OpenRoot(from)
	if err != nil {
		return &Error{Runtime: rt, Step: "collect the artifact", Err: err}
	}
	defer root.Close()
	st, err := root.Stat(name)
	switch {
	case err != nil && req.Artifact != "":
		return &Error{Runtime: rt, Step: "collect the artifact", Err: fmt.Errorf("artifact %q: not found inside the source tree after the build command: %w", req.Artifact, err)}
	case err != nil:
		return &Error{Runtime: rt, Step: "collect the artifact", Err: err}
	}
	switch {
	case st.IsDir():
		return collectDir(req, rt, root, name, collected)
	case strings.HasSuffix(name, ".zip"):
		return collectZip(req, rt, from, name, collected, art)
	default: // a single executable: the bootstrap
		return collectBootstrap(req, rt, from, name, collected)
	}
}

// collectDir copies the directory name of root, the package's tree, into collected.
func collectDir(req Request, rt string, root *os.Root, name, collected string) error {
	if req.Artifact == "" && isEmptyDir(root) {
		return &Error{Runtime: rt, Step: "collect the artifact", Err: fmt.Errorf(
			"the build command wrote nothing to $ARTIFACTS_DIR: have it put the bootstrap there, or set artifact to the zip, directory or bootstrap it produces (relative to %s)", req.Dir)}
	}
	sub, err := root.OpenRoot(name)
	if err != nil {
		return &Error{Runtime: rt, Step: "collect the artifact", Err: err}
	}
	defer sub.Close()
	if err := copyFSAs(req.Sandbox, sub.FS(), collected, func(name string) bool { return vcsDirs[name] }); err != nil {
		return &Error{Runtime: rt, Step: "collect the artifact", Err: err}
	}
	return nil
}

// collectZip takes the zip name under from as art's package, as it is, once it has a bootstrap
// that is extracted into collected for the arch check.
func collectZip(req Request, rt, from, name, collected string, art *results.Artifact) error {
	b, err := readIn(req.Sandbox, from, name)
	if err != nil {
		return &Error{Runtime: rt, Step: "collect the artifact", Err: err}
	}
	art.Path = filepath.Join(req.OutDir, req.Name+".zip")
	if err := os.WriteFile(art.Path, b, 0o644); err != nil {
		return err
	}
	pkg, err := lambdazip.Read(art.Path)
	if err != nil {
		return &Error{Runtime: rt, Step: "read the artifact zip", Err: err}
	}
	if err := os.MkdirAll(collected, 0o755); err != nil {
		return err
	}
	if err := checkZipBootstrap(req.Artifact, pkg, collected); err != nil {
		return &Error{Runtime: rt, Step: "check the artifact zip", Err: err}
	}
	art.ZipBytes, art.UnzippedBytes = int64(len(b)), pkg.UnzippedBytes
	return nil
}

// collectBootstrap copies the single executable name under from into collected as the bootstrap.
func collectBootstrap(req Request, rt, from, name, collected string) error {
	b, err := readIn(req.Sandbox, from, name)
	if err != nil {
		return &Error{Runtime: rt, Step: "collect the artifact", Err: err}
	}
	if err := os.MkdirAll(collected, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(collected, "bootstrap"), b, 0o755)
}

// packageCollected zips collected into art's package, once it has the executable bootstrap at
// its root that Lambda's provided runtimes run.
func packageCollected(req Request, rt, collected string, art *results.Artifact) error {
	if st, err := os.Stat(filepath.Join(collected, "bootstrap")); err != nil || st.Mode()&0o111 == 0 {
		return &Error{Runtime: rt, Step: "check the artifact", Err: fmt.Errorf(
			"the artifact has no executable bootstrap at its root: Lambda's provided runtimes run ./bootstrap")}
	}
	art.Path = filepath.Join(req.OutDir, req.Name+".zip")
	var err error
	if art.ZipBytes, art.UnzippedBytes, err = ZipDir(collected, art.Path); err != nil {
		return &Error{Runtime: rt, Step: "package zip", Err: err}
	}
	return nil
}

func isEmptyDir(root *os.Root) bool {
	entries, err := fs.ReadDir(root.FS(), ".")
	return err == nil && len(entries) == 0
}

// copyFS copies the regular files (with their modification times, so build caches stay valid),
// directories and links of fsys to dst. Links are copied as links and never followed: coldbench
// must not read, through a link in pull-request code, a file the sandbox user could not. Sockets,
// devices and fifos are not source and are left out, as are the directories skip names.
func copyFS(fsys fs.FS, dst string, skip func(name string) bool) error {
	return copyFSAs(sandbox.Identity{}, fsys, dst, skip)
}

// copyFSAs is copyFS of a tree the sandbox user wrote: a regular file it could not read itself
// (a hard link to root's) is refused.
func copyFSAs(id sandbox.Identity, fsys fs.FS, dst string, skip func(name string) bool) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		switch t := d.Type(); {
		case d.IsDir():
			if p != "." && skip(d.Name()) {
				return fs.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		case t&fs.ModeSymlink != 0:
			link, err := fs.ReadLink(fsys, p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			if err := readable(id, p, info); err != nil {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, b, info.Mode().Perm()|0o600); err != nil {
				return err
			}
			return os.Chtimes(target, info.ModTime(), info.ModTime())
		}
		return nil
	})
}

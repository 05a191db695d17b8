package build

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// packageMarkers are the files that make a directory a package's or a module's root.
var packageMarkers = []string{"go.mod", "go.work", "Cargo.toml", "package.json", "pnpm-workspace.yaml",
	"pyproject.toml", "requirements.txt", "deno.json", "deno.jsonc"}

// PackageRoot is the tree a build of the function in dir may read when no repository says so (a
// plain directory: an unpacked tarball, a CI cache): the nearest package root above dir (a go.mod,
// Cargo.toml, package.json, pyproject.toml or requirements.txt), or the workspace that holds it
// further up (go.work, a Cargo [workspace], package.json workspaces, pnpm-workspace.yaml), never
// above limit. dir itself when there is none, or when dir is not inside limit.
func PackageRoot(dir, limit string) string {
	dir, limit = filepath.Clean(dir), filepath.Clean(limit)
	if rel, err := filepath.Rel(limit, dir); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return dir
	}
	root := dir
	found := false
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if rel, err := filepath.Rel(limit, d); err != nil || strings.HasPrefix(rel, "..") {
			break
		}
		switch {
		case !found && hasMarker(d, dir):
			root, found = d, true
		case found && isWorkspace(d):
			root = d
		}
		if d == limit || d == filepath.Dir(d) {
			break
		}
	}
	return root
}

// hasMarker reports whether d has a package marker (a directory above the function's own: the
// function's package.json or go.mod is its own, not a root above it).
func hasMarker(d, fn string) bool {
	if d == fn {
		return false
	}
	for _, m := range packageMarkers {
		if fileExists(filepath.Join(d, m)) {
			return true
		}
	}
	return false
}

// isWorkspace reports whether d is a workspace's root: go.work, a Cargo.toml with [workspace],
// a package.json with workspaces, or pnpm-workspace.yaml.
func isWorkspace(d string) bool {
	if fileExists(filepath.Join(d, "go.work")) || fileExists(filepath.Join(d, "pnpm-workspace.yaml")) {
		return true
	}
	if b, err := os.ReadFile(filepath.Join(d, "Cargo.toml")); err == nil && strings.Contains(string(b), "[workspace]") {
		return true
	}
	if b, err := os.ReadFile(filepath.Join(d, "package.json")); err == nil {
		var p struct {
			Workspaces json.RawMessage `json:"workspaces"`
		}
		if json.Unmarshal(b, &p) == nil && len(p.Workspaces) > 0 && string(p.Workspaces) != "null" {
			return true
		}
	}
	return false
}

// nodeLocks are the lock files that mark where a Node.js project's dependencies are installed.
var nodeLocks = []string{"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock"}

// nodeInstallDir is where a Node.js function's dependencies are installed from: the workspace
// root that holds it (package.json workspaces, pnpm-workspace.yaml), else the nearest directory
// above it with a package.json and a lock file (where the project installs, as CDK's
// depsLockFilePath and npm ci do), else the nearest package.json, from dir up to root. Resolution
// walks up to that directory's node_modules from the function and from code it shares. "" when
// there is no package.json.
func nodeInstallDir(dir, root string) string {
	pkg, lock, ws := "", "", ""
	for d := dir; ; d = filepath.Dir(d) {
		if rel, err := filepath.Rel(root, d); err != nil || strings.HasPrefix(rel, "..") {
			break
		}
		if fileExists(filepath.Join(d, "package.json")) {
			if pkg == "" {
				pkg = d
			}
			for _, l := range nodeLocks {
				if lock == "" && fileExists(filepath.Join(d, l)) {
					lock = d
				}
			}
		}
		if ws == "" && d != dir && isWorkspace(d) {
			ws = d
		}
		if d == root || d == filepath.Dir(d) {
			break
		}
	}
	return cmp.Or(ws, lock, pkg)
}

// wholeHandler is a runtime that can tell a directory that is one deployable handler as it
// stands (a Go main package, a Cargo package with a binary...), from one that merely holds code.
type wholeHandler interface {
	isHandler(dir string) bool
}

// WholeHandler names the runtime of dir when dir is, as it stands, one handler (a repository
// whose root is its function): what a run with no handler, template or references given measures.
func WholeHandler(dir string) (string, bool) {
	for _, r := range all {
		if w, ok := r.(wholeHandler); ok && w.isHandler(dir) {
			return r.Name(), true
		}
	}
	return "", false
}

func (Go) isHandler(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && !strings.HasSuffix(f, "_test.go") && goPackageRE.Match(b) {
			return fileExists(filepath.Join(dir, "go.mod")) || isGoMain(dir)
		}
	}
	return false
}

func (Rust) isHandler(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "Cargo.toml"))
	return err == nil && strings.Contains(string(b), "[package]") &&
		(fileExists(filepath.Join(dir, "src", "main.rs")) || strings.Contains(string(b), "[[bin]]"))
}

func (Node) isHandler(dir string) bool {
	if !fileExists(filepath.Join(dir, "package.json")) {
		return false
	}
	_, _, err := handlerModule(dir, "", Node{}.DefaultHandler(), nodeModuleExts, false)
	return err == nil
}

func (Python) isHandler(dir string) bool {
	return fileExists(filepath.Join(dir, "lambda_function.py"))
}

// nearestAbove is the nearest directory above dir, up to root, that has a file called name;
// "" when none has.
func nearestAbove(dir, root, name string) string {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if rel, err := filepath.Rel(root, d); err != nil || strings.HasPrefix(rel, "..") {
			return ""
		}
		if fileExists(filepath.Join(d, name)) {
			return d
		}
		if d == root || d == filepath.Dir(d) {
			return ""
		}
	}
}

package build

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Input is a file or directory a function's deployed code is made of, relative to the build's
// Root: what `function: changed` compares the diff with.
type Input struct {
	Path string
	// Tree: the directory and everything below it. Otherwise a file, or with Package a
	// directory's own files (a Go package: its subdirectories are other packages).
	Tree, Package bool
	// Why says what makes it an input ("a package it imports (go list -deps)").
	Why string
}

// Matches reports whether the changed file (relative to the Root) is in.
func (in Input) Matches(file string) bool {
	switch {
	case in.Path == "." && in.Tree:
		return true
	case in.Tree:
		return file == in.Path || strings.HasPrefix(file, in.Path+"/")
	case in.Package:
		return filepath.Dir(file) == in.Path
	}
	return file == in.Path
}

// inputLister is a runtime whose toolchain can say which files of the repository a build reads
// beyond the function's directory.
type inputLister interface {
	inputs(ctx context.Context, req Request) ([]Input, error)
}

// rootManifests are the files of a package root above the function that its build reads: the
// module, workspace and lock files of each ecosystem.
var rootManifests = []string{"go.mod", "go.sum", "go.work", "go.work.sum", "Cargo.toml", "Cargo.lock",
	"package.json", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", "yarn.lock",
	"bun.lock", "bun.lockb", "requirements.txt", "pyproject.toml", "poetry.lock", "uv.lock", "deno.json", "deno.lock"}

// Inputs lists what req's function is built from beyond req.Dir itself: the package roots'
// manifests and lock files between it and req.Root, and what its runtime's toolchain says the
// build reads (the Go packages of the module the main package imports, the modules esbuild
// bundles, the path crates), run as a build runs: as req's sandbox user, on a copy of the source.
func Inputs(ctx context.Context, req Request) ([]Input, error) {
	root := req.Root
	if root == "" {
		root = req.Dir
	}
	var out []Input
	for dir := filepath.Dir(req.Dir); ; dir = filepath.Dir(dir) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			break
		}
		for _, name := range rootManifests {
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
				out = append(out, Input{Path: filepath.Join(rel, name), Why: "a package root's " + name + " above it"})
			}
		}
		if rel == "." {
			break
		}
	}
	r, rt, err := runtimeOf(req)
	if err != nil {
		return out, nil // nothing to ask: its directory and the roots are what it is built from
	}
	lister, ok := r.(inputLister)
	if !ok {
		return out, nil
	}
	req.Runtime = rt
	req.Tools = req.Tools.Resolve()
	work, err := os.MkdirTemp("", "coldbench-inputs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return nil, err
	}
	stage := filepath.Join(work, "stage")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return nil, err
	}
	req.Work, req.Root = work, root
	sreq, unlock, err := sandboxed(req, stage)
	if err != nil {
		return nil, fmt.Errorf("prepare the sandbox: %w", err)
	}
	defer unlock()
	more, err := lister.inputs(ctx, sreq)
	if err != nil {
		return nil, err
	}
	// The lister's paths are in the sandbox's copy of the root: relative to it.
	for _, in := range more {
		if filepath.IsAbs(in.Path) {
			rel, err := filepath.Rel(sreq.Root, in.Path)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue // outside the repository: a module cache, the standard library
			}
			in.Path = rel
		}
		out = append(out, in)
	}
	return out, nil
}

// runtimeOf is the runtime req builds with: its setting, or the one detected in req.Dir.
func runtimeOf(req Request) (Runtime, string, error) {
	rt := req.Runtime
	if r, ok := forLambdaRuntime(rt); ok {
		rt = r.Name()
	}
	if r, ok := For(rt); ok {
		rt = r.Name()
	}
	if rt == "" || rt == "auto" {
		var err error
		if rt, err = Detect(req.Dir); err != nil {
			return nil, "", err
		}
	}
	r, ok := For(rt)
	if !ok {
		return nil, "", fmt.Errorf("runtime %q: valid values are auto, %s", rt, strings.Join(Names(), ", "))
	}
	return r, rt, nil
}

// inputs are the directories of the main module's packages that the main package imports,
// transitively (go list -deps): a change in any of them changes the binary.
func (Go) inputs(ctx context.Context, req Request) ([]Input, error) {
	if req.Tools.Go == "" {
		return nil, missing(RuntimeGo, "go", "install Go")
	}
	goarch, err := goArch.of(req.Arch)
	if err != nil {
		return nil, err
	}
	env := BuildEnv(req.Tools.getenv, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	out, err := run(ctx, req, RuntimeGo, "go list -deps", req.Dir, env, req.Tools.Go,
		"list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", ".")
	if err != nil {
		return nil, err
	}
	var ins []Input
	for _, line := range strings.Split(out, "\n") {
		dir := strings.TrimSpace(line)
		if !filepath.IsAbs(dir) || dir == req.Dir {
			continue // go's own words (downloading...), or the main package: its CodeUri
		}
		rel, _ := filepath.Rel(req.Root, dir)
		ins = append(ins, Input{Path: dir, Package: true, Why: "package " + rel + " of the module, which it imports (go list -deps)"})
	}
	return ins, nil
}

// inputs are the crate's path dependencies, transitively (cargo metadata): each one's tree.
func (Rust) inputs(ctx context.Context, req Request) ([]Input, error) {
	cargo := req.Tools.Cargo
	if cargo == "" {
		cargo = req.Tools.CrossCargo
	}
	if cargo == "" {
		return nil, missing(RuntimeRust, "cargo", "install Rust")
	}
	var ins []Input
	seen := map[string]bool{filepath.Clean(req.Dir): true}
	queue := []string{req.Dir}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		out, err := run(ctx, req, RuntimeRust, "cargo metadata", dir, BuildEnv(req.Tools.getenv, "CARGO_TERM_COLOR=never"), cargo,
			"metadata", "--no-deps", "--format-version", "1", "--manifest-path", filepath.Join(dir, "Cargo.toml"))
		if err != nil {
			return nil, err
		}
		var meta struct {
			Packages []struct {
				Name         string `json:"name"`
				ManifestPath string `json:"manifest_path"`
				Dependencies []struct {
					Name string `json:"name"`
					Path string `json:"path"`
					Kind string `json:"kind"`
				} `json:"dependencies"`
			} `json:"packages"`
		}
		start := strings.Index(out, "{")
		if start < 0 || json.Unmarshal([]byte(out[start:]), &meta) != nil {
			return nil, &Error{Runtime: RuntimeRust, Step: "cargo metadata", Err: fmt.Errorf("no metadata JSON in its output"), Output: out}
		}
		for _, p := range meta.Packages {
			if filepath.Dir(p.ManifestPath) != dir {
				continue
			}
			for _, d := range p.Dependencies {
				if d.Path == "" || d.Kind == "dev" || seen[filepath.Clean(d.Path)] {
					continue
				}
				seen[filepath.Clean(d.Path)] = true
				queue = append(queue, filepath.Clean(d.Path))
				rel, _ := filepath.Rel(req.Root, d.Path)
				ins = append(ins, Input{Path: filepath.Clean(d.Path), Tree: true, Why: "crate " + d.Name + " at " + rel + ", a path dependency (cargo metadata)"})
			}
		}
	}
	return ins, nil
}

// inputs are the function's own modules that esbuild bundles from its handler module (its
// metafile's inputs, npm packages left out: package.json and the lock file stand for them).
func (Node) inputs(ctx context.Context, req Request) ([]Input, error) {
	if req.Tools.Esbuild == "" {
		return nil, missing(RuntimeNode, "esbuild", "run scripts/setup.sh")
	}
	module, _, err := handlerModule(req.Dir, req.Handler, Node{}.DefaultHandler(), nodeModuleExts, false)
	if err != nil {
		return nil, err
	}
	meta := filepath.Join(req.Work, "inputs-meta.json")
	if err := touchFor(req, meta); err != nil {
		return nil, err
	}
	rel, _ := filepath.Rel(req.Dir, module)
	if _, err := run(ctx, req, RuntimeNode, "esbuild --metafile", req.Dir, BuildEnv(req.Tools.getenv), req.Tools.Esbuild,
		rel, "--bundle", "--platform=node", "--packages=external", "--log-level=warning",
		"--metafile="+meta, "--outfile="+filepath.Join(req.Work, "stage", "inputs.js")); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(meta)
	if err != nil {
		return nil, err
	}
	var m struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("esbuild's metafile: %w", err)
	}
	var ins []Input
	for _, name := range slices.Sorted(maps.Keys(m.Inputs)) {
		p := filepath.Join(req.Dir, name) // esbuild names inputs relative to its working directory
		if strings.Contains(name, "node_modules/") || strings.HasPrefix(p, req.Dir+"/") {
			continue // a package, or under the CodeUri already
		}
		r, _ := filepath.Rel(req.Root, p)
		ins = append(ins, Input{Path: p, Why: "module " + r + ", which esbuild bundles (metafile)"})
	}
	return ins, nil
}

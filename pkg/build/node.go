package build

import (
	"cmp"
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"os"
	"path/filepath"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// buildNode packages a Node.js function for Lambda's nodejs runtime. JavaScript is packaged as it
// is with its production dependencies, installed by the package manager its lock file names
// (npm ci --omit=dev --ignore-scripts for the target arch, pnpm or Yarn classic: nodeInstall);
// TypeScript is bundled with esbuild into one minified file as SAM's esbuild build method does it
// (CommonJS, no source map), after its dependencies are installed for the bundler to read.
func buildNode(ctx context.Context, req Request, stage string) (art *results.Artifact, err error) {
	lambdaRuntime := LambdaNodejs
	if strings.HasPrefix(req.LambdaRuntime, "nodejs") {
		lambdaRuntime = req.LambdaRuntime
	}
	target := "node" + strings.TrimSuffix(strings.TrimPrefix(lambdaRuntime, "nodejs"), ".x")
	rtDir, err := runtimeDir(req.Tools, RuntimeNode, lambdaRuntime)
	if err != nil {
		return nil, err
	}
	module, err := handlerFile(req, RuntimeNode, Node{}.DefaultHandler(), nodeModuleExts, false)
	if err != nil {
		return nil, err
	}
	pkg, err := readPackageJSON(req.Dir)
	if err != nil {
		return nil, &Error{Runtime: RuntimeNode, Step: "read package.json", Err: err}
	}
	deps := pkg != nil && len(pkg.Dependencies) > 0
	tool := map[string]string{"node": req.Tools.version(ctx, filepath.Join(rtDir, "node", "bin", "node"), "--version")}
	var notes []string
	ext := filepath.Ext(module)
	if outExt, format, ok := esbuildOutput(ext); ok {
		if req.Tools.Esbuild == "" {
			return nil, missing(RuntimeNode, "esbuild", "run scripts/setup.sh (npm @esbuild/linux-x64), or put esbuild on PATH")
		}
		if dir := nodeInstallDir(req.Dir, cmp.Or(req.Root, req.Dir)); dir != "" && dir != req.Dir {
			// Its package.json or lock file is above it (a monorepo's root, a workspace's): the
			// dependencies the bundler resolves are installed there, as the project's own install
			// does; a project root's devDependencies (its tooling) are not the bundle's.
			manager, err := nodeInstall(ctx, req, RuntimeNode, dir, true, &notes)
			if err != nil {
				return nil, err
			}
			recordManager(ctx, req.Tools, tool, manager)
			rel, _ := filepath.Rel(cmp.Or(req.Root, req.Dir), dir)
			notes = append(notes, "dependencies installed from the package.json at "+rel+" ("+manager+", production dependencies), above the function, for esbuild to bundle")
		} else if deps || pkg != nil && len(pkg.DevDependencies) > 0 {
			manager, err := nodeInstall(ctx, req, RuntimeNode, req.Dir, false, &notes)
			if err != nil {
				return nil, err
			}
			recordManager(ctx, req.Tools, tool, manager)
		}
		rel, _ := filepath.Rel(req.Dir, module)
		out := strings.TrimSuffix(rel, ext) + outExt
		meta := stage + "-meta.json" // beside the stage: not part of the package
		defer os.Remove(meta)
		if err := touchFor(req, meta); err != nil {
			return nil, err
		}
		if _, err := run(ctx, req, RuntimeNode, "esbuild", req.Dir, BuildEnv(req.Tools.getenv), req.Tools.Esbuild,
			rel, "--bundle", "--platform=node", "--target="+target, "--format="+format, "--minify",
			"--log-level=warning", "--metafile="+meta, "--outfile="+filepath.Join(stage, out)); err != nil {
			return nil, err
		}
		defer func() {
			if art != nil {
				art.Modules = bundleModules(meta)
			}
		}()
		tool["esbuild"] = req.Tools.version(ctx, req.Tools.Esbuild, "--version")
		return managedArtifact(fmt.Sprintf("esbuild %s --bundle --minify --format=%s --target=%s (SAM's esbuild method)", rel, format, target),
			lambdaRuntime, rtDir, tool, notes), nil
	}
	if err := copySource(req.Dir, stage, "test", "tests", "__tests__", "coverage"); err != nil {
		return nil, &Error{Runtime: RuntimeNode, Step: "copy the function's code", Err: err}
	}
	method := "the function's JavaScript as it is"
	if deps {
		if ws := pnpmWorkspaceMember(req.Dir, cmp.Or(req.Root, req.Dir)); ws != "" {
			// A pnpm workspace's member: its dependencies from the workspace's lock file.
			if err := pnpmDeploy(ctx, req, RuntimeNode, ws, req.Dir, stage); err != nil {
				return nil, err
			}
			recordManager(ctx, req.Tools, tool, managerPnpm)
			method += " + production dependencies (pnpm deploy --prod --frozen-lockfile --ignore-scripts, node-linker=hoisted)"
		} else {
			if lock := lockAbove(req.Dir, cmp.Or(req.Root, req.Dir)); lock != "" {
				notes = append(notes, lock+" (above the function) is not read: its JavaScript is packaged with the dependencies of its own package.json, resolved afresh")
			}
			manager, err := nodeInstall(ctx, req, RuntimeNode, stage, true, &notes)
			if err != nil {
				return nil, err
			}
			recordManager(ctx, req.Tools, tool, manager)
			method += " + production dependencies (" + installMethod(manager, stage) + ")"
		}
	}
	return managedArtifact(method, lambdaRuntime, rtDir, tool, notes), nil
}

// esbuildOutput is what esbuild writes a TypeScript module with extension ext as: the output's
// extension and its module format (an .mts module stays ES; .ts and .cts become CommonJS, as
// SAM's esbuild method writes them). ok is false for an extension that is not TypeScript's.
func esbuildOutput(ext string) (outExt, format string, ok bool) {
	switch ext {
	case ".ts", ".cts":
		return ".js", "cjs", true
	case ".mts":
		return ".mjs", "esm", true
	}
	return "", "", false
}

// RuntimeNode is Node.js's name ("node" is an alias).
const RuntimeNode = "nodejs"

// Node is a function for Lambda's Node.js runtime: its code, TypeScript bundled with esbuild.
type Node struct{}

// Name is "nodejs", Lambda's.
func (Node) Name() string { return RuntimeNode }

// Aliases are "node", the reference's and the command's name.
func (Node) Aliases() []string { return []string{"node"} }

// Detect finds a package.json, or else scripts (*.ts, *.js) that no other runtime claims.
func (Node) Detect(dir string) Detection {
	if has(dir, "package.json") {
		return Detection{MatchProject, "a Node.js package (package.json)"}
	}
	if len(glob(dir, scriptPatterns...)) > 0 {
		return Detection{MatchExtension, "JavaScript or TypeScript"}
	}
	return Detection{}
}

// Tools are the managed runtime of each version, npm, pnpm, Yarn and esbuild.
func (n Node) Tools() []Tool {
	var out []Tool
	for _, v := range n.LambdaRuntimes() {
		out = append(out, managedRuntimeTool(v))
	}
	return append(out, npmTool, pnpmTool, yarnTool,
		Tool{Name: "esbuild", How: "scripts/setup.sh (npm install esbuild)", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.Esbuild },
			find: func(t Tools, _ string) []string {
				return []string{filepath.Join(t.ToolsDir, "bin", "esbuild"), "esbuild"}
			}})
}

// npmTool installs a package's dependencies.
var npmTool = Tool{Name: "npm", How: "install Node.js and npm (apt-get install npm)", VersionArgs: []string{"--version"},
	field: func(t *Tools) *string { return &t.Npm }, find: func(Tools, string) []string { return []string{"npm"} }}

// Build installs the dependencies and bundles TypeScript with esbuild.
func (Node) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return buildNode(ctx, req, stage)
}

// ToolchainKey is the managed runtime's version and esbuild's.
func (Node) ToolchainKey(ctx context.Context, req Request, t Tools) string {
	v := managedVersion(t, LambdaNodejs)
	if v == "" {
		return ""
	}
	return v + "; " + t.version(ctx, t.Esbuild, "--version")
}

// DefaultHandler is index.handler.
func (Node) DefaultHandler() string { return "index.handler" }

// LambdaRuntimes are the Node.js versions coldbench emulates (LambdaNodejs is the default).
func (Node) LambdaRuntimes() []string { return []string{"nodejs22.x", LambdaNodejs} }

// Tracer is coldbench's module hook.
func (Node) Tracer() (inittrace.Tracer, bool) { return inittrace.Node(), true }

// Reference is handlers/node, its functions index.work and index.hello.
func (Node) Reference() Reference { return Reference{Dir: "node", Module: "index"} }

package build

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/results"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// denoEntries are the entry points looked for when deno.json names none.
var denoEntries = []string{"main.ts", "mod.ts", "index.ts", "handler.ts", "main.js"}

// denoBootstrap starts the bundled handler with the packaged deno binary. Lambda's only writable
// place is /tmp, so DENO_DIR goes there; nothing is fetched at run time (--cached-only).
const denoBootstrap = `#!/bin/sh
# coldbench deno run package: deno binary + bundled handler.
here=$(dirname "$0")
export DENO_DIR="${TMPDIR:-/tmp}/deno"
export DENO_NO_UPDATE_CHECK=1
exec "$here/bin/deno" run --no-check --cached-only --no-prompt --allow-net --allow-env --allow-read --allow-write="${TMPDIR:-/tmp}" "$here/main.js"
`

// buildDeno packages a TypeScript handler. With a denort binary (DENORT_BIN) it is a single
// executable from deno compile; otherwise a "run package": the handler bundled to one JavaScript
// file, the deno binary for the target arch, and a shell bootstrap.
func buildDeno(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	if req.Tools.Deno == "" {
		return nil, missing(RuntimeDeno, "deno", "run scripts/setup.sh, or npm install deno and put its binary on PATH")
	}
	entry, wrapped, err := denoMain(req, stage)
	if err != nil {
		return nil, err
	}
	if wrapped != "" {
		defer os.Remove(entry) // the loop is bundled; the wrapper file itself is not shipped
	}
	env := BuildEnv(req.Tools.getenv, "DENO_NO_UPDATE_CHECK=1")
	if req.Tools.getenv("DENO_CERT") == "" && req.Tools.getenv("SSL_CERT_FILE") != "" {
		// deno bundle fetches esbuild from npm; behind a TLS-inspecting proxy Deno's built-in
		// roots fail where the system's CA file (which the rest of the toolchain uses) works.
		env = append(env, "DENO_CERT="+req.Tools.getenv("SSL_CERT_FILE"))
	}
	tool := map[string]string{"deno": req.Tools.version(ctx, req.Tools.Deno, "--version")}

	if req.Tools.Denort != "" {
		target := "x86_64-unknown-linux-gnu"
		if req.Arch == ArchARM64 {
			target = "aarch64-unknown-linux-gnu"
		}
		if _, err := run(ctx, req, RuntimeDeno, "deno compile", req.Dir, append(env, "DENORT_BIN="+req.Tools.Denort), req.Tools.Deno,
			"compile", "--no-check", "--target", target, "--allow-net", "--allow-env", "--allow-read",
			"--output", filepath.Join(stage, "bootstrap"), entry); err != nil {
			return nil, err
		}
		return &results.Artifact{Method: "deno compile --target " + target + wrapped, Toolchain: tool}, nil
	}

	denoBin := req.Tools.Deno
	if req.Arch != host.Arch() {
		if req.Arch != ArchARM64 || req.Tools.DenoARM64 == "" {
			return nil, missing(RuntimeDeno, "a deno binary for "+req.Arch,
				"run scripts/setup.sh (npm pack @deno/linux-arm64-glibc), or set COLDBENCH_DENO_ARM64")
		}
		denoBin = req.Tools.DenoARM64
	}
	if got := ELFArch(denoBin); got != req.Arch {
		return nil, &Error{Runtime: RuntimeDeno, Step: "check deno binary", Err: fmt.Errorf("%s is %q, want %s", denoBin, got, req.Arch)}
	}
	// An external source map leaves main.js as it is; it says which module each byte came from
	// (deno bundle has no metafile) and is not shipped.
	bundle := filepath.Join(stage, "main.js")
	if _, err := run(ctx, req, RuntimeDeno, "deno bundle", req.Dir, env, req.Tools.Deno,
		"bundle", "--platform", "deno", "--sourcemap", "external", "--output", bundle, entry); err != nil {
		return nil, err
	}
	modules := sourceMapModules(req.Sandbox, bundle, bundle+".map", req.Dir)
	if err := os.Remove(bundle + ".map"); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if wrapped != "" {
		dropModule(modules, filepath.Base(entry))
	}
	bin, err := os.ReadFile(denoBin)
	if err == nil {
		err = writeIn(stage, "bin/deno", bin, 0o755)
	}
	if err != nil {
		return nil, &Error{Runtime: RuntimeDeno, Step: "copy deno binary", Err: err}
	}
	if err := writeIn(stage, "bootstrap", []byte(denoBootstrap), 0o755); err != nil {
		return nil, err
	}
	return &results.Artifact{
		Method:    "deno run package (deno bundle + deno binary + shell bootstrap)" + wrapped,
		Toolchain: tool,
		Notes:     []string{"packaged for deno run: deno compile needs a denort binary (set DENORT_BIN to use it)"},
		Modules:   modules,
	}, nil
}

//go:embed jsruntime/runtime.ts
var jsRuntime string

// jsRuntimeFor is coldbench's Runtime API loop for Deno and Bun around module, whose export
// def serves when _HANDLER names none.
func jsRuntimeFor(module, def string) []byte {
	m, _ := json.Marshal(module)
	d, _ := json.Marshal(def)
	return []byte(strings.NewReplacer("import(HANDLER_MODULE)", "import("+string(m)+")", "HANDLER_DEFAULT;", string(d)+";").Replace(jsRuntime))
}

// denoModuleExts are the extensions tried for the module a "file.export" handler names, in the
// order a Deno layer tries them (its default is .ts).
var denoModuleExts = []string{".ts", ".js", ".mjs", ".mts", ".tsx", ".jsx"}

// denoMain returns the module to bundle. A handler setting "file.export" (deno-lambda's style) or
// an entry that exports a handler without running the Runtime API loop itself is wrapped in
// coldbench's Runtime API loop (wrapped says so for the artifact's method); a self-looping entry
// (main.ts that polls /next) is bundled as it is.
func denoMain(req Request, stage string) (entry, wrapped string, err error) {
	var module, export string
	if i := strings.LastIndex(req.Handler, "."); i > 0 && i < len(req.Handler)-1 {
		export = req.Handler[i+1:]
		if module = denoModule(req.Dir, req.Handler); module == "" {
			return "", "", &Error{Runtime: RuntimeDeno, Step: "find the handler's module", Err: fmt.Errorf(
				"handler %q: no module %s with one of the extensions %s in the handler directory", req.Handler, req.Handler[:i], strings.Join(denoModuleExts, ", "))}
		}
	} else {
		e, err := denoEntry(req.Dir)
		if err != nil {
			return "", "", err
		}
		src, _ := os.ReadFile(filepath.Join(req.Dir, e))
		if bytes.Contains(src, []byte("AWS_LAMBDA_RUNTIME_API")) || !denoExportsHandler.Match(src) {
			return e, "", nil // it runs the loop itself (or is a plain script)
		}
		module, export = filepath.Join(req.Dir, e), "handler"
	}
	entry = filepath.Join(stage, ".coldbench-runtime.ts")
	if err := writeIn(stage, filepath.Base(entry), jsRuntimeFor("file://"+module, export), 0o644); err != nil {
		return "", "", err
	}
	rel, _ := filepath.Rel(req.Dir, module)
	return entry, fmt.Sprintf(", %s's %s run by coldbench's Runtime API loop", rel, export), nil
}

// denoModule is the module file a handler setting "file.export" names in dir, or "".
func denoModule(dir, handler string) string {
	module, _, err := handlerModule(dir, handler, "", denoModuleExts, false)
	if err != nil {
		return ""
	}
	return module
}

// jsNamedExport matches a JavaScript or TypeScript module with a named export: a module of
// handlers, where a program (Bun.serve(...), or Bun's `export default { fetch }` server) has none.
var jsNamedExport = regexp.MustCompile(`(?m)^\s*export\s+(?:async\s+function|function|const|let|var|class|\{)`)

// denoExportsHandler matches a module that exports a function named handler.
var denoExportsHandler = regexp.MustCompile(`(?m)^\s*export\s+(?:(?:async\s+)?function\s*\*?\s*handler\b|(?:const|let|var)\s+handler\b|\{[^}]*\bhandler\b[^}]*\})`)

// denoEntry is deno.json's coldbench.entry, else the first of denoEntries present.
func denoEntry(dir string) (string, error) {
	for _, name := range []string{"deno.json", "deno.jsonc"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var cfg struct {
			Coldbench struct {
				Entry string `json:"entry"`
			} `json:"coldbench"`
		}
		if json.Unmarshal(b, &cfg) == nil && cfg.Coldbench.Entry != "" {
			if !fileExists(filepath.Join(dir, cfg.Coldbench.Entry)) {
				return "", &Error{Runtime: RuntimeDeno, Step: "find entry point", Err: fmt.Errorf("%s names entry %q, which does not exist", name, cfg.Coldbench.Entry)}
			}
			return cfg.Coldbench.Entry, nil
		}
	}
	for _, e := range denoEntries {
		if fileExists(filepath.Join(dir, e)) {
			return e, nil
		}
	}
	return "", &Error{Runtime: RuntimeDeno, Step: "find entry point",
		Err: fmt.Errorf("no entry point: set \"coldbench\": {\"entry\": \"...\"} in deno.json, or add one of %s", strings.Join(denoEntries, ", "))}
}

// RuntimeDeno is Deno's name.
const RuntimeDeno = "deno"

// Deno is a Deno module: a single executable from deno compile, or a bundle with the deno binary.
type Deno struct{}

// Name is "deno".
func (Deno) Name() string { return RuntimeDeno }

// Aliases are none.
func (Deno) Aliases() []string { return nil }

// Detect finds a deno.json, or scripts that use Deno's API or its import specifiers.
func (Deno) Detect(dir string) Detection {
	if has(dir, "deno.json", "deno.jsonc") {
		return Detection{MatchOwnFile, "a Deno project (deno.json)"}
	}
	if scripts := glob(dir, scriptPatterns...); len(scripts) > 0 && usesDeno(scripts) {
		return Detection{MatchContent, "Deno code (Deno.* or jsr:, npm:, https: imports)"}
	}
	return Detection{}
}

// Tools are deno, the arm64 deno that a run package ships, and optionally denort.
func (Deno) Tools() []Tool {
	return []Tool{
		{Name: "deno", How: "scripts/setup.sh (npm install deno)", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.Deno },
			find: func(t Tools, _ string) []string {
				return []string{t.getenv("COLDBENCH_DENO"), "deno", filepath.Join(t.ToolsDir, "bin", "deno")}
			}},
		{Name: "deno arm64", How: "scripts/setup.sh (npm pack @deno/linux-arm64-glibc)", notRun: true,
			field: func(t *Tools) *string { return &t.DenoARM64 },
			find: func(t Tools, _ string) []string {
				return []string{t.getenv("COLDBENCH_DENO_ARM64"), filepath.Join(t.ToolsDir, "deno-arm64", "deno")}
			}},
		{Name: "denort", How: "optional: set DENORT_BIN for deno compile",
			field: func(t *Tools) *string { return &t.Denort }, find: func(t Tools, _ string) []string { return []string{t.getenv("DENORT_BIN")} }},
	}
}

// Build runs deno compile, or deno bundle into a run package.
func (Deno) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return buildDeno(ctx, req, stage)
}

// ToolchainKey is deno --version.
func (Deno) ToolchainKey(ctx context.Context, req Request, t Tools) string {
	return t.version(ctx, t.Deno, "--version")
}

// DefaultHandler is none: the bootstrap is the handler (a "file.export" setting is a module).
func (Deno) DefaultHandler() string { return "" }

// LambdaRuntimes are none: Deno runs on provided.al2023.
func (Deno) LambdaRuntimes() []string { return nil }

// Tracer is none.
func (Deno) Tracer() (inittrace.Tracer, bool) { return inittrace.Tracer{}, false }

// Reference is handlers/deno.
func (Deno) Reference() Reference { return Reference{Dir: "deno"} }

// denoMarkers are what only Deno code says: its global, and its import specifiers.
var denoMarkers = regexp.MustCompile(`\bDeno\.|from\s+["'](?:jsr:|npm:|https?://)`)

// usesDeno reports whether any of the scripts uses Deno's API or Deno-only specifiers.
func usesDeno(scripts []string) bool {
	for _, f := range scripts {
		if b, err := os.ReadFile(f); err == nil && denoMarkers.Match(b) {
			return true
		}
	}
	return false
}

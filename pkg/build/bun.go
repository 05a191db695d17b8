package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"os"
	"path/filepath"

	"github.com/coldbench/coldbench/pkg/results"
)

// buildBun compiles a Bun function into one executable with `bun build --compile` for the target
// arch, its module wrapped in coldbench's Runtime API loop: a provided.al2023 bootstrap, as Bun
// functions ship. An import that throws is Runtime.ImportModuleError, a missing export
// Runtime.HandlerNotFound, as Lambda's managed runtimes report them.
func buildBun(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	if req.Tools.Bun == "" {
		return nil, missing(RuntimeBun, "bun", "run scripts/setup.sh (npm @oven/bun-linux-x64), or put bun on PATH")
	}
	module, _, err := handlerModule(req.Dir, req.Handler, Bun{}.DefaultHandler(), bunModuleExts, false)
	if err != nil {
		return nil, &Error{Runtime: RuntimeBun, Step: "find the handler's module", Err: err}
	}
	base := req.Tools.BunFor(req.Arch)
	if base == "" {
		return nil, missing(RuntimeBun, "a bun executable for "+req.Arch, "run scripts/setup.sh (npm @oven/bun-linux-aarch64 and -x64)")
	}
	var notes []string
	if pkg, err := readPackageJSON(req.Dir); err != nil {
		return nil, &Error{Runtime: RuntimeBun, Step: "read package.json", Err: err}
	} else if pkg != nil && len(pkg.Dependencies) > 0 {
		args := []string{"install", "--production", "--ignore-scripts", "--no-progress"}
		if fileExists(filepath.Join(req.Dir, "bun.lock")) || fileExists(filepath.Join(req.Dir, "bun.lockb")) {
			args = append(args, "--frozen-lockfile")
		} else {
			notes = append(notes, "no bun.lock: dependencies resolved afresh by bun install")
		}
		if _, err := run(ctx, req, RuntimeBun, "bun install", req.Dir, BuildEnv(req.Tools.getenv), req.Tools.Bun, args...); err != nil {
			return nil, err
		}
	}
	entry, how := module, ""
	if src, _ := os.ReadFile(module); !jsNamedExport.Match(src) {
		// A script that is its own program (a web server behind the Web Adapter, Bun.serve, or
		// its own Runtime API loop): compiled as it is. A module with named exports is one to be
		// imported: wrapped, so a handler it lacks is Runtime.HandlerNotFound, not a program that
		// exits at once (the reference exports work and hello, not handler).
		rel, _ := filepath.Rel(req.Dir, module)
		how = rel + " as it is: it has no named exports"
	} else {
		entry = filepath.Join(filepath.Dir(stage), filepath.Base(stage)+"-runtime.ts")
		if err := os.WriteFile(entry, jsRuntimeFor(module, "handler"), 0o644); err != nil {
			return nil, err
		}
		defer os.Remove(entry)
		if err := req.Sandbox.Own(entry); err != nil {
			return nil, err
		}
	}
	target, err := bunTarget.of(req.Arch)
	if err != nil {
		return nil, &Error{Runtime: RuntimeBun, Step: "bun build --compile", Err: err}
	}
	meta := stage + "-meta.json" // beside the stage: not part of the package
	defer os.Remove(meta)
	if err := touchFor(req, meta); err != nil {
		return nil, err
	}
	if _, err := run(ctx, req, RuntimeBun, "bun build --compile", req.Dir, BuildEnv(req.Tools.getenv), req.Tools.Bun,
		"build", "--compile", "--minify", "--target="+target, "--compile-executable-path="+base, "--metafile="+meta,
		"--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--outfile="+filepath.Join(stage, "bootstrap"), entry); err != nil {
		return nil, err
	}
	modules := bundleModules(meta)
	if how == "" {
		dropModule(modules, filepath.Base(entry))
		rel, _ := filepath.Rel(req.Dir, module)
		how = rel + "'s exports run by coldbench's Runtime API loop"
	}
	return &results.Artifact{
		Method:    fmt.Sprintf("bun build --compile --minify --target=%s (%s)", target, how),
		Toolchain: map[string]string{"bun": req.Tools.version(ctx, req.Tools.Bun, "--version")},
		Notes:     notes,
		Modules:   modules,
	}, nil
}

// RuntimeBun is Bun's name.
const RuntimeBun = "bun"

// Bun is a Bun function compiled with bun build --compile into a bootstrap (provided.al2023).
type Bun struct{}

// Name is "bun".
func (Bun) Name() string { return RuntimeBun }

// Aliases are none.
func (Bun) Aliases() []string { return nil }

// Detect finds a bunfig.toml or a Bun lockfile.
func (Bun) Detect(dir string) Detection {
	if has(dir, "bunfig.toml", "bun.lock", "bun.lockb") {
		return Detection{MatchOwnFile, "a Bun project (bunfig.toml, bun.lock)"}
	}
	return Detection{}
}

// Tools are bun, and each arch's bun, the base of the executables it compiles.
func (Bun) Tools() []Tool {
	return []Tool{
		{Name: "bun", How: "run scripts/setup.sh (npm @oven/bun-linux-x64), or put bun on PATH", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.Bun },
			find:  func(t Tools, _ string) []string { return []string{filepath.Join(t.ToolsDir, "bin", "bun"), "bun"} }},
		{Name: "bun x64", How: "run scripts/setup.sh (npm @oven/bun-linux-x64)",
			field: func(t *Tools) *string { return &t.BunX64 },
			find: func(t Tools, _ string) []string {
				return []string{filepath.Join(t.ToolsDir, "bun", "x64", "bin", "bun")}
			}},
		{Name: "bun arm64", How: "run scripts/setup.sh (npm @oven/bun-linux-aarch64)",
			field: func(t *Tools) *string { return &t.BunARM64 },
			find: func(t Tools, _ string) []string {
				return []string{filepath.Join(t.ToolsDir, "bun", "aarch64", "bin", "bun")}
			}},
	}
}

// Build runs bun build --compile for the target arch.
func (Bun) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return buildBun(ctx, req, stage)
}

// ToolchainKey is bun --version and coldbench's Runtime API loop, compiled into the executable.
func (Bun) ToolchainKey(ctx context.Context, req Request, t Tools) string {
	sum := sha256.Sum256([]byte(jsRuntime))
	// "exports wrapped": artifacts from before a module exporting other names than handler was
	// wrapped (such a build exits before its first /next) are not taken from a cache.
	return t.version(ctx, t.Bun, "--version") + "; runtime loop " + hex.EncodeToString(sum[:6]) + "; exports wrapped"
}

// DefaultHandler is index.handler.
func (Bun) DefaultHandler() string { return "index.handler" }

// LambdaRuntimes are none: Bun runs on provided.al2023.
func (Bun) LambdaRuntimes() []string { return nil }

// Tracer is none.
func (Bun) Tracer() (inittrace.Tracer, bool) { return inittrace.Tracer{}, false }

// Reference is handlers/bun, its functions index.work and index.hello.
func (Bun) Reference() Reference { return Reference{Dir: "bun", Module: "index"} }

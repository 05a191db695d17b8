package build

import (
	"context"
	"fmt"
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
	module, _, err := handlerModule(req.Dir, req.Handler, DefaultHandlers[RuntimeBun], bunModuleExts, false)
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
		if _, err := run(ctx, req, RuntimeBun, "bun install", req.Dir, BuildEnv(os.Getenv), req.Tools.Bun, args...); err != nil {
			return nil, err
		}
	}
	wrapper := filepath.Join(filepath.Dir(stage), filepath.Base(stage)+"-runtime.ts")
	if err := os.WriteFile(wrapper, jsRuntimeFor(module, "handler"), 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(wrapper)
	if err := req.Sandbox.Own(wrapper); err != nil {
		return nil, err
	}
	target := map[string]string{ArchARM64: "bun-linux-arm64", ArchX8664: "bun-linux-x64"}[req.Arch]
	meta := stage + "-meta.json" // beside the stage: not part of the package
	defer os.Remove(meta)
	if err := touchFor(req, meta); err != nil {
		return nil, err
	}
	if _, err := run(ctx, req, RuntimeBun, "bun build --compile", req.Dir, BuildEnv(os.Getenv), req.Tools.Bun,
		"build", "--compile", "--minify", "--target="+target, "--compile-executable-path="+base, "--metafile="+meta,
		"--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--outfile="+filepath.Join(stage, "bootstrap"), wrapper); err != nil {
		return nil, err
	}
	modules := bundleModules(meta)
	dropModule(modules, filepath.Base(wrapper))
	rel, _ := filepath.Rel(req.Dir, module)
	return &results.Artifact{
		Method:    fmt.Sprintf("bun build --compile --minify --target=%s (%s's exports run by coldbench's Runtime API loop)", target, rel),
		Toolchain: map[string]string{"bun": version(ctx, req.Tools.Bun, "--version")},
		Notes:     notes,
		Modules:   modules,
	}, nil
}

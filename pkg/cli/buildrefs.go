package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/pipeline"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// buildReferencesCmd builds the reference handlers once, for the arm64 deploy artifact and the
// host's timed one, into a directory that runs then use instead of building them: the action's
// image does this at image build time (COLDBENCH_REFERENCES_DIR), so a pull request's check
// builds only its own handler.
func buildReferencesCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("build-references", flag.ContinueOnError)
	out := fs.String("out", "", "directory to write the artifacts and their manifest.json to (required)")
	handlersDir := fs.String("handlers-dir", "", "where the reference handlers are (default: found as `run` finds them)")
	if done, err := parseFlags(fs, args, env, ""); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	if *out == "" {
		return badInput(errors.New("--out: give the directory to write the prebuilt references to"))
	}
	hdir, err := referenceSources(env, *handlersDir, filepath.Join(os.TempDir(), "coldbench-build-references"),
		build.ReferenceDirs())
	if err != nil {
		return badInput(err)
	}
	id, release, err := sandbox.Acquire(env.Getenv)
	if err != nil {
		return badInput(err)
	}
	defer release()
	dir := resolve(env.Dir, *out)
	work, cleanup, err := pipeline.WorkDir()
	if err != nil {
		return failure(err)
	}
	defer cleanup()
	arches := []string{build.ArchARM64}
	if h := host.Arch(); !slices.Contains(arches, h) {
		arches = append(arches, h)
	}
	store := build.Prebuilt{Dir: dir}
	for _, name := range build.ReferenceDirs() {
		ref := pipeline.ReferencePlan(name, hdir)
		r, src := ref.Runtime, ref.Dir
		rt := r.Name()
		hash, err := build.SourceHash(src)
		if err != nil {
			return failure(fmt.Errorf("hash %s: %w", src, err))
		}
		for _, arch := range arches {
			req := build.Request{Dir: src, Runtime: rt, Arch: arch, OutDir: filepath.Join(work, rt), Name: rt + "-" + arch,
				CacheKey: ref.CacheKey, Sandbox: id, GoFlags: build.ReferenceGoFlags, Handler: ref.Handler, StdSeedIfBuilt: true,
				Tools: build.Tools{Getenv: env.Getenv}}
			art, err := build.Build(ctx, req)
			if err != nil {
				return failure(err)
			}
			if err := store.Store(rt, arch, hash, build.ToolchainKey(ctx, req, r), art); err != nil {
				return failure(err)
			}
			fmt.Fprintf(env.Stdout, "%s %s: %s zip (%s)\n", rt, arch, results.FormatBytes(art.ZipBytes), art.Method)
		}
	}
	fmt.Fprintf(env.Stdout, "prebuilt references in %s: set COLDBENCH_REFERENCES_DIR=%s\n", dir, dir)
	return nil
}

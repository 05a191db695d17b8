package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/pipeline"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// buildReferencesCmd builds the reference handlers once, for the arm64 deploy artifact and the
// host's timed one, into a directory that runs then use instead of building them: the action's
// image does this at image build time (COLDBENCH_REFERENCES_DIR), so a pull request's check
// builds only its own handler. Without --out they go into the cache dir's store, where `run`
// looks (run.sh starts Rust's this way beside the set-up of the other runtimes). A reference
// already there, from the same source and toolchain, is not built again; one another coldbench
// is building is waited for (pipeline.Toolchains).
func buildReferencesCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("build-references", flag.ContinueOnError)
	out := fs.String("out", "", "directory to write the artifacts and their manifest.json to (default: the cache dir's references, where `run` finds them)")
	cacheDir := fs.String("cache-dir", "", "the build caches, as `run --cache-dir` (default /var/cache/coldbench for root, else ~/.cache/coldbench)")
	handlersDir := fs.String("handlers-dir", "", "where the reference handlers are (default: found as `run` finds them)")
	refs := fs.String("references", strings.Join(build.ReferenceDirs(), ","), "the references to build, comma-separated: "+strings.Join(build.ReferenceDirs(), ", "))
	if done, err := parseFlags(fs, args, env, ""); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	names, err := referenceList(*refs)
	if err != nil {
		return badInput(err)
	}
	cache := pipeline.CacheDir(resolve(env.Dir, *cacheDir))
	dir := cmp.Or(resolve(env.Dir, *out), filepath.Join(cache, "references"))
	hdir, err := referenceSources(env, *handlersDir, filepath.Join(os.TempDir(), "coldbench-build-references"), names)
	if err != nil {
		return badInput(err)
	}
	id, release, err := sandbox.Acquire(env.Getenv)
	if err != nil {
		return badInput(err)
	}
	defer release()
	work, cleanup, err := pipeline.WorkDir()
	if err != nil {
		return failure(err)
	}
	defer cleanup()
	arches := []string{build.ArchARM64}
	if h := host.Arch(); !slices.Contains(arches, h) {
		arches = append(arches, h)
	}
	var logMu sync.Mutex // both arches' builds log
	logf := (&logger{w: env.Stderr}).printf
	tc := pipeline.Toolchains{StoreDir: dir, CacheDir: cache, Log: func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logf(format, args...)
	}}
	for _, name := range names {
		ref := pipeline.ReferencePlan(name, hdir)
		rt := ref.Runtime.Name()
		// Both arches at once, each as the sandbox user a run gives it.
		arts, errs := pipeline.EachArch(arches, func(arch string) (*results.Artifact, error) {
			uid := pipeline.ReferenceIdentity(id, name, arch)
			req := build.Request{Dir: ref.Dir, Runtime: rt, Arch: arch, OutDir: filepath.Join(work, rt, arch), Name: rt + "-" + arch,
				CacheKey: ref.CacheKey, Sandbox: uid, GoFlags: build.ReferenceGoFlags, Handler: ref.Handler, StdSeedIfBuilt: true,
				Tools: pipeline.BuildTools(cache, uid, env.Getenv)}
			return tc.Build(ctx, req, true)
		})
		if err := errors.Join(errs...); err != nil {
			return failure(err)
		}
		for i, arch := range arches {
			fmt.Fprintf(env.Stdout, "%s %s: %s zip (%s)\n", rt, arch, results.FormatBytes(arts[i].ZipBytes), arts[i].Method)
		}
	}
	fmt.Fprintf(env.Stdout, "prebuilt references in %s: set COLDBENCH_REFERENCES_DIR=%s\n", dir, dir)
	return nil
}

// referenceList parses --references: each name a reference handler's directory; every bad name
// at once.
func referenceList(s string) ([]string, error) {
	var names, bad []string
	for _, n := range strings.Split(s, ",") {
		switch n = strings.TrimSpace(n); {
		case n == "":
		case slices.Contains(build.ReferenceDirs(), n):
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		default:
			bad = append(bad, strconv.Quote(n))
		}
	}
	valid := strings.Join(build.ReferenceDirs(), ", ")
	if len(bad) > 0 {
		return nil, fmt.Errorf("--references %s: valid values are %s", strings.Join(bad, ", "), valid)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--references: none given; valid values are %s", valid)
	}
	return names, nil
}

package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// buildTimeout bounds one build (a cold Rust build for arm64 takes about two minutes here).
const buildTimeout = 20 * time.Minute

// buildAll builds every planned variant and records it in res; it returns the ones to sample.
func (p *Pipeline) buildAll(ctx context.Context, plan []planned, res *results.Results, workDir string) ([]sampling.Variant, error) {
	timed := p.describeHost(res)
	var variants []sampling.Variant
	prog := newBuildProgress(p.log, p.Clock, len(plan))
	headFailed := map[string]bool{} // in a run of several functions, by function
	for _, pv := range plan {
		if pv.function != "" && headFailed[pv.function] {
			recordVariant(res, results.Variant{Name: pv.name, Role: pv.role, Function: pv.function, Runtime: pv.runtime,
				BuildError: "not built: the function's head did not build"})
			continue
		}
		v, sv, err := p.buildVariant(ctx, pv, res, workDir, timed)
		if err != nil {
			return nil, err
		}
		recordVariant(res, v)
		prog.built(pv.name)
		if v.BuildError != "" && pv.role == results.RoleHead && pv.function != "" {
			headFailed[pv.function] = true // the other functions go on
			continue
		}
		if v.BuildError != "" && pv.role == results.RoleHead && pv.err == nil {
			// Nothing can be compared or gated without the head: build and sample nothing else.
			p.log.printf("the head did not build: not building base or references, nor sampling")
			return nil, nil
		}
		if sv != nil {
			variants = append(variants, *sv)
		}
	}
	return variants, nil
}

// describeHost records the machine in res and returns the arch that is timed.
func (p *Pipeline) describeHost(res *results.Results) string {
	timed := host.Arch()
	res.Environment = host.Describe(timed)
	if p.Config.Mode == config.ModeAWS {
		timed = build.ArchARM64
		res.Environment.Arch = timed
		res.Environment.Notes = append(res.Environment.Notes, "timed on AWS Lambda (arm64, each variant on its own runtime): Init Duration, Duration and Max Memory Used are Lambda's own REPORT figures")
	} else if timed != build.ArchARM64 {
		res.Environment.Notes = append(res.Environment.Notes, fmt.Sprintf(
			"timed on %s: arm64 timings are only taken natively (qemu adds ~90 ms to a Go start), so each handler is also built for %s and that build is what was timed; arm64 zip sizes are of the arm64 build",
			timed, timed))
	}
	return timed
}

// recordVariant adds a built (or failed) variant to res, with its toolchains.
func recordVariant(res *results.Results, v results.Variant) {
	if v.Artifact != nil && v.BuildError == "" {
		for k, val := range v.Artifact.Toolchain {
			if res.Environment.Toolchains == nil {
				res.Environment.Toolchains = map[string]string{}
			}
			res.Environment.Toolchains[k] = val
		}
	}
	res.Variants = append(res.Variants, v)
}

// buildVariant builds one planned variant: its result, and what to sample when it built. A
// reference touches nothing shared (res is read and noted only for head's and base's layers), so
// references can be built beside sampling (preview).
func (p *Pipeline) buildVariant(ctx context.Context, pv planned, res *results.Results, workDir, timed string) (results.Variant, *sampling.Variant, error) {
	v := results.Variant{Name: pv.name, Role: pv.role, Function: pv.function, Runtime: pv.runtime, Handler: pv.handler, Ref: pv.ref, Arch: timed, DeployArch: build.ArchARM64}
	if pv.err != nil {
		v.BuildError = pv.err.Error()
		p.log.printf("%s: %v", pv.name, pv.err)
		return v, nil, nil
	}
	deploy, art, err := p.buildBoth(ctx, pv, filepath.Join(workDir, pv.name))
	if ctx.Err() != nil {
		return v, nil, ctx.Err()
	}
	if deploy != nil {
		v.Runtime, v.Deploy = deploy.Runtime, deploy
	}
	v.Artifact = art
	if err != nil {
		v.BuildError = err.Error()
		p.log.printf("build %s failed: %s", pv.name, firstLine(err.Error()))
		return v, nil, nil
	}
	sv := sampling.Variant{Name: pv.name, Artifact: art.Path, Handler: pv.handler, RuntimeDir: art.RuntimeDir,
		Identity: p.identity(pv.name, timed)}
	if deploy != nil {
		sv.LambdaRuntime = deploy.LambdaRuntime
	}
	// Each side's function configuration is its own revision's; the references' the run's.
	sv.MemoryMB, sv.Timeout, sv.EphemeralMB = pv.fn.MemoryMB, pv.fn.Timeout, pv.fn.EphemeralMB
	if pv.role != results.RoleReference {
		if err := p.layers(&sv, &v, pv, filepath.Join(workDir, pv.name), timed, res); err != nil {
			v.BuildError = err.Error()
			p.log.printf("%s: %v", pv.name, err)
			return v, nil, nil
		}
		sv.Env, sv.Handler = pv.fn.Env, pv.fn.FunctionHandler
		if sv.Handler == "" && art.RuntimeDir != "" {
			// AWS's runtime clients load _HANDLER: the default the build found the module by
			r, err := build.Lookup(v.Runtime)
			if err != nil {
				return v, nil, fmt.Errorf("%s: %w", pv.name, err)
			}
			sv.Handler = r.DefaultHandler()
		}
	}
	return v, &sv, nil
}

// buildBoth builds the arm64 artifact that ships and, on another host, the host build that is
// timed, concurrently. On an arm64 host (and in mode aws, which times arm64 on Lambda) they are
// one and the same. A reference handler comes prebuilt when its source and toolchain match an
// artifact of the image's (COLDBENCH_REFERENCES_DIR) or of the cache dir, and is stored in the
// cache dir once built.
func (p *Pipeline) buildBoth(ctx context.Context, pv planned, outDir string) (deploy, timed *results.Artifact, err error) {
	arches := []string{build.ArchARM64}
	if h := host.Arch(); h != build.ArchARM64 && p.Config.Mode != config.ModeAWS {
		arches = append(arches, h)
	}
	arts, errs := EachArch(arches, func(arch string) (*results.Artifact, error) { return p.buildOne(ctx, pv, outDir, arch) })
	for i, arch := range arches {
		if errs[i] != nil {
			return deploy, nil, errs[i]
		}
		if arch == build.ArchARM64 {
			deploy = arts[i]
		}
		timed = arts[i]
	}
	return deploy, timed, nil
}

// EachArch runs build for every arch at once (each arch's build is a sandbox user of its own)
// and returns their artifacts and errors in the order of arches.
func EachArch(arches []string, build func(arch string) (*results.Artifact, error)) ([]*results.Artifact, []error) {
	arts := make([]*results.Artifact, len(arches))
	errs := make([]error, len(arches))
	var wg sync.WaitGroup
	for i, arch := range arches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arts[i], errs[i] = build(arch)
		}()
	}
	wg.Wait()
	return arts, errs
}

// buildOne builds (or finds prebuilt) one arch of a planned variant.
func (p *Pipeline) buildOne(ctx context.Context, pv planned, outDir, arch string) (*results.Artifact, error) {
	id := p.identity(pv.name, arch)
	req := build.Request{Dir: pv.dir, Root: pv.root, Runtime: pv.runtime, OutDir: outDir, CacheKey: pv.cacheKey, Sandbox: id,
		Arch: arch, Name: pv.name + "-" + arch, Tools: BuildTools(p.CacheDir(), id, p.Getenv)}
	if pv.role == results.RoleHead {
		req.SlotOwner = p.slotOwner(cmp.Or(pv.root, pv.dir))
		req.SlotTrusted = p.headTrusted(ctx, cmp.Or(pv.root, pv.dir))
	}
	if pv.role == results.RoleReference {
		req.GoFlags, req.Handler, req.StdSeedIfBuilt = build.ReferenceGoFlags, pv.handler, true
	} else { // the user's function: its handler setting and build as its own revision says
		req.Handler, req.GoFlags, req.Binary = pv.fn.FunctionHandler, pv.fn.GoFlags, pv.fn.Binary
		req.Command, req.Artifact = pv.fn.Build, pv.fn.Artifact
		req.WebScript = isWeb(pv.fn) && pv.fn.Env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
	}
	return p.Builder.Build(ctx, req, pv.role == results.RoleReference)
}

// BuildTools are the tools of a build as id in a run whose cache dir is cacheDir: id's slot's
// caches when it is a sandbox user of its own.
func BuildTools(cacheDir string, id sandbox.Identity, getenv func(string) string) build.Tools {
	t := build.Tools{CacheDir: filepath.Join(cacheDir, "build"), Getenv: getenv}
	if id.Separate {
		t.CacheDir = build.SlotDir(filepath.Join(cacheDir, "sandbox"), id)
	}
	return t
}

// CacheDir is --cache-dir, or /var/cache/coldbench for root and ~/.cache/coldbench otherwise.
func (p *Pipeline) CacheDir() string { return CacheDir(p.Config.CacheDir) }

// CacheDir is the cache directory a run given --cache-dir dir uses: dir, else root's
// /var/cache/coldbench, else ~/.cache/coldbench.
func CacheDir(dir string) string {
	switch {
	case dir != "":
		return dir
	case os.Geteuid() == 0:
		return "/var/cache/coldbench"
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "coldbench")
}

// slotOwner is whose untrusted code a head build (or its input listing) in the checkout root
// runs: p.SlotOwner (the action's pull request, the CLI's checkout and branch), else, for a
// caller that names none, the checkout: a run on another checkout (someone else's project, a
// tarball unpacked elsewhere) starts from empty caches.
func (p *Pipeline) slotOwner(root string) string {
	if p.SlotOwner != "" {
		return p.SlotOwner
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return "checkout " + root
}

// headTrusted says whether the head in the checkout root is p.TrustedHead, unmodified.
func (p *Pipeline) headTrusted(ctx context.Context, root string) bool {
	if p.TrustedHead == "" {
		return false
	}
	sha, err := p.Repo.Resolve(ctx, root, "HEAD")
	if err != nil || sha != p.TrustedHead {
		return false
	}
	dirty, err := p.Repo.Dirty(ctx, root, "")
	return err == nil && !dirty
}

// identity is the sandbox user that the variant called name builds for arch and runs as: one of
// its own for each variant and arch (head, base and each reference), so that none of them can
// reach another's processes, files or caches.
func (p *Pipeline) identity(name, arch string) sandbox.Identity {
	slot := 0
	own, app := p.slots[name]
	switch i := slices.Index(build.ReferenceNames(), name); {
	case app:
		slot = own // a function's head or base in a run of several
	case name == "base":
		slot = 1
	case i >= 0:
		slot = 2 + i
	}
	return archSlot(p.sandbox, slot, arch)
}

// archSlot is slot's sandbox user for arch: two a variant, arm64's and x86_64's.
func archSlot(id sandbox.Identity, slot int, arch string) sandbox.Identity {
	n := 2 * slot
	if arch == build.ArchX8664 {
		n++
	}
	return id.Slot(n)
}

// ReferenceIdentity is the sandbox user of the run whose range is id that builds and runs the
// reference name for arch: the one a run gives it (`build-references` builds as the same).
func ReferenceIdentity(id sandbox.Identity, name, arch string) sandbox.Identity {
	return archSlot(id, 2+slices.Index(build.ReferenceNames(), name), arch)
}

package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// buildTimeout bounds one build (a cold Rust build for arm64 takes about two minutes here).
const buildTimeout = 20 * time.Minute

// buildAll builds every planned variant and records it in res; it returns the ones to sample.
func (p *pipeline) buildAll(ctx context.Context, plan []planned, res *results.Results, workDir string) ([]sampling.Variant, error) {
	timed := host.Arch()
	res.Environment = host.Describe(timed)
	if p.cfg.Mode == config.ModeAWS {
		timed = build.ArchARM64
		res.Environment.Arch = timed
		res.Environment.Notes = append(res.Environment.Notes, "timed on AWS Lambda (arm64, provided.al2023): Init Duration, Duration and Max Memory Used are Lambda's own REPORT figures")
	} else if timed != build.ArchARM64 {
		res.Environment.Notes = append(res.Environment.Notes, fmt.Sprintf(
			"timed on %s: arm64 timings are only taken natively (qemu adds ~90 ms to a Go start), so each handler is also built for %s and that build is what was timed; arm64 zip sizes are of the arm64 build",
			timed, timed))
	}
	var variants []sampling.Variant
	for _, pv := range plan {
		v := results.Variant{Name: pv.name, Role: pv.role, Runtime: pv.runtime, Handler: pv.handler, Ref: pv.ref, Arch: timed, DeployArch: build.ArchARM64}
		if pv.err != nil {
			v.BuildError = pv.err.Error()
			res.Variants = append(res.Variants, v)
			p.log.printf("%s: %v", pv.name, pv.err)
			continue
		}
		deploy, art, err := p.buildBoth(ctx, pv, filepath.Join(workDir, pv.name))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if deploy != nil {
			v.Runtime, v.Deploy = deploy.Runtime, deploy
		}
		v.Artifact = art
		if err != nil {
			v.BuildError = err.Error()
			p.log.printf("build %s failed: %s", pv.name, firstLine(err.Error()))
		} else {
			for k, val := range art.Toolchain {
				if res.Environment.Toolchains == nil {
					res.Environment.Toolchains = map[string]string{}
				}
				res.Environment.Toolchains[k] = val
			}
			variants = append(variants, sampling.Variant{Name: pv.name, Artifact: art.Path, Handler: pv.handler})
		}
		res.Variants = append(res.Variants, v)
	}
	return variants, nil
}

// buildBoth builds the arm64 artifact that ships and, on another host, the host build that is
// timed. On an arm64 host (and in mode aws, which times arm64 on Lambda) they are one and the same.
func (p *pipeline) buildBoth(ctx context.Context, pv planned, outDir string) (deploy, timed *results.Artifact, err error) {
	req := build.Request{Dir: pv.dir, Runtime: pv.runtime, OutDir: outDir, CacheKey: pv.cacheKey, Sandbox: p.sandbox}
	arches := []string{build.ArchARM64}
	if h := host.Arch(); h != build.ArchARM64 && p.cfg.Mode != config.ModeAWS {
		arches = append(arches, h)
	}
	for _, arch := range arches {
		req.Arch, req.Name = arch, pv.name+"-"+arch
		t := time.Now()
		// Every build has a deadline: a hanging build script must not hang the job.
		bctx, cancel := context.WithTimeout(ctx, buildTimeout)
		art, err := build.Build(bctx, req)
		cancel()
		if err != nil {
			return deploy, nil, err
		}
		p.log.printf("built %s for %s: %s zip, %s unzipped, %.1fs (%s)", pv.name, arch, bytesHuman(art.ZipBytes), bytesHuman(art.UnzippedBytes), time.Since(t).Seconds(), art.Method)
		for _, n := range art.Notes {
			p.log.printf("  note: %s", n)
		}
		if arch == build.ArchARM64 {
			deploy = art
		}
		timed = art
	}
	return deploy, timed, nil
}

package pipeline

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/webadapter"
)

// layers packages a side's layers for the sampler and decides whether it is a web function: the
// web setting, or (auto) the Web Adapter's layer in its template or AWS_LWA_ settings in its
// environment. A bad adapter setting is the side's build error, named.
func (p *Pipeline) layers(sv *sampling.Variant, v *results.Variant, pv planned, outDir, arch string, res *results.Results) error {
	id := p.identity(pv.name, arch)
	for i, l := range pv.fn.Layers {
		zip, err := build.PackageLayer(id, l, filepath.Join(outDir, "layer-"+strconv.Itoa(i+1)+".zip"))
		if err != nil {
			return err
		}
		sv.Layers = append(sv.Layers, zip)
		v.Layers = append(v.Layers, filepath.Base(l))
	}
	if sv.Web = isWeb(pv.fn); sv.Web {
		if _, err := webadapter.Parse(pv.fn.Env); err != nil {
			return fmt.Errorf("web adapter settings in the function's environment: %w", err)
		}
		v.Web = true
	}
	if p.Config.Mode == config.ModeAWS && (len(sv.Layers) > 0 || sv.Web) {
		n := "mode aws deploys the function's own package only: its layers and the Web Adapter are not part of the functions coldbench creates"
		if !slices.Contains(res.Config.Notes, n) {
			res.Config.Notes = append(res.Config.Notes, n)
		}
	}
	return nil
}

// isWeb is the web setting's decision: on, off, or (auto) the adapter's settings in the env.
func isWeb(fn config.Function) bool {
	switch fn.Web {
	case "on":
		return true
	case "", "auto":
		return webadapter.Is(fn.Env)
	}
	return false
}

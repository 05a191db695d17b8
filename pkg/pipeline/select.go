package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sam"
)

// Differ is a Repository that says which files of the work tree differ from a revision: what
// `function: changed` picks the functions by. Git is one.
type Differ interface {
	// Changed lists the files (relative to root) that differ between rev and the work tree,
	// untracked ones included.
	Changed(ctx context.Context, root, rev string) ([]string, error)
}

// InputLister is a Builder that can say which files a function's deployed code is made of (the
// Go packages it imports, the modules esbuild bundles, its path crates), running the toolchain as
// the build would: in the sandbox. Toolchains is one.
type InputLister interface {
	Inputs(ctx context.Context, req build.Request) ([]build.Input, error)
}

// chooseFunctions says which of the template's functions the run measures and why: every one
// (all), the named ones, or those whose deployed code the diff against base can change
// (changed). A function only head has is new (its head measured alone); one only base has is gone.
func (p *Pipeline) chooseFunctions(ctx context.Context, root, sha, tmplRel string, baseFns []sam.Function, baseNote string) ([]appFunction, error) {
	headFns := p.App.Functions
	inBase := map[string]sam.Function{}
	for _, f := range baseFns {
		inBase[f.LogicalID] = f
	}
	choice := strings.TrimSpace(p.Config.Function)
	names := p.Config.FunctionNames()
	var valid []string
	for _, f := range headFns {
		valid = append(valid, f.LogicalID)
	}
	var problems config.Problems
	for _, n := range names {
		if _, ok := inBase[n]; !slices.Contains(valid, n) && !ok {
			problems = append(problems, fmt.Sprintf("function %q: %s is not in template %s; valid values are all, changed or any of %s", choice, n, tmplRel, strings.Join(valid, ", ")))
		}
	}
	if len(problems) > 0 {
		return nil, badInput(problems.Err())
	}
	var diff []string
	if choice == config.FunctionsChanged {
		d, ok := p.Repo.(Differ)
		switch {
		case sha == "":
			p.log.printf("function changed: %s, so every function is measured", baseNote)
			choice = config.FunctionsAll
		case !ok:
			return nil, fmt.Errorf("function changed: this repository cannot list what changed")
		default:
			var err error
			if diff, err = d.Changed(ctx, root, sha); err != nil {
				return nil, fmt.Errorf("function changed: %w", err)
			}
		}
	}
	var out []appFunction
	for _, f := range headFns {
		af := appFunction{name: f.LogicalID, status: results.FunctionMeasured}
		bf, had := inBase[f.LogicalID]
		switch {
		case len(names) > 0 && !slices.Contains(names, f.LogicalID):
			continue
		case sha != "" && !had:
			af.status, af.reason = results.FunctionNew, fmt.Sprintf("new in head: not in base's %s, so measured alone", tmplRel)
		case choice == config.FunctionsChanged:
			af.reason = p.reaches(ctx, root, tmplRel, f, bf, diff)
			if af.reason == "" {
				af.status, af.reason = results.FunctionSkipped, p.unreached(ctx, root, f, diff)
			}
		case len(names) > 0:
			af.reason = "named in function"
		default:
			af.reason = "function all: every function of " + tmplRel
		}
		out = append(out, af)
	}
	for _, f := range baseFns {
		if !slices.Contains(valid, f.LogicalID) && (len(names) == 0 || slices.Contains(names, f.LogicalID)) {
			out = append(out, appFunction{name: f.LogicalID, status: results.FunctionGone,
				reason: fmt.Sprintf("gone from head: in base's %s only, nothing to measure", tmplRel)})
		}
	}
	return out, nil
}

// reaches says which change can alter head's deployed function f (base's is bf): its
// definition in the template, a file under its CodeUri or a layer's, or a file its build reads
// (inputs); "" when none does.
func (p *Pipeline) reaches(ctx context.Context, root, tmplRel string, f, bf sam.Function, diff []string) string {
	if fields := changedFields(f, bf); len(fields) > 0 {
		return fmt.Sprintf("its definition in %s changed (%s)", tmplRel, strings.Join(fields, ", "))
	}
	for _, in := range p.inputs(ctx, root, f) {
		for _, file := range diff {
			if in.Matches(file) {
				return fmt.Sprintf("%s changed: %s", file, in.Why)
			}
		}
	}
	return ""
}

// unreached explains a skip: what the function is built from, none of which changed.
func (p *Pipeline) unreached(ctx context.Context, root string, f sam.Function, diff []string) string {
	var whys []string
	for _, in := range p.inputs(ctx, root, f) {
		if !slices.Contains(whys, in.Why) {
			whys = append(whys, in.Why)
		}
	}
	return fmt.Sprintf("none of the %d changed files reaches it (it is built from: %s)", len(diff), strings.Join(whys, "; "))
}

// inputs are what f's deployed code is made of: its CodeUri and layers' trees, the package
// roots above it, and what its toolchain says it reads (go list, esbuild's metafile, cargo
// metadata), run in the sandbox. They are worked out once a function.
func (p *Pipeline) inputs(ctx context.Context, root string, f sam.Function) []build.Input {
	if in, ok := p.inputCache[f.LogicalID]; ok {
		return in
	}
	rel := func(abs string) string {
		r, err := filepath.Rel(root, abs)
		if err != nil {
			return abs
		}
		return r
	}
	ins := []build.Input{{Path: rel(f.CodeURI), Tree: true, Why: "under its CodeUri " + rel(f.CodeURI)}}
	for _, l := range f.LayerDirs {
		ins = append(ins, build.Input{Path: rel(l), Tree: true, Why: "under its layer's ContentUri " + rel(l)})
	}
	if lister, ok := p.Builder.(InputLister); ok {
		cfg, err := p.App.Head(f.LogicalID)
		req := build.Request{Dir: f.CodeURI, Root: root, Runtime: "auto", Arch: host.Arch(), Sandbox: p.sandbox.Slot(0),
			Name: "inputs-" + f.LogicalID, CacheKey: rel(f.CodeURI), SlotOwner: p.slotOwner(root),
			Tools: build.Tools{CacheDir: filepath.Join(p.CacheDir(), "build"), Getenv: p.Getenv}}
		if err == nil {
			req.Runtime, req.Handler = cfg.Runtime, cfg.FunctionHandler
		}
		if req.Sandbox.Separate {
			req.Tools.CacheDir = build.SlotDir(filepath.Join(p.CacheDir(), "sandbox"), req.Sandbox)
		}
		req.SlotTrusted = p.headTrusted(ctx, root)
		more, err := lister.Inputs(ctx, req)
		if err != nil {
			// What its build reads is unknown: every change in the repository may reach it.
			p.log.printf("%s: could not list what its build reads (%s): any change picks it", f.LogicalID, firstLine(err.Error()))
			more = []build.Input{{Path: ".", Tree: true, Why: "anything in the repository (its build's inputs could not be listed: " + firstLine(err.Error()) + ")"}}
		}
		ins = append(ins, more...)
	}
	if p.inputCache == nil {
		p.inputCache = map[string][]build.Input{}
	}
	p.inputCache[f.LogicalID] = ins
	return ins
}

// changedFields names the settings of the function's definition that differ between base and
// head (Globals included), its paths compared relative to each side's template.
func changedFields(f, bf sam.Function) []string {
	norm := func(fn sam.Function) sam.Function {
		rel := func(p string) string {
			if r, err := filepath.Rel(fn.TemplateDir, p); err == nil {
				return r
			}
			return p
		}
		fn.CodeURI = rel(fn.CodeURI)
		layers := fn.LayerDirs
		fn.LayerDirs = nil
		for _, l := range layers {
			fn.LayerDirs = append(fn.LayerDirs, rel(l))
		}
		fn.TemplateDir = ""
		return fn
	}
	h, b := reflect.ValueOf(norm(f)), reflect.ValueOf(norm(bf))
	var out []string
	for i := 0; i < h.NumField(); i++ {
		if !reflect.DeepEqual(h.Field(i).Interface(), b.Field(i).Interface()) {
			out = append(out, h.Type().Field(i).Name)
		}
	}
	return out
}

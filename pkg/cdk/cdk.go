// Package cdk reads the functions of an AWS CDK cloud assembly (the cdk.out directory that
// `cdk synth` writes): its manifest.json, each stack's CloudFormation template and its asset
// manifest, so that each AWS::Lambda::Function is found with the asset directory holding its code.
// Functions are named by their construct path (aws:cdk:path), as the user wrote them in the app.
//
// An asset that is a copy of a directory of the app (lambda.Code.fromAsset) is built from that
// directory, and a bundled Go asset (a GoFunction's bootstrap) from the main package its build
// information names, so the base revision is built from its own sources; other bundles
// (NodejsFunction's index.js, PythonFunction's) are measured as synthesized.
package cdk

import (
	"bytes"
	"cmp"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/sam"
)

// DirName is the cloud assembly's directory that `cdk synth` writes by default.
const DirName = "cdk.out"

// Discover returns dir's cdk.out when it holds a manifest.json, or "".
func Discover(dir string) string {
	p := filepath.Join(dir, DirName)
	if IsAssembly(p) {
		return p
	}
	return ""
}

// IsAssembly says whether path is a cloud assembly: a directory with a manifest.json, or the
// manifest itself.
func IsAssembly(path string) bool {
	if filepath.Base(path) == "manifest.json" {
		path = filepath.Dir(path)
	}
	st, err := os.Stat(filepath.Join(path, "manifest.json"))
	return err == nil && st.Mode().IsRegular()
}

// manifest is the part of the cloud assembly schema's manifest.json that is read.
type manifest struct {
	Version   string              `json:"version"`
	Artifacts map[string]artifact `json:"artifacts"`
}

type artifact struct {
	Type       string `json:"type"`
	Properties struct {
		TemplateFile  string `json:"templateFile"`  // aws:cloudformation:stack
		File          string `json:"file"`          // cdk:asset-manifest
		DirectoryName string `json:"directoryName"` // cdk:cloud-assembly (a Stage)
	} `json:"properties"`
}

// assetManifest is the part of a stack's *.assets.json that is read.
type assetManifest struct {
	Files map[string]struct {
		Source struct {
			Path      string `json:"path"`
			Packaging string `json:"packaging"`
		} `json:"source"`
		Destinations map[string]struct {
			ObjectKey string `json:"objectKey"`
		} `json:"destinations"`
	} `json:"files"`
}

// Read returns the functions of the cloud assembly at path (the cdk.out directory or its
// manifest.json), nested assemblies (Stages) included, sorted by construct path. The app's
// directory, where asset sources are looked for, is the assembly's parent.
func Read(path string) ([]sam.Function, error) {
	if filepath.Base(path) == "manifest.json" {
		path = filepath.Dir(path)
	}
	r := &reader{root: path, app: filepath.Dir(path)}
	fns, err := r.assembly(path, 0)
	if err != nil {
		return nil, err
	}
	if len(r.problems) > 0 {
		return nil, fmt.Errorf("cdk assembly %s: %s", path, strings.Join(r.problems, "; "))
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("cdk assembly %s: no AWS::Lambda::Function in its stacks", path)
	}
	slices.SortFunc(fns, func(a, b sam.Function) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return fns, nil
}

type reader struct {
	root, app string
	problems  []string
}

// assembly reads one (possibly nested) assembly directory.
func (r *reader) assembly(dir string, depth int) ([]sam.Function, error) {
	mpath := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(mpath)
	if err != nil {
		return nil, fmt.Errorf("cdk assembly: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("cdk assembly %s: not a cloud assembly manifest: %w", mpath, err)
	}
	if m.Artifacts == nil {
		return nil, fmt.Errorf("cdk assembly %s: no artifacts (is this the manifest.json of cdk synth?)", mpath)
	}
	var problems []string
	assets := map[string]string{} // S3 object key → asset source (absolute)
	for _, name := range sortedKeys(m.Artifacts) {
		a := m.Artifacts[name]
		if a.Type != "cdk:asset-manifest" {
			continue
		}
		file, err := r.inside(dir, a.Properties.File, "artifacts."+name+".properties.file")
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if err := r.readAssets(file, assets); err != nil {
			problems = append(problems, err.Error())
		}
	}
	var fns []sam.Function
	for _, name := range sortedKeys(m.Artifacts) {
		a := m.Artifacts[name]
		switch a.Type {
		case "aws:cloudformation:stack":
			tmpl, err := r.inside(dir, a.Properties.TemplateFile, "artifacts."+name+".properties.templateFile")
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			before := len(r.problems)
			got, err := sam.ReadWith(tmpl, r.locator(dir, assets))
			if err != nil {
				// The locator said its own; a stack of CDK's own functions alone has none of the app's.
				if len(r.problems) == before && !strings.Contains(err.Error(), errFramework.Error()) {
					r.problems = append(r.problems, err.Error())
				}
				continue
			}
			for _, fn := range got {
				if fn, ok := r.function(fn); ok {
					fns = append(fns, fn)
				}
			}
		case "cdk:cloud-assembly":
			if depth > 8 {
				problems = append(problems, fmt.Sprintf("artifacts.%s: assemblies nested deeper than 8", name))
				continue
			}
			sub, err := r.inside(dir, a.Properties.DirectoryName, "artifacts."+name+".properties.directoryName")
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			got, err := r.assembly(sub, depth+1)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			fns = append(fns, got...)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cdk assembly %s: %s", mpath, strings.Join(problems, "; "))
	}
	return fns, nil
}

// inside resolves rel (a path the manifest gives) against dir and refuses one that leads out of
// the assembly, links resolved: cdk synth writes nothing outside it.
func (r *reader) inside(dir, rel, key string) (string, error) {
	if rel == "" {
		return "", fmt.Errorf("%s is missing", key)
	}
	p := filepath.Join(dir, rel)
	if filepath.IsAbs(rel) {
		p = filepath.Clean(rel)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", key, rel, errors.Unwrap(err))
	}
	root, err := filepath.EvalSymlinks(r.root)
	if err != nil {
		return "", err
	}
	if rp, err := filepath.Rel(root, real); err != nil || !filepath.IsLocal(rp) && rp != "." {
		return "", fmt.Errorf("%s %q leads outside the assembly %s", key, rel, r.root)
	}
	return p, nil
}

func (r *reader) readAssets(file string, into map[string]string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var am assetManifest
	if err := json.Unmarshal(data, &am); err != nil {
		return fmt.Errorf("asset manifest %s: %w", file, err)
	}
	for _, id := range sortedKeys(am.Files) {
		f := am.Files[id]
		for _, d := range f.Destinations {
			if d.ObjectKey != "" && f.Source.Path != "" {
				into[d.ObjectKey] = filepath.Join(filepath.Dir(file), f.Source.Path)
			}
		}
	}
	return nil
}

// locator finds a function's asset: Metadata's aws:asset:path (CDK writes it by default), else
// the asset manifest's file whose object key is the function's S3Key.
func (r *reader) locator(dir string, assets map[string]string) sam.Locator {
	return func(id, key string, meta map[string]string) (code string, err error) {
		name := cmp.Or(meta["aws:cdk:path"], id)
		if framework.MatchString(name) {
			return "", errFramework // left out (function), so its code is not looked for
		}
		defer func() {
			if err != nil { // the template reader keeps the other functions: this one is said here
				r.problems = append(r.problems, err.Error())
			}
		}()
		var p string
		switch {
		case meta["aws:asset:path"] != "":
			p = meta["aws:asset:path"]
		case assets[key] != "":
			rel, err := filepath.Rel(dir, assets[key])
			if err != nil {
				return "", err
			}
			p = rel
		default:
			return "", fmt.Errorf("%s: its code (S3Key %q) is not an asset of this assembly (a bucket of its own, Code.fromBucket?): coldbench needs the code on disk", name, key)
		}
		return r.inside(dir, p, name+"'s Metadata aws:asset:path")
	}
}

var errFramework = errors.New("one of CDK's own functions")

// framework matches the construct IDs of the functions CDK adds of its own (custom resource
// providers, log retention, bucket notifications): a singleton's UUID-like suffix.
var framework = regexp.MustCompile(`(^|/)(Custom::[^/]*|[A-Za-z]*[0-9a-f]{32})(/|$)`)

// function names fn by its construct path and finds its sources; ok is false for CDK's own.
func (r *reader) function(fn sam.Function) (sam.Function, bool) {
	path := strings.TrimSuffix(fn.Metadata["aws:cdk:path"], "/Resource")
	if framework.MatchString(path) {
		return fn, false
	}
	if path != "" {
		fn.LogicalID = path
	}
	fn.TemplateDir = r.app // what the app's files are named relative to
	asset := rel(r.root, fn.CodeURI)
	switch src, how, trim := r.source(fn.CodeURI, fn.Metadata["aws:asset:is-bundled"] == "true"); {
	case src == "":
		fn.Notes = append(fn.Notes, fmt.Sprintf("%s: measured as cdk synth staged it (%s in %s); %s", fn.LogicalID, asset, DirName, how))
	default:
		fn.Notes = append(fn.Notes, fmt.Sprintf("%s: built from %s, %s %s", fn.LogicalID, rel(r.app, src), how, asset))
		if how == goBundle {
			fn.BuildMethod = "go1.x"
			if trim {
				fn.BuildProperties["TrimGoPath"] = "true"
			}
		}
		fn.CodeURI = src
	}
	return fn, true
}

const goBundle = "the source of the Go bootstrap bundled as"

// source finds the app's own directory that the asset at dir was made from: for a bundled Go
// bootstrap the main package its build information names, for an unbundled asset the
// directory with the same files. how says which, or why none was found; trim is the Go
// build's -trimpath.
func (r *reader) source(dir string, bundled bool) (src, how string, trim bool) {
	if !bundled {
		if src := r.copyOf(dir); src != "" {
			return src, "the directory copied to", false
		}
		return "", "no directory of the app has the same files", false
	}
	boot := filepath.Join(dir, "bootstrap")
	st, err := os.Lstat(boot)
	if err != nil || !st.Mode().IsRegular() {
		return "", "a bundle is built by cdk synth, so the base revision is measured from its own cdk.out", false
	}
	info, err := buildinfo.ReadFile(boot)
	if err != nil || info.Path == "" || info.Path == "command-line-arguments" || info.Main.Path == "" {
		return "", "its bootstrap names no Go main package to build from", false
	}
	for _, s := range info.Settings {
		trim = trim || s.Key == "-trimpath" && s.Value == "true"
	}
	var found string
	_ = r.walk(func(p string, d fs.DirEntry) error {
		if d.Name() != "go.mod" || found != "" {
			return nil
		}
		if modulePath(p) == info.Main.Path {
			pkg := filepath.Join(filepath.Dir(p), filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(info.Path, info.Main.Path), "/")))
			if st, err := os.Stat(pkg); err == nil && st.IsDir() {
				found = pkg
			}
		}
		return nil
	})
	if found == "" {
		return "", fmt.Sprintf("its bootstrap's main package %s (module %s) is not in the app", info.Path, info.Main.Path), false
	}
	return found, goBundle, trim
}

// walk visits the app's regular files, leaving out the assembly, dependencies and VCS dirs.
func (r *reader) walk(visit func(string, fs.DirEntry) error) error {
	return filepath.WalkDir(r.app, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != r.app && (p == r.root || slices.Contains(skipDirs, d.Name())) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			return visit(p, d)
		}
		return nil
	})
}

var skipDirs = []string{DirName, "node_modules", ".git", "vendor", "target", ".venv", "__pycache__"}

var moduleLine = regexp.MustCompile(`(?m)^module\s+"?([^\s"]+)"?`)

func modulePath(gomod string) string {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	if m := moduleLine.FindSubmatch(data); m != nil {
		return string(m[1])
	}
	return ""
}

// copyOf returns the app's directory whose regular files are the asset's, byte for byte.
func (r *reader) copyOf(asset string) string {
	files := map[string][]byte{}
	_ = filepath.WalkDir(asset, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && len(files) <= 1000 {
			if data, err := os.ReadFile(p); err == nil {
				files[rel(asset, p)] = data
			}
		}
		return nil
	})
	if len(files) == 0 || len(files) > 1000 {
		return ""
	}
	names := sortedKeys(files)
	first := names[0]
	var found string
	_ = r.walk(func(p string, d fs.DirEntry) error {
		if found != "" || !strings.HasSuffix(filepath.ToSlash(p), "/"+filepath.ToSlash(first)) {
			return nil
		}
		cand := strings.TrimSuffix(p, string(filepath.Separator)+first)
		if sameFiles(cand, files) {
			found = cand
		}
		return nil
	})
	return found
}

func sameFiles(dir string, want map[string][]byte) bool {
	n := 0
	ok := true
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !ok {
			return filepath.SkipAll
		}
		if d.IsDir() && p != dir && slices.Contains(skipDirs, d.Name()) {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		w, in := want[rel(dir, p)]
		data, err := os.ReadFile(p)
		if !in || err != nil || !bytes.Equal(data, w) {
			ok = false
			return filepath.SkipAll
		}
		n++
		return nil
	})
	return ok && n == len(want)
}

func rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil {
		return r
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

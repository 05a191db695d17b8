package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/results"
)

// Runtime is everything coldbench knows of one runtime: how to recognise a handler of it, the
// tools that build it, how to build it, what names the toolchain of a build, the handler setting
// a function gets by default, how its init is traced and where its reference handler is. Each
// runtime is one type in its own file, listed in all; adding a runtime is that file, its tests
// and its entry there. The registry lives in pkg/build because Build is the builders' own code
// (run, the sandbox, the stage), and pkg/build may import inittrace and config but not the
// other way round.
type Runtime interface {
	// Name is the runtime's one name: the runtime setting, Artifact.Runtime, the cache's and the
	// prebuilt manifest's key. Other spellings are Aliases, parsed at the edge by For.
	Name() string
	// Aliases are other names the runtime setting accepts for this runtime ("node").
	Aliases() []string
	// Detect says how surely the files in dir are a handler of this runtime. dir may be a file
	// (a zip), which only a runtime that packages one recognises.
	Detect(dir string) Detection
	// Tools are the commands and trees a build of this runtime uses, each with its doctor row.
	Tools() []Tool
	// Build builds req (Dir, Arch, Tools resolved, the sandbox prepared) into stage, or
	// returns an artifact whose Path is already set.
	Build(ctx context.Context, req Request, stage string) (*results.Artifact, error)
	// ToolchainKey is the version lines of the tools a build of req would use, as t (resolved,
	// and only what the sandbox user can run) finds them; "" when they cannot be told.
	ToolchainKey(ctx context.Context, req Request, t Tools) string
	// DefaultHandler is the handler setting (_HANDLER) a function gets when none is given: the
	// module and export the console's and SAM's templates create; "" where there is none.
	DefaultHandler() string
	// LambdaRuntimes are Lambda's names of the versions of this runtime coldbench emulates, each
	// a runtime setting that pins that version ("nodejs22.x").
	LambdaRuntimes() []string
	// Tracer is how a cold start of this runtime is asked what its init spent, or false when
	// there is no such way (the counters still say what init did).
	Tracer() (inittrace.Tracer, bool)
	// Reference is where the runtime's reference handler is and how its functions are named;
	// the zero Reference for a runtime without one.
	Reference() Reference
}

// all is every runtime, in the order they are listed to users. Detection prefers the earlier of
// two runtimes whose own files are both present (go.mod and Cargo.toml: Go).
var all = []Runtime{Go{}, Rust{}, Deno{}, Node{}, Python{}, Bun{}, Provided{}}

// All returns every runtime coldbench builds, in the order they are listed to users.
func All() []Runtime { return slices.Clone(all) }

// For returns the runtime named name or one of its aliases.
func For(name string) (Runtime, bool) {
	for _, r := range all {
		if r.Name() == name || slices.Contains(r.Aliases(), name) {
			return r, true
		}
	}
	return nil, false
}

// forLambdaRuntime returns the runtime of which name is a Lambda version ("nodejs22.x").
func forLambdaRuntime(name string) (Runtime, bool) {
	for _, r := range all {
		if slices.Contains(r.LambdaRuntimes(), name) {
			return r, true
		}
	}
	return nil, false
}

// Names are the runtimes' names, in order.
func Names() []string {
	var out []string
	for _, r := range all {
		out = append(out, r.Name())
	}
	return out
}

// Lookup returns the runtime named name or one of its aliases, as For does; a name of no
// runtime is an error that lists the valid ones. It is for names read back from an artifact or
// a results file, which only Build's registry names should have filled in.
func Lookup(name string) (Runtime, error) {
	if r, ok := For(name); ok {
		return r, nil
	}
	return nil, fmt.Errorf("runtime %q: valid values are %s", name, strings.Join(Names(), ", "))
}

// Reference says where a runtime's reference handler is: the directory of that name under the
// reference handlers (also the reference's name in the references setting, "node"), and the
// module whose exports are its functions (work, hello), "" where the function's name is the
// handler setting itself.
type Reference struct {
	Dir, Module string
	// SlowBuild says that a cold build compiles the reference's dependencies from source
	// (minutes on two cores): a run of the references alone builds it while it samples the
	// others for a first table.
	SlowBuild bool
}

// Handler is the handler setting of the reference function fn ("index.work", "hello").
func (r Reference) Handler(fn string) string {
	if r.Module == "" {
		return fn
	}
	return r.Module + "." + fn
}

// referenceFunctions are the functions every reference handler has: the work handler (the
// reference's plain name) and its hello variant ("go-hello").
var referenceFunctions = []string{"work", "hello"}

// ForReference returns the runtime whose reference handler is in dir ("node").
func ForReference(dir string) (Runtime, bool) {
	for _, r := range all {
		if r.Reference().Dir != "" && r.Reference().Dir == dir {
			return r, true
		}
	}
	return nil, false
}

// ReferenceDirs are the reference handlers' directories, in order.
func ReferenceDirs() []string {
	var out []string
	for _, r := range all {
		if d := r.Reference().Dir; d != "" {
			out = append(out, d)
		}
	}
	return out
}

// ReferenceNames are the valid references: each runtime's work handler ("go"), then each one's
// hello variant ("go-hello").
func ReferenceNames() []string {
	out := ReferenceDirs()
	for _, fn := range referenceFunctions[1:] {
		for _, d := range ReferenceDirs() {
			out = append(out, d+"-"+fn)
		}
	}
	return out
}

// Vocabulary is what the configuration's validation accepts, from the registry (pkg/config
// imports nothing of coldbench's, so its callers hand this in).
func Vocabulary() config.Vocabulary {
	v := config.Vocabulary{Runtimes: Names(), References: ReferenceNames()}
	for _, r := range all {
		v.Aliases = append(v.Aliases, r.Aliases()...)
		v.LambdaRuntimes = append(v.LambdaRuntimes, r.LambdaRuntimes()...)
	}
	return v
}

// Confidence is how surely a directory holds a handler of a runtime.
type Confidence int

// Confidences, from none to the surest. Detect takes the surest; of two runtimes' own files
// the earlier runtime's, and two runtimes' project files are an ambiguity the user settles.
const (
	MatchNone      Confidence = iota
	MatchExtension            // scripts whose extension more than one runtime runs (*.ts, *.js)
	MatchContent              // scripts that use what only this runtime has (Deno's global)
	MatchProject              // the runtime's project files (package.json, requirements.txt, *.py)
	MatchOwnFile              // a file only this runtime has (go.mod, Cargo.toml, deno.json, bootstrap)
)

// Detection is a runtime's answer to Detect: how sure, and what it saw ("a Node.js package
// (package.json)") for a message about an ambiguity.
type Detection struct {
	Confidence Confidence
	Saw        string
}

// Tool is one command or tree a runtime's builds use, and its row in coldbench doctor.
type Tool struct {
	// Name is the doctor row's name ("aarch64 linker").
	Name string
	// How says how to install it.
	How string
	// VersionArgs print its version ("--version"); nil when only its presence is shown.
	VersionArgs []string
	// field is where Tools keeps it; nil for a tree found under ToolsDir (a managed runtime).
	field func(*Tools) *string
	// find lists where to look for it when Tools does not say, in order: a name on PATH or an
	// absolute path.
	find func(t Tools, home string) []string
	// path is where a tree without a field is, for doctor.
	path func(t Tools) string
	// notRun is a tool the build copies but the sandbox user never runs (an arch's executable
	// that deno compile embeds): it is kept whether or not that user could run it.
	notRun bool
}

// Path is where t finds the tool, or "" when it is missing.
func (tool Tool) Path(t Tools) string {
	if tool.field != nil {
		return *tool.field(&t)
	}
	p := tool.path(t)
	if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
		return ""
	}
	return p
}

// AllTools is every runtime's tools, each once (by name: npm could be two runtimes'), in the
// runtimes' order: doctor's rows, and what Tools.Resolve looks for.
func AllTools() []Tool {
	var out []Tool
	seen := map[string]bool{}
	for _, r := range all {
		for _, tool := range r.Tools() {
			if !seen[tool.Name] {
				seen[tool.Name] = true
				out = append(out, tool)
			}
		}
	}
	return out
}

// managedRuntimeTool is a managed runtime's tree (Lambda's /var/runtime), which
// scripts/setup-runtimes.sh installs into the tools directory.
func managedRuntimeTool(name string) Tool {
	return Tool{Name: "the " + name + " runtime", How: "run scripts/setup.sh (scripts/setup-runtimes.sh)",
		path: func(t Tools) string { return filepath.Join(t.ToolsDir, "runtimes", name, "bootstrap") }}
}

// Detect names the runtime of the handler in dir from its files.
func Detect(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("handler %s: %w", dir, err)
	}
	var best []Runtime
	var saw []string
	top := MatchNone
	for _, r := range all {
		d := r.Detect(dir)
		switch {
		case d.Confidence == MatchNone || d.Confidence < top:
		case d.Confidence > top:
			top, best, saw = d.Confidence, []Runtime{r}, []string{d.Saw}
		default:
			best, saw = append(best, r), append(saw, d.Saw)
		}
	}
	switch {
	case top == MatchNone && !st.IsDir():
		return "", fmt.Errorf("handler %s: not a directory or a .zip", dir)
	case top == MatchNone:
		return "", fmt.Errorf("handler %s: no recognisable handler (looked for go.mod, a Go main package below one, Cargo.toml, deno.json, bunfig.toml, package.json, requirements.txt, *.py, *.ts, *.js, or an executable bootstrap); set the runtime to one of %s",
			dir, strings.Join(Names(), ", "))
	case len(best) > 1 && top == MatchProject:
		var names []string
		for _, r := range best {
			names = append(names, r.Name())
		}
		return "", fmt.Errorf("handler %s: both %s here: set the runtime to %s", dir, strings.Join(saw, " and "), strings.Join(names, " or "))
	}
	return best[0].Name(), nil
}

// has reports whether dir has any of the files names.
func has(dir string, names ...string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// glob lists dir's files matching any of patterns.
func glob(dir string, patterns ...string) []string {
	var out []string
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join(dir, p))
		out = append(out, m...)
	}
	return out
}

// scriptPatterns are the scripts that Node.js, Deno and Bun all run.
var scriptPatterns = []string{"*.ts", "*.mts", "*.cts", "*.js", "*.mjs", "*.cjs"}

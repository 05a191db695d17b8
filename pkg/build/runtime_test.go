package build

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// The registry hands config the vocabulary it checked before the registry existed (and
// pkg/config's testVocabulary).
func TestVocabulary(t *testing.T) {
	t.Parallel()
	want := config.Vocabulary{
		Runtimes:       []string{"go", "rust", "deno", "nodejs", "python", "bun", "provided"},
		Aliases:        []string{"node"},
		LambdaRuntimes: []string{"nodejs22.x", "nodejs24.x", "python3.11"},
		References: []string{"go", "rust", "deno", "node", "python", "bun",
			"go-hello", "rust-hello", "deno-hello", "node-hello", "python-hello", "bun-hello"},
	}
	got := Vocabulary()
	if !slices.Equal(config.AllReferences, ReferenceDirs()) {
		t.Errorf("config.AllReferences = %q, want every reference, %q", config.AllReferences, ReferenceDirs())
	}
	for _, c := range []struct {
		field     string
		got, want []string
	}{
		{"Runtimes", got.Runtimes, want.Runtimes},
		{"Aliases", got.Aliases, want.Aliases},
		{"LambdaRuntimes", got.LambdaRuntimes, want.LambdaRuntimes},
		{"References", got.References, want.References},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("Vocabulary().%s = %q, want %q", c.field, c.got, c.want)
		}
	}
}

// One name a runtime: names, aliases and Lambda versions never name two runtimes, and For
// finds a runtime by its name and its aliases, never by a Lambda version (Build pins those).
func TestForNamesOneRuntime(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, r := range All() {
		for _, n := range append(append([]string{r.Name()}, r.Aliases()...), r.LambdaRuntimes()...) {
			if other, ok := seen[n]; ok {
				t.Errorf("%q names both %s and %s", n, other, r.Name())
			}
			seen[n] = r.Name()
		}
	}
	for name, want := range map[string]string{"go": "go", "nodejs": "nodejs", "node": "nodejs", "provided": "provided"} {
		if r, ok := For(name); !ok || r.Name() != want {
			t.Errorf("For(%q) = %v, %v, want %s", name, r, ok, want)
		}
	}
	for _, name := range []string{"", "auto", "nodejs22.x", "python3"} {
		if r, ok := For(name); ok {
			t.Errorf("For(%q) = %s, want none", name, r.Name())
		}
	}
	if r, ok := forLambdaRuntime("nodejs22.x"); !ok || r.Name() != RuntimeNode {
		t.Errorf("forLambdaRuntime(nodejs22.x) = %v, %v, want nodejs", r, ok)
	}
	if r, err := Lookup("node"); err != nil || r.Name() != RuntimeNode {
		t.Errorf("Lookup(%q) = %v, %v, want nodejs", "node", r, err)
	}
	if r, err := Lookup("java"); err == nil || !strings.Contains(err.Error(), `runtime "java": valid values are go, rust, deno, nodejs, python, bun, provided`) {
		t.Errorf("Lookup(%q) = %v, %v, want an error naming the valid runtimes", "java", r, err)
	}
}

// The tools' spellings of an architecture: an arch Build does not know is an error naming the
// valid ones, never an empty GOARCH.
func TestArchSpelling(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s          archSpelling
		arch, want string
	}{
		{goArch, ArchARM64, "arm64"}, {goArch, ArchX8664, "amd64"}, {npmCPU, ArchX8664, "x64"},
		{bunTarget, ArchARM64, "bun-linux-arm64"}, {pipPlatform, ArchX8664, "manylinux2014_x86_64"},
	} {
		if got, err := tt.s.of(tt.arch); err != nil || got != tt.want {
			t.Errorf("%v.of(%q) = %q, %v, want %q", tt.s, tt.arch, got, err, tt.want)
		}
	}
	if got, err := goArch.of("amd64"); err == nil || !strings.Contains(err.Error(), `arch "amd64": valid values are arm64, x86_64`) {
		t.Errorf("goArch.of(%q) = %q, %v, want an error naming the valid arches", "amd64", got, err)
	}
}

func TestEsbuildOutput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ext, out, format string
		ok               bool
	}{{".ts", ".js", "cjs", true}, {".cts", ".js", "cjs", true}, {".mts", ".mjs", "esm", true}, {".js", "", "", false}} {
		if out, format, ok := esbuildOutput(tt.ext); out != tt.out || format != tt.format || ok != tt.ok {
			t.Errorf("esbuildOutput(%q) = %q, %q, %v, want %q, %q, %v", tt.ext, out, format, ok, tt.out, tt.format, tt.ok)
		}
	}
}

// What used to be spelled out per runtime (inittrace.For, DefaultHandlers, the reference
// handler names in referencePlan) is what the runtimes say now.
func TestRuntimeSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, tracer, handler string
		ref                   Reference
	}{
		{RuntimeGo, "GODEBUG=inittrace=1", "", Reference{Dir: "go"}},
		{RuntimeRust, "", "", Reference{Dir: "rust", SlowBuild: true}}, // built beside the first table
		{RuntimeDeno, "", "", Reference{Dir: "deno"}},
		{RuntimeNode, "node module evaluation (coldbench's module hook)", "index.handler", Reference{Dir: "node", Module: "index"}},
		{RuntimePython, "python -X importtime", "lambda_function.lambda_handler", Reference{Dir: "python", Module: "lambda_function"}},
		{RuntimeBun, "", "index.handler", Reference{Dir: "bun", Module: "index"}},
		{RuntimeProvided, "", "", Reference{}},
	} {
		r, ok := For(c.name)
		if !ok {
			t.Errorf("For(%q): no such runtime", c.name)
			continue
		}
		tr, ok := r.Tracer()
		if ok != (c.tracer != "") || tr.Name != c.tracer {
			t.Errorf("%s.Tracer() = %q, %v, want %q", c.name, tr.Name, ok, c.tracer)
		}
		if got := r.DefaultHandler(); got != c.handler {
			t.Errorf("%s.DefaultHandler() = %q, want %q", c.name, got, c.handler)
		}
		if got := r.Reference(); got != c.ref {
			t.Errorf("%s.Reference() = %+v, want %+v", c.name, got, c.ref)
		}
		if c.ref.Dir != "" {
			if back, ok := ForReference(c.ref.Dir); !ok || back.Name() != c.name {
				t.Errorf("ForReference(%q) = %v, %v, want %s", c.ref.Dir, back, ok, c.name)
			}
		}
	}
	if len(All()) != 7 {
		t.Errorf("All() has %d runtimes, want the 7 above", len(All()))
	}
}

// Every tool is found somewhere and has a doctor row; a name is one tool (npm is Node.js's and
// could be another's, but is then the same tool).
func TestToolsAreComplete(t *testing.T) {
	t.Parallel()
	byName := map[string]Tool{}
	for _, r := range All() {
		for _, tool := range r.Tools() {
			if tool.Name == "" || tool.How == "" {
				t.Errorf("%s has a tool without a doctor row: %+v", r.Name(), tool)
			}
			if (tool.field == nil) == (tool.path == nil) || (tool.field != nil) != (tool.find != nil) {
				t.Errorf("%s's %s: want a Tools field and where to look, or a path under ToolsDir", r.Name(), tool.Name)
			}
			if old, ok := byName[tool.Name]; ok && (old.How != tool.How || !slices.Equal(old.VersionArgs, tool.VersionArgs)) {
				t.Errorf("two tools named %q", tool.Name)
			}
			byName[tool.Name] = tool
		}
	}
	// Every field of Tools but the directories and the environment is some runtime's tool.
	var tt Tools
	fields := map[*string]string{}
	v := reflect.ValueOf(&tt).Elem()
	for i := 0; i < v.NumField(); i++ {
		if name := v.Type().Field(i).Name; name != "ToolsDir" && name != "CacheDir" && name != "Getenv" {
			fields[v.Field(i).Addr().Interface().(*string)] = name
		}
	}
	for _, tool := range AllTools() {
		if tool.field != nil {
			delete(fields, tool.field(&tt))
		}
	}
	if len(fields) > 0 {
		t.Errorf("fields of Tools that are no runtime's tool: %v", fields)
	}
}

// Detect's choices between runtimes: the earlier runtime's own file, a zip only as provided,
// and the exact words of an ambiguity.
func TestDetectChoosesBetweenRuntimes(t *testing.T) {
	t.Parallel()
	write := func(dir, name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("// code\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for files, want := range map[string]string{
		"go.mod Cargo.toml":         RuntimeGo,
		"Cargo.toml deno.json":      RuntimeRust,
		"deno.json package.json":    RuntimeDeno,
		"bootstrap package.json":    RuntimeProvided,
		"requirements.txt index.ts": RuntimePython,
	} {
		d := t.TempDir()
		for _, f := range strings.Fields(files) {
			write(d, f)
		}
		if got, err := Detect(d); got != want || err != nil {
			t.Errorf("Detect(%s) = %q, %v; want %s", files, got, err, want)
		}
	}
	d := t.TempDir()
	write(d, "fn.zip")
	write(d, "fn.txt")
	if got, err := Detect(filepath.Join(d, "fn.zip")); got != RuntimeProvided || err != nil {
		t.Errorf("Detect(fn.zip) = %q, %v; want provided", got, err)
	}
	if got, err := Detect(filepath.Join(d, "fn.txt")); err == nil || !strings.HasSuffix(err.Error(), "fn.txt: not a directory or a .zip") {
		t.Errorf("Detect(fn.txt) = %q, %v; want not a directory or a .zip", got, err)
	}
	both := t.TempDir()
	write(both, "package.json")
	write(both, "requirements.txt")
	want := "handler " + both + ": both a Node.js package (package.json) and Python code (requirements.txt or *.py) here: set the runtime to nodejs or python"
	if _, err := Detect(both); err == nil || err.Error() != want {
		t.Errorf("Detect(package.json requirements.txt) = %v, want %q", err, want)
	}
}

// The tools are found in the environment the caller gives, not the process's.
func TestResolveReadsTheGivenEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	deno := filepath.Join(dir, "my-deno")
	if err := os.WriteFile(deno, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"COLDBENCH_TOOLS": dir, "COLDBENCH_DENO": deno, "HOME": dir}
	got := Tools{Getenv: func(k string) string { return vars[k] }}.Resolve()
	if got.ToolsDir != dir || got.Deno != deno || got.CacheDir != filepath.Join(dir, ".cache", "coldbench", "build") {
		t.Errorf("Resolve() = ToolsDir %q, Deno %q, CacheDir %q; want %q, %q and the cache under %s", got.ToolsDir, got.Deno, got.CacheDir, dir, deno, dir)
	}
	if env := BuildEnv(got.getenv); !slices.Contains(env, "HOME="+dir) {
		t.Errorf("BuildEnv(the given environment) = %q, want HOME=%s", env, dir)
	}
}

// A Bun module with named exports is a module of handlers, wrapped in coldbench's Runtime API
// loop; a program (Bun.serve, Bun's default-export server, its own loop) is compiled as it is.
func TestJSNamedExport(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]bool{
		"export const handler = async () => 1;\n":             true,
		"export const work = async () => 1;\n":                true, // the reference: work and hello
		"  export async function hello() {}\n":                true,
		"function h() {}\nexport { h as handler };\n":         true,
		"export class Api {}\n":                               true,
		"Bun.serve({ port: 8080, fetch() {} });\n":            false,
		"export default { port: 8080, fetch() {} };\n":        false,
		"// export const handler = 1 in a comment\nloop();\n": false,
	} {
		if got := jsNamedExport.MatchString(src); got != want {
			t.Errorf("%q: named export %v, want %v", src, got, want)
		}
	}
}

// A toolchain the sandbox user cannot reach (rustup's cargo in root's home) gives way to the next
// place of that tool it can run: the tools directory's copy of rustup's toolchain (setup.sh),
// not Debian's slower compiler; with neither, the tool is dropped.
func TestRunnableByFallsBackToTheToolsDirCopy(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{filepath.Dir(root), root} { // the test's temp dirs are 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(root, "home")
	closed := filepath.Join(home, ".cargo", "bin", "cargo")
	copied := filepath.Join(root, "tools", "rust", "bin", "cargo")
	for _, p := range []string{closed, copied} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(home, 0o700); err != nil { // root's home: closed to others
		t.Fatal(err)
	}
	id := sandbox.Identity{UID: 64998, GID: 64998, Separate: true}
	env := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	tools := Tools{Cargo: closed, ToolsDir: filepath.Join(root, "tools"), Getenv: env}
	if got := tools.runnableBy(id).Cargo; got != copied {
		t.Errorf("cargo for the sandbox: %q, want the tools dir's copy %q", got, copied)
	}
	if err := os.Remove(copied); err != nil {
		t.Fatal(err)
	}
	if got := tools.runnableBy(id).Cargo; got != "" && !id.CanExec(got) {
		t.Errorf("cargo for the sandbox: %q, which it cannot run", got)
	}
}

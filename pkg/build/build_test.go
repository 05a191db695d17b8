package build

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/lambdazip"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/runner"
)

var handlersDir, _ = filepath.Abs("../../handlers")

func needToolchain(t *testing.T, runtime string) {
	t.Helper()
	tools := Tools{}.Resolve()
	switch runtime {
	case RuntimeGo:
		if tools.Go == "" {
			testenv.Missing(t, "go not installed")
		}
	case RuntimeRust:
		if tools.Cargo == "" {
			testenv.Missing(t, "cargo not installed")
		}
	case RuntimeDeno:
		if tools.Deno == "" {
			testenv.Missing(t, "deno not installed (scripts/setup.sh)")
		}
	}
}

func buildRef(t *testing.T, runtime, arch string) *results.Artifact {
	t.Helper()
	needToolchain(t, runtime)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	art, err := Build(ctx, Request{Dir: filepath.Join(handlersDir, runtime), Arch: arch, OutDir: t.TempDir(), CacheKey: "handlers/" + runtime})
	if err != nil {
		if errors.Is(err, ErrToolMissing) {
			testenv.Missing(t, err.Error())
		}
		t.Fatalf("Build(%s, %s) error: %v", runtime, arch, err)
	}
	if art.Runtime != runtime || art.Arch != arch || art.ZipBytes <= 0 || art.UnzippedBytes < art.ZipBytes/2 || art.Method == "" || len(art.Toolchain) == 0 {
		t.Errorf("Build(%s, %s) = %+v: want runtime, arch, sizes, method and toolchain versions", runtime, arch, art)
	}
	return art
}

// The compiled reference handlers, built for this machine and served by the emulator, compute
// the same checksum and make their outbound call (Bun's: its exports wrapped in coldbench's
// Runtime API loop; compiled as a program of its own, it exited before its first /next).
func TestReferenceHandlersAgree(t *testing.T) {
	t.Parallel()
	host := host.Arch()
	var results []string
	compiled := []string{RuntimeGo, RuntimeRust, RuntimeDeno, RuntimeBun}
	for _, rt := range compiled {
		art := buildRef(t, rt, host)
		r, err := runner.New(runner.Config{WorkDir: t.TempDir(), OutboundDelay: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for _, handler := range []string{"work", "hello"} {
			ref, _ := ForReference(rt)
			s := r.Sample(context.Background(), sampling.Variant{Name: rt, Artifact: art.Path, Handler: ref.Reference().Handler(handler)})
			if s.Error != nil {
				t.Fatalf("%s/%s: %v\n%s", rt, handler, s.Error, s.Output)
			}
			var resp struct {
				Runtime  string `json:"runtime"`
				Checksum string `json:"checksum"`
				Outbound int    `json:"outbound_status"`
				Hello    string `json:"hello"`
			}
			if err := json.Unmarshal([]byte(s.Response), &resp); err != nil {
				t.Fatalf("%s/%s response %q: %v", rt, handler, s.Response, err)
			}
			if resp.Runtime != rt {
				t.Errorf("%s/%s: runtime %q in response", rt, handler, resp.Runtime)
			}
			if handler == "hello" {
				if resp.Hello != "world" {
					t.Errorf("%s/hello: response %q", rt, s.Response)
				}
				continue
			}
			if resp.Checksum != "3998a4be" || resp.Outbound != 200 {
				t.Errorf("%s/work: checksum %q outbound %d, want 3998a4be and 200", rt, resp.Checksum, resp.Outbound)
			}
			results = append(results, resp.Checksum)
		}
		r.Close()
	}
	if len(results) != len(compiled) {
		t.Fatalf("got %d checksums, want %d", len(results), len(compiled))
	}
}

// arm64 builds are real aarch64 executables; Go and Rust also answer an invoke under qemu-user.
func TestARM64Builds(t *testing.T) {
	t.Parallel()
	for _, rt := range []string{RuntimeGo, RuntimeRust, RuntimeDeno} {
		t.Run(rt, func(t *testing.T) {
			t.Parallel()
			art := buildRef(t, rt, ArchARM64)
			dir := unzipTo(t, art.Path)
			exe := filepath.Join(dir, "bootstrap")
			if rt == RuntimeDeno && art.Method != "deno compile --target aarch64-unknown-linux-gnu" {
				exe = filepath.Join(dir, "bin", "deno")
			}
			if got := ELFArch(exe); got != ArchARM64 {
				t.Fatalf("%s arm64 build: %s is %q, want arm64", rt, exe, got)
			}
			if rt == RuntimeDeno {
				// The bundle's bytes by module, from deno bundle's source map (not shipped).
				if m := art.Modules; strings.HasPrefix(art.Method, "deno run package") && (m["workload.ts"] <= 0 || m["main.ts"] <= 0) {
					t.Errorf("deno bundle modules %v: want workload.ts and main.ts", m)
				}
				if _, err := os.Stat(filepath.Join(dir, "main.js.map")); err == nil {
					t.Error("the source map is in the package")
				}
				return // deno under qemu takes seconds to start: a size check only (DESIGN.md)
			}
			qemu := testenv.Tool(t, "qemu-aarch64-static")
			// Run it through qemu by wrapping the real bootstrap in a script bootstrap.
			if err := os.Rename(exe, exe+".arm64"); err != nil {
				t.Fatal(err)
			}
			script := "#!/bin/sh\nexec " + qemu + " -L /usr/aarch64-linux-gnu \"$(dirname \"$0\")/bootstrap.arm64\"\n"
			if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			wrapped := filepath.Join(t.TempDir(), "wrapped.zip")
			if _, _, err := ZipDir(dir, wrapped); err != nil {
				t.Fatal(err)
			}
			r, err := runner.New(runner.Config{WorkDir: t.TempDir(), Timeout: time.Minute, OutboundDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			s := r.Sample(context.Background(), sampling.Variant{Name: rt + "-arm64", Artifact: wrapped, Handler: "hello"})
			if s.Error != nil || !strings.Contains(s.Response, `"hello":"world"`) {
				t.Errorf("%s arm64 under qemu: error %v, response %q\n%s", rt, s.Error, s.Response, s.Output)
			}
		})
	}
}

func unzipTo(t *testing.T, zipPath string) string {
	t.Helper()
	dir := t.TempDir()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		p := filepath.Join(dir, f.Name)
		if f.Mode().IsDir() {
			_ = os.MkdirAll(p, 0o755)
			continue
		}
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		rc, _ := f.Open()
		var b bytes.Buffer
		_, _ = b.ReadFrom(rc)
		rc.Close()
		if err := os.WriteFile(p, b.Bytes(), f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The same source gives the same bytes: zips are deterministic and so are the Go and Rust builds.
func TestRebuildIsByteIdentical(t *testing.T) {
	t.Parallel()
	for _, rt := range []string{RuntimeGo, RuntimeRust} {
		t.Run(rt, func(t *testing.T) {
			t.Parallel()
			a := buildRef(t, rt, ArchARM64)
			b := buildRef(t, rt, ArchARM64)
			ab, _ := os.ReadFile(a.Path)
			bb, _ := os.ReadFile(b.Path)
			if !bytes.Equal(ab, bb) {
				if d := os.Getenv("COLDBENCH_KEEP_DIFF"); d != "" {
					_ = os.WriteFile(filepath.Join(d, rt+"-a.zip"), ab, 0o644)
					_ = os.WriteFile(filepath.Join(d, rt+"-b.zip"), bb, 0o644)
				}
				// Say what differed, for a failure seen once on a fresh, busy CI machine and never
				// alone: the method and toolchain each build took, and the sections that differ.
				t.Errorf("two %s builds of the same source differ (%d vs %d bytes): %q %v vs %q %v; sections %v vs %v", rt, len(ab), len(bb),
					a.Method, a.Toolchain, b.Method, b.Toolchain, a.Sections, b.Sections)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ dir, want string }{
		{filepath.Join(handlersDir, "go"), RuntimeGo},
		{filepath.Join(handlersDir, "rust"), RuntimeRust},
		{filepath.Join(handlersDir, "deno"), RuntimeDeno},
		{"../runner/testdata/shell", RuntimeProvided},
	} {
		if got, err := Detect(tt.dir); got != tt.want || err != nil {
			t.Errorf("Detect(%q) = %q, %v, want %q", tt.dir, got, err, tt.want)
		}
	}
	empty := t.TempDir()
	_, err := Detect(empty)
	if err == nil || !strings.Contains(err.Error(), "no recognisable handler") || !strings.Contains(err.Error(), "go, rust, deno, nodejs, python, bun, provided") {
		t.Errorf("Detect(empty dir) error = %v, want one naming what was looked for and the valid runtimes", err)
	}
	if _, err := Detect(filepath.Join(empty, "nope")); err == nil {
		t.Error("Detect(missing dir) succeeded")
	}
	// A main package below its go.mod (functions/x, cmd/x) is Go; a library package is not,
	// and neither is a main package with no module above it in its repository.
	repo := t.TempDir()
	testenv.Write(t, repo, "go.mod", "module shop\n")
	testenv.Write(t, repo, "functions/get/main.go", "// Command get.\npackage main\n")
	testenv.Write(t, repo, "store/store.go", "package store\n")
	testenv.Write(t, repo, "sub/.git/HEAD", "")
	testenv.Write(t, repo, "sub/fn/main.go", "package main\n")
	if got, err := Detect(filepath.Join(repo, "functions", "get")); got != RuntimeGo || err != nil {
		t.Errorf("Detect(functions/get) = %q, %v; want go", got, err)
	}
	for _, d := range []string{"store", "sub/fn"} {
		if got, err := Detect(filepath.Join(repo, d)); err == nil {
			t.Errorf("Detect(%s) = %q, want no handler", d, got)
		}
	}
	// The managed runtimes and Bun, from their files; Deno code without deno.json by what it uses.
	for files, want := range map[string]string{
		"package.json index.mjs":         RuntimeNode,
		"app.ts":                         RuntimeNode,
		"handler.js":                     RuntimeNode,
		"requirements.txt app.py":        RuntimePython,
		"lambda_function.py":             RuntimePython,
		"bunfig.toml index.ts":           RuntimeBun,
		"bun.lock package.json index.ts": RuntimeBun,
		"deno:hello.ts":                  RuntimeDeno,
		"bootstrap app.py":               RuntimeProvided,
	} {
		d := t.TempDir()
		for _, f := range strings.Fields(files) {
			content := "// code\n"
			if name, ok := strings.CutPrefix(f, "deno:"); ok {
				f, content = name, "export const handler = () => Deno.env.get(\"X\");\n"
			}
			testenv.Write(t, d, f, content)
		}
		if got, err := Detect(d); got != want || err != nil {
			t.Errorf("Detect(%s) = %q, %v; want %s", files, got, err, want)
		}
	}
	both := t.TempDir()
	testenv.Write(t, both, "package.json", "{}")
	testenv.Write(t, both, "app.py", "")
	if _, err := Detect(both); err == nil || !strings.Contains(err.Error(), "set the runtime to nodejs or python") {
		t.Errorf("Detect(package.json + app.py) = %v, want the ambiguity named with the way out", err)
	}
}

// A ready-made handler directory is packaged without its version control history.
func TestProvidedDirLeavesOutVCS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testenv.Write(t, dir, "bootstrap", "#!/bin/sh\n")
	_ = os.Chmod(filepath.Join(dir, "bootstrap"), 0o755)
	testenv.Write(t, dir, ".git/objects/pack/big", strings.Repeat("history", 10000))
	art, err := Build(context.Background(), Request{Dir: dir, Runtime: RuntimeProvided, Arch: ArchARM64, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := lambdazip.Read(art.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pkg.Entries {
		if strings.HasPrefix(e.Name, ".git") {
			t.Errorf("zip has %s", e.Name)
		}
	}
	if art.UnzippedBytes != int64(len("#!/bin/sh\n")) {
		t.Errorf("unzipped %d bytes, want the bootstrap's alone", art.UnzippedBytes)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("go compile error carries compiler output", func(t *testing.T) {
		t.Parallel()
		needToolchain(t, RuntimeGo)
		dir := t.TempDir()
		testenv.Write(t, dir, "go.mod", "module broken\n\ngo 1.22\n")
		testenv.Write(t, dir, "main.go", "package main\n\nfunc main() { undefinedThing() }\n")
		_, err := Build(ctx, Request{Dir: dir, Arch: ArchARM64, OutDir: t.TempDir()})
		var be *Error
		if !errors.As(err, &be) || !strings.Contains(err.Error(), "undefined: undefinedThing") || !strings.HasPrefix(err.Error(), "build go handler: go build:") {
			t.Errorf("Build(broken go) error = %v, want the compiler's message", err)
		}
	})
	t.Run("rust bins that leave the choice open", func(t *testing.T) {
		t.Parallel()
		needToolchain(t, RuntimeRust)
		dir := t.TempDir()
		testenv.Write(t, dir, "Cargo.toml", "[package]\nname = \"myfn\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n"+
			"[[bin]]\nname = \"one\"\npath = \"src/one.rs\"\n\n[[bin]]\nname = \"two\"\npath = \"src/two.rs\"\n")
		testenv.Write(t, dir, "src/one.rs", "fn main() {}\n")
		testenv.Write(t, dir, "src/two.rs", "fn main() {}\n")
		_, err := Build(ctx, Request{Dir: dir, Arch: host.Arch(), OutDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "2 binaries (one, two) and none named after the package: set binary") {
			t.Errorf("Build(two bins) error = %v", err)
		}
		_, err = Build(ctx, Request{Dir: dir, Arch: host.Arch(), OutDir: t.TempDir(), Binary: "three"})
		if err == nil || !strings.Contains(err.Error(), `binary "three": no such bin target; valid values are one, two`) {
			t.Errorf("Build(binary three) error = %v", err)
		}
	})
	t.Run("unknown arch and runtime", func(t *testing.T) {
		t.Parallel()
		_, err := Build(ctx, Request{Dir: t.TempDir(), Arch: "mips", OutDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), `arch "mips": valid values are arm64, x86_64`) {
			t.Errorf("Build(arch mips) error = %v", err)
		}
		_, err = Build(ctx, Request{Dir: t.TempDir(), Runtime: "cobol", Arch: ArchARM64, OutDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), `runtime "cobol": valid values are auto, go, rust, deno, nodejs, python, bun, provided`) {
			t.Errorf("Build(runtime cobol) error = %v", err)
		}
	})
	t.Run("provided without exec bit", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		testenv.Write(t, dir, "bootstrap", "#!/bin/sh\n")
		_, err := Build(ctx, Request{Dir: dir, Runtime: RuntimeProvided, Arch: ArchARM64, OutDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "not executable") {
			t.Errorf("Build(provided, non-exec bootstrap) error = %v", err)
		}
	})
}

// A missing toolchain names the runtime, the tool and how to get it.
func TestMissingToolchain(t *testing.T) {
	dir := t.TempDir()
	testenv.Write(t, dir, "main.ts", "console.log(Deno.version)\n")
	t.Setenv("PATH", t.TempDir())
	t.Setenv("COLDBENCH_DENO", "")
	_, err := Build(context.Background(), Request{Dir: dir, Arch: ArchX8664, OutDir: t.TempDir(), Tools: Tools{ToolsDir: t.TempDir()}})
	if !errors.Is(err, ErrToolMissing) || !strings.Contains(err.Error(), "build deno handler: find deno") || !strings.Contains(err.Error(), "scripts/setup.sh") {
		t.Errorf("Build(deno, no deno) error = %v", err)
	}
}

func TestProvidedPackagesAsIs(t *testing.T) {
	t.Parallel()
	art, err := Build(context.Background(), Request{Dir: "../runner/testdata/shell", Arch: ArchARM64, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if art.Runtime != RuntimeProvided || len(art.Notes) == 0 || !strings.Contains(art.Notes[0], "script") {
		t.Errorf("Build(shell bootstrap) = %+v", art)
	}
	// A zip is taken as it is, after checking its bootstrap.
	again, err := Build(context.Background(), Request{Dir: art.Path, Arch: ArchARM64, OutDir: t.TempDir(), Name: "copy"})
	if err != nil || again.ZipBytes != art.ZipBytes {
		t.Errorf("Build(zip) = %+v, %v", again, err)
	}
}

// Build scripts are untrusted code: they see no token, credential or CI variable.
func TestBuildSeesNoSecrets(t *testing.T) {
	needToolchain(t, RuntimeRust)
	t.Setenv("GITHUB_TOKEN", "ghs_secret")
	t.Setenv("INPUT_GITHUB-TOKEN", "ghs_secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws_secret")
	t.Setenv("ACTIONS_RUNTIME_TOKEN", "actions_secret")
	dir := t.TempDir()
	dump := filepath.Join(t.TempDir(), "env.txt")
	testenv.Write(t, dir, "Cargo.toml", "[package]\nname = \"envdump\"\nversion = \"0.1.0\"\nedition = \"2021\"\nbuild = \"build.rs\"\n[[bin]]\nname = \"bootstrap\"\npath = \"src/main.rs\"\n")
	testenv.Write(t, dir, "src/main.rs", "fn main() {}\n")
	testenv.Write(t, dir, "build.rs", `fn main() {
    let mut s = String::new();
    for (k, v) in std::env::vars() { s.push_str(&k); s.push('='); s.push_str(&v); s.push('\n'); }
    std::fs::write(r"`+dump+`", s).unwrap();
}
`)
	if _, err := Build(context.Background(), Request{Dir: dir, Arch: host.Arch(), OutDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(env), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if strings.Contains(v, "secret") || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "INPUT_") || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "ACTIONS_") {
			t.Errorf("build script saw %s", line)
		}
	}
}

// A ready-made zip that would unzip to 10 GB fails its build with Lambda's reason, after reading
// no more than Lambda's limit.
func TestProvidedZipBombFailsTheBuild(t *testing.T) {
	t.Parallel()
	zipPath := testenv.ZipBomb(t, 10<<30, 10<<30)
	_, err := Build(context.Background(), Request{Dir: zipPath, Runtime: RuntimeProvided, Arch: host.Arch(), OutDir: t.TempDir()})
	if !errors.Is(err, lambdazip.ErrTooLarge) || !strings.Contains(err.Error(), "Unzipped size must be smaller than 262144000 bytes") {
		t.Errorf("Build(10 GB zip bomb) = %v, want Lambda's InvalidParameterValueException", err)
	}
}

// A prebuilt artifact is found for the same source and toolchain only.
func TestPrebuiltMatchesSourceAndToolchain(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	testenv.Write(t, src, "main.go", "package main\nfunc main() {}\n")
	testenv.Write(t, src, "target/junk", "ignored: build output")
	hash, err := SourceHash(src)
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "a.zip")
	testenv.Write(t, filepath.Dir(zipPath), "a.zip", "zip bytes")
	p := Prebuilt{Dir: t.TempDir()}
	art := &results.Artifact{Runtime: "go", Arch: "arm64", Path: zipPath, ZipBytes: 9, Method: "go build"}
	if err := p.Store("go", "arm64", hash, "go version go1.26.8", art); err != nil {
		t.Fatal(err)
	}
	got, ok := p.Lookup("go", "arm64", hash, "go version go1.26.8")
	if !ok || got.ZipBytes != 9 || filepath.Dir(got.Path) != p.Dir || !strings.Contains(strings.Join(got.Notes, " "), "prebuilt") {
		t.Fatalf("Lookup(same) = %+v, %v; want the stored artifact, noted as prebuilt", got, ok)
	}
	if _, ok := p.Lookup("go", "arm64", hash, "go version go1.27.0"); ok {
		t.Error("Lookup(another toolchain) found the artifact")
	}
	if _, ok := p.Lookup("go", "x86_64", hash, "go version go1.26.8"); ok {
		t.Error("Lookup(another arch) found the artifact")
	}
	testenv.Write(t, src, "target/more", "still ignored")
	if h2, _ := SourceHash(src); h2 != hash {
		t.Error("build output under target/ changed the source hash")
	}
	testenv.Write(t, src, "main.go", "package main\nfunc main() { println() }\n")
	if h3, _ := SourceHash(src); h3 == hash {
		t.Error("a source change left the hash unchanged")
	}
}

// A ready-made bootstrap of another architecture cannot be timed here: its host build is refused
// with the way out, while its arm64 deploy artifact is packaged as it is.
func TestForeignArchBootstrapIsRefusedForTiming(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	other, goarch := ArchARM64, "arm64"
	if host.Arch() == ArchARM64 {
		other, goarch = ArchX8664, "amd64"
	}
	dir := t.TempDir()
	testenv.Write(t, dir, "main.go", "package main\nfunc main() {}\n")
	testenv.Write(t, dir, "go.mod", "module x\n\ngo 1.22\n")
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, err := Build(context.Background(), Request{Dir: dir, Runtime: RuntimeProvided, Arch: host.Arch(), OutDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "times only native code") || !strings.Contains(err.Error(), "bootstrap is an "+other) {
		t.Errorf("Build(%s bootstrap for the timed %s build) = %v, want it refused with the way out", other, host.Arch(), err)
	}
	if other == ArchARM64 {
		if art, err := Build(context.Background(), Request{Dir: dir, Runtime: RuntimeProvided, Arch: ArchARM64, OutDir: t.TempDir()}); err != nil {
			t.Errorf("Build(arm64 bootstrap for the arm64 deploy artifact) = %v, want it packaged", err)
		} else if art.ZipBytes == 0 {
			t.Errorf("Build(arm64 deploy) = %+v", art)
		}
	}
}

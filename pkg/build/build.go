package build

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/lambdazip"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Runtimes coldbench builds. "provided" packages a ready-made bootstrap as it is.
const (
	RuntimeGo       = "go"
	RuntimeRust     = "rust"
	RuntimeDeno     = "deno"
	RuntimeProvided = "provided"
	RuntimeNode     = "nodejs"
	RuntimePython   = "python"
	RuntimeBun      = "bun"
)

// Runtimes lists the valid values of Request.Runtime ("" or "auto" detects): the configuration's.
var Runtimes = config.Runtimes

// Lambda's architecture names.
const (
	ArchARM64 = "arm64"
	ArchX8664 = "x86_64"
)

// Request says what to build.
type Request struct {
	// Dir is the handler's source directory (for provided: a directory or a zip with a bootstrap).
	Dir string
	// Runtime is one of Runtimes; "" or "auto" detects it from the files in Dir.
	Runtime string
	// Arch is ArchARM64 or ArchX8664.
	Arch string
	// OutDir receives the zip; it is created if needed.
	OutDir string
	// Name is the zip's base name (without .zip); the runtime when empty.
	Name string
	// Tools overrides where toolchains are found (tests, the container image).
	Tools Tools
	// CacheKey names the build cache of this handler (e.g. its path in its repository), so the
	// head and base builds of one handler share compiled dependencies. Dir when empty.
	CacheKey string
	// Sandbox is who the build's commands run as: pull-request code (build.rs, toolchain lines,
	// bundler plugins) never runs as coldbench's user where a separate one can be had.
	Sandbox sandbox.Identity
	// Root is the tree the build may read: Dir or a parent of it (the repository, so a go.mod
	// above a Go main package, a Rust path dependency or a Makefile above are found). Dir when empty.
	Root string
	// Handler is the function's handler setting (_HANDLER). A Deno handler given as
	// "file.export" is a module run under coldbench's Runtime API loop, as a Deno layer runs it.
	Handler string
	// GoFlags replaces the default go build flags (SAM's go1.x build: none beyond -o bootstrap).
	GoFlags []string
	// Binary is the Cargo bin to build (cargo lambda's --bin, SAM's BuildProperties.Binary); the
	// only bin, or the package's own, when empty.
	Binary string
	// LambdaRuntime pins a managed runtime's version ("nodejs22.x"); the newest when empty.
	LambdaRuntime string
	// Command, when set, is the user's own build (a shell command run in Dir with ARTIFACTS_DIR,
	// GOOS, GOARCH and COLDBENCH_ARCH set), and Artifact what it produces: a zip, a directory or
	// a bootstrap, relative to Dir; ARTIFACTS_DIR's contents when empty.
	Command, Artifact string
	// Work is the build's own directory (the stage and what is kept beside it), set by Build.
	Work string
}

// Error is a build failure. Output holds the tool's own words (compiler errors).
type Error struct {
	Runtime string
	Step    string
	Err     error
	Output  string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("build %s handler: %s: %v", e.Runtime, e.Step, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n" + tail(out, 4000)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrToolMissing is wrapped by errors for a toolchain that is not installed.
var ErrToolMissing = errors.New("toolchain not installed")

// Build builds the handler in req.Dir into a Lambda zip for req.Arch.
func Build(ctx context.Context, req Request) (*results.Artifact, error) {
	if req.Arch != ArchARM64 && req.Arch != ArchX8664 {
		return nil, fmt.Errorf("build: arch %q: valid values are %s, %s", req.Arch, ArchARM64, ArchX8664)
	}
	rt := req.Runtime
	if base, ok := LambdaRuntimes[rt]; ok { // "nodejs22.x": Node.js, that version
		rt, req.LambdaRuntime = base, req.Runtime
	}
	if rt == "" || rt == "auto" {
		var err error
		if rt, err = Detect(req.Dir); err != nil && req.Command == "" {
			return nil, err
		} else if err != nil {
			rt = RuntimeProvided // the user's build makes the bootstrap
		}
	}
	if req.Name == "" {
		req.Name = rt
	}
	if err := os.MkdirAll(req.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	req.Tools = req.Tools.Resolve()
	// The stage is the package as the build writes it: the sandbox user's. Its parent is
	// coldbench's, so what is kept beside the stage (metafiles, wrappers) cannot be replaced by a
	// link, and coldbench assembles what it adds itself outside the sandbox's reach.
	work, err := os.MkdirTemp(req.OutDir, ".build-")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	stage := filepath.Join(work, "stage")
	req.Work = work
	if err := os.Mkdir(stage, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if rt != RuntimeProvided || req.Command != "" { // packaging a ready-made bootstrap runs nothing of the handler's
		var unlock func()
		if req, unlock, err = sandboxed(req, stage); err != nil {
			return nil, &Error{Runtime: rt, Step: "prepare the sandbox", Err: err}
		}
		defer unlock()
	}

	start := time.Now()
	var art *results.Artifact
	switch {
	case req.Command != "":
		art, err = buildCommand(ctx, req, rt, stage)
	case rt == RuntimeGo:
		art, err = buildGo(ctx, req, stage)
	case rt == RuntimeRust:
		art, err = buildRust(ctx, req, stage)
	case rt == RuntimeDeno:
		art, err = buildDeno(ctx, req, stage)
	case rt == RuntimeProvided:
		art, err = packageProvided(ctx, req, stage)
	case rt == RuntimeNode:
		art, err = buildNode(ctx, req, stage)
	case rt == RuntimePython:
		art, err = buildPython(ctx, req, stage)
	case rt == RuntimeBun:
		art, err = buildBun(ctx, req, stage)
	default:
		return nil, fmt.Errorf("build: runtime %q: valid values are auto, %s", rt, strings.Join(Runtimes, ", "))
	}
	if err != nil {
		return nil, err
	}
	art.Runtime, art.Arch = rt, req.Arch
	art.BuildMs = float64(time.Since(start).Microseconds()) / 1000
	if art.Path == "" { // packaged from the stage directory
		if err := verifyTree(req.Sandbox, stage); err != nil {
			return nil, &Error{Runtime: rt, Step: "package zip", Err: err}
		}
		art.Path = filepath.Join(req.OutDir, req.Name+".zip")
		if art.ZipBytes, art.UnzippedBytes, err = ZipDir(stage, art.Path); err != nil {
			return nil, &Error{Runtime: rt, Step: "package zip", Err: err}
		}
	}
	for _, p := range []string{filepath.Join(stage, "bootstrap"), filepath.Join(work, "collected", "bootstrap"), filepath.Join(req.Dir, "bootstrap")} {
		if art.Sections = ELFSections(p); art.Sections != nil {
			break
		}
	}
	if err := checkLimits(art); err != nil {
		return nil, &Error{Runtime: rt, Step: "check Lambda's limits", Err: err}
	}
	return art, nil
}

// checkLimits holds the package to Lambda's: over 250 MB unzipped it cannot be deployed at all
// (an error); over 50 MB zipped it must be deployed through S3 (a note).
func checkLimits(art *results.Artifact) error {
	if art.UnzippedBytes > lambdazip.MaxUnzippedBytes {
		return fmt.Errorf("%w: the package unzips to %d bytes", lambdazip.ErrTooLarge, art.UnzippedBytes)
	}
	if art.ZipBytes > lambdazip.MaxDirectUploadBytes {
		art.Notes = append(art.Notes, fmt.Sprintf("the zip is %.1f MB: over Lambda's 50 MB limit for a direct upload, so it must be deployed through S3", float64(art.ZipBytes)/(1<<20)))
	}
	return nil
}

// Detect names the runtime of the handler in dir from its files.
func Detect(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("handler %s: %w", dir, err)
	}
	if !st.IsDir() {
		if strings.HasSuffix(dir, ".zip") {
			return RuntimeProvided, nil
		}
		return "", fmt.Errorf("handler %s: not a directory or a .zip", dir)
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return true
			}
		}
		return false
	}
	switch {
	case has("go.mod"):
		return RuntimeGo, nil
	case isGoMain(dir):
		return RuntimeGo, nil // a main package below its go.mod (functions/x, cmd/x)
	case has("Cargo.toml"):
		return RuntimeRust, nil
	case has("deno.json", "deno.jsonc"):
		return RuntimeDeno, nil
	case has("bunfig.toml", "bun.lock", "bun.lockb"):
		return RuntimeBun, nil
	case has("bootstrap"):
		return RuntimeProvided, nil
	}
	glob := func(patterns ...string) []string {
		var out []string
		for _, p := range patterns {
			m, _ := filepath.Glob(filepath.Join(dir, p))
			out = append(out, m...)
		}
		return out
	}
	node := has("package.json")
	py := has("requirements.txt", "pyproject.toml") || len(glob("*.py")) > 0
	scripts := glob("*.ts", "*.mts", "*.cts", "*.js", "*.mjs", "*.cjs")
	switch {
	case node && py:
		return "", fmt.Errorf("handler %s: both a Node.js package (package.json) and Python code (requirements.txt or *.py) here: set the runtime to nodejs or python", dir)
	case node:
		return RuntimeNode, nil
	case py:
		return RuntimePython, nil
	case len(scripts) > 0 && usesDeno(scripts):
		return RuntimeDeno, nil // Deno's APIs or specifiers: a Deno module without deno.json
	case len(scripts) > 0:
		return RuntimeNode, nil
	}
	return "", fmt.Errorf("handler %s: no recognisable handler (looked for go.mod, a Go main package below one, Cargo.toml, deno.json, bunfig.toml, package.json, requirements.txt, *.py, *.ts, *.js, or an executable bootstrap); set the runtime to one of %s",
		dir, strings.Join(Runtimes, ", "))
}

// denoMarkers are what only Deno code says: its global, and its import specifiers.
var denoMarkers = regexp.MustCompile(`\bDeno\.|from\s+["'](?:jsr:|npm:|https?://)`)

// usesDeno reports whether any of the scripts uses Deno's API or Deno-only specifiers.
func usesDeno(scripts []string) bool {
	for _, f := range scripts {
		if b, err := os.ReadFile(f); err == nil && denoMarkers.Match(b) {
			return true
		}
	}
	return false
}

// isGoMain reports whether dir holds a Go main package inside a module (a go.mod in a parent).
func isGoMain(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	main := false
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil && goPackageRE.Match(b) {
			main = true
			break
		}
	}
	if !main {
		return false
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.mod")) {
			return true
		}
		if d == filepath.Dir(d) || fileExists(filepath.Join(d, ".git")) {
			return false
		}
	}
}

var goPackageRE = regexp.MustCompile(`(?m)^package main\b`)

// Tools says where each toolchain's commands are. Empty fields are looked up on PATH and in the
// tools directory scripts/setup.sh fills.
type Tools struct {
	Go, Cargo, Deno, DenoARM64, Denort string
	// CrossCargo and CrossRustc are Debian's rustc-web/cargo-web, which have an aarch64 std;
	// rustup's stable often has only the host's.
	CrossCargo, CrossRustc string
	CrossLinker            string // aarch64-linux-gnu-gcc
	CargoLambda            string // cargo-lambda (arm64 builds linked by zig)
	Npm, Esbuild, Python   string // Node.js packages, TypeScript bundles, Python wheels
	// Bun runs bun build; BunX64 and BunARM64 are each arch's executable, the base of the
	// executables bun build --compile makes (no download at build time).
	Bun, BunX64, BunARM64 string
	ToolsDir              string // $COLDBENCH_TOOLS, else /opt/coldbench/tools for root, ~/.cache/coldbench/tools otherwise
	CacheDir              string // build caches (cargo target dirs); ~/.cache/coldbench/build
}

func (t Tools) Resolve() Tools {
	home, _ := os.UserHomeDir()
	if t.ToolsDir == "" {
		t.ToolsDir = DefaultToolsDir(os.Getenv)
	}
	if t.CacheDir == "" {
		t.CacheDir = filepath.Join(home, ".cache", "coldbench", "build")
	}
	look := func(cur string, names ...string) string {
		if cur != "" {
			return cur
		}
		for _, n := range names {
			if filepath.IsAbs(n) {
				if st, err := os.Stat(n); err == nil && st.Mode()&0o111 != 0 {
					return n
				}
				continue
			}
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	t.Go = look(t.Go, "go")
	t.Cargo = look(t.Cargo, "cargo", filepath.Join(home, ".cargo", "bin", "cargo"))
	t.Deno = look(t.Deno, os.Getenv("COLDBENCH_DENO"), "deno", filepath.Join(t.ToolsDir, "bin", "deno"))
	t.DenoARM64 = look(t.DenoARM64, os.Getenv("COLDBENCH_DENO_ARM64"), filepath.Join(t.ToolsDir, "deno-arm64", "deno"))
	t.Denort = look(t.Denort, os.Getenv("DENORT_BIN"))
	t.CrossCargo = look(t.CrossCargo, "/usr/bin/cargo")
	t.CrossRustc = look(t.CrossRustc, "/usr/bin/rustc")
	t.CrossLinker = look(t.CrossLinker, "aarch64-linux-gnu-gcc")
	t.CargoLambda = look(t.CargoLambda, filepath.Join(t.ToolsDir, "bin", "cargo-lambda"), "cargo-lambda")
	t.Npm = look(t.Npm, "npm")
	t.Esbuild = look(t.Esbuild, filepath.Join(t.ToolsDir, "bin", "esbuild"), "esbuild")
	t.Python = look(t.Python, pythonFor(t))
	t.BunX64 = look(t.BunX64, filepath.Join(t.ToolsDir, "bun", "x64", "bin", "bun"))
	t.BunARM64 = look(t.BunARM64, filepath.Join(t.ToolsDir, "bun", "aarch64", "bin", "bun"))
	t.Bun = look(t.Bun, filepath.Join(t.ToolsDir, "bin", "bun"), "bun")
	return t
}

// BunFor is the bun executable of arch, the base of that arch's compiled executables.
func (t Tools) BunFor(arch string) string {
	if arch == ArchARM64 {
		return t.BunARM64
	}
	return t.BunX64
}

// DefaultToolsDir is where scripts/setup.sh puts the tools that are not Debian packages:
// $COLDBENCH_TOOLS, else /opt/coldbench/tools for root (where the sandbox user can run them, as
// in the action's image), else ~/.cache/coldbench/tools.
func DefaultToolsDir(getenv func(string) string) string {
	if d := getenv("COLDBENCH_TOOLS"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/opt/coldbench/tools"
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "coldbench", "tools")
}

func missing(runtime, tool, how string) error {
	return &Error{Runtime: runtime, Step: "find " + tool, Err: fmt.Errorf("%w: %s not found; %s", ErrToolMissing, tool, how)}
}

// buildEnvKeys are the only variables a build sees besides the ones it sets: what toolchains need
// to find their caches and proxies. The handler is untrusted pull-request code and its build
// scripts (build.rs, go generate) run with this environment: never a token or a credential.
var buildEnvKeys = []string{
	"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "USER",
	"GOPATH", "GOCACHE", "GOMODCACHE", "GOPROXY", "GONOSUMDB", "GONOSUMCHECK", "GOPRIVATE", "GOFLAGS", "GOTOOLCHAIN", "GOSUMDB", "GOINSECURE",
	"CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "CARGO_NET_OFFLINE", "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
	"DENO_DIR", "NPM_CONFIG_REGISTRY", "DENO_TLS_CA_STORE", "DENO_CERT", "NODE_EXTRA_CA_CERTS",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

// BuildEnv is the scrubbed environment of every build command, plus extra.
func BuildEnv(getenv func(string) string, extra ...string) []string {
	var env []string
	for _, k := range buildEnvKeys {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "NO_COLOR=1", "TERM=dumb") // tools' own words, without colour codes
	env = append(env, extra...)
	// Later entries win in os/exec; keep one of each for readability in error messages.
	seen := map[string]int{}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := seen[k]; ok {
			out[i] = kv
			continue
		}
		seen[k] = len(out)
		out = append(out, kv)
	}
	sort.Strings(out)
	return out
}

// run executes a build step with the scrubbed environment, as the sandbox user in its own process
// group (killed whole at the deadline); a failure carries the tool's output. With a separate
// sandbox user the step starts confined (sandbox.Spec: its uid, a process limit, Landlock), and
// when it ends every process of that uid is killed, whatever it did to outlive the step: nothing
// of a build runs while coldbench reads what it wrote, or into the next step.
func run(ctx context.Context, req Request, runtime, step, dir string, env []string, name string, args ...string) (string, error) {
	var out bytes.Buffer
	var cmd *exec.Cmd
	var start func() error
	if req.Sandbox.Separate {
		spec := req.Sandbox.Confine(buildProcs, req.Tools.execDirs(), []string{req.Tools.CacheDir, req.Work})
		spec.Env = sandboxEnv(env, req)
		child, err := spec.Command(name, args...)
		if err != nil {
			return "", &Error{Runtime: runtime, Step: step, Err: err}
		}
		cmd, start = child.Cmd, child.Start
	} else {
		cmd = exec.Command(name, args...)
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		start = cmd.Start
	}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &out, &out
	err := start()
	if err == nil {
		done := make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			case <-done:
			}
		}()
		err = cmd.Wait()
		sandbox.Forget(cmd.Process.Pid)
		close(done)
	}
	if n, kerr := req.Sandbox.KillAll(); kerr != nil {
		return out.String(), &Error{Runtime: runtime, Step: step, Err: kerr, Output: out.String()}
	} else if n > 0 {
		fmt.Fprintf(&out, "\n[coldbench: %d process(es) of the build were still running after %s; killed]\n", n, step)
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return out.String(), &Error{Runtime: runtime, Step: step, Err: err, Output: out.String()}
	}
	return out.String(), nil
}

// buildProcs bounds a build's processes and threads (RLIMIT_NPROC of its uid): far above what
// compilers use on a runner, far below what exhausts one.
const buildProcs = 4096

// execDirs are the toolchain trees a confined build may read and run beyond the system's.
func (t Tools) execDirs() []string {
	var out []string
	for _, p := range []string{t.Go, t.Cargo, t.Deno, t.DenoARM64, t.Denort, t.CrossCargo, t.CrossRustc, t.CrossLinker, t.CargoLambda,
		t.Npm, t.Esbuild, t.Python, t.Bun, t.BunX64, t.BunARM64} {
		if p == "" {
			continue
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			// bin/tool: the toolchain is the directory above bin (GOROOT, a Node.js prefix).
			out = append(out, filepath.Dir(filepath.Dir(real)))
		}
	}
	if t.ToolsDir != "" {
		out = append(out, t.ToolsDir)
	}
	return out
}

// version runs "tool args..." and returns its first line, or "unknown".
func version(ctx context.Context, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	// A toolchain run as coldbench's own user: from /, where no go.mod, rust-toolchain.toml or
	// .nvmrc of the pull request's can make it fetch or run another toolchain, and with nothing
	// of coldbench's secrets.
	cmd.Dir = "/"
	cmd.Env = BuildEnv(os.Getenv, "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// ELFArch returns the Lambda architecture of an ELF executable, or "" for anything else (scripts).
func ELFArch(path string) string {
	f, done, err := openELF(path)
	if err != nil {
		return ""
	}
	defer done()
	switch f.Machine {
	case elf.EM_AARCH64:
		return ArchARM64
	case elf.EM_X86_64:
		return ArchX8664
	}
	return f.Machine.String()
}

// ELFSections is an ELF executable's allocated sections by size (the ones the loader maps), or
// nil for anything else (a script).
func ELFSections(path string) map[string]int64 {
	f, done, err := openELF(path)
	if err != nil {
		return nil
	}
	defer done()
	out := map[string]int64{}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 && s.Name != "" {
			out[s.Name] += int64(s.Size)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// openELF opens a regular file as ELF without blocking on a fifo: the path may be in a tree the
// sandbox wrote.
func openELF(path string) (*elf.File, func(), error) {
	// A link is followed (toolchains are links into their packages): what is read of the file is
	// its architecture and section sizes, never its bytes.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err == nil {
		if st, serr := f.Stat(); serr != nil || !st.Mode().IsRegular() {
			f.Close()
			f, err = nil, fmt.Errorf("%s: not a regular file", path)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return ef, func() { f.Close() }, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

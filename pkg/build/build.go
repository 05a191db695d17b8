package build

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"github.com/coldbench/coldbench/pkg/lambdazip"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Lambda's architecture names.
const (
	ArchARM64 = "arm64"
	ArchX8664 = "x86_64"
)

// Request says what to build.
type Request struct {
	// Dir is the handler's source directory (for provided: a directory or a zip with a bootstrap).
	Dir string
	// Runtime is a runtime's name (Names) or alias, or a Lambda version of one ("nodejs22.x");
	// "" or "auto" detects it from the files in Dir.
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
	// SlotOwner names whose untrusted code the build runs (a pull request of a repository, a
	// checkout): a sandbox slot whose caches another owner's code wrote last is emptied before
	// the build (slotowner.go). "" for trusted code (base, the references): the caches are kept.
	SlotOwner string
	// SlotTrusted says the owner's code is the repository's own (a push's commit), not a pull
	// request's: another owner's build may take over a slot only such code wrote, caches and all.
	SlotTrusted bool
	// StdSeedIfBuilt takes the compiled Go standard library (gostd.go) only where one is already
	// built, never compiling one: for the references, built once per machine and for one slot,
	// where all of std (55 s of CPU an arch here) costs more than the packages the build needs.
	StdSeedIfBuilt bool
	// Root is the tree the build may read: Dir or a parent of it (the repository, so a go.mod
	// above a Go main package, a Rust path dependency or a Makefile above are found). Dir when empty.
	Root string
	// Handler is the function's handler setting (_HANDLER). A Deno handler given as
	// "file.export" is a module run under coldbench's Runtime API loop, as a Deno layer runs it.
	Handler string
	// WebScript: the handler setting is the web server's start script (run.sh) that the Web
	// Adapter's exec wrapper runs, not a module: a managed runtime's build checks that file.
	WebScript bool
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

// archSpelling is how one tool spells each Lambda architecture.
type archSpelling struct{ arm64, x8664 string }

// The tools' spellings of the architectures.
var (
	goArch      = archSpelling{arm64: "arm64", x8664: "amd64"}                                // GOARCH
	npmCPU      = archSpelling{arm64: "arm64", x8664: "x64"}                                  // npm --cpu
	bunTarget   = archSpelling{arm64: "bun-linux-arm64", x8664: "bun-linux-x64"}              // bun build --target
	pipPlatform = archSpelling{arm64: "manylinux2014_aarch64", x8664: "manylinux2014_x86_64"} // pip --platform
)

// of is s's spelling of arch. Build rejects any other arch before a builder runs; a builder
// called otherwise gets the same error naming the valid values, never an empty spelling.
func (s archSpelling) of(arch string) (string, error) {
	switch arch {
	case ArchARM64:
		return s.arm64, nil
	case ArchX8664:
		return s.x8664, nil
	}
	return "", fmt.Errorf("arch %q: valid values are %s, %s", arch, ArchARM64, ArchX8664)
}

// ErrToolMissing is wrapped by errors for a toolchain that is not installed.
var ErrToolMissing = errors.New("toolchain not installed")

// Build builds the handler in req.Dir into a Lambda zip for req.Arch.
func Build(ctx context.Context, req Request) (*results.Artifact, error) {
	if _, err := goArch.of(req.Arch); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	rt := req.Runtime
	if r, ok := forLambdaRuntime(rt); ok { // "nodejs22.x": Node.js, that version
		rt, req.LambdaRuntime = r.Name(), req.Runtime
	}
	if r, ok := For(rt); ok { // "node": nodejs
		rt = r.Name()
	}
	if rt == "" || rt == "auto" {
		var err error
		if rt, err = Detect(req.Dir); err != nil && req.Command == "" {
			return nil, err
		} else if err != nil {
			rt = RuntimeProvided // the user's build makes the bootstrap
		}
	}
	r, ok := For(rt)
	if !ok {
		return nil, fmt.Errorf("build: runtime %q: valid values are auto, %s", rt, strings.Join(Names(), ", "))
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
	if _, asIs := r.(Provided); !asIs || req.Command != "" { // packaging a ready-made bootstrap runs nothing of the handler's
		var unlock func()
		if req, unlock, err = sandboxed(req, stage); err != nil {
			return nil, &Error{Runtime: rt, Step: "prepare the sandbox", Err: err}
		}
		defer unlock()
	}

	start := time.Now()
	var art *results.Artifact
	if req.Command != "" {
		art, err = buildCommand(ctx, req, rt, stage)
	} else {
		art, err = r.Build(ctx, req, stage)
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
			art.GoMainModule = GoMainModule(p)
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
	Pnpm, Yarn             string // Node.js packages whose lock file is pnpm's or Yarn classic's
	// Bun runs bun build; BunX64 and BunARM64 are each arch's executable, the base of the
	// executables bun build --compile makes (no download at build time).
	Bun, BunX64, BunARM64 string
	ToolsDir              string // $COLDBENCH_TOOLS, else /opt/coldbench/tools for root, ~/.cache/coldbench/tools otherwise
	CacheDir              string // build caches (cargo target dirs); ~/.cache/coldbench/build
	// Getenv is the environment the tools are found in (COLDBENCH_TOOLS, HOME, the tools'
	// own variables) and that BuildEnv's allow-list passes on to a build: the caller's, so a
	// build is testable without the process's. The process's (os.Getenv) when nil. PATH
	// lookups (exec.LookPath) still read the process's PATH.
	Getenv func(string) string
}

// getenv reads the environment t was given, or the process's when it was given none.
func (t Tools) getenv(key string) string {
	if t.Getenv == nil {
		return os.Getenv(key)
	}
	return t.Getenv(key)
}

// Resolve fills in where each runtime's tools are (Runtime.Tools: on PATH, in the tools
// directory, where an environment variable says), keeping what t already says.
func (t Tools) Resolve() Tools {
	home := t.getenv("HOME") // what os.UserHomeDir reads
	if t.ToolsDir == "" {
		t.ToolsDir = toolsDir(t.getenv, home)
	}
	if t.CacheDir == "" {
		t.CacheDir = filepath.Join(home, ".cache", "coldbench", "build")
	}
	for _, tool := range AllTools() {
		if tool.field != nil {
			p := tool.field(&t)
			*p = look(*p, tool.find(t, home)...)
		}
	}
	return t
}

// look returns cur, or else the first of names that is an executable (an absolute path) or
// found on PATH, or "".
func look(cur string, names ...string) string {
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
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
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
	home, _ := os.UserHomeDir()
	return toolsDir(getenv, home)
}

// toolsDir is DefaultToolsDir with the home directory given.
func toolsDir(getenv func(string) string, home string) string {
	if d := getenv("COLDBENCH_TOOLS"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/opt/coldbench/tools"
	}
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
	for _, tool := range AllTools() {
		if tool.field == nil {
			continue
		}
		p := *tool.field(&t)
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
func (t Tools) version(ctx context.Context, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	// A toolchain run as coldbench's own user: from /, where no go.mod, rust-toolchain.toml or
	// .nvmrc of the pull request's can make it fetch or run another toolchain, and with nothing
	// of coldbench's secrets.
	cmd.Dir = "/"
	cmd.Env = BuildEnv(t.getenv, "GOTOOLCHAIN=local")
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
	f, err := openFollowed(path)
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

// openFollowed opens a regular file for reading, following a link, without blocking on a fifo:
// the path may be in a tree the sandbox wrote.
func openFollowed(path string) (*os.File, error) {
	// A link is followed (toolchains are links into their packages): what is read of the file is
	// its architecture, section sizes and build info, never run.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err == nil {
		if st, serr := f.Stat(); serr != nil || !st.Mode().IsRegular() {
			f.Close()
			f, err = nil, fmt.Errorf("%s: not a regular file", path)
		}
	}
	return f, err
}

// GoMainModule is the main module's path in a Go executable's build info (the function's own
// packages are under it), or "" for anything else.
func GoMainModule(path string) string {
	f, err := openFollowed(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := buildinfo.Read(f)
	if err != nil {
		return ""
	}
	return info.Main.Path
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

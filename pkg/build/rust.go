package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/results"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

const aarch64Triple = "aarch64-unknown-linux-gnu"

// targetLocks serialises builds sharing a cargo target dir within this process.
var targetLocks sync.Map

// buildRust builds the Cargo project's bootstrap binary in release mode. For arm64 on another host
// it prefers cargo-lambda (zig as the linker) and otherwise cross-compiles with a Debian rustc that
// has the aarch64 std and the aarch64 GNU linker.
func buildRust(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	if req.Tools.Cargo == "" && req.Tools.CrossCargo == "" {
		return nil, missing(RuntimeRust, "cargo", "install Rust with rustup (https://rustup.rs) or apt-get install cargo")
	}
	cargo := req.Tools.Cargo
	if cargo == "" {
		cargo = req.Tools.CrossCargo
	}
	binName, err := pickBin(ctx, req, cargo)
	if err != nil {
		return nil, err
	}
	key := req.CacheKey
	if key == "" {
		key = req.Dir
	}
	// One target dir per handler and arch: head and base share compiled dependencies, and the host
	// and cross toolchains (different rustc versions) do not invalidate each other's.
	sum := sha256.Sum256([]byte(key))
	targetDir := filepath.Join(req.Tools.CacheDir, "cargo", hex.EncodeToString(sum[:8])+"-"+req.Arch)
	env := BuildEnv(req.Tools.getenv, "CARGO_TARGET_DIR="+targetDir, "CARGO_TERM_COLOR=never")
	// Cargo locks the target dir only while it builds; hold it until the binary is copied out, or
	// a concurrent build of the same handler could relink it under our feet.
	mu, _ := targetLocks.LoadOrStore(targetDir, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	var bin, method string
	tool := map[string]string{}
	switch {
	case req.Arch == host.Arch():
		args := []string{"build", "--release", "--bin", binName}
		if fileExists(filepath.Join(req.Dir, "Cargo.lock")) {
			args = append(args, "--locked") // the versions the author tested, not newer ones
		}
		hostEnv := env
		if rustc := rustcBeside(cargo); filepath.IsAbs(rustc) {
			// The compiler beside this cargo, not the first rustc on the sandbox's PATH (Debian's,
			// when cargo is the tools directory's copy of rustup's toolchain).
			hostEnv = append(without(env, "RUSTC"), "RUSTC="+rustc)
		}
		if _, err := run(ctx, req, RuntimeRust, "cargo build", req.Dir, hostEnv, cargo, args...); err != nil {
			return nil, err
		}
		bin = filepath.Join(targetDir, "release", binName)
		method = "cargo build --release"
		tool["rustc"] = req.Tools.version(ctx, rustcBeside(cargo), "--version")
	default:
		// Cross-compiling: find a rustc that has the aarch64 std (rustup's when the target was
		// added, else Debian's rustc-web), then build with cargo-lambda (zig links against an old
		// glibc, so the binary starts on any Lambda) or with the aarch64 GNU linker.
		xcargo, xrustc := crossPair(ctx, cargo, req.Tools)
		if xcargo == "" {
			return nil, missing(RuntimeRust, "an aarch64 Rust toolchain",
				"rustup target add aarch64-unknown-linux-gnu, or Debian's rustc-web, cargo-web and libstd-rust-web-dev:arm64 (scripts/setup.sh does this)")
		}
		crossEnv := withPath(env, filepath.Dir(xrustc)) // rustup's rustc first on PATH fails with E0463
		crossEnv = append(without(crossEnv, "RUSTUP_TOOLCHAIN"), "RUSTC="+xrustc)
		tool["rustc"] = req.Tools.version(ctx, xrustc, "--version")
		if cl := req.Tools.CargoLambda; cl != "" {
			crossEnv = withPath(crossEnv, filepath.Dir(cl))
			crossEnv = withPath(crossEnv, filepath.Dir(xrustc))
			if _, err := run(ctx, req, RuntimeRust, "cargo lambda build", req.Dir, crossEnv, xcargo, "lambda", "build", "--release", "--arm64", "--bin", binName); err != nil {
				return nil, err
			}
			bin = filepath.Join(targetDir, "lambda", binName, "bootstrap")
			method = "cargo lambda build --release --arm64 (zig linker)"
			tool["cargo-lambda"] = req.Tools.version(ctx, cl, "lambda", "--version")
			break
		}
		if req.Tools.CrossLinker == "" {
			return nil, missing(RuntimeRust, "aarch64-linux-gnu-gcc", "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross, or pip install cargo-lambda")
		}
		crossEnv = append(crossEnv, "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="+req.Tools.CrossLinker)
		if _, err := run(ctx, req, RuntimeRust, "cargo build --target "+aarch64Triple, req.Dir, crossEnv, xcargo,
			"build", "--release", "--target", aarch64Triple, "--bin", binName); err != nil {
			return nil, err
		}
		bin = filepath.Join(targetDir, aarch64Triple, "release", binName)
		method = "cargo build --release --target " + aarch64Triple + " (linker aarch64-linux-gnu-gcc)"
	}
	rel, err := filepath.Rel(req.Tools.CacheDir, bin)
	var b []byte
	if err == nil {
		b, err = readIn(req.Sandbox, req.Tools.CacheDir, rel) // the target dir is the sandbox's
	}
	if err == nil {
		err = writeIn(stage, "bootstrap", b, 0o755)
	}
	if err != nil {
		return nil, &Error{Runtime: RuntimeRust, Step: "collect bootstrap", Err: err}
	}
	if binName != "bootstrap" {
		method += " --bin " + binName + " (packaged as bootstrap)"
	}
	art := &results.Artifact{Method: method, Toolchain: tool, Notes: glibcNote(bin)}
	if _, err := os.Stat(filepath.Join(req.Dir, "rust-toolchain.toml")); err == nil && req.Arch != host.Arch() {
		art.Notes = append(art.Notes, "built for arm64 with "+tool["rustc"]+"; rust-toolchain.toml is honoured only where rustup provides that toolchain with the aarch64 target")
	}
	return art, nil
}

// pickBin chooses the binary to ship the way cargo lambda does: the one asked for (req.Binary),
// else one named bootstrap, else the only one, else the package's namesake. Lambda runs it as
// bootstrap whatever its name.
func pickBin(ctx context.Context, req Request, cargo string) (string, error) {
	dir := req.Dir
	out, err := run(ctx, req, RuntimeRust, "cargo metadata", dir, BuildEnv(req.Tools.getenv, "CARGO_TERM_COLOR=never"), cargo, "metadata", "--no-deps", "--format-version", "1")
	if err != nil {
		return "", err
	}
	var meta struct {
		Packages []struct {
			Name         string `json:"name"`
			ManifestPath string `json:"manifest_path"`
			Targets      []struct {
				Name string   `json:"name"`
				Kind []string `json:"kind"`
			} `json:"targets"`
		} `json:"packages"`
	}
	start := strings.Index(out, "{")
	if start < 0 {
		return "", &Error{Runtime: RuntimeRust, Step: "cargo metadata", Err: fmt.Errorf("no JSON in its output"), Output: out}
	}
	if err := json.Unmarshal([]byte(out[start:]), &meta); err != nil {
		return "", &Error{Runtime: RuntimeRust, Step: "cargo metadata", Err: err, Output: out}
	}
	var bins []string
	own := ""
	for _, p := range meta.Packages {
		for _, t := range p.Targets {
			if slices.Contains(t.Kind, "bin") {
				bins = append(bins, t.Name)
				if t.Name == p.Name && filepath.Dir(p.ManifestPath) == dir {
					own = t.Name
				}
			}
		}
	}
	switch {
	case req.Binary != "" && slices.Contains(bins, req.Binary):
		return req.Binary, nil
	case req.Binary != "":
		return "", &Error{Runtime: RuntimeRust, Step: "find the binary",
			Err: fmt.Errorf("binary %q: no such bin target; valid values are %s", req.Binary, strings.Join(bins, ", "))}
	case slices.Contains(bins, "bootstrap"):
		return "bootstrap", nil
	case len(bins) == 1:
		return bins[0], nil
	case own != "":
		return own, nil
	case len(bins) == 0:
		return "", &Error{Runtime: RuntimeRust, Step: "find the binary", Err: fmt.Errorf("%s has no binary targets: a Lambda handler is a bin (src/main.rs)", dir)}
	}
	return "", &Error{Runtime: RuntimeRust, Step: "find the binary",
		Err: fmt.Errorf("%d binaries (%s) and none named after the package: set binary to the one to ship (SAM: Metadata.BuildProperties.Binary)", len(bins), strings.Join(bins, ", "))}
}

// crossPair returns a cargo and rustc whose sysroot has the aarch64 std: the host toolchain's
// when rustup has the target, else the cross toolchain's; "" when neither has it.
func crossPair(ctx context.Context, cargo string, t Tools) (string, string) {
	for _, pair := range [][2]string{{cargo, rustcBeside(cargo)}, {t.CrossCargo, t.CrossRustc}} {
		if pair[0] == "" || pair[1] == "" {
			continue
		}
		if hasAarch64Std(ctx, t, pair[1]) {
			return pair[0], pair[1]
		}
	}
	return "", ""
}

// aarch64Std remembers, per rustc, whether it has the aarch64 std: the answer must not change
// between two builds of one run (a rustup proxy that failed once under load made two builds of
// the same source pick different compilers).
var aarch64Std sync.Map

// hasAarch64Std asks rustc for its sysroot, as coldbench's user, from / (no rust-toolchain.toml
// of the pull request's can choose the toolchain that answers).
func hasAarch64Std(ctx context.Context, t Tools, rustc string) bool {
	if v, ok := aarch64Std.Load(rustc); ok {
		return v.(bool)
	}
	cmd := exec.CommandContext(ctx, rustc, "--print", "sysroot")
	cmd.Dir = "/"
	cmd.Env = BuildEnv(t.getenv)
	out, err := cmd.Output()
	ok := err == nil && fileExists(filepath.Join(strings.TrimSpace(string(out)), "lib", "rustlib", aarch64Triple, "lib"))
	v, _ := aarch64Std.LoadOrStore(rustc, ok)
	return v.(bool)
}

func rustcBeside(cargo string) string {
	if p := filepath.Join(filepath.Dir(cargo), "rustc"); fileExists(p) {
		return p
	}
	return "rustc"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// withPath puts dir first on env's PATH.
func withPath(env []string, dir string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + dir + ":" + v
			found = true
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "PATH="+dir+":/usr/bin:/bin")
	}
	return out
}

func without(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// RuntimeRust is Rust's name.
const RuntimeRust = "rust"

// Rust is a Cargo project's bin built in release mode into a bootstrap (provided.al2023).
type Rust struct{}

// Name is "rust".
func (Rust) Name() string { return RuntimeRust }

// Aliases are none.
func (Rust) Aliases() []string { return nil }

// Detect finds a Cargo.toml.
func (Rust) Detect(dir string) Detection {
	if has(dir, "Cargo.toml") {
		return Detection{MatchOwnFile, "a Cargo package (Cargo.toml)"}
	}
	return Detection{}
}

// Tools are cargo, and for arm64 on another host a Debian rustc with the aarch64 std and its
// linker, or cargo-lambda.
func (Rust) Tools() []Tool {
	return []Tool{
		{Name: "cargo", How: "install Rust (rustup)", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.Cargo },
			find: func(t Tools, home string) []string {
				// Last, rustup's toolchain as scripts/setup.sh links it into the tools directory,
				// for the sandbox user, who cannot reach root's ~/.rustup (runnableBy).
				return []string{"cargo", filepath.Join(home, ".cargo", "bin", "cargo"), filepath.Join(t.ToolsDir, "rust", "bin", "cargo")}
			}},
		{Name: "aarch64 cargo", How: "apt-get install rustc-web cargo-web (scripts/setup.sh)", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.CrossCargo }, find: func(Tools, string) []string { return []string{"/usr/bin/cargo"} }},
		{Name: "aarch64 rustc", How: "apt-get install rustc-web cargo-web libstd-rust-web-dev:arm64 (scripts/setup.sh)", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.CrossRustc }, find: func(Tools, string) []string { return []string{"/usr/bin/rustc"} }},
		{Name: "aarch64 linker", How: "apt-get install gcc-aarch64-linux-gnu", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.CrossLinker }, find: func(Tools, string) []string { return []string{"aarch64-linux-gnu-gcc"} }},
		{Name: "cargo-lambda", How: "optional: scripts/setup.sh (arm64 builds linked by zig)", VersionArgs: []string{"lambda", "--version"},
			field: func(t *Tools) *string { return &t.CargoLambda },
			find: func(t Tools, _ string) []string {
				return []string{filepath.Join(t.ToolsDir, "bin", "cargo-lambda"), "cargo-lambda"}
			}},
	}
}

// Build runs cargo build --release (or cargo lambda build).
func (Rust) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return buildRust(ctx, req, stage)
}

// ToolchainKey is the host rustc's version, and for another arch the cross rustc's and
// cargo-lambda's.
func (Rust) ToolchainKey(ctx context.Context, req Request, t Tools) string {
	cargo := t.Cargo
	if cargo == "" {
		cargo = t.CrossCargo
	}
	parts := []string{t.version(ctx, rustcBeside(cargo), "--version")}
	if req.Arch != "" && req.Arch != host.Arch() {
		_, xrustc := crossPair(ctx, cargo, t)
		parts = append(parts, t.version(ctx, xrustc, "--version"))
		if t.CargoLambda != "" {
			parts = append(parts, t.version(ctx, t.CargoLambda, "lambda", "--version"))
		}
	}
	return strings.Join(parts, "; ")
}

// DefaultHandler is none: the bootstrap is the handler.
func (Rust) DefaultHandler() string { return "" }

// LambdaRuntimes are none: Rust runs on provided.al2023.
func (Rust) LambdaRuntimes() []string { return nil }

// Tracer is none: Rust has no init of its own to trace.
func (Rust) Tracer() (inittrace.Tracer, bool) { return inittrace.Tracer{}, false }

// Reference is handlers/rust.
func (Rust) Reference() Reference { return Reference{Dir: "rust", SlowBuild: true} }

package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const aarch64Triple = "aarch64-unknown-linux-gnu"

// buildRust builds the Cargo project's bootstrap binary in release mode. For arm64 on another host
// it prefers cargo-lambda (zig as the linker) and otherwise cross-compiles with a Debian rustc that
// has the aarch64 std and the aarch64 GNU linker.
func buildRust(ctx context.Context, req Request, stage string) (*Artifact, error) {
	if req.Tools.Cargo == "" && req.Tools.CrossCargo == "" {
		return nil, missing(RuntimeRust, "cargo", "install Rust with rustup (https://rustup.rs) or apt-get install cargo")
	}
	cargo := req.Tools.Cargo
	if cargo == "" {
		cargo = req.Tools.CrossCargo
	}
	if err := checkBootstrapBin(ctx, cargo, req.Dir); err != nil {
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
	env := BuildEnv(os.Getenv, "CARGO_TARGET_DIR="+targetDir, "CARGO_TERM_COLOR=never")

	var bin, method string
	tool := map[string]string{}
	switch {
	case req.Arch == HostArch():
		args := []string{"build", "--release", "--bin", "bootstrap"}
		if fileExists(filepath.Join(req.Dir, "Cargo.lock")) {
			args = append(args, "--locked") // the versions the author tested, not newer ones
		}
		if _, err := run(ctx, RuntimeRust, "cargo build", req.Dir, env, cargo, args...); err != nil {
			return nil, err
		}
		bin = filepath.Join(targetDir, "release", "bootstrap")
		method = "cargo build --release"
		tool["rustc"] = version(ctx, rustcBeside(cargo), "--version")
	case hasCargoLambda(cargo):
		if _, err := run(ctx, RuntimeRust, "cargo lambda build", req.Dir, env, cargo, "lambda", "build", "--release", "--arm64", "--bin", "bootstrap"); err != nil {
			return nil, err
		}
		bin = filepath.Join(targetDir, "lambda", "bootstrap", "bootstrap")
		method = "cargo lambda build --release --arm64"
		tool["rustc"] = version(ctx, rustcBeside(cargo), "--version")
		tool["cargo-lambda"] = version(ctx, cargo, "lambda", "--version")
	default:
		if req.Tools.CrossCargo == "" || req.Tools.CrossRustc == "" || req.Tools.CrossLinker == "" {
			return nil, missing(RuntimeRust, "an aarch64 Rust toolchain",
				"install cargo-lambda (with zig), or Debian's rustc-web, cargo-web, libstd-rust-web-dev:arm64 and gcc-aarch64-linux-gnu (scripts/setup.sh does this)")
		}
		// rustup's rustc must not come first on PATH: it lacks the aarch64 std (E0463).
		crossEnv := withPath(env, filepath.Dir(req.Tools.CrossRustc))
		crossEnv = append(crossEnv,
			"RUSTC="+req.Tools.CrossRustc,
			"CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="+req.Tools.CrossLinker)
		crossEnv = without(crossEnv, "RUSTUP_TOOLCHAIN")
		if _, err := run(ctx, RuntimeRust, "cargo build --target "+aarch64Triple, req.Dir, crossEnv, req.Tools.CrossCargo,
			"build", "--release", "--target", aarch64Triple, "--bin", "bootstrap"); err != nil {
			return nil, err
		}
		bin = filepath.Join(targetDir, aarch64Triple, "release", "bootstrap")
		method = "cargo build --release --target " + aarch64Triple + " (linker aarch64-linux-gnu-gcc)"
		tool["rustc"] = version(ctx, req.Tools.CrossRustc, "--version")
	}
	if err := copyFile(bin, filepath.Join(stage, "bootstrap"), 0o755); err != nil {
		return nil, &Error{Runtime: RuntimeRust, Step: "collect bootstrap", Err: err}
	}
	art := &Artifact{Method: method, Toolchain: tool, Notes: glibcNote(bin)}
	if _, err := os.Stat(filepath.Join(req.Dir, "rust-toolchain.toml")); err == nil && req.Arch != HostArch() && !hasCargoLambda(cargo) {
		art.Notes = append(art.Notes, "rust-toolchain.toml is not honoured by the aarch64 cross toolchain; built with "+tool["rustc"])
	}
	return art, nil
}

// checkBootstrapBin fails unless the package in dir has a binary target named bootstrap.
func checkBootstrapBin(ctx context.Context, cargo, dir string) error {
	out, err := run(ctx, RuntimeRust, "cargo metadata", dir, BuildEnv(os.Getenv), cargo, "metadata", "--no-deps", "--format-version", "1")
	if err != nil {
		return err
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
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &meta); err != nil {
		return &Error{Runtime: RuntimeRust, Step: "cargo metadata", Err: err, Output: out}
	}
	var bins []string
	for _, p := range meta.Packages {
		for _, t := range p.Targets {
			for _, k := range t.Kind {
				if k == "bin" {
					if t.Name == "bootstrap" {
						return nil
					}
					bins = append(bins, t.Name)
				}
			}
		}
	}
	found := "no binary targets"
	if len(bins) > 0 {
		found = "binaries: " + strings.Join(bins, ", ")
	}
	return &Error{Runtime: RuntimeRust, Step: "find the bootstrap binary",
		Err: fmt.Errorf("Cargo.toml has no binary named bootstrap (%s); Lambda runs a file named bootstrap, so add [[bin]] name = \"bootstrap\" path = \"src/main.rs\"", found)}
}

func hasCargoLambda(cargo string) bool {
	if _, err := exec.LookPath("cargo-lambda"); err == nil {
		return true
	}
	_, err := os.Stat(filepath.Join(filepath.Dir(cargo), "cargo-lambda"))
	return err == nil
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

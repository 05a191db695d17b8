package build

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/results"
	"os"
	"path/filepath"
	"strings"
)

// denoEntries are the entry points looked for when deno.json names none.
var denoEntries = []string{"main.ts", "mod.ts", "index.ts", "handler.ts", "main.js"}

// denoBootstrap starts the bundled handler with the packaged deno binary. Lambda's only writable
// place is /tmp, so DENO_DIR goes there; nothing is fetched at run time (--cached-only).
const denoBootstrap = `#!/bin/sh
# coldbench deno run package: deno binary + bundled handler.
here=$(dirname "$0")
export DENO_DIR="${TMPDIR:-/tmp}/deno"
export DENO_NO_UPDATE_CHECK=1
exec "$here/bin/deno" run --no-check --cached-only --no-prompt --allow-net --allow-env --allow-read --allow-write="${TMPDIR:-/tmp}" "$here/main.js"
`

// buildDeno packages a TypeScript handler. With a denort binary (DENORT_BIN) it is a single
// executable from deno compile; otherwise a "run package": the handler bundled to one JavaScript
// file, the deno binary for the target arch, and a shell bootstrap.
func buildDeno(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	if req.Tools.Deno == "" {
		return nil, missing(RuntimeDeno, "deno", "run scripts/setup.sh, or npm install deno and put its binary on PATH")
	}
	entry, err := denoEntry(req.Dir)
	if err != nil {
		return nil, err
	}
	env := BuildEnv(os.Getenv, "DENO_NO_UPDATE_CHECK=1")
	if os.Getenv("DENO_CERT") == "" && os.Getenv("SSL_CERT_FILE") != "" {
		// deno bundle fetches esbuild from npm; behind a TLS-inspecting proxy Deno's built-in
		// roots fail where the system's CA file (which the rest of the toolchain uses) works.
		env = append(env, "DENO_CERT="+os.Getenv("SSL_CERT_FILE"))
	}
	tool := map[string]string{"deno": version(ctx, req.Tools.Deno, "--version")}

	if req.Tools.Denort != "" {
		target := "x86_64-unknown-linux-gnu"
		if req.Arch == ArchARM64 {
			target = "aarch64-unknown-linux-gnu"
		}
		if _, err := run(ctx, req, RuntimeDeno, "deno compile", req.Dir, append(env, "DENORT_BIN="+req.Tools.Denort), req.Tools.Deno,
			"compile", "--no-check", "--target", target, "--allow-net", "--allow-env", "--allow-read",
			"--output", filepath.Join(stage, "bootstrap"), entry); err != nil {
			return nil, err
		}
		return &results.Artifact{Method: "deno compile --target " + target, Toolchain: tool}, nil
	}

	denoBin := req.Tools.Deno
	if req.Arch != host.Arch() {
		if req.Arch != ArchARM64 || req.Tools.DenoARM64 == "" {
			return nil, missing(RuntimeDeno, "a deno binary for "+req.Arch,
				"run scripts/setup.sh (npm pack @deno/linux-arm64-glibc), or set COLDBENCH_DENO_ARM64")
		}
		denoBin = req.Tools.DenoARM64
	}
	if got := ELFArch(denoBin); got != req.Arch {
		return nil, &Error{Runtime: RuntimeDeno, Step: "check deno binary", Err: fmt.Errorf("%s is %q, want %s", denoBin, got, req.Arch)}
	}
	if _, err := run(ctx, req, RuntimeDeno, "deno bundle", req.Dir, env, req.Tools.Deno,
		"bundle", "--platform", "deno", "--output", filepath.Join(stage, "main.js"), entry); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(stage, "bin"), 0o755); err != nil {
		return nil, err
	}
	if err := copyFile(denoBin, filepath.Join(stage, "bin", "deno"), 0o755); err != nil {
		return nil, &Error{Runtime: RuntimeDeno, Step: "copy deno binary", Err: err}
	}
	if err := os.WriteFile(filepath.Join(stage, "bootstrap"), []byte(denoBootstrap), 0o755); err != nil {
		return nil, err
	}
	return &results.Artifact{
		Method:    "deno run package (deno bundle + deno binary + shell bootstrap)",
		Toolchain: tool,
		Notes:     []string{"packaged for deno run: deno compile needs a denort binary (set DENORT_BIN to use it)"},
	}, nil
}

// denoEntry is deno.json's coldbench.entry, else the first of denoEntries present.
func denoEntry(dir string) (string, error) {
	for _, name := range []string{"deno.json", "deno.jsonc"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var cfg struct {
			Coldbench struct {
				Entry string `json:"entry"`
			} `json:"coldbench"`
		}
		if json.Unmarshal(b, &cfg) == nil && cfg.Coldbench.Entry != "" {
			if !fileExists(filepath.Join(dir, cfg.Coldbench.Entry)) {
				return "", &Error{Runtime: RuntimeDeno, Step: "find entry point", Err: fmt.Errorf("%s names entry %q, which does not exist", name, cfg.Coldbench.Entry)}
			}
			return cfg.Coldbench.Entry, nil
		}
	}
	for _, e := range denoEntries {
		if fileExists(filepath.Join(dir, e)) {
			return e, nil
		}
	}
	return "", &Error{Runtime: RuntimeDeno, Step: "find entry point",
		Err: fmt.Errorf("no entry point: set \"coldbench\": {\"entry\": \"...\"} in deno.json, or add one of %s", strings.Join(denoEntries, ", "))}
}

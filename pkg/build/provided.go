package build

import (
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/host"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/lambdazip"
	"github.com/coldbench/coldbench/pkg/results"
	"os"
	"path/filepath"
	"strings"
)

// packageProvided takes a ready-made handler: a directory or zip holding an executable bootstrap
// (a script, or a binary built elsewhere), packaged as it is so any language Lambda accepts can be
// benchmarked.
func packageProvided(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	out := filepath.Join(req.OutDir, req.Name+".zip")
	art := &results.Artifact{Path: out, Method: "ready-made bootstrap, packaged as is"}
	if strings.HasSuffix(req.Dir, ".zip") {
		// Every entry checked and every byte counted, whatever the headers say (a zip bomb fails
		// here, not by filling the disk of every sample).
		pkg, err := lambdazip.Read(req.Dir)
		if err != nil {
			return nil, &Error{Runtime: RuntimeProvided, Step: "read zip", Err: err}
		}
		if err := checkZipBootstrap(req.Dir, pkg, stage); err != nil {
			return nil, &Error{Runtime: RuntimeProvided, Step: "check zip", Err: err}
		}
		if err := copyFile(req.Dir, out, 0o644); err != nil {
			return nil, &Error{Runtime: RuntimeProvided, Step: "copy zip", Err: err}
		}
		st, _ := os.Stat(out)
		art.ZipBytes, art.UnzippedBytes = st.Size(), pkg.UnzippedBytes
		if err := timedArch(filepath.Join(stage, "bootstrap"), req.Arch); err != nil {
			return nil, err
		}
		art.Notes = archNote(filepath.Join(stage, "bootstrap"), req.Arch)
		return art, nil
	}
	st, err := os.Stat(filepath.Join(req.Dir, "bootstrap"))
	switch {
	case err != nil:
		return nil, &Error{Runtime: RuntimeProvided, Step: "find bootstrap", Err: fmt.Errorf("%s has no bootstrap file: Lambda's provided runtimes run ./bootstrap", req.Dir)}
	case st.Mode()&0o111 == 0:
		return nil, &Error{Runtime: RuntimeProvided, Step: "find bootstrap", Err: fmt.Errorf("%s/bootstrap is not executable (chmod +x it)", req.Dir)}
	}
	if err := timedArch(filepath.Join(req.Dir, "bootstrap"), req.Arch); err != nil {
		return nil, err
	}
	if art.ZipBytes, art.UnzippedBytes, err = ZipDir(req.Dir, out); err != nil {
		return nil, &Error{Runtime: RuntimeProvided, Step: "package zip", Err: err}
	}
	art.Notes = archNote(filepath.Join(req.Dir, "bootstrap"), req.Arch)
	return art, nil
}

// checkZipBootstrap checks that the package has an executable bootstrap at its root and writes
// it to stage for inspection.
func checkZipBootstrap(path string, pkg *lambdazip.Package, stage string) error {
	for _, e := range pkg.Entries {
		if e.Name != "bootstrap" {
			continue
		}
		if e.Mode&0o111 == 0 {
			return fmt.Errorf("%s: bootstrap has no exec bit in the zip (zip it on Linux or macOS, or chmod +x before zipping)", path)
		}
		return os.WriteFile(filepath.Join(stage, "bootstrap"), e.Data, 0o644)
	}
	return fmt.Errorf("%s: no bootstrap at the root of the zip", path)
}

// timedArch refuses a ready-made binary bootstrap of another architecture than this machine's
// for the build that is timed here: every sample would fail with Runtime.InvalidEntrypoint, and
// qemu would time an emulator. (The arm64 deploy artifact of a cross-built binary is fine.)
func timedArch(bootstrap, arch string) error {
	got := ELFArch(bootstrap)
	if arch != host.Arch() || got == "" || got == arch {
		return nil
	}
	return &Error{Runtime: RuntimeProvided, Step: "check the bootstrap's architecture", Err: fmt.Errorf(
		"bootstrap is an %s binary, and this %s machine times only native code: give the handler's source with its runtime (go, rust, deno), or a bootstrap built for %s beside the %s one", got, arch, arch, got)}
}

func archNote(bootstrap, want string) []string {
	switch got := ELFArch(bootstrap); got {
	case "":
		return []string{"bootstrap is a script: it runs on either architecture"}
	case want:
		return nil
	default:
		return []string{fmt.Sprintf("bootstrap is a %s binary, packaged as is for %s", got, want)}
	}
}

// RuntimeProvided is the name of a ready-made bootstrap.
const RuntimeProvided = "provided"

// Provided is a ready-made bootstrap (a directory or a zip holding one), packaged as it is.
type Provided struct{}

// Name is "provided".
func (Provided) Name() string { return RuntimeProvided }

// Aliases are none.
func (Provided) Aliases() []string { return nil }

// Detect finds a bootstrap, or a zip.
func (Provided) Detect(dir string) Detection {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() && strings.HasSuffix(dir, ".zip") {
		return Detection{MatchOwnFile, "a zip"}
	}
	if has(dir, "bootstrap") {
		return Detection{MatchOwnFile, "a bootstrap"}
	}
	return Detection{}
}

// Tools are none.
func (Provided) Tools() []Tool { return nil }

// Build packages the bootstrap.
func (Provided) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return packageProvided(ctx, req, stage)
}

// ToolchainKey is "": nothing of coldbench's builds it.
func (Provided) ToolchainKey(context.Context, Request, Tools) string { return "" }

// DefaultHandler is none.
func (Provided) DefaultHandler() string { return "" }

// LambdaRuntimes are none: it runs on provided.al2023.
func (Provided) LambdaRuntimes() []string { return nil }

// Tracer is none.
func (Provided) Tracer() (inittrace.Tracer, bool) { return inittrace.Tracer{}, false }

// Reference is none.
func (Provided) Reference() Reference { return Reference{} }

package build

import (
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/results"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// buildGo builds a Go main package (in Dir, its go.mod there or above) into a static binary named
// bootstrap: with the flags given (ReferenceGoFlags for the references, BuildProperties or the
// user's), else as SAM's go1.x build method does, so the artifact timed is the one users ship.
func buildGo(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	if req.Tools.Go == "" {
		return nil, missing(RuntimeGo, "go", "install Go from https://go.dev/dl or your package manager")
	}
	goarch, err := goArch.of(req.Arch)
	if err != nil {
		return nil, &Error{Runtime: RuntimeGo, Step: "set GOARCH", Err: err}
	}
	env := BuildEnv(req.Tools.getenv, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	out := filepath.Join(stage, "bootstrap")
	flags, how := req.GoFlags, "the template's BuildProperties"
	switch {
	case flags == nil:
		flags, how = []string{}, "SAM's go1.x default"
	case slices.Equal(flags, ReferenceGoFlags):
		how = "AWS's recommendation for provided.al2023"
	}
	// The standard library comes compiled (gostd.go); without it the build compiles it, slower.
	var notes []string
	if err := seedGoCache(ctx, req, env, goarch, flags); err != nil {
		notes = append(notes, "the standard library was compiled in the sandbox: "+strings.SplitN(err.Error(), "\n", 2)[0])
	}
	args := append(append([]string{"build", "-buildvcs=false"}, flags...), "-o", out, ".")
	if _, err := run(ctx, req, RuntimeGo, "go build", req.Dir, env, req.Tools.Go, args...); err != nil {
		return nil, err
	}
	// The version of the toolchain that built it: go.mod's toolchain line may have switched it.
	ver, _ := run(ctx, req, RuntimeGo, "go env GOVERSION", req.Dir, env, req.Tools.Go, "env", "GOVERSION")
	return &results.Artifact{
		Method:    fmt.Sprintf("%s (%s; CGO_ENABLED=0, GOARCH=%s)", strings.Join(quoteArgs(append([]string{"go", "build"}, flags...)), " "), how, goarch),
		Toolchain: map[string]string{"go": strings.TrimSpace(ver)},
		Notes:     notes,
	}, nil
}

// ReferenceGoFlags build the reference handler the way AWS documents for provided.al2023: without
// the RPC shim (lambda.norpc), stripped, with reproducible paths and build id.
var ReferenceGoFlags = []string{"-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w -buildid="}

// quoteArgs quotes the arguments that hold spaces, for a command line a user can read.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, " \t'\"") {
			out[i] = "'" + a + "'"
		}
	}
	return out
}

// RuntimeGo is Go's name.
const RuntimeGo = "go"

// Go is a Go main package built into a static bootstrap (provided.al2023).
type Go struct{}

// Name is "go".
func (Go) Name() string { return RuntimeGo }

// Aliases are none.
func (Go) Aliases() []string { return nil }

// Detect finds a go.mod, or a main package below one (functions/x, cmd/x).
func (Go) Detect(dir string) Detection {
	if has(dir, "go.mod") || isGoMain(dir) {
		return Detection{MatchOwnFile, "a Go module (go.mod)"}
	}
	return Detection{}
}

// Tools are the go command.
func (Go) Tools() []Tool {
	return []Tool{{Name: "go", How: "install Go", VersionArgs: []string{"version"},
		field: func(t *Tools) *string { return &t.Go }, find: func(Tools, string) []string { return []string{"go"} }}}
}

// Build runs go build.
func (Go) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return buildGo(ctx, req, stage)
}

// ToolchainKey is go version.
func (Go) ToolchainKey(ctx context.Context, req Request, t Tools) string {
	return t.version(ctx, t.Go, "version")
}

// DefaultHandler is none: the bootstrap is the handler.
func (Go) DefaultHandler() string { return "" }

// LambdaRuntimes are none: Go runs on provided.al2023.
func (Go) LambdaRuntimes() []string { return nil }

// Tracer is GODEBUG=inittrace=1.
func (Go) Tracer() (inittrace.Tracer, bool) { return inittrace.Go(), true }

// Reference is handlers/go, a function per handler setting.
func (Go) Reference() Reference { return Reference{Dir: "go"} }

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

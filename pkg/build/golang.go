package build

import (
	"context"
	"github.com/coldbench/coldbench/pkg/results"
	"os"
	"path/filepath"
	"strings"
)

// buildGo builds a Go handler the way AWS documents for provided.al2023: a static binary named
// bootstrap, without the RPC shim (lambda.norpc), stripped, with reproducible paths and build id.
func buildGo(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	if req.Tools.Go == "" {
		return nil, missing(RuntimeGo, "go", "install Go from https://go.dev/dl or your package manager")
	}
	goarch := "amd64"
	if req.Arch == ArchARM64 {
		goarch = "arm64"
	}
	env := BuildEnv(os.Getenv, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	out := filepath.Join(stage, "bootstrap")
	if _, err := run(ctx, req, RuntimeGo, "go build", req.Dir, env, req.Tools.Go,
		"build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=", "-o", out, "."); err != nil {
		return nil, err
	}
	// The version of the toolchain that built it: go.mod's toolchain line may have switched it.
	ver, _ := run(ctx, req, RuntimeGo, "go env GOVERSION", req.Dir, env, req.Tools.Go, "env", "GOVERSION")
	return &results.Artifact{
		Method:    "go build -trimpath -tags lambda.norpc -ldflags '-s -w' (CGO_ENABLED=0, GOARCH=" + goarch + ")",
		Toolchain: map[string]string{"go": strings.TrimSpace(ver)},
	}, nil
}

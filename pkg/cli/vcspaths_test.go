package cli

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// A pull request names the checkout's .git as a layer (a coldbench.yml `layers:` entry, or a
// template LayerVersion whose ContentUri is .git): actions/checkout keeps the job's token in
// .git/config, and a layer is laid out readable in the handler's /opt. The control packages the
// layer as the runner would if the path were taken: the token is in the zip. With the protection,
// both paths are refused before anything is read through them.
func TestRepositoryPathsStayOutOfGit(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir)("init", "-q", "-b", "master")
	const token = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2xlYWtlZA=="
	cfgPath := filepath.Join(dir, ".git", "config")
	old, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Write(t, dir, ".git/config", string(old)+"[http \"https://github.com/\"]\n\textraheader = "+token+"\n")
	testenv.Write(t, dir, "fn/bootstrap", "#!/bin/sh\n")
	testenv.Write(t, dir, "template.yaml", `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: bootstrap
      Runtime: provided.al2023
      Layers: [!Ref Git]
  Git:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: .git
`)

	// Control: the layer as the runner would package it, were the path taken.
	zipPath, err := build.PackageLayer(sandbox.Identity{}, filepath.Join(dir, ".git"), filepath.Join(t.TempDir(), "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(zipFile(t, zipPath, "config"), token) {
		t.Fatal("control: the .git layer does not hold the token: the attack proves nothing")
	}

	for name, set := range map[string][2]string{
		"layers in coldbench.yml": {"layers", ".git"},
		"a layer under .git":      {"layers", "./fn/../.git/info"},
		"template ContentUri":     {"template", "template.yaml"},
	} {
		var cfg config.Config
		if err := cfg.SetFromRepo(set[0], set[1]); err != nil {
			t.Fatal(err)
		}
		ps := settleFunction(&cfg, dir, "")
		if !strings.Contains(strings.Join(ps, "\n"), "leads into the repository's .git directory") {
			t.Errorf("%s: problems %q, want the path into .git refused (layers %q)", name, ps, cfg.Layers)
		}
	}
	// A layer beside .git is the repository's own and is taken.
	testenv.Write(t, dir, "layer/bin/tool", "x")
	var cfg config.Config
	_ = cfg.SetFromRepo("layers", "layer")
	if ps := settleFunction(&cfg, dir, ""); len(ps) > 0 {
		t.Errorf("a layer inside the tree refused: %q", ps)
	}
}

func zipFile(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	return ""
}

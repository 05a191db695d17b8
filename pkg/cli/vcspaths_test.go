package cli

import (
	"archive/zip"
	"encoding/base64"
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
	t.Parallel()
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

// The same attack end to end, as the hostile suite runs its attacks: the head's coldbench.yml
// names .git as a layer, and its handler answers with $COLDBENCH_OPT/config, the checkout's
// config with actions/checkout's token. Protected, the head's setting is refused (the run does
// not pass) and the token is nowhere in the results; the control (vcspaths off) reads it.
func TestHostileLayerOfTheCheckoutsGit(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID)
	plain, hooked := hostileBinaries(t)
	b64 := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	head := side{sleep: "0.3", prelude: `R=$(cat "$COLDBENCH_OPT/config" 2>&1 | base64 -w0)`,
		files: map[string]string{"coldbench.yml": "layers: .git\n"}}
	for _, run := range []struct {
		name, bin, off string
		leak           bool
	}{{"protected", plain, "", false}, {"control", hooked, "vcspaths", true}} {
		t.Run(run.name, func(t *testing.T) {
			dir, event := hostileRepo(t, fastBase, head)
			r := actionHostile(t, run.bin, run.off, dir, event, quickControl(nil), "")
			leaked := strings.Contains(r.stdout+r.stderr, b64)
			for _, resp := range headResponses(r) {
				leaked = leaked || strings.Contains(resp, b64)
			}
			if leaked != run.leak {
				t.Errorf("%s: token read through the layer: %v, want %v; responses %q\n%s", run.name, leaked, run.leak, headResponses(r), tail(r.stderr, 2000))
			}
			if !run.leak && (r.code == 0 || !strings.Contains(r.stdout+r.stderr, "leads into the repository's .git directory")) {
				t.Errorf("protected: exit %d, want the head's layer refused by name and the run not passed\n%s", r.code, tail(r.stdout+r.stderr, 3000))
			}
			sandboxProcesses(t, r)
		})
	}
}

package build

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// A layer directory is the repository's, untrusted: a hard link it holds to a file only root may
// read is refused, not zipped (root would hand the secret to the handler); links stay links. The
// control, with the check off, shows the secret would have been packaged.
func TestHostilePackageLayerRefusesRootOnlyFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the attack is root reading for a sandbox user")
	}
	id, release, err := sandbox.Acquire(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	dir := t.TempDir()
	layer := filepath.Join(dir, "layer")
	if err := os.MkdirAll(filepath.Join(layer, "extensions"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("root-only-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(layer, "stolen")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/shadow", filepath.Join(layer, "shadow")); err != nil {
		t.Fatal(err)
	}
	_, err = PackageLayer(id, layer, filepath.Join(dir, "out.zip"))
	if err == nil || !strings.Contains(err.Error(), "may not read") {
		t.Fatalf("PackageLayer = %v, want the root-only file refused", err)
	}
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "saferoot")
		if !sandbox.Off("saferoot") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		out, err := PackageLayer(id, layer, filepath.Join(dir, "control.zip"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			if f.Name == "stolen" {
				return // the attack works with the check off
			}
		}
		t.Fatal("with the check off the secret was not packaged: the test proves nothing")
	})
}

func TestPackageLayerKinds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := PackageLayer(sandbox.Identity{}, filepath.Join(dir, "layer.tar"), filepath.Join(dir, "o.zip")); err == nil || !strings.Contains(err.Error(), "layer.tar") {
		t.Errorf("a missing layer: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deps.tgz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PackageLayer(sandbox.Identity{}, filepath.Join(dir, "deps.tgz"), filepath.Join(dir, "o.zip")); err == nil || !strings.Contains(err.Error(), "not a directory nor a .zip") {
		t.Errorf("a tarball: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deps.zip"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := PackageLayer(sandbox.Identity{}, filepath.Join(dir, "deps.zip"), filepath.Join(dir, "o.zip")); err != nil || p != filepath.Join(dir, "deps.zip") {
		t.Errorf("a zip is taken as it is: %q %v", p, err)
	}
}

package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// What a build command produced is collected by its kind (ARTIFACTS_DIR's tree, a named
// directory, a single bootstrap) and packaged once it has an executable bootstrap; the user is
// told what to fix when it has none. No command runs here: these are the steps after it.
func TestCollectProduced(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		files    map[string]string // under the handler's directory; "artifacts/" is ARTIFACTS_DIR
		artifact string
		want     string // an error containing this, or "" for a package
	}{
		{"ARTIFACTS_DIR's tree", map[string]string{"artifacts/bootstrap": "#!/bin/sh\n", "artifacts/lib/x": "x"}, "", ""},
		{"a named directory", map[string]string{"out/bootstrap": "#!/bin/sh\n"}, "out", ""},
		{"a single bootstrap", map[string]string{"bin/handler": "#!/bin/sh\n"}, "bin/handler", ""},
		{"nothing written", map[string]string{}, "", "the build command wrote nothing to $ARTIFACTS_DIR"},
		{"no such artifact", map[string]string{}, "dist", `artifact "dist": not found inside the source tree`},
		{"no bootstrap", map[string]string{"artifacts/main": "#!/bin/sh\n"}, "", "no executable bootstrap at its root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			work, dir := t.TempDir(), t.TempDir()
			artifacts, collected := filepath.Join(work, "artifacts"), filepath.Join(work, "collected")
			if err := os.Mkdir(artifacts, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.files {
				p := filepath.Join(dir, name)
				if rest, ok := strings.CutPrefix(name, "artifacts/"); ok {
					p = filepath.Join(artifacts, rest)
				}
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			req := Request{Dir: dir, Artifact: tt.artifact, OutDir: t.TempDir(), Name: "fn", Work: work}
			art := &results.Artifact{}
			err := collectProduced(req, RuntimeProvided, artifacts, collected, art)
			if err == nil && art.Path == "" {
				err = packageCollected(req, RuntimeProvided, collected, art)
			}
			switch {
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("collect %s: error %v, want one containing %q", tt.name, err, tt.want)
			case tt.want == "" && err != nil:
				t.Errorf("collect %s: %v", tt.name, err)
			case tt.want == "" && (art.Path != filepath.Join(req.OutDir, "fn.zip") || art.ZipBytes == 0):
				t.Errorf("collect %s: artifact %+v, want fn.zip in OutDir", tt.name, art)
			}
		})
	}
}

// A zip the command produced is the package as it is, once it has its bootstrap.
func TestCollectProducedZip(t *testing.T) {
	t.Parallel()
	src, dir, work := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	zipBytes, _, err := ZipDir(src, filepath.Join(dir, "dist.zip"))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Dir: dir, Artifact: "dist.zip", OutDir: t.TempDir(), Name: "fn", Work: work}
	art := &results.Artifact{}
	if err := collectProduced(req, RuntimeProvided, filepath.Join(work, "artifacts"), filepath.Join(work, "collected"), art); err != nil {
		t.Fatal(err)
	}
	if art.Path != filepath.Join(req.OutDir, "fn.zip") || art.ZipBytes != zipBytes {
		t.Errorf("collectProduced(dist.zip) = %+v, want fn.zip of %d bytes", art, zipBytes)
	}
	if _, err := os.Stat(filepath.Join(work, "collected", "bootstrap")); err != nil {
		t.Errorf("the zip's bootstrap was not extracted for the arch check: %v", err)
	}
}

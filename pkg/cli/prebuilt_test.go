package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// The first run builds the reference and keeps it in the cache dir; the second uses it; a change
// to its source builds it again. The cache dir is the one given, and nothing of it lands in the
// work tree.
func TestReferencesComePrebuiltFromTheCache(t *testing.T) {
	built := regexp.MustCompile(`(?m)^built go for`)
	testenv.Tool(t, "go")
	work := t.TempDir()
	handlers := filepath.Join(work, "handlers")
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "handlers", "go", f))
		if err != nil {
			t.Fatal(err)
		}
		testenv.Write(t, filepath.Join(handlers, "go"), f, string(b))
	}
	testenv.Write(t, filepath.Join(handlers, "rust"), "Cargo.toml", "") // findHandlersDir's marker
	cache := testenv.SharedTempDir(t)
	run := func() string {
		env, out, errb := testEnv(work)
		env.Getenv = func(k string) string {
			if k == "COLDBENCH_REFERENCES_DIR" {
				return "" // not the image's
			}
			return os.Getenv(k)
		}
		code := Main(context.Background(), []string{"run", "--handlers-dir", handlers, "--references", "go", "--samples", "2", "--cache-dir", cache}, env)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errb)
		}
		return errb.String()
	}
	if log := run(); !built.MatchString(log) || strings.Contains(log, "prebuilt go") {
		t.Fatalf("first run: want the reference built\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(cache, "references", "manifest.json")); err != nil {
		t.Fatalf("the cache dir holds no prebuilt references: %v", err)
	}
	if log := run(); !strings.Contains(log, "prebuilt go for") || built.MatchString(log) {
		t.Fatalf("second run: want the reference prebuilt from the cache\n%s", log)
	}
	testenv.Write(t, filepath.Join(handlers, "go"), "extra.go", "package main\n\nvar _ = 1\n")
	if log := run(); !built.MatchString(log) {
		t.Fatalf("after a source change: want the reference built again\n%s", log)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 1 {
		t.Errorf("the work tree holds %d entries, want only handlers/ (the cache dir is elsewhere)", len(entries))
	}
}

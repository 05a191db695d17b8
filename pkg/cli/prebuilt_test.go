package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// The first run builds the reference and keeps it in the cache dir; the second uses it; a change
// to its source builds it again. The cache dir is the one given, and nothing of it lands in the
// work tree.
func TestReferencesComePrebuiltFromTheCache(t *testing.T) {
	t.Parallel()
	built := regexp.MustCompile(`(?m)^built go for`)
	work, handlers := goReferenceOnly(t)
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
	main, _ := os.ReadFile(filepath.Join(handlers, "go", "main.go"))
	testenv.Write(t, filepath.Join(handlers, "go"), "main.go", string(main)+"\nvar _ = 1\n")
	if log := run(); !built.MatchString(log) {
		t.Fatalf("after a source change: want the reference built again\n%s", log)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 1 {
		t.Errorf("the work tree holds %d entries, want only handlers/ (the cache dir is elsewhere)", len(entries))
	}
}

// A coldbench with no checkout beside it (go install) measures the references from the sources
// built into it; an explicit handlers dir that is not one is an error, not a silent fallback.
func TestReferencesFromTheBinary(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	work := t.TempDir()
	env, out, errb := testEnv(work)
	env.Getenv = func(k string) string {
		switch k {
		case "COLDBENCH_REFERENCES_DIR", "COLDBENCH_HANDLERS_DIR":
			return ""
		}
		return os.Getenv(k)
	}
	cache := t.TempDir()
	if code := Main(context.Background(), []string{"run", "--references", "go-hello", "--samples", "2", "--cache-dir", cache}, env); code != ExitOK ||
		!strings.Contains(out.String(), "go-hello") || strings.Contains(out.String(), "build failed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	mods, _ := filepath.Glob(filepath.Join(cache, "reference-src", "*", "go", "go.mod"))
	if len(mods) != 1 {
		t.Fatalf("reference sources written: %v, want one go.mod", mods)
	}
	if b, _ := os.ReadFile(mods[0]); !strings.Contains(string(b), "require github.com/aws/aws-lambda-go v1.") {
		t.Errorf("go.mod:\n%s", b)
	}
	env, out, errb = testEnv(work)
	if code := Main(context.Background(), []string{"run", "--references", "go", "--handlers-dir", work, "--cache-dir", cache}, env); code != ExitFailure ||
		!strings.Contains(errb.String(), "reference handlers not found") {
		t.Errorf("--handlers-dir without handlers: exit %d\n%s\n%s", code, out, errb)
	}
}

// `build-references` without --out fills the cache dir's store that runs look in (run.sh builds
// Rust's this way beside set-up); while another process is building a reference it waits for
// that artifact rather than building a second one beside it; once stored, neither it nor a run
// builds the reference again.
func TestBuildReferencesIntoTheCache(t *testing.T) {
	t.Parallel()
	work, handlers := goReferenceOnly(t)
	cache := testenv.SharedTempDir(t)
	cmd := func(ctx context.Context, args ...string) (int, string, string) {
		env, out, errb := testEnv(work)
		env.Getenv = func(k string) string {
			if k == "COLDBENCH_REFERENCES_DIR" {
				return "" // not the image's
			}
			return os.Getenv(k)
		}
		code := Main(ctx, args, env)
		return code, out.String(), errb.String()
	}
	buildRefs := []string{"build-references", "--handlers-dir", handlers, "--references", "go", "--cache-dir", cache}

	// Another process's build of the arm64 Go reference is under way.
	release, err := build.Prebuilt{Dir: filepath.Join(cache, "references")}.Claim(context.Background(), "go", build.ArchARM64, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	code, out, errb := cmd(ctx, buildRefs...)
	cancel()
	if code != ExitFailure || !strings.Contains(errb, "go for arm64: another coldbench is building it; waiting for its artifact") || strings.Contains(out, "go arm64:") {
		t.Fatalf("while another build holds the claim: exit %d, want %d and a wait\n%s\n%s", code, ExitFailure, out, errb)
	}
	release()

	code, out, errb = cmd(context.Background(), buildRefs...)
	if code != ExitOK || !strings.Contains(out, "go arm64: ") || !strings.Contains(out, "prebuilt references in "+filepath.Join(cache, "references")) {
		t.Fatalf("build-references: exit %d\n%s\n%s", code, out, errb)
	}
	code, _, errb = cmd(context.Background(), "run", "--handlers-dir", handlers, "--references", "go", "--samples", "2", "--cache-dir", cache)
	if code != ExitOK || !strings.Contains(errb, "prebuilt go for arm64") || regexp.MustCompile(`(?m)^built go for`).MatchString(errb) {
		t.Fatalf("a run after build-references: exit %d, want the references prebuilt, none built\n%s", code, errb)
	}
	code, _, errb = cmd(context.Background(), buildRefs...)
	if code != ExitOK || !strings.Contains(errb, "prebuilt go for arm64") || regexp.MustCompile(`(?m)^built go for`).MatchString(errb) {
		t.Fatalf("build-references again: exit %d, want nothing built\n%s", code, errb)
	}
}

// goReferenceOnly is a work dir with a handlers dir holding the Go reference's sources alone.
func goReferenceOnly(t *testing.T) (work, handlers string) {
	t.Helper()
	testenv.Tool(t, "go")
	work = t.TempDir()
	handlers = filepath.Join(work, "handlers")
	for _, f := range []string{"go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "handlers", "go", f))
		if err != nil {
			t.Fatal(err)
		}
		testenv.Write(t, filepath.Join(handlers, "go"), f, string(b))
	}
	testenv.Write(t, filepath.Join(handlers, "rust"), "Cargo.toml", "") // findHandlersDir's marker
	return work, handlers
}

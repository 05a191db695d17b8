package cli

import (
	"bytes"
	"context"
	"github.com/coldbench/coldbench/pkg/pipeline"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/build"
)

// Doctor has a row for every tool of every runtime: missing with how to install it, or found
// with its version.
func TestDoctorCoversEveryTool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fakeGo := filepath.Join(dir, "go")
	if err := os.WriteFile(fakeGo, []byte("#!/bin/sh\necho go version go1.99 fake/arm64\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(dir, "runtimes", build.LambdaNodejs)
	if err := os.MkdirAll(node, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(node, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// Not resolved: every tool but the two above is missing, whatever this machine has.
	writeTools(context.Background(), &out, build.Tools{Go: fakeGo, ToolsDir: dir})
	got := out.String()
	for _, r := range build.All() {
		for _, tool := range r.Tools() {
			want := regexp.QuoteMeta(tool.Name) + ` {2,}missing {2,}` + regexp.QuoteMeta(tool.How) + `\n`
			switch tool.Name {
			case "go":
				want = `go {2,}go version go1.99 fake/arm64 {2,}` + regexp.QuoteMeta(fakeGo) + `\n`
			case "the " + build.LambdaNodejs + " runtime":
				want = regexp.QuoteMeta(tool.Name) + ` {2,}found {2,}` + regexp.QuoteMeta(filepath.Join(node, "bootstrap")) + `\n`
			}
			if !regexp.MustCompile(`(?m)^` + want).MatchString(got) {
				t.Errorf("doctor has no row %q for %s's tool %s:\n%s", want, r.Name(), tool.Name, got)
			}
		}
	}
	if !strings.Contains(got, "qemu-aarch64") {
		t.Errorf("doctor has no row for qemu-aarch64:\n%s", got)
	}
}

// A reference's runtime and handler setting come from the registry, as they were spelled out.
func TestReferencePlan(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string][2]string{
		"go":           {"go", "work"},
		"rust-hello":   {"rust", "hello"},
		"deno":         {"deno", "work"},
		"node":         {"nodejs", "index.work"},
		"node-hello":   {"nodejs", "index.hello"},
		"python-hello": {"python", "lambda_function.hello"},
		"bun":          {"bun", "index.work"},
	} {
		p := pipeline.ReferencePlan(ref, "/h")
		dir, _, _ := strings.Cut(ref, "-")
		if p.Runtime.Name() != want[0] || p.Handler != want[1] || p.Dir != "/h/"+dir || p.CacheKey != "coldbench-reference/"+dir {
			t.Errorf("ReferencePlan(%q) = %s %s %s %s, want %s %s /h/%s coldbench-reference/%s", ref, p.Runtime.Name(), p.Handler, p.Dir, p.CacheKey, want[0], want[1], dir, dir)
		}
	}
}

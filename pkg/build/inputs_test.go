package build

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

var appsDir, _ = filepath.Abs("../cli/testdata/apps")

// What a function is built from, as its toolchain says: go list -deps names the module's
// packages the main package imports (and only those), esbuild's metafile the function's own
// modules outside its directory; the package roots' manifests above it are inputs too.
func TestInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		runtime, root, dir string
		want, not          []string
	}{
		{RuntimeGo, "products", "functions/products-stream", []string{"store", "go.mod", "go.sum"}, []string{"domain", "handlers"}},
		{RuntimeGo, "products", "functions/list-products", []string{"store", "domain", "handlers", "go.mod"}, nil},
		{RuntimeNode, "monorepo", "src/node/jsonProcess", []string{"src/common/jsonProcess.ts", "src/node/package.json", "package.json"}, []string{"src/common/arrayOps.ts"}},
	}
	// A Cargo workspace whose function crate has a path dependency, which has one of its own.
	cargo := t.TempDir()
	writeFiles(t, cargo, map[string]string{
		"Cargo.toml":           "[workspace]\nmembers = [\"fn\", \"shared\", \"util\"]\nresolver = \"2\"\n",
		"fn/Cargo.toml":        "[package]\nname = \"fn\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nshared = { path = \"../shared\" }\n",
		"fn/src/main.rs":       "fn main() { shared::f() }\n",
		"shared/Cargo.toml":    "[package]\nname = \"shared\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nutil = { path = \"../util\" }\n",
		"shared/src/lib.rs":    "pub fn f() { util::g() }\n",
		"util/Cargo.toml":      "[package]\nname = \"util\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
		"util/src/lib.rs":      "pub fn g() {}\n",
		"unrelated/Cargo.toml": "[package]\nname = \"unrelated\"\nversion = \"0.1.0\"\n",
	})
	tests = append(tests, struct {
		runtime, root, dir string
		want, not          []string
	}{RuntimeRust, cargo, "fn", []string{"shared", "util", "Cargo.toml"}, []string{"unrelated"}})
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			if tc.runtime == RuntimeNode && (Tools{}).Resolve().Esbuild == "" {
				testenv.Missing(t, "esbuild not installed (scripts/setup.sh)")
			}
			needToolchain(t, tc.runtime)
			root := tc.root
			if !filepath.IsAbs(root) {
				root = filepath.Join(appsDir, tc.root)
			}
			ins, err := Inputs(context.Background(), Request{Dir: filepath.Join(root, tc.dir), Root: root, Runtime: "auto", Arch: ArchX8664,
				Tools: Tools{CacheDir: t.TempDir()}})
			if err != nil {
				t.Fatalf("Inputs(%s): %v", tc.dir, err)
			}
			var paths []string
			for _, in := range ins {
				paths = append(paths, in.Path)
			}
			for _, w := range tc.want {
				if !slices.Contains(paths, w) {
					t.Errorf("Inputs(%s) = %q, want %s among them", tc.dir, paths, w)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(paths, n) {
					t.Errorf("Inputs(%s) = %q: %s is not imported", tc.dir, paths, n)
				}
			}
		})
	}
}

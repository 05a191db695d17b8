package build

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The package root above a handler: the nearest manifest, then the workspace holding it, never
// above the limit.
func TestPackageRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"package.json":                          `{"name":"cdk-app"}`, // no workspaces: not src/node's root
		"src/node/package.json":                 `{"dependencies":{"zod":"^3"}}`,
		"src/node/fn/index.ts":                  "export const handler = async () => 1\n",
		"src/go/go.mod":                         "module x\n",
		"src/go/fn/main.go":                     "package main\n",
		"ws/package.json":                       `{"workspaces":["packages/*"]}`,
		"ws/packages/api/package.json":          `{"name":"api"}`,
		"ws/packages/api/fn/index.js":           "exports.handler = async () => 1\n",
		"cargo/Cargo.toml":                      "[workspace]\nmembers = [\"crates/*\"]\n",
		"cargo/crates/fn/Cargo.toml":            "[package]\nname = \"fn\"\n",
		"cargo/crates/fn/src/main.rs":           "fn main() {}\n",
		"py/pyproject.toml":                     "[project]\nname = \"x\"\n",
		"py/functions/hello/lambda_function.py": "def lambda_handler(e, c): return 1\n",
	})
	tests := []struct{ dir, limit, want string }{
		{"src/node/fn", ".", "src/node"},
		{"src/go/fn", ".", "src/go"},
		{"ws/packages/api/fn", ".", "ws"},
		{"cargo/crates/fn", ".", "cargo"},
		{"py/functions/hello", ".", "py"},
		{"src/go/fn", "src/go/fn", "src/go/fn"}, // the limit is the handler itself
		{"src/go/fn", "elsewhere", "src/go/fn"}, // not inside the limit: the handler alone
	}
	for _, tc := range tests {
		got := PackageRoot(filepath.Join(root, tc.dir), filepath.Join(root, tc.limit))
		if want := filepath.Join(root, tc.want); got != want {
			t.Errorf("PackageRoot(%s, %s) = %s, want %s", tc.dir, tc.limit, got, want)
		}
	}
	if got, want := nodeInstallDir(filepath.Join(root, "src/node/fn"), root), filepath.Join(root, "src/node"); got != want {
		t.Errorf("nodeInstallDir(src/node/fn) = %s, want %s", got, want)
	}
	if got, want := nodeInstallDir(filepath.Join(root, "ws/packages/api/fn"), root), filepath.Join(root, "ws"); got != want {
		t.Errorf("nodeInstallDir(ws/packages/api/fn) = %s, want the workspace root %s", got, want)
	}
	// A lock file above decides where the project installs (otsu81's root package-lock.json,
	// whose dependencies the shared src/common imports too).
	locked := t.TempDir()
	writeFiles(t, locked, map[string]string{"package.json": `{"dependencies":{"zod":"^3"}}`, "package-lock.json": "{}",
		"src/node/package.json": `{"dependencies":{"zod":"^3"}}`, "src/node/fn/index.ts": "export const handler = 1\n"})
	if got := nodeInstallDir(filepath.Join(locked, "src/node/fn"), locked); got != locked {
		t.Errorf("nodeInstallDir(src/node/fn) = %s, want the lock file's %s", got, locked)
	}
	if got, want := nearestAbove(filepath.Join(root, "py/functions/hello"), root, "pyproject.toml"), filepath.Join(root, "py"); got != want {
		t.Errorf("nearestAbove(py/functions/hello, pyproject.toml) = %s, want %s", got, want)
	}
	for dir, want := range map[string]string{"src/go/fn": RuntimeGo, "cargo/crates/fn": RuntimeRust, "ws/packages/api/fn": "", "src/node": "", "cargo": "", ".": ""} {
		got, ok := WholeHandler(filepath.Join(root, dir))
		if got != want || ok != (want != "") {
			t.Errorf("WholeHandler(%s) = %q, %v; want %q", dir, got, ok, want)
		}
	}
}

func TestInputMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Input
		file string
		want bool
	}{
		{Input{Path: "functions/a", Tree: true}, "functions/a/main.go", true},
		{Input{Path: "functions/a", Tree: true}, "functions/a/sub/x.go", true},
		{Input{Path: "functions/a", Tree: true}, "functions/ab/main.go", false},
		{Input{Path: "internal/store", Package: true}, "internal/store/db.go", true},
		{Input{Path: "internal/store", Package: true}, "internal/store/sub/db.go", false}, // another package
		{Input{Path: "go.mod"}, "go.mod", true},
		{Input{Path: "go.mod"}, "tools/go.mod", false},
		{Input{Path: ".", Tree: true}, "anything", true},
	}
	for _, tc := range tests {
		if got := tc.in.Matches(tc.file); got != tc.want {
			t.Errorf("%+v.Matches(%q) = %v, want %v", tc.in, tc.file, got, tc.want)
		}
	}
}

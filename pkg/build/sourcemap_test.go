package build

import (
	"github.com/coldbench/coldbench/pkg/sandbox"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDecodeVLQ(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]int{"AAAA": {0, 0, 0, 0}, "IAAM": {4, 0, 0, 6}, "gBAAgB": {16, 0, 0, 16}, "D": {-1}, "2HwcY": {123, 456, 12}} {
		if got, err := decodeVLQ(in); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeVLQ(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"g", "A!"} {
		if _, err := decodeVLQ(bad); err == nil {
			t.Errorf("decodeVLQ(%q): no error", bad)
		}
	}
}

// Bytes go to the module each segment maps to, up to the next segment; unmapped bytes to none;
// UTF-16 columns are turned into bytes; Deno's npm cache and node_modules paths name packages.
func TestSourceMapModules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	out := filepath.Join(dir, "out")
	_ = os.MkdirAll(out, 0o755)
	// line 1: "abcd" from a.ts (cols 0-4), "éé" from npm ms (cols 4-6, 4 bytes);
	// line 2: "xy" unmapped, then "z" from b.ts.
	code := "abcdéé\nxyz"
	sm := `{"version":3,"sources":["../src/a.ts","../../cache/deno/npm/registry.npmjs.org/ms/2.1.3/index.js","../src/lib/b.ts","../node_modules/@scope/pkg/x.js"],
		"mappings":"AAAA,ICAA;A,ECAA"}`
	_ = os.WriteFile(filepath.Join(out, "main.js"), []byte(code), 0o644)
	_ = os.WriteFile(filepath.Join(out, "main.js.map"), []byte(sm), 0o644)
	got := sourceMapModules(sandbox.Identity{}, filepath.Join(out, "main.js"), filepath.Join(out, "main.js.map"), src)
	want := map[string]int64{"a.ts": 4, "ms": 4, "lib/b.ts": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sourceMapModules = %v, want %v", got, want)
	}
	if sourceModule("../node_modules/@scope/pkg/x.js", out, src) != "@scope/pkg" || sourceModule("https://deno.land/x/y/mod.ts", out, src) != "https://deno.land/x/y/mod.ts" {
		t.Error("sourceModule: node_modules scope or remote URL misnamed")
	}
	if sourceMapModules(sandbox.Identity{}, filepath.Join(out, "none.js"), filepath.Join(out, "main.js.map"), src) != nil {
		t.Error("a missing bundle gives modules")
	}
}

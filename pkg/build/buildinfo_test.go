package build

import (
	"os"
	"path/filepath"
	"testing"
)

// A Go executable's main module is read from its build info (this test binary's is coldbench's);
// a script, a fifo or a missing file has none.
func TestGoMainModule(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got := GoMainModule(exe); got != "github.com/coldbench/coldbench" {
		t.Errorf("GoMainModule(test binary) = %q, want github.com/coldbench/coldbench", got)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{script, filepath.Join(dir, "missing")} {
		if got := GoMainModule(p); got != "" {
			t.Errorf("GoMainModule(%s) = %q, want none", p, got)
		}
	}
}

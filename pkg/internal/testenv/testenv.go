// Package testenv decides what a test does when a toolchain it needs is missing: skip with the
// reason on a developer's machine, fail in CI (COLDBENCH_REQUIRE_TOOLCHAINS=1), where the set-up
// script installs everything and a skip would hide a missing install step.
package testenv

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Required reports whether missing toolchains fail tests instead of skipping them.
func Required() bool { return os.Getenv("COLDBENCH_REQUIRE_TOOLCHAINS") == "1" }

// Missing skips or fails t because of what is missing.
func Missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (COLDBENCH_REQUIRE_TOOLCHAINS=1: scripts/setup.sh should have installed it)", what)
	}
	t.Skip(what)
}

// Tool returns the path of a command, or skips/fails t when it is not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed")
	}
	return p
}

// Write creates dir/name (and its parents) with content, failing t on error.
func Write(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// SharedTempDir is a t.TempDir() that another user (the sandbox user of a root test) may
// search: it and the test's temp root are made 0711.
func SharedTempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ZipBomb writes a zip whose one entry inflates to size bytes of zeros (its header claims claimed
// bytes) from about size/1000 compressed bytes: a deflate segment of 1 MiB of zeros, ending on a
// byte boundary, repeated, then a final empty block.
func ZipBomb(t testing.TB, size, claimed uint64) string {
	t.Helper()
	var seg bytes.Buffer
	fw, _ := flate.NewWriter(&seg, flate.BestCompression)
	_, _ = fw.Write(make([]byte, 1<<20))
	_ = fw.Flush()
	var stream bytes.Buffer
	for n := uint64(0); n < size; n += 1 << 20 {
		stream.Write(seg.Bytes())
	}
	stream.Write([]byte{0x03, 0x00}) // final fixed-Huffman block holding only end-of-block
	p := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, CompressedSize64: uint64(stream.Len()), UncompressedSize64: claimed}
	h.SetMode(0o755)
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(stream.Bytes())
	_ = zw.Close()
	f.Close()
	return p
}

// ShareGoStd points COLDBENCH_GO_STD_DIR at one directory for every test binary of a run (in the
// machine's temp dir, keyed by nothing but the user), unless the environment names one: each
// Go standard library the tests' builds need is then compiled once for the whole test command
// instead of once per test's fresh cache directory. Seeds are keyed by the toolchain, so a stale
// one is never used. For TestMain, before m.Run.
func ShareGoStd() {
	if os.Getenv("COLDBENCH_GO_STD_DIR") != "" {
		return
	}
	dir := filepath.Join(os.TempDir(), "coldbench-test-go-std-"+strconv.Itoa(os.Geteuid()))
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.Chmod(dir, 0o755)
		_ = os.Setenv("COLDBENCH_GO_STD_DIR", dir)
	}
}

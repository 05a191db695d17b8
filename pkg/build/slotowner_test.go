package build

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// One pull request's build leaves a Go env file in its home and, in its build cache, a link to a
// root-only directory; the slot is readied (sandboxed, as a build readies it) for the same pull
// request again, for trusted code, and for another pull request. Protected, only the other
// owner's build finds the slot empty, and the wipe removes the link, never what it points at;
// the control (slotkeep off) keeps the planted file for anyone.
func TestSlotOwnerWipesAnotherOwnersCache(t *testing.T) {
	id := separateUser(t)
	src := testenv.SharedTempDir(t)
	testenv.Write(t, src, "bootstrap", "#!/bin/sh\n")
	for _, p := range []string{src, filepath.Join(src, "bootstrap")} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cache := testenv.SharedTempDir(t)
	slot := SlotDir(filepath.Join(cache, "sandbox"), id)
	ready := func(t *testing.T, owner string, trusted bool) {
		t.Helper()
		stage := filepath.Join(t.TempDir(), "stage")
		if err := os.Mkdir(stage, 0o755); err != nil {
			t.Fatal(err)
		}
		req := Request{Dir: src, Name: "fn", Sandbox: id, Tools: Tools{CacheDir: slot}, SlotOwner: owner, SlotTrusted: trusted}
		sreq, unlock, err := sandboxed(req, stage)
		if err != nil {
			t.Fatalf("sandboxed for %q: %v", owner, err)
		}
		unlock()
		if sreq.Tools.CacheDir != slot {
			t.Fatalf("the build's cache is %s, want the slot %s", sreq.Tools.CacheDir, slot)
		}
	}
	planted := filepath.Join(slot, "home", ".config", "go", "env")
	target := filepath.Join(rootOnlyDir(t), "kept")
	plant := func(t *testing.T) {
		t.Helper()
		testenv.Write(t, filepath.Dir(planted), "env", "GOFLAGS=-toolexec=/tmp/evil\n")
		if err := os.Symlink(filepath.Dir(target), filepath.Join(slot, "go-build", "aa")); err != nil {
			t.Fatal(err)
		}
		// Go's module cache, read-only as Go leaves it: root removes it all the same.
		mod := filepath.Join(slot, "gomodcache", "example.com", "m@v1.0.0")
		testenv.Write(t, mod, "m.go", "package m\n")
		for _, p := range []string{filepath.Join(slot, "home", ".config"), filepath.Dir(planted), planted, filepath.Join(slot, "go-build", "aa"), filepath.Dir(mod), mod, filepath.Join(mod, "m.go")} {
			if err := os.Lchown(p, id.UID, id.GID); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(filepath.Join(mod, "m.go"), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(mod, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }

	t.Run("protected", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "")
		ready(t, "pull request octo/app#1", false)
		plant(t)
		ready(t, "pull request octo/app#1", false) // a push to the same pull request: its warm caches
		if !exists(planted) {
			t.Fatal("the same owner's next build lost its cache")
		}
		ready(t, "", false) // trusted code (base, a reference) in a slot keeps its caches
		if !exists(planted) {
			t.Fatal("a build of trusted code emptied the slot")
		}
		ready(t, "pull request octo/app#2", false)
		mod := filepath.Join(slot, "gomodcache", "example.com")
		if exists(planted) || exists(filepath.Join(slot, "go-build", "aa")) || exists(mod) {
			t.Errorf("another pull request's build finds the first one's files: %s %v, link %v, module cache %v", planted, exists(planted), exists(filepath.Join(slot, "go-build", "aa")), exists(mod))
		}
		if b, err := os.ReadFile(target); err != nil || string(b) != "root's\n" {
			t.Errorf("the wipe followed the planted link: %s: %q, %v", target, b, err)
		}
		if got, err := readSlotMark(id, slot); err != nil || got != (slotMark{owner: "pull request octo/app#2"}) {
			t.Errorf("marker: %+v, %v; want the second pull request's", got, err)
		}
		for _, d := range sandboxDirs { // prepareSlot made them again, the user's
			if st, err := os.Lstat(filepath.Join(slot, d.dir)); err != nil || !st.IsDir() {
				t.Errorf("%s after the wipe: %v", d.dir, err)
			}
		}
	})
	// What only the repository's own code (a push's run) wrote, a pull request's build takes
	// over; from then on the slot is that pull request's.
	t.Run("trusted", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "")
		ready(t, "octo/app refs/heads/main", true)
		_ = os.Remove(filepath.Join(slot, "go-build", "aa"))
		plant(t)
		ready(t, "octo/app refs/heads/main", true)
		ready(t, "pull request octo/app#5", false)
		if !exists(planted) {
			t.Fatal("a pull request's first build lost the caches the default branch's build left")
		}
		if got, err := readSlotMark(id, slot); err != nil || got != (slotMark{owner: "pull request octo/app#5"}) {
			t.Errorf("marker: %+v, %v; want the pull request's, untrusted", got, err)
		}
		ready(t, "octo/app refs/heads/main", true)
		if exists(planted) {
			t.Error("the default branch's build finds what a pull request's left")
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "slotkeep")
		if !sandbox.Off("slotkeep") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		_ = os.Remove(filepath.Join(slot, "go-build", "aa"))
		plant(t)
		ready(t, "pull request octo/app#3", false)
		if !exists(planted) {
			t.Error("control: the planted file is gone with the protection off: the test proves nothing")
		}
	})
}

// rootOnlyDir is a directory only root may enter, holding a file "kept".
func rootOnlyDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "root-only")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	testenv.Write(t, d, "kept", "root's\n")
	return d
}

// separateUser is a sandbox user of the test's own (a range acquired until it ends); the test is
// skipped where there is none to be had (not root).
func separateUser(t *testing.T) sandbox.Identity {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a separate sandbox user needs root")
	}
	id, release, err := sandbox.Acquire(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return id
}

package build

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// A sandbox user leaves, in its own Go build cache, a hard link to a root-only file elsewhere (the
// kernel allows that link only with fs.protected_hardlinks off and no Landlock; root plants it
// here). The next build's prepareSlot gives the user what in its directories it does not own: the
// control chowns the root-only file itself through the link; protected, a file of someone else's
// with another name is left as it is.
func TestHostileHardLinkInTheSlotIsNotChowned(t *testing.T) {
	id := separateUser(t)
	owner := func(t *testing.T, off string) int {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", off)
		cache := testenv.SharedTempDir(t)
		if err := os.Chmod(cache, 0o755); err != nil {
			t.Fatal(err)
		}
		slot := SlotDir(filepath.Join(cache, "sandbox"), id)
		if err := prepareSlot(id, slot); err != nil {
			t.Fatal(err)
		}
		victim := filepath.Join(t.TempDir(), "shadow")
		testenv.Write(t, filepath.Dir(victim), "shadow", "root:hash:::\n")
		if err := os.Chmod(victim, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(victim, filepath.Join(slot, "go-build", "ab-planted")); err != nil {
			t.Skipf("hard link across the test's directories: %v", err)
		}
		if err := prepareSlot(id, slot); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(victim)
		if err != nil {
			t.Fatal(err)
		}
		return int(st.Sys().(*syscall.Stat_t).Uid)
	}
	t.Run("protected", func(t *testing.T) {
		if uid := owner(t, ""); uid != 0 {
			t.Errorf("the root-only file linked into the slot is now uid %d's, want root's", uid)
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "hardlinks")
		if !sandbox.Off("hardlinks") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		if uid := owner(t, "hardlinks"); uid != id.UID {
			t.Errorf("control: the linked file is uid %d's, want the sandbox user's (%d): the test proves nothing", uid, id.UID)
		}
	})
}

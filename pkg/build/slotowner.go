package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// A slot's caches outlive the run: the next run that takes the same uid range builds in the same
// directories (a self-hosted runner's cache-dir, the CLI's /var/cache/coldbench). Whatever one
// pull request's build left there (a Go build-cache entry under an action ID a later build looks
// up, cargo fingerprints over forged objects, ~/.config/go/env with GOFLAGS=-toolexec=…, a
// poisoned npm or pip cache) the next pull request's build and handler would use: its numbers
// rigged, and the first one's code run in its sandbox. So a slot that runs untrusted code
// remembers whose it last ran, in a file of coldbench's in the slot directory (which is root's,
// 0755: the sandbox user can neither write nor replace it), and a build for anyone else starts
// from empty directories. Base and reference builds (the repository's own history, coldbench's
// handlers) give no owner and keep the slot's caches.

// slotOwnerFile is the marker in a slot directory naming the owner (Request.SlotOwner) of the
// untrusted code that last wrote the slot.
const slotOwnerFile = ".coldbench-owner"

// claimSlot readies the slot directory dir for a build of owner's code: when the marker is
// missing or names another owner, everything the sandbox user could have written there (its
// directories, sandboxDirs, and the source copies, src) is removed first. It runs before
// prepareSlot, while no process of the user's is alive; writeOwner records owner once
// prepareSlot has made dir coldbench's again. claimed says whether the marker must be written.
func claimSlot(id sandbox.Identity, dir, owner string) (claimed bool, err error) {
	if owner == "" || sandbox.Off("slotkeep") { // the hostile tests' control: caches kept for anyone
		return false, nil
	}
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return true, nil // prepareSlot removes it: nothing below it is ever followed
	}
	if last, err := slotOwner(id, dir); err == nil && last == owner {
		return false, nil
	}
	return true, wipeSlot(dir)
}

// slotOwner reads dir's marker: a regular file with one name that is not the sandbox user's
// (coldbench's, or the runner's user where actions/cache restored the directory).
func slotOwner(id sandbox.Identity, dir string) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	f, err := root.OpenFile(slotOwnerFile, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.Mode().IsRegular() || !ok || st.Nlink != 1 || int(st.Uid) == id.UID {
		return "", fmt.Errorf("%s: not coldbench's marker", filepath.Join(dir, slotOwnerFile))
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	return strings.TrimSuffix(string(b), "\n"), err
}

// wipeSlot removes, as root, the user's directories of the slot dir and the source copies, and
// the marker. The removal goes through an os.Root of dir and follows no link: a link the user
// planted in its directories is removed, never its target, and a hard link is one name of a
// file removed (the file's other names, wherever they are, stay as they were).
func wipeSlot(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	names := []string{slotOwnerFile, "src"}
	for _, d := range sandboxDirs {
		names = append(names, d.dir)
	}
	var errs []error
	for _, name := range names {
		if err := root.RemoveAll(name); err != nil {
			errs = append(errs, fmt.Errorf("empty the sandbox's cache for another owner's code: %w", err))
		}
	}
	return errors.Join(errs...)
}

// writeOwner records owner as the slot's, a new file in dir (coldbench's, prepared).
func writeOwner(dir, owner string) error {
	return writeIn(dir, slotOwnerFile, []byte(owner+"\n"), 0o644)
}

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
//
// A slot that only the repository's own code wrote (a push's run: Request.SlotTrusted) is
// poisoned by no one, so another owner's build takes it over, caches and all: a pull request's
// first run starts from the caches of the default branch's (what actions/cache restores for it).

// slotOwnerFile is the marker in a slot directory naming the owner (Request.SlotOwner) of the
// untrusted code that last wrote the slot, and on a second line "trusted" while only trusted
// code has written it.
const slotOwnerFile = ".coldbench-owner"

// slotMark is what a slot's marker says.
type slotMark struct {
	owner   string
	trusted bool
}

// String is the marker's contents.
func (m slotMark) String() string {
	s := m.owner + "\n" // one line: claimSlot escaped its newlines
	if m.trusted {
		s += "trusted\n"
	}
	return s
}

// claimSlot readies the slot directory dir for a build of req's code (req.SlotOwner, trusted or
// not): when the marker is missing or names another owner whose code was not trusted,
// everything the sandbox user could have written there (its directories, sandboxDirs, and the
// source copies, src) is removed first. It runs before prepareSlot, while no process of the
// user's is alive; the marker to write once prepareSlot has made dir coldbench's again is
// returned (nil: leave it as it is).
func claimSlot(id sandbox.Identity, dir string, req Request) (*slotMark, error) {
	if req.SlotOwner == "" || sandbox.Off("slotkeep") { // the hostile tests' control: caches kept for anyone
		return nil, nil
	}
	now := slotMark{owner: strings.ReplaceAll(req.SlotOwner, "\n", `\n`), trusted: req.SlotTrusted}
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &now, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return &now, nil // prepareSlot removes it: nothing below it is ever followed
	}
	last, err := readSlotMark(id, dir)
	switch {
	case err == nil && last == now:
		return nil, nil
	case err == nil && last.owner == now.owner: // the same owner's untrusted build: no longer trusted
		return &slotMark{owner: now.owner}, nil
	case err == nil && last.trusted:
		return &now, nil // taken over from the repository's own code
	}
	return &now, wipeSlot(dir)
}

// readSlotMark reads dir's marker: a regular file with one name that is not the sandbox user's
// (coldbench's, or the runner's user where actions/cache restored the directory).
func readSlotMark(id sandbox.Identity, dir string) (slotMark, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return slotMark{}, err
	}
	defer root.Close()
	f, err := root.OpenFile(slotOwnerFile, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return slotMark{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return slotMark{}, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.Mode().IsRegular() || !ok || st.Nlink != 1 || int(st.Uid) == id.UID {
		return slotMark{}, fmt.Errorf("%s: not coldbench's marker", filepath.Join(dir, slotOwnerFile))
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return slotMark{}, err
	}
	owner, rest, _ := strings.Cut(string(b), "\n")
	return slotMark{owner: owner, trusted: rest == "trusted\n"}, nil
}

// wipeSlot removes, as root, the user's directories of the slot dir, the source copies and the
// marker. The removal goes through an os.Root of dir and follows no link: a link the user
// planted in its directories is removed, never its target, and a hard link is one name of a
// file removed (the file's other names, wherever they are, stay as they were). The Go build
// cache goes with its seed marker, so the next build copies the standard library in again
// (seedGoCache).
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

// writeSlotMark records m as the slot's, a new file in dir (coldbench's, prepared).
func writeSlotMark(dir string, m slotMark) error {
	return writeIn(dir, slotOwnerFile, []byte(m.String()), 0o644)
}

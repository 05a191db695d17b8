// Package sandbox is the boundary between coldbench and the untrusted code it runs: the
// pull request's build scripts and its handler. That code runs as a user that is not coldbench's,
// so it cannot read coldbench's environment or memory through /proc, trace it, signal it, or
// write the files coldbench publishes. Root (the action's container) gets a real separate user;
// a non-root CLI user gets the strongest separation the host allows, and Identity.Describe says
// which, so the results never claim more than was enforced.
package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultUID is the first uid (and gid) tried for the sandbox user: high, so it is no user's on
// an ordinary machine or in a container image; the next free one is used if it is taken.
const DefaultUID = 61000

// Identity is who untrusted code runs as.
type Identity struct {
	UID, GID int
	// Separate is true when untrusted code runs as another user than coldbench.
	Separate bool
}

// Detect decides the sandbox identity: a separate, unprivileged uid when coldbench is root
// (COLDBENCH_SANDBOX_UID chooses it), coldbench's own user otherwise. It reserves nothing: a
// run that starts untrusted code takes its users with Acquire.
func Detect(getenv func(string) string) (Identity, error) {
	if os.Geteuid() != 0 {
		return Identity{UID: os.Geteuid(), GID: os.Getegid()}, nil
	}
	if v := getenv("COLDBENCH_SANDBOX_UID"); v != "" {
		uid, err := strconv.Atoi(v)
		if err != nil || uid <= 0 || uid > 1<<31-2-Slots {
			return Identity{}, fmt.Errorf("COLDBENCH_SANDBOX_UID %q: want a uid above 0 (not root)", v)
		}
		return Identity{UID: uid, GID: uid, Separate: true}, nil
	}
	taken := takenIDs()
	uid := DefaultUID
	for !free(taken, uid) {
		uid++
	}
	return Identity{UID: uid, GID: uid, Separate: true}, nil
}

// held are the ranges of uids this process has acquired.
var held = struct {
	sync.Mutex
	m map[int]bool
}{m: map[int]bool{}}

// Acquire is Detect for one run: the Slots users from the identity's first uid become this run's
// alone until release, so that no other run (another coldbench process on the machine, or
// another run in this one) shares a user with it, or is killed when it kills its users'
// processes. A range another run holds is passed over for the next free one (an explicit
// COLDBENCH_SANDBOX_UID waits for its range instead). The caches are per uid, so a run that
// had to move to another range starts with cold caches.
func Acquire(getenv func(string) string) (Identity, func(), error) {
	id, err := Detect(getenv)
	if err != nil || !id.Separate {
		return id, func() {}, err
	}
	explicit := getenv("COLDBENCH_SANDBOX_UID") != ""
	taken := takenIDs()
	for first := id.UID; first < id.UID+64*Slots; first += Slots {
		if !explicit && !free(taken, first) {
			continue
		}
		held.Lock()
		mine := held.m[first]
		if !mine {
			held.m[first] = true
		}
		held.Unlock()
		if mine && !explicit {
			continue
		}
		for mine { // explicit: wait for this process's other run
			time.Sleep(50 * time.Millisecond)
			held.Lock()
			if mine = held.m[first]; !mine {
				held.m[first] = true
			}
			held.Unlock()
		}
		f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("coldbench-uids-%d.lock", first)), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
		if err == nil {
			how := syscall.LOCK_EX | syscall.LOCK_NB
			if explicit {
				how = syscall.LOCK_EX
			}
			if err = syscall.Flock(int(f.Fd()), how); err != nil {
				f.Close()
			}
		}
		if err != nil {
			held.Lock()
			delete(held.m, first)
			held.Unlock()
			if explicit {
				return Identity{}, nil, fmt.Errorf("lock the sandbox's users from uid %d: %w", first, err)
			}
			continue
		}
		startReaping()
		reaper.mu.Lock()
		reaper.ranges[first] = true
		reaper.mu.Unlock()
		release := func() {
			reapOrphans()
			reaper.mu.Lock()
			delete(reaper.ranges, first)
			reaper.mu.Unlock()
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
			held.Lock()
			delete(held.m, first)
			held.Unlock()
		}
		return Identity{UID: first, GID: first, Separate: true}, release, nil
	}
	return Identity{}, nil, fmt.Errorf("no free range of %d sandbox uids from %d: every one is held by another coldbench run", Slots, id.UID)
}

// Slots is how many uids from the sandbox's first one are coldbench's: one for each variant and
// arch (head, base and every reference, built for two arches), so that no two of them share a
// user, a process limit, a cache or a file.
const Slots = 64

// free reports whether the Slots uids and gids from first are nobody's.
func free(taken map[int]bool, first int) bool {
	for i := 0; i < Slots; i++ {
		if taken[first+i] {
			return false
		}
	}
	return true
}

// Slot is the identity of slot n (0 to Slots-1) of the sandbox: the first uid plus n. Without a
// separate user every slot is coldbench's own.
func (id Identity) Slot(n int) Identity {
	if !id.Separate || Off("uids") {
		return id
	}
	if n < 0 || n >= Slots {
		panic(fmt.Sprintf("sandbox slot %d out of range", n))
	}
	return Identity{UID: id.UID + n, GID: id.GID + n, Separate: true}
}

// Confine is the spec that untrusted code runs under as this identity: its uid and no groups, at
// most nproc processes and threads, and with Landlock (where the kernel has it) nothing to read
// but the system's trees and exec, nothing to write but write.
func (id Identity) Confine(nproc uint64, exec, write []string) Spec {
	if Off("nproc") {
		nproc = 0
	}
	return Spec{UID: id.UID, GID: id.GID, NProc: nproc, Landlock: LandlockOn(), Exec: exec, Write: write}
}

// LandlockOn reports whether sandboxed code is confined with Landlock: when the kernel has it.
func LandlockOn() bool { return LandlockABI() > 0 && !Off("landlock") }

// takenIDs lists the uids and gids named in /etc/passwd and /etc/group.
func takenIDs() map[int]bool {
	out := map[int]bool{}
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if fields := strings.Split(sc.Text(), ":"); len(fields) > 2 {
				if id, err := strconv.Atoi(fields[2]); err == nil {
					out[id] = true
				}
			}
		}
		fh.Close()
	}
	return out
}

// Credential is what a child process of untrusted code runs with: the sandbox user with no
// supplementary groups, or nil to keep coldbench's.
func (id Identity) Credential() *syscall.Credential {
	if !id.Separate {
		return nil
	}
	return &syscall.Credential{Uid: uint32(id.UID), Gid: uint32(id.GID), Groups: []uint32{}}
}

// Describe says what the separation enforces, for the results' limits.
func (id Identity) Describe() string {
	if id.Separate {
		return fmt.Sprintf("uid %d: builds and handlers run as an unprivileged user of their own; coldbench's environment, memory, signals and output files are out of their reach", id.UID)
	}
	if id.UID == 0 {
		return "none: builds and handlers ran as root, with every privilege; nothing of coldbench was out of their reach"
	}
	return fmt.Sprintf("same user (uid %d): coldbench is not root, so builds and handlers run as its user; it is made non-dumpable, so they cannot read its environment or memory or trace it, but they could signal it or write its files", id.UID)
}

// Own gives path to the sandbox user (a directory it must write, such as its /tmp).
func (id Identity) Own(path string) error {
	if !id.Separate {
		return nil
	}
	return os.Lchown(path, id.UID, id.GID)
}

// Reachable reports whether the sandbox user can reach path: every directory from / down to it
// searchable by that user. Without separation everything coldbench reaches is reachable.
func (id Identity) Reachable(path string) error {
	if !id.Separate {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.IsDir() && !id.may(st, 0o1) {
			return fmt.Errorf("%s is not searchable by the sandbox user (uid %d): mode %v", d, id.UID, st.Mode().Perm())
		}
		if d == "/" {
			return nil
		}
	}
}

// may reports whether the sandbox user has bit (1 search/execute, 2 write, 4 read) on st.
func (id Identity) may(st os.FileInfo, bit os.FileMode) bool {
	return id.mayPerm(st, st.Mode().Perm(), bit)
}

// mayPerm is may with the permission bits perm.
func (id Identity) mayPerm(st os.FileInfo, perm os.FileMode, bit os.FileMode) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	switch {
	case ok && int(sys.Uid) == id.UID:
		return perm&(bit<<6) != 0
	case ok && int(sys.Gid) == id.GID:
		return perm&(bit<<3) != 0
	}
	return perm&bit != 0
}

// CanRead reports whether the sandbox user may read the file or list the directory st describes.
func (id Identity) CanRead(st os.FileInfo) bool {
	return !id.Separate || id.may(st, 0o4)
}

// CouldRead is CanRead of the file at path as it was before Seal closed it: what coldbench may
// copy for the sandbox from a sealed workspace.
func (id Identity) CouldRead(path string, st os.FileInfo) bool {
	return !id.Separate || id.mayPerm(st, Unsealed(path, st.Mode().Perm()), 0o4)
}

// ProtectSelf makes coldbench's own process non-dumpable: a process without CAP_SYS_PTRACE can no
// longer read its /proc/PID/environ, mem or maps, nor attach to it, even as the same user.
func ProtectSelf() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}

// CanExec reports whether the sandbox user can run the program at path: it and the file it
// links to are reachable, and the file is executable by that user.
func (id Identity) CanExec(path string) bool {
	if !id.Separate {
		return true
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	for _, p := range []string{path, real} {
		if id.Reachable(filepath.Dir(p)) != nil {
			return false
		}
	}
	st, err := os.Stat(real)
	return err == nil && id.may(st, 0o1)
}

// OwnTree gives every file and directory under root to the sandbox user, without following
// symbolic links.
func (id Identity) OwnTree(root string) error {
	if !id.Separate {
		return nil
	}
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, id.UID, id.GID)
	})
}

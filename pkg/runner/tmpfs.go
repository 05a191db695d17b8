package runner

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// canMountTmpfs reports, once per process, whether this process may mount a tmpfs (root with
// CAP_SYS_ADMIN: not in a default container), by mounting and unmounting a tiny one.
var canMountTmpfs = sync.OnceValue(func() bool {
	dir, err := os.MkdirTemp("", "coldbench-tmpfs-probe-")
	if err != nil {
		return false
	}
	defer os.Remove(dir)
	if unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m") != nil {
		return false
	}
	_ = unix.Unmount(dir, unix.MNT_DETACH)
	return true
})

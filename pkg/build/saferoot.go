package build

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// coldbench runs as root in the action's container and builds write trees of the sandbox user's
// (the stage, the source copy, the caches). Whatever a build left there — a link to /root, a
// hard link to a file of root's, a fifo — root must neither follow nor write through. When root
// reads or writes those trees no process of the sandbox user's is alive (run kills them all after
// each step), so the trees hold still; what follows makes sure that what they hold cannot lead
// root anywhere else:
//
//   - readIn reads a file inside a tree through an os.Root (no link leads out), and only a
//     regular file that the sandbox user could read itself;
//   - writeIn writes a new file inside a tree (an entry already there, link or not, is removed
//     first, never written through);
//   - verifyTree checks a whole tree before it is zipped;
//   - openRegular opens a path without following a link at its name or blocking on a fifo.

// readIn reads rel inside dir as described above.
func readIn(id sandbox.Identity, dir, rel string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(filepath.ToSlash(rel), os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := readable(id, filepath.Join(dir, rel), st); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// readable refuses what the sandbox user could not have read itself, and anything but a regular
// file: a hard link the build made to a file of root's is still root's.
func readable(id sandbox.Identity, path string, st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s)", path, st.Mode().Type())
	}
	if !id.CanRead(st) && !sandbox.Off("saferoot") {
		return fmt.Errorf("%s: a file the sandbox user may not read (mode %v, a link to another user's file?): refused", path, st.Mode().Perm())
	}
	return nil
}

// writeIn writes data to rel inside dir as a new file, creating its parent directories inside
// dir.
func writeIn(dir, rel string, data []byte, mode os.FileMode) error {
	if sandbox.Off("saferoot") { // the hostile tests' control: the old, trusting write
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, mode)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	rel = filepath.ToSlash(rel)
	if d := filepath.Dir(rel); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := root.Remove(rel); err != nil && !os.IsNotExist(err) {
		return err
	}
	f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil { // past the umask
		f.Close()
		return err
	}
	return f.Close()
}

// verifyTree checks, before root zips it, that the tree under dir holds only directories,
// links (zipped as links, never followed) and regular files the sandbox user could read.
func verifyTree(id sandbox.Identity, dir string) error {
	if sandbox.Off("saferoot") {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		return readable(id, p, st)
	})
}

// openRegular opens path for reading without following a link at its name or blocking on a
// fifo, and only if it is a regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

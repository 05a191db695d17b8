// Package lambdazip reads a Lambda deployment package (a zip) the way Lambda accepts one, and lays
// it out as a task root that nothing in the zip can escape. The zip is pull-request output: its
// entries may try to climb out of the task root (../, absolute paths, a symlink and then a file
// through it), carry device nodes, or decompress to far more than their headers say (a zip bomb).
// Each of those is refused with a reason, before anything is written outside the task root or the
// disk fills.
package lambdazip

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Lambda's limits for a zip deployment package.
const (
	// MaxUnzippedBytes is the largest unzipped function code Lambda accepts, layers included.
	MaxUnzippedBytes = 262_144_000
	// MaxDirectUploadBytes is the largest zip Lambda takes in a CreateFunction call; larger ones
	// are uploaded through S3.
	MaxDirectUploadBytes = 50 << 20
)

// ErrTooLarge is wrapped by the error for a package over MaxUnzippedBytes, with Lambda's words.
var ErrTooLarge = errors.New("InvalidParameterValueException: Unzipped size must be smaller than 262144000 bytes")

// Entry is one file, directory or symbolic link of a package.
type Entry struct {
	Name string // slash-separated, relative, cleaned
	Mode fs.FileMode
	Data []byte // a file's content, or a symbolic link's target
}

// Package is a deployment package read into memory: unpacking a zip costs about 12 ms per MB of
// code, most of a sample's overhead, so it is decompressed once and written out for every sample.
type Package struct {
	Entries       []Entry
	UnzippedBytes int64
}

// Read reads and checks the zip at path. It stops as soon as the decompressed bytes pass the
// limit, whatever the headers claim.
func Read(path string) (*Package, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	p := &Package{}
	for _, f := range zr.File {
		e, err := checkEntry(f)
		if err != nil {
			return nil, err
		}
		if e.Mode.IsRegular() || e.Mode&fs.ModeSymlink != 0 {
			if e.Data, err = p.readLimited(f); err != nil {
				return nil, err
			}
		}
		p.Entries = append(p.Entries, e)
	}
	return p, nil
}

// checkEntry refuses names that leave the task root and entries that are not files,
// directories or symbolic links.
func checkEntry(f *zip.File) (Entry, error) {
	name := f.Name
	switch {
	case name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\"):
		return Entry{}, fmt.Errorf("zip entry %q: an absolute or non-slash path; entries must be relative to the task root", name)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return Entry{}, fmt.Errorf("zip entry %q escapes the task root", name)
	}
	mode := f.Mode()
	switch {
	case mode.IsDir(), mode.IsRegular(), mode&fs.ModeSymlink != 0:
	default:
		return Entry{}, fmt.Errorf("zip entry %q is a %s; a deployment package holds only files, directories and symbolic links", name, typeName(mode))
	}
	// Lambda runs code as an unprivileged user: setuid and setgid bits mean nothing there.
	mode &^= fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	return Entry{Name: clean, Mode: mode}, nil
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file (" + m.String() + ")"
}

// readLimited decompresses f, counting its bytes against the package's limit.
func (p *Package) readLimited(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	room := MaxUnzippedBytes - p.UnzippedBytes
	b, err := io.ReadAll(io.LimitReader(rc, room+1))
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
		// archive/zip stops at the size the header declares: a header that lies small.
		return nil, fmt.Errorf("%s: its data does not match its header (%d bytes declared): %w", f.Name, f.UncompressedSize64, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	p.UnzippedBytes += int64(len(b))
	if int64(len(b)) > room {
		return nil, fmt.Errorf("%w (%s decompresses past the limit)", ErrTooLarge, f.Name)
	}
	return b, nil
}

// Extract lays the package out under dir (created if needed), as Lambda unpacks code into
// /var/task. Every path is resolved inside dir (os.Root): a symbolic link in the package may point
// anywhere, as on Lambda, but nothing is ever written through one to outside dir. With evict,
// every file is written back and dropped from the page cache, so the handler reads its code from
// disk as a cold sandbox does (a clean page can be dropped without root, a dirty one cannot,
// hence the fdatasync first).
func (p *Package) Extract(dir string, evict bool) error { return p.extract(dir, evict, false, 0) }

// ExtractReadOnly is Extract with no file writable by anyone but its owner (the package's
// modes less group and other write): a task root that one sample's handler cannot change for the
// next, as Lambda's /var/task is read-only.
func (p *Package) ExtractReadOnly(dir string, evict bool) error {
	return p.extract(dir, evict, false, 0o022)
}

// ExtractOver writes the package over what dir already holds, as Lambda lays layers out in /opt
// in order: a file or link of the package replaces one of the same name.
func (p *Package) ExtractOver(dir string, evict bool) error { return p.extract(dir, evict, true, 0) }

func (p *Package) extract(dir string, evict, over bool, mask fs.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, e := range p.Entries {
		if e.Name == "." {
			continue
		}
		if parent := path.Dir(e.Name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("zip entry %q: %w", e.Name, err)
			}
		}
		if over && !e.Mode.IsDir() {
			if st, err := root.Lstat(e.Name); err == nil && !st.IsDir() {
				_ = root.Remove(e.Name)
			}
		}
		switch {
		case e.Mode.IsDir():
			err = root.MkdirAll(e.Name, 0o755)
		case e.Mode&fs.ModeSymlink != 0:
			err = root.Symlink(string(e.Data), e.Name)
		default:
			err = writeFile(root, e.Name, e.Data, e.Mode.Perm(), mask, evict)
		}
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", e.Name, err)
		}
	}
	return nil
}

func writeFile(root *os.Root, name string, data []byte, perm, mask fs.FileMode, evict bool) error {
	if perm == 0 {
		perm = 0o644 // zips made on Windows carry no Unix mode
	}
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm&^mask)
	if err != nil {
		return err
	}
	if mask != 0 { // the umask may have left less; never more
		if err := out.Chmod(perm &^ mask); err != nil {
			out.Close()
			return err
		}
	}
	_, err = out.Write(data)
	if err == nil && evict {
		if err = unix.Fdatasync(int(out.Fd())); err == nil {
			err = unix.Fadvise(int(out.Fd()), 0, 0, unix.FADV_DONTNEED)
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// Evict drops every regular file under dir (a task root ExtractReadOnly wrote with evict) from
// the page cache, links not followed, so that the next sample reads its code from disk as a cold
// sandbox does. Its pages are clean (written back when the root was laid out), so dropping them
// needs no write.
func Evict(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	})
}

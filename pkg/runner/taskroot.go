package runner

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxUnzippedBytes is Lambda's limit for a function's unzipped code (250 MB), with room for
// container-image-sized experiments; past it an artifact is refused rather than filling the disk.
const maxUnzippedBytes = 1 << 30

// artifact is a deployment zip read once per run. Unpacking a zip costs about 12 ms per MB of code
// here, most of a sample's overhead, so its entries are decompressed once and written out afresh
// for every sample: each sample still gets its own task root with the zip's files and modes.
type artifact struct {
	entries []entry
	bytes   int64
}

type entry struct {
	name string
	mode fs.FileMode
	data []byte // file content, or a symlink's target
}

func loadArtifact(path string) (*artifact, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	a := &artifact{}
	for _, f := range zr.File {
		name := filepath.Clean(f.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("zip entry %q escapes the task root", f.Name)
		}
		e := entry{name: name, mode: f.Mode()}
		if !e.mode.IsDir() {
			if a.bytes += int64(f.UncompressedSize64); a.bytes > maxUnzippedBytes {
				return nil, fmt.Errorf("unzipped size over %d MB", maxUnzippedBytes>>20)
			}
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			e.data, err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		a.entries = append(a.entries, e)
	}
	return a, nil
}

// writeTaskRoot lays the artifact out under dir, as Lambda unpacks code into /var/task. With evict,
// every file is written back and dropped from the page cache, so the handler reads its code from
// disk as a cold sandbox does: a clean page can be dropped with POSIX_FADV_DONTNEED without root,
// a dirty one cannot, hence the fdatasync first.
func (a *artifact) writeTaskRoot(dir string, evict bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range a.entries {
		target := filepath.Join(dir, e.name)
		switch {
		case e.mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		case e.mode&fs.ModeSymlink != 0:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(string(e.data), target); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := writeFileEvicted(target, e.data, e.mode.Perm(), evict); err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
	}
	return nil
}

func writeFileEvicted(target string, data []byte, perm fs.FileMode, evict bool) error {
	if perm == 0 {
		perm = 0o644 // zips made on Windows carry no Unix mode
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
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

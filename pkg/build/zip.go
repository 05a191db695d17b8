// Package build turns handler sources into Lambda deployment zips, for the target architecture
// and for the host, and records what built them.
package build

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// zipEpoch is the fixed modification time of every entry: the same files give the same bytes.
// (1980-01-01 is the earliest time the zip format can hold.)
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// vcsDirs are version control directories, never packaged.
var vcsDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

// ZipDir packages the tree under dir as a Lambda deployment zip at out: entries sorted by path,
// fixed times, modes kept (bootstrap must stay executable), symlinks stored as links, version
// control directories left out. It returns
// the zip's size and the total size of the files in it.
func ZipDir(dir, out string) (zipBytes, unzippedBytes int64, err error) {
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && d.IsDir() && vcsDirs[d.Name()] {
			return filepath.SkipDir // history is not part of a deployment package
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("walk %s: %w", dir, err)
	}
	sort.Strings(paths)
	f, err := os.Create(out)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		n, err := addEntry(zw, p, filepath.ToSlash(rel))
		if err != nil {
			return 0, 0, fmt.Errorf("zip %s: %w", rel, err)
		}
		unzippedBytes += n
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return st.Size(), unzippedBytes, nil
}

func addEntry(zw *zip.Writer, path, name string) (int64, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return 0, err
	}
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipEpoch}
	switch {
	case st.IsDir():
		h.Name += "/"
		h.Method = zip.Store
		h.SetMode(fs.ModeDir | 0o755)
		_, err := zw.CreateHeader(h)
		return 0, err
	case st.Mode()&fs.ModeSymlink != 0:
		dest, err := os.Readlink(path)
		if err != nil {
			return 0, err
		}
		h.SetMode(fs.ModeSymlink | 0o777)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return 0, err
		}
		_, err = io.WriteString(w, dest)
		return 0, err
	case !st.Mode().IsRegular():
		return 0, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	// Normalise modes as Lambda sees them: executable or not, never group/world writable.
	mode := fs.FileMode(0o644)
	if st.Mode()&0o111 != 0 {
		mode = 0o755
	}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, err
	}
	src, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	return io.Copy(w, src)
}

package lambdazip

import (
	"archive/zip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

type zentry struct {
	name string
	mode fs.FileMode
	data string
}

func writeZip(t *testing.T, entries ...zentry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pkg.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestReadAndExtract(t *testing.T) {
	t.Parallel()
	p := writeZip(t,
		zentry{"bootstrap", 0o755, "#!/bin/sh\n"},
		zentry{"lib/", fs.ModeDir | 0o755, ""},
		zentry{"lib/data.txt", 0o644, "hello"},
		zentry{"etc-link", fs.ModeSymlink | 0o777, "/etc/hostname"}, // may point anywhere, as on Lambda
		zentry{"data-link", fs.ModeSymlink | 0o777, "lib/data.txt"},
		zentry{"suid", fs.ModeSetuid | 0o755, "x"},
	)
	pkg, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := pkg.Extract(filepath.Join(dir, "task"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "task", "data-link")); string(b) != "hello" {
		t.Errorf("data-link reads %q, want hello", b)
	}
	if st, _ := os.Stat(filepath.Join(dir, "task", "bootstrap")); st == nil || st.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap mode = %v, want 0755", st)
	}
	if st, _ := os.Stat(filepath.Join(dir, "task", "suid")); st == nil || st.Mode()&fs.ModeSetuid != 0 {
		t.Errorf("suid mode = %v, want the setuid bit dropped", st)
	}
	if pkg.UnzippedBytes != int64(len("#!/bin/sh\n")+len("hello")+len("/etc/hostname")+len("lib/data.txt")+1) {
		t.Errorf("UnzippedBytes = %d", pkg.UnzippedBytes)
	}
}

// Every hostile package is refused with a reason, and nothing is written outside the task root.
func TestHostilePackages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		entries []zentry
		want    string // in the error from Read, or else from Extract
	}{
		{"parent path", []zentry{{"../outside", 0o644, "x"}}, "escapes the task root"},
		{"deep parent path", []zentry{{"a/../../outside", 0o644, "x"}}, "escapes the task root"},
		{"absolute path", []zentry{{"/tmp/outside", 0o644, "x"}}, "an absolute or non-slash path"},
		{"backslash path", []zentry{{"..\\outside", 0o644, "x"}}, "an absolute or non-slash path"},
		{"file through a symlink to a parent", []zentry{{"up", fs.ModeSymlink | 0o777, ".."}, {"up/outside", 0o644, "x"}}, "path escapes from parent"},
		{"file through an absolute symlink", []zentry{{"abs", fs.ModeSymlink | 0o777, "OUTSIDE_DIR"}, {"abs/outside", 0o644, "x"}}, "path escapes from parent"},
		{"overwrite through a symlink", []zentry{{"bootstrap", fs.ModeSymlink | 0o777, "OUTSIDE_DIR/outside"}, {"bootstrap", 0o755, "x"}}, "path escapes from parent"},
		{"character device", []zentry{{"tty", fs.ModeDevice | fs.ModeCharDevice | 0o666, ""}}, "is a character device"},
		{"block device", []zentry{{"sda", fs.ModeDevice | 0o666, ""}}, "is a block device"},
		{"named pipe", []zentry{{"fifo", fs.ModeNamedPipe | 0o666, ""}}, "is a named pipe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			outside := filepath.Join(base, "outside-dir")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range tt.entries {
				tt.entries[i].data = strings.ReplaceAll(tt.entries[i].data, "OUTSIDE_DIR", outside)
			}
			p := writeZip(t, tt.entries...)
			task := filepath.Join(base, "task")
			pkg, err := Read(p)
			if err == nil {
				err = pkg.Extract(task, false)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read+Extract(%s) = %v, want an error saying %q", tt.name, err, tt.want)
			}
			for _, p := range []string{filepath.Join(base, "outside"), filepath.Join(outside, "outside")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written outside the task root", p)
				}
			}
		})
	}
}

// A 10 GB zip bomb (10 MB of zip) is refused after 250 MB of decompression, whether its header
// tells the truth or lies small.
func TestZipBomb(t *testing.T) {
	t.Parallel()
	const tenGB = 10 << 30
	for _, tt := range []struct {
		claimed uint64
		want    error
	}{{tenGB, ErrTooLarge}, {1000, zip.ErrFormat}} {
		p := testenv.ZipBomb(t, tenGB, tt.claimed)
		st, _ := os.Stat(p)
		_, err := Read(p)
		if !errors.Is(err, tt.want) {
			t.Errorf("Read(%d MB zip of 10 GB, header says %d bytes) = %v, want %v", st.Size()>>20, tt.claimed, err, tt.want)
		}
	}
}

// Layers are laid out in order over one directory: a later layer's file or link replaces an
// earlier one's (a link is replaced, never written through), what only the earlier has stays.
func TestExtractOverLaysLayersInOrder(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := writeZip(t, zentry{"bin/", fs.ModeDir | 0o755, ""}, zentry{"bin/tool", 0o755, "v1"}, zentry{"lib/only-first", 0o644, "1"},
		zentry{"conf", fs.ModeSymlink | 0o777, outside})
	second := writeZip(t, zentry{"bin/tool", 0o755, "v2"}, zentry{"conf", 0o644, "layer two"})
	dir := filepath.Join(t.TempDir(), "opt")
	for _, p := range []string{first, second} {
		pkg, err := Read(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := pkg.ExtractOver(dir, false); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"bin/tool": "v2", "lib/only-first": "1", "conf": "layer two"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("the second layer wrote through the first one's link: %q", b)
	}
}

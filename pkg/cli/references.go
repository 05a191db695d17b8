package cli

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/handlers"
)

// referenceSources writes the reference handlers' sources to a directory of their own under
// cacheDir and returns it: from the handlers directory where one is found (a checkout of
// coldbench, the action's image, --handlers-dir), else from the copy inside the binary, so a
// coldbench from `go install` needs nothing else. The Go reference gets its go.mod here. The
// directory is named by the sources' hash: unchanged sources are written once.
func referenceSources(env Env, flag, cacheDir string, runtimes []string) (string, error) {
	var src fs.FS = handlers.Sources
	from := "the sources built into coldbench"
	if dir, err := findHandlersDir(env, flag); err == nil {
		src, from = os.DirFS(dir), dir
	} else if flag != "" || env.Getenv("COLDBENCH_HANDLERS_DIR") != "" {
		return "", err // asked for a directory that is not one
	}
	files := map[string][]byte{}
	h := sha256.New()
	err := fs.WalkDir(handlers.Sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if rt, _, _ := strings.Cut(p, "/"); !slices.Contains(runtimes, rt) {
			return nil
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return fmt.Errorf("reference handler source %s in %s: %w", p, from, err)
		}
		files[p] = b
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	if slices.Contains(runtimes, "go") {
		mod, err := referenceGoMod(files["go/go.sum"])
		if err != nil {
			return "", err
		}
		files["go/go.mod"] = mod
	}
	dir := filepath.Join(cacheDir, "reference-src", hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".writing-")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("reference sources: %w", err)
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dir), ".writing-"); err != nil {
			return "", fmt.Errorf("reference sources: %w", err)
		}
	}
	defer os.RemoveAll(tmp)
	for name, b := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil && !fileExistsAt(dir, ".complete") {
		return "", fmt.Errorf("reference sources: %w", err)
	}
	return dir, nil
}

// referenceGoMod is the Go reference's go.mod: it requires what its go.sum records (the
// aws-lambda-go that coldbench itself is built with).
func referenceGoMod(sum []byte) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Written by coldbench: the Go reference handler as a module of its own.\nmodule coldbench.dev/reference/go\n\ngo 1.26\n")
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(sum))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || strings.HasSuffix(f[1], "/go.mod") || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		fmt.Fprintf(&b, "\nrequire %s %s\n", f[0], f[1])
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("reference handler source %s: no module in it", path.Join("go", "go.sum"))
	}
	return b.Bytes(), nil
}

// findHandlersDir locates the reference handlers: the flag, $COLDBENCH_HANDLERS_DIR, beside the
// binary (share/coldbench/handlers, as the container installs them), or up from the work dir
// (a checkout of coldbench itself).
func findHandlersDir(env Env, flag string) (string, error) {
	var cands []string
	if flag != "" {
		cands = append(cands, flag)
	}
	if d := env.Getenv("COLDBENCH_HANDLERS_DIR"); d != "" {
		cands = append(cands, d)
	}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "..", "share", "coldbench", "handlers"))
	}
	for d := env.Dir; d != "" && d != "/"; d = filepath.Dir(d) {
		cands = append(cands, filepath.Join(d, "handlers"))
	}
	for _, c := range cands {
		if st, err := os.Stat(filepath.Join(c, "go", "main.go")); err == nil && !st.IsDir() {
			if _, err := os.Stat(filepath.Join(c, "rust", "Cargo.toml")); err == nil {
				return filepath.Abs(c)
			}
		}
	}
	return "", errors.New("reference handlers not found: set --handlers-dir or COLDBENCH_HANDLERS_DIR to coldbench's handlers/ directory, or use --references none")
}

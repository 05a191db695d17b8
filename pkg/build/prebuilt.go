package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// The reference handlers are the same code for every user of a coldbench version, so their
// artifacts are built once (into the action's image by `coldbench build-references`, or into the
// user's cache dir by the first run) and reused while their source and toolchain are unchanged.

// Prebuilt is a directory of built artifacts with a manifest.json describing them.
type Prebuilt struct{ Dir string }

// PrebuiltEntry is one artifact of a Prebuilt directory.
type PrebuiltEntry struct {
	Runtime    string            `json:"runtime"`
	Arch       string            `json:"arch"`
	SourceHash string            `json:"source_sha256"`
	Toolchain  string            `json:"toolchain"` // ToolchainKey at build time
	Artifact   results.Artifact  `json:"artifact"`  // Path relative to Dir
	Extra      map[string]string `json:"extra,omitempty"`
}

type manifest struct {
	Entries []PrebuiltEntry `json:"entries"`
}

func (p Prebuilt) read() (manifest, error) {
	var m manifest
	b, err := os.ReadFile(filepath.Join(p.Dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s/manifest.json: %w", p.Dir, err)
	}
	return m, nil
}

// Lookup finds an artifact of runtime for arch built from the same source with the same
// toolchain.
func (p Prebuilt) Lookup(runtime, arch, sourceHash, toolchain string) (*results.Artifact, bool) {
	if p.Dir == "" {
		return nil, false
	}
	m, err := p.read()
	if err != nil {
		return nil, false
	}
	for _, e := range m.Entries {
		if e.Runtime == runtime && e.Arch == arch && e.SourceHash == sourceHash && e.Toolchain == toolchain {
			art := e.Artifact
			art.Path = filepath.Join(p.Dir, e.Artifact.Path)
			if _, err := os.Stat(art.Path); err != nil {
				return nil, false
			}
			art.BuildMs = 0
			art.Notes = append(append([]string(nil), art.Notes...), fmt.Sprintf("prebuilt (source sha256 %.12s, %s), not built by this run", sourceHash, toolchain))
			return &art, true
		}
	}
	return nil, false
}

// Store copies art into the directory and records it, replacing an entry of the same runtime
// and arch. Concurrent stores (several coldbench processes) take turns.
func (p Prebuilt) Store(runtime, arch, sourceHash, toolchain string, art *results.Artifact) error {
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(p.Dir, ".lock"))
	if err != nil {
		return err
	}
	defer unlock()
	m, err := p.read()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s.zip", runtime, arch)
	tmp := filepath.Join(p.Dir, "."+name)
	if err := copyFile(art.Path, tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(p.Dir, name)); err != nil {
		return err
	}
	e := PrebuiltEntry{Runtime: runtime, Arch: arch, SourceHash: sourceHash, Toolchain: toolchain, Artifact: *art}
	e.Artifact.Path = name
	kept := m.Entries[:0]
	for _, old := range m.Entries {
		if old.Runtime != runtime || old.Arch != arch {
			kept = append(kept, old)
		}
	}
	m.Entries = append(kept, e)
	sort.Slice(m.Entries, func(i, j int) bool {
		return m.Entries[i].Runtime+m.Entries[i].Arch < m.Entries[j].Runtime+m.Entries[j].Arch
	})
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.Dir, ".manifest.json"), b, 0o644); err != nil {
		return err
	}
	return os.Rename(filepath.Join(p.Dir, ".manifest.json"), filepath.Join(p.Dir, "manifest.json"))
}

// Claim takes the directory's turn to build runtime for arch, waiting while another process (a
// `coldbench build-references` started beside set-up, another run on the machine) has it, so
// that two builds of one reference never run at once: the one that waited finds the other's
// artifact with Lookup. waiting is called once if it has to wait. The claim ends with ctx or
// when release runs.
func (p Prebuilt) Claim(ctx context.Context, runtime, arch string, waiting func()) (release func(), err error) {
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(p.Dir, ".building-"+runtime+"-"+arch), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for said := false; ; said = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		if !said && waiting != nil {
			waiting()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// SourceHash is the SHA-256 of a handler's source tree: every file's path, mode and content, in
// path order, leaving out what copyTree leaves out (.git, target, node_modules...).
func SourceHash(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if p != dir && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", filepath.ToSlash(rel), info.Mode())
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			io.WriteString(h, link)
		case d.Type().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		h.Write([]byte{0})
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// ToolchainKey names the toolchain a build of runtime for arch would use, as the version lines
// of its tools: a prebuilt artifact is reused only when they are the same.
func ToolchainKey(ctx context.Context, req Request, r Runtime) string {
	t := req.Tools.Resolve()
	if req.Sandbox.Separate {
		t = t.runnableBy(req.Sandbox)
	}
	return r.ToolchainKey(ctx, req, t)
}

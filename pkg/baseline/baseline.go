// Package baseline keeps the history of results: every stored run is one results JSON under a
// directory per handler, named by time and commit, so a plain directory, a git data branch or an
// artifact can hold it. Release gates compare a head with the latest stored run; scheduled
// refreshes add to it.
package baseline

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// ErrEmpty is returned when a store holds no results for a key.
var ErrEmpty = errors.New("baseline: no stored results")

// Store is a directory of results.
type Store struct{ Dir string }

// Key names the history of a handler ("references" for runs of the references alone).
func Key(handler string) string {
	if handler == "" {
		return "references"
	}
	b := []byte(strings.Trim(filepath.ToSlash(filepath.Clean(handler)), "/."))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "root"
	}
	return string(b)
}

// Save adds r to the history of key and returns the file's path. Names sort by time and never
// collide (time, commit, a hash of the content).
func (s Store) Save(r *results.Results, key string) (string, error) {
	dir := filepath.Join(s.Dir, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("baseline: %w", err)
	}
	ref := "noref"
	if r.Config.HeadRef != "" {
		ref = r.Config.HeadRef[:min(12, len(r.Config.HeadRef))]
	}
	var buf bytes.Buffer
	if err := results.WriteJSON(&buf, r); err != nil {
		return "", err
	}
	// Named by time, commit and content: two writers (two refreshes racing on a data branch)
	// never write the same name, so merging their additions never conflicts, and the same run
	// saved twice is one file.
	sum := sha256.Sum256(buf.Bytes())
	name := r.CreatedAt.UTC().Format("20060102T150405.000Z") + "-" + ref + "-" + hex.EncodeToString(sum[:4]) + ".json"
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("baseline: %w", err)
	}
	return path, nil
}

// Entry is one stored run.
type Entry struct {
	Path      string
	CreatedAt time.Time
	Ref       string
	Results   *results.Results
}

// History lists the stored runs of key, oldest first. Unreadable files are skipped with their
// error in skipped, so one bad file never hides the rest.
func (s Store) History(key string) (entries []Entry, skipped []error, err error) {
	dir := filepath.Join(s.Dir, key)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		r, err := results.ReadFile(f)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		entries = append(entries, Entry{Path: f, CreatedAt: r.CreatedAt, Ref: r.Config.HeadRef, Results: r})
	}
	if len(entries) == 0 {
		return nil, skipped, fmt.Errorf("%w for %q in %s", ErrEmpty, key, s.Dir)
	}
	// By the time inside, not the name: files copied in by hand keep their own names.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].CreatedAt.Before(entries[j].CreatedAt) })
	return entries, skipped, nil
}

// Latest is the newest stored run of key.
func (s Store) Latest(key string) (Entry, error) {
	h, _, err := s.History(key)
	if err != nil {
		return Entry{}, err
	}
	return h[len(h)-1], nil
}

// AsBase adds the stored run's head to r as its base: its samples and artifact, under the name
// "baseline", and the stored run's references beside it (RoleBaselineReference, named
// results.BaselineReferenceName). The comparison then spans two runs: the references measured in
// both say how far the machine drifted between them, and the analysis takes that out (or says
// that it could not).
func AsBase(r *results.Results, stored Entry) error {
	src := stored.Results.Variant(results.RoleHead)
	if src == nil {
		return fmt.Errorf("baseline %s has no head to compare with", stored.Path)
	}
	v := *src
	v.Name, v.Role = "baseline", results.RoleBase
	r.Variants = append(r.Variants, v)
	for _, smp := range stored.Results.SamplesOf(src.Name) {
		smp.Variant = "baseline"
		r.Samples = append(r.Samples, smp)
	}
	// The stored run's references come along as the controls of the drift between the runs.
	for _, ref := range stored.Results.Variants {
		if ref.Role != results.RoleReference {
			continue
		}
		orig, name := ref.Name, results.BaselineReferenceName(ref.Name)
		ref.Name, ref.Role = name, results.RoleBaselineReference
		r.Variants = append(r.Variants, ref)
		for _, smp := range stored.Results.SamplesOf(orig) {
			smp.Variant = name
			r.Samples = append(r.Samples, smp)
		}
	}
	r.Config.BaseRef = stored.Ref
	env := stored.Results.Environment
	// The analysis says what this means (two runs, drift not controlled) from this fact alone.
	r.Config.BaselineRun = fmt.Sprintf("%s (%s, %s, %d cores)",
		filepath.Base(stored.Path), stored.CreatedAt.Format("2006-01-02 15:04"), cmp.Or(env.CPU, "–"), env.Cores)
	return nil
}

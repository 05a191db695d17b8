package baseline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// A history grows by a run a week per handler, each with its samples (hundreds of kilobytes).
// Past a size limit the oldest runs are compacted: their samples and init traces are dropped and
// their summaries, comparisons and verdicts kept, which is all the trend reads, and each says
// what it lost (Results.Compacted). Nothing is ever deleted: when compacting every run but the
// newest is not enough, the report says by how much the history is still over.

// KeepFull is how many of the newest runs always keep their samples: the latest is a release
// gate's baseline, and a comparison needs samples.
const KeepFull = 5

// CompactReport is what Compact did to one history.
type CompactReport struct {
	Key               string
	Before, After     int64 // bytes of the history's runs
	Limit             int64
	Compacted         []string // files compacted, oldest first
	SamplesDropped    int
	StillOverTheLimit bool
	AlreadyCompacted  int
	Runs              int
}

// String says what was done in a line.
func (c CompactReport) String() string {
	s := fmt.Sprintf("%s: %d runs, %s (limit %s)", c.Key, c.Runs, size(c.Before), size(c.Limit))
	if len(c.Compacted) > 0 {
		s += fmt.Sprintf(": compacted the %d oldest (%d samples dropped, summaries kept) to %s", len(c.Compacted), c.SamplesDropped, size(c.After))
	}
	if c.StillOverTheLimit {
		s += fmt.Sprintf("; still over the limit with every run but the newest %d compacted: nothing is deleted, raise the limit", KeepFull)
	}
	return s
}

func size(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// Compact compacts the oldest runs of key, oldest first, until the history's files add up to no
// more than limit bytes, keeping the newest KeepFull runs whole.
func (s Store) Compact(key string, limit int64, now time.Time) (CompactReport, error) {
	rep := CompactReport{Key: key, Limit: limit}
	entries, _, err := s.History(key)
	if err != nil {
		return rep, err
	}
	rep.Runs = len(entries)
	sizes := make([]int64, len(entries))
	for i, e := range entries {
		st, err := os.Stat(e.Path)
		if err != nil {
			return rep, fmt.Errorf("baseline: %w", err)
		}
		sizes[i] = st.Size()
		rep.Before += st.Size()
	}
	rep.After = rep.Before
	for i := 0; i < len(entries)-KeepFull && rep.After > limit; i++ {
		e := entries[i]
		if e.Results.Compacted != nil {
			rep.AlreadyCompacted++
			continue
		}
		r := *e.Results
		c := &results.Compaction{At: now.UTC(), Samples: len(r.Samples), Traces: len(r.InitTraces) + len(r.InitInstructions), BytesBefore: sizes[i]}
		r.Samples, r.InitTraces, r.InitInstructions, r.Compacted = nil, nil, nil, c
		var buf bytes.Buffer
		if err := results.WriteJSON(&buf, &r); err != nil {
			return rep, err
		}
		c.BytesAfter = int64(buf.Len())
		buf.Reset()
		if err := results.WriteJSON(&buf, &r); err != nil {
			return rep, err
		}
		// Written beside and renamed over: a crash leaves the old file or the new, never half.
		tmp := e.Path + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			return rep, fmt.Errorf("baseline: %w", err)
		}
		if err := os.Rename(tmp, e.Path); err != nil {
			return rep, fmt.Errorf("baseline: %w", err)
		}
		rep.After += int64(buf.Len()) - sizes[i]
		rep.Compacted = append(rep.Compacted, filepath.Base(e.Path))
		rep.SamplesDropped += c.Samples
	}
	rep.StillOverTheLimit = rep.After > limit
	return rep, nil
}

// Keys lists the histories in the store (the directories holding runs).
func (s Store) Keys() ([]string, error) {
	var keys []string
	err := filepath.WalkDir(s.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Ext(path) == ".json" {
			rel, err := filepath.Rel(s.Dir, filepath.Dir(path))
			if err != nil {
				return err
			}
			if k := filepath.ToSlash(rel); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		return nil
	})
	return keys, err
}

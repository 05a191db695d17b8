package baseline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// run is a stored run of commit i with n samples of head.
func run(i, n int) *results.Results {
	r := &results.Results{SchemaVersion: 1, CreatedAt: time.Date(2026, 1, 1, 4, 17, 0, 0, time.UTC).AddDate(0, 0, 7*i),
		Config:   results.RunConfig{HeadRef: strings.Repeat(string(rune('a'+i%26)), 40)},
		Variants: []results.Variant{{Name: "head", Role: results.RoleHead}}}
	r.Variants[0].Summary.Set(results.MetricInit, &results.Summary{N: n, P50: 40 + float64(i)})
	for k := 0; k < n; k++ {
		r.Samples = append(r.Samples, results.Sample{Variant: "head", Index: k, InitMs: 40 + float64(k%7), ColdMs: 180})
	}
	return r
}

// Past the limit the oldest runs lose their samples (and say so), never their summaries, and no
// run is deleted; the newest KeepFull stay whole however far over the limit the store is.
func TestCompactKeepsEveryRun(t *testing.T) {
	t.Parallel()
	s := Store{Dir: t.TempDir()}
	for i := 0; i < 12; i++ {
		if _, err := s.Save(run(i, 300), "fn"); err != nil {
			t.Fatal(err)
		}
	}
	before, _, _ := s.History("fn")
	var total int64
	for _, e := range before {
		st, _ := os.Stat(e.Path)
		total += st.Size()
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	rep, err := s.Compact("fn", total/2, now)
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := s.History("fn")
	if err != nil || len(after) != 12 {
		t.Fatalf("History after compaction: %d runs, %v; want all 12", len(after), err)
	}
	if rep.After > total/2 || len(rep.Compacted) == 0 || rep.StillOverTheLimit || rep.SamplesDropped != 300*len(rep.Compacted) {
		t.Errorf("report %+v: want it under %d bytes by compacting the oldest", rep, total/2)
	}
	for i, e := range after {
		compacted := i < len(rep.Compacted)
		if got := e.Results.Compacted != nil; got != compacted {
			t.Errorf("run %d compacted = %v, want %v", i, got, compacted)
		}
		if compacted && (len(e.Results.Samples) != 0 || e.Results.Compacted.Samples != 300 || !e.Results.Compacted.At.Equal(now)) {
			t.Errorf("run %d: %d samples, record %+v", i, len(e.Results.Samples), e.Results.Compacted)
		}
		if s := e.Results.Variants[0].Summary.Get(results.MetricInit); s == nil || s.P50 != 40+float64(i) {
			t.Errorf("run %d lost its summary: %+v", i, s)
		}
	}
	// A limit no compaction can reach: the newest runs stay whole, and the report says so.
	rep, err = s.Compact("fn", 1, now)
	if err != nil || !rep.StillOverTheLimit || !strings.Contains(rep.String(), "nothing is deleted") {
		t.Errorf("Compact(limit 1) = %s, %v; want it still over, saying so", rep, err)
	}
	last, _, _ := s.History("fn")
	for _, e := range last[len(last)-KeepFull:] {
		if e.Results.Compacted != nil || len(e.Results.Samples) != 300 {
			t.Errorf("%s compacted: the newest %d must keep their samples", filepath.Base(e.Path), KeepFull)
		}
	}
	if keys, err := s.Keys(); err != nil || len(keys) != 1 || keys[0] != "fn" {
		t.Errorf("Keys() = %v, %v", keys, err)
	}
}

package baseline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

func TestKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "references", "./fn/api/": "fn/api", "my fn": "my_fn", ".": "root"} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSaveHistoryLatest(t *testing.T) {
	t.Parallel()
	s := Store{Dir: t.TempDir()}
	if _, err := s.Latest("fn"); !errors.Is(err, ErrEmpty) {
		t.Errorf("Latest(empty) = %v, want ErrEmpty", err)
	}
	for i, ref := range []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"} {
		r := &results.Results{SchemaVersion: 1, CreatedAt: time.Date(2026, 11, 1+i, 0, 0, 0, 0, time.UTC), Config: results.RunConfig{HeadRef: ref}}
		if _, err := s.Save(r, "fn"); err != nil {
			t.Fatal(err)
		}
	}
	// A foreign file does not hide the others.
	_ = os.WriteFile(filepath.Join(s.Dir, "fn", "zzz.json"), []byte("{"), 0o644)
	h, skipped, err := s.History("fn")
	if err != nil || len(h) != 2 || len(skipped) != 1 || h[0].Ref != "aaaaaaaaaaaaaaaa" {
		t.Fatalf("History() = %d entries, %d skipped, %v", len(h), len(skipped), err)
	}
	latest, err := s.Latest("fn")
	if err != nil || latest.Ref != "bbbbbbbbbbbbbbbb" || !strings.HasPrefix(filepath.Base(latest.Path), "20261102T000000.000Z-bbbbbbbbbbbb-") {
		t.Errorf("Latest() = %+v, %v", latest, err)
	}
	if err := AsBase(&results.Results{}, latest); err == nil {
		t.Error("AsBase(results without a head) succeeded")
	}
	stored := latest
	stored.Results = &results.Results{Variants: []results.Variant{{Name: "head", Role: results.RoleHead}},
		Samples:     []results.Sample{{Variant: "head", InitMs: 10}, {Variant: "other", InitMs: 99}},
		Environment: results.Environment{CPU: "Test CPU", Cores: 2}}
	r := &results.Results{Variants: []results.Variant{{Name: "head", Role: results.RoleHead}}}
	if err := AsBase(r, stored); err != nil {
		t.Fatal(err)
	}
	base := r.Variant(results.RoleBase)
	if base == nil || base.Name != "baseline" || len(r.SamplesOf("baseline")) != 1 || r.Config.BaseRef != "bbbbbbbbbbbbbbbb" {
		t.Errorf("AsBase() = base %+v, %d baseline samples, base ref %q; want the stored head's one sample as base", base, len(r.SamplesOf("baseline")), r.Config.BaseRef)
	}
	if want := filepath.Base(latest.Path) + " (2026-11-02 00:00, Test CPU, 2 cores)"; r.Config.BaselineRun != want {
		t.Errorf("AsBase() recorded the run as %q, want %q", r.Config.BaselineRun, want)
	}
}

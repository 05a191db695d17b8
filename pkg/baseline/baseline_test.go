package baseline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/report"
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
		r := &report.Results{SchemaVersion: 1, CreatedAt: time.Date(2026, 11, 1+i, 0, 0, 0, 0, time.UTC), Config: report.RunConfig{HeadRef: ref}}
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
	if err != nil || latest.Ref != "bbbbbbbbbbbbbbbb" || filepath.Base(latest.Path) != "20261102T000000.000Z-bbbbbbbbbbbb.json" {
		t.Errorf("Latest() = %+v, %v", latest, err)
	}
	if err := AsBase(&report.Results{}, latest); err == nil {
		t.Error("AsBase(results without a head) succeeded")
	}
}

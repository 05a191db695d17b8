package results

import (
	"errors"
	"strings"
	"testing"
)

func TestReadRejectsNewerAndForeignFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{`{"schema_version": 99}`, "schema_version 99, this coldbench reads up to 1; upgrade coldbench"},
		{`{"hello": 1}`, "no schema_version"},
		{`not json`, "not coldbench results JSON"},
	} {
		_, err := Read(strings.NewReader(tt.in), "r.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%s) error = %v, want %q", tt.in, err, tt.want)
		}
	}
	_, err := Read(strings.NewReader(`{"schema_version": 2}`), "r.json")
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Read(v2) error = %v, want ErrNewerSchema", err)
	}
}

// Every listed counter can be got, each from its own field.
func TestCountersGet(t *testing.T) {
	t.Parallel()
	c := &Counters{CPUMs: 1, UserMs: 2, SysMs: 3, MinorFaults: 4, MajorFaults: 5, VoluntarySwitches: 6,
		InvoluntarySwitches: 7, ReadBytes: 8, ReadCalls: 9, DiskReadBytes: 10, OpenFiles: 11, Threads: 12}
	for i, n := range CounterNames {
		if v, ok := c.Get(n.Name); !ok || v != float64(i+1) {
			t.Errorf("Get(%q) = %v, %v, want %d, true", n.Name, v, ok, i+1)
		}
	}
	if v, ok := c.Get("cpu"); ok {
		t.Errorf("Get(%q) = %v, true, want false", "cpu", v)
	}
}

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

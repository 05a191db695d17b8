package cli

import (
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// The first table says it is one, what still builds, and that the full table follows.
func TestWritePreview(t *testing.T) {
	t.Parallel()
	res := &results.Results{Config: results.RunConfig{Samples: 10, MemoryMB: 1769},
		Variants: []results.Variant{{Name: "go", Role: results.RoleReference}}}
	for i := range 10 {
		res.Samples = append(res.Samples, results.Sample{Variant: "go", Index: i, Seq: i, InitMs: 10, DurationMs: 130, ColdMs: 140})
	}
	verdict.Analyze(res)
	var b strings.Builder
	writePreview(&b, res, []string{"rust"})
	out := b.String()
	for _, want := range []string{"a first table (10 rounds, sampled while rust built; the table grows", "go ", "10.0 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
}

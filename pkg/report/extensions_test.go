package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

func TestExtensionsTable(t *testing.T) {
	t.Parallel()
	r := &results.Results{Variants: []results.Variant{{Name: "head", Role: results.RoleHead}, {Name: "base", Role: results.RoleBase}}}
	for i, ms := range []float64{40, 50, 60} {
		r.Samples = append(r.Samples,
			results.Sample{Variant: "head", InitMs: 200, Extensions: []results.ExtensionInit{{Name: "agent", RegisteredMs: ms - 5, ReadyMs: ms + 50}, {Name: "secrets", ReadyMs: 20}}},
			results.Sample{Variant: "base", InitMs: 150, Extensions: []results.ExtensionInit{{Name: "agent", ReadyMs: ms}}})
		if i == 0 { // a failed init is no figure
			r.Samples = append(r.Samples, results.Sample{Variant: "head", Error: &results.SampleError{Phase: results.PhaseInit}, Extensions: []results.ExtensionInit{{Name: "agent", ReadyMs: 9999}}})
		}
	}
	md := mdExtensions(r)
	for _, want := range []string{"| `agent` | 100 ms | 50% | 50.0 ms | +50.0 ms (+100.0%) |", "| `secrets` | 20.0 ms | 10% | – | new in head |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown:\n%s\nwant %q", md, want)
		}
	}
	var b bytes.Buffer
	textExtensions(&b, r)
	if !strings.Contains(b.String(), "agent") || !strings.Contains(b.String(), "+50.0 ms") {
		t.Errorf("text:\n%s", b.String())
	}
	if mdExtensions(&results.Results{}) != "" {
		t.Error("a run without extensions has no table")
	}
}

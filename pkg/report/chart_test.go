package report

import (
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// Head and base come first, every bar named; init and cold latency share a chart only when their
// values are within 10× (at 128 MB a 25 ms init beside a 1.9 s cold start would be a sliver), and
// the references get charts of their own.
func TestChartSeparatesSpreadValues(t *testing.T) {
	t.Parallel()
	r := fixture([]variantSpec{
		{name: "head", role: results.RoleHead, runtime: "go", initMs: 25, durMs: 1850},
		{name: "base", role: results.RoleBase, runtime: "go", initMs: 20, durMs: 1850},
		{name: "rust", role: results.RoleReference, runtime: "rust", initMs: 4, durMs: 1500},
		{name: "deno", role: results.RoleReference, runtime: "deno", initMs: 90, durMs: 1600},
	}, 20)
	md := mdChart(r)
	titles := []string{`"head vs base: p50 init (ms)"`, `"head vs base: p50 cold latency (ms)"`,
		`"reference runtimes: p50 init (ms)"`, `"reference runtimes: p50 cold latency (ms)"`}
	last := -1
	for _, title := range titles {
		i := strings.Index(md, title)
		if i < last {
			t.Fatalf("chart %s missing or out of order in\n%s", title, md)
		}
		last = i
	}
	if !strings.Contains(md, `x-axis ["init: base", "init: head"]`) || !strings.Contains(md, `x-axis ["rust", "deno"]`) {
		t.Errorf("bars not labelled:\n%s", md)
	}
	if n := strings.Count(md, "  bar ["); n != 4 {
		t.Errorf("%d series, want one a chart (xychart has no legend):\n%s", n, md)
	}
	close := fixture([]variantSpec{
		{name: "head", role: results.RoleHead, runtime: "go", initMs: 46, durMs: 160},
		{name: "base", role: results.RoleBase, runtime: "go", initMs: 41, durMs: 160},
	}, 20)
	if md := mdChart(close); strings.Count(md, "xychart-beta") != 1 || !strings.Contains(md, `"head vs base: p50 (ms)"`) {
		t.Errorf("values within 10×: want one head-vs-base chart, got\n%s", md)
	}
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{232: "250", 110: "150", 0.9: "1", 1870: "2000", 2100: "2500", 0: "1"} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %s, want %s", v, got, want)
		}
	}
}

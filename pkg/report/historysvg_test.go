package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/trend"
)

// historyRuns is 30 commits of a handler beside two references, a +20% step at 16, a release
// at commit 10 whose tag is hostile markup.
func historyRuns() ([]*results.Results, map[string][]string) {
	var runs []*results.Results
	for c := 1; c <= 30; c++ {
		ms := 40.0
		if c >= 16 {
			ms = 48
		}
		wobble := 1 + 0.01*math.Sin(float64(c))
		r := &results.Results{CreatedAt: time.Date(2026, 1, c, 0, 0, 0, 0, time.UTC), Config: results.RunConfig{HeadRef: fmt.Sprintf("%040x", c*0x123457)}}
		for _, v := range []struct {
			name string
			role results.Role
			ms   float64
		}{{"head", results.RoleHead, ms}, {"go", results.RoleReference, 10}, {"rust", results.RoleReference, 3.4}} {
			vv := results.Variant{Name: v.name, Role: v.role}
			vv.Summary.Set(results.MetricInit, &results.Summary{P50: v.ms * wobble})
			vv.Summary.Set(results.MetricCold, &results.Summary{P50: v.ms*wobble + 100})
			r.Variants = append(r.Variants, vv)
		}
		runs = append(runs, r)
	}
	return runs, map[string][]string{runs[9].Config.HeadRef: {`v1.0<script>alert(1)</script>`}}
}

func TestHistorySVG(t *testing.T) {
	t.Parallel()
	runs, tags := historyRuns()
	ss := trend.Analyze(runs, trend.Options{Tags: tags})
	svg := HistorySVG(ss, results.MetricInit, "fn & co")
	// Well-formed XML, every label escaped.
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("HistorySVG is not well-formed XML: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{">+20.0%<", "v1.0&lt;script&gt;", "fn &amp; co", "head, drift-corrected", "go (reference)", "rust (reference)", ">5 ms<", ">50 ms<", "change point", "release"} {
		if !strings.Contains(svg, want) {
			t.Errorf("HistorySVG has no %q", want)
		}
	}
	if strings.Contains(svg, "<script") {
		t.Error("HistorySVG carries the tag's markup")
	}
	if HistorySVG(nil, results.MetricInit, "x") != "" {
		t.Error("HistorySVG(no series) is not empty")
	}
	md := HistoryMermaid(ss, results.MetricInit, "fn")
	for _, want := range []string{"```mermaid\nxychart-beta", `"v1.0_script_alert(1)_/script_"`, "| +20.0% |", "line ["} {
		if !strings.Contains(md, want) {
			t.Errorf("HistoryMermaid has no %q:\n%s", want, md)
		}
	}
	if md := HistoryMermaid(ss, results.MetricCold, "fn"); !strings.Contains(md, "No change point") && !strings.Contains(md, "| +") {
		t.Errorf("cold: %s", md)
	}
}

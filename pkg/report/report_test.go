package report

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/verdict"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedTime is the clock of every golden file.
var fixedTime = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type variantSpec struct {
	name, runtime string
	role          results.Role
	initMs, durMs float64 // medians
	fail          func(i int) *results.SampleError
	buildErr      string
}

// fixture builds deterministic results: lognormal samples around the given medians.
func fixture(specs []variantSpec, n int, opts ...func(*results.Results)) *results.Results {
	r := &results.Results{
		SchemaVersion: results.SchemaVersion, Tool: "coldbench test", CreatedAt: fixedTime,
		Config: results.RunConfig{Samples: n, MemoryMB: 1769, ThresholdPct: 5, Alpha: 0.01, TimeoutMs: 30000, OutboundDelayMs: 50, Seed: 42,
			HeadRef: "1111111111111111111111111111111111111111", BaseRef: "2222222222222222222222222222222222222222"},
		Environment: results.Environment{CPU: "Test CPU @ 3.0GHz", Cores: 2, Kernel: "6.1.0", Arch: "x86_64",
			Limits: results.Limits{Cgroup: "v2", Memory: true, CPU: true, CPUShare: 1, MemorySource: "cgroup", PageCacheEviction: true,
				InitCPU: "lambda", InitCPUShare: 1, Sandbox: "uid 61000: builds and handlers run as an unprivileged user of their own", Ephemeral: true, EphemeralMB: 512},
			Notes:      []string{"timed on x86_64: arm64 timings are only taken natively"},
			Toolchains: map[string]string{"go": "go1.26.8"}},
		DurationMs: 61234,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sp := range specs {
		v := results.Variant{Name: sp.name, Role: sp.role, Runtime: sp.runtime, Arch: "x86_64", DeployArch: "arm64", BuildError: sp.buildErr}
		if sp.role == results.RoleHead {
			v.Ref = r.Config.HeadRef
		}
		if sp.role == results.RoleBase {
			v.Ref = r.Config.BaseRef
		}
		if sp.buildErr == "" {
			size := int64(2_400_000)
			if sp.role == results.RoleHead {
				size = 2_520_000
			}
			v.Deploy = &results.Artifact{Runtime: sp.runtime, Arch: "arm64", ZipBytes: size, UnzippedBytes: size * 2, Method: "go build (test)"}
			v.Artifact = &results.Artifact{Runtime: sp.runtime, Arch: "x86_64", ZipBytes: size, UnzippedBytes: size * 2, Method: "go build (test)"}
		}
		r.Variants = append(r.Variants, v)
	}
	for i := 0; i < n; i++ {
		for _, sp := range specs {
			if sp.buildErr != "" {
				continue
			}
			noise := func() float64 { return math.Exp(rng.NormFloat64() * 0.08) }
			s := results.Sample{Variant: sp.name, Index: i, Seq: len(r.Samples),
				InitMs: round2(sp.initMs * noise()), DurationMs: round2(sp.durMs * noise()), MaxMemoryMB: round2(30 * noise())}
			s.ColdMs = round2(s.InitMs + s.DurationMs + 0.05)
			if sp.fail != nil {
				if e := sp.fail(i); e != nil {
					s.Error = e
					if e.Phase == "init" {
						s.InitMs, s.DurationMs, s.ColdMs = 0, 0, 0
					} else {
						s.DurationMs, s.ColdMs = 0, 0
					}
				}
			}
			r.Samples = append(r.Samples, s)
		}
	}
	for _, o := range opts {
		o(r)
	}
	verdict.Analyze(r)
	return r
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func refs() []variantSpec {
	return []variantSpec{
		{name: "go", role: results.RoleReference, runtime: "go", initMs: 12, durMs: 155},
		{name: "rust", role: results.RoleReference, runtime: "rust", initMs: 4.5, durMs: 152},
	}
}

func cases() map[string]*results.Results {
	headBase := func(headInit, baseInit float64, extra ...variantSpec) []variantSpec {
		specs := []variantSpec{
			{name: "head", role: results.RoleHead, runtime: "go", initMs: headInit, durMs: 160},
			{name: "base", role: results.RoleBase, runtime: "go", initMs: baseInit, durMs: 160},
		}
		return append(append(specs, extra...), refs()...)
	}
	return map[string]*results.Results{
		"regression":  fixture(headBase(46.3, 41.2), 50),
		"improvement": fixture(headBase(30, 41.2), 50),
		"nochange":    fixture(headBase(41.2, 41.2), 50),
		"basefailed": fixture(append([]variantSpec{
			{name: "head", role: results.RoleHead, runtime: "go", initMs: 40, durMs: 160},
			{name: "base", role: results.RoleBase, runtime: "go", buildErr: "build go handler: go build: exit status 1\n./main.go:3:15: undefined: undefinedThing"},
		}, refs()...), 30),
		"failedsamples": fixture(append([]variantSpec{
			{name: "head", role: results.RoleHead, runtime: "go", initMs: 41, durMs: 160, fail: func(i int) *results.SampleError {
				switch {
				case i%5 == 0:
					return &results.SampleError{Type: "Runtime.ExitError", Phase: "init", Reason: "runtime exited before its first /next: exit status 2"}
				case i%7 == 0:
					return &results.SampleError{Type: "Sandbox.Timedout", Phase: "invoke", Reason: "Task timed out after 30.00 seconds"}
				}
				return nil
			}},
			{name: "base", role: results.RoleBase, runtime: "go", initMs: 41, durMs: 160},
		}, refs()...), 40),
		"references": fixture(append(refs(), variantSpec{name: "deno", role: results.RoleReference, runtime: "deno", initMs: 95, durMs: 180}), 20),
		// A threshold-sized shift that 8 samples a side cannot confirm.
		"inconclusive": fixture(headBase(44.5, 41.2), 8),
		"budget": fixture(headBase(46.3, 41.2), 50, func(r *results.Results) {
			r.Config.Budgets = map[string]float64{"init_ms": 40, "cold_ms_p90": 300, "max_memory_mb": 31}
		}),
		"adaptive": fixture(headBase(41.2, 41.2), 40, func(r *results.Results) {
			r.Config.Adaptive, r.Config.Looks, r.Config.Block = true, 5, 20
		}),
		// --instructions: counts a side, one lost; head's init runs half a million more.
		"instructions": fixture(headBase(46.3, 41.2), 50, func(r *results.Results) {
			for i, n := range []int64{1_041_925, 1_075_034, 1_050_112} {
				r.InitInstructions = append(r.InitInstructions, results.InstructionCount{Variant: "base", Instructions: n},
					results.InstructionCount{Variant: "head", Instructions: n + 512_000 + int64(i)})
			}
			r.InitInstructions = append(r.InitInstructions, results.InstructionCount{Variant: "head",
				Lost: "the runtime did not exit within 30s of SIGTERM, so valgrind wrote no count"})
		}),
		// The head brings in aws-sdk-go-v2 (many small package inits, none standing out alone).
		"dependency": fixture(headBase(16.9, 10.8), 40, withNewDependency),
		"storedbaseline": fixture([]variantSpec{
			{name: "head", role: results.RoleHead, runtime: "go", initMs: 46.3, durMs: 160},
			{name: "baseline", role: results.RoleBase, runtime: "go", initMs: 41.2, durMs: 160},
		}, 50, func(r *results.Results) {
			r.Config.Baseline = "/work/store"
			r.Config.BaselineRun = "20261101T000000.000Z-2222222222222222.json (2026-11-01 00:00, Test CPU @ 3.0GHz, 2 cores)"
		}),
	}
}

// withNewDependency gives head 27 packages of github.com/aws/aws-sdk-go-v2 and 10 others new in
// its traced inits, a larger zip, and more CPU and bytes read at init in every sample.
func withNewDependency(r *results.Results) {
	own := []results.TraceUnit{{Name: "runtime", Ms: 0.08}, {Name: "net/http", Ms: 0.31, Allocs: 40, Bytes: 9000}}
	added := slices.Clone(own)
	for i := range 27 {
		added = append(added, results.TraceUnit{Name: fmt.Sprintf("github.com/aws/aws-sdk-go-v2/service/dynamodb/p%02d", i), Ms: 0.12, Allocs: 11, Bytes: 2100})
	}
	for i := range 10 {
		added = append(added, results.TraceUnit{Name: fmt.Sprintf("github.com/aws/smithy-go/p%d", i), Ms: 0.04, Allocs: 2, Bytes: 300})
	}
	for range 3 {
		r.InitTraces = append(r.InitTraces, results.InitTrace{Variant: "base", Tracer: "GODEBUG=inittrace=1", Units: own},
			results.InitTrace{Variant: "head", Tracer: "GODEBUG=inittrace=1", Units: added})
	}
	for i := range r.Variants {
		if v := &r.Variants[i]; v.Role == results.RoleHead {
			v.Deploy.ZipBytes += 2_600_000
			v.Deploy.Sections = map[string]int64{".text": 6_100_000, ".rodata": 2_900_000}
		} else if v.Role == results.RoleBase {
			v.Deploy.Sections = map[string]int64{".text": 2_400_000, ".rodata": 1_100_000}
		}
	}
	for i := range r.Samples {
		s := &r.Samples[i]
		switch r.Variant(results.RoleHead).Name {
		case s.Variant:
			s.Counters = &results.Counters{CPUMs: 16.9 + float64(i%5)*0.1, MinorFaults: 1900 + int64(i%7), ReadBytes: 8_400_000}
		default:
			s.Counters = &results.Counters{CPUMs: 10.8 + float64(i%5)*0.1, MinorFaults: 1100 + int64(i%7), ReadBytes: 3_100_000}
		}
	}
}

// schemaCase is small enough that its JSON golden shows every field without thousands of samples.
func schemaCase() *results.Results {
	return fixture([]variantSpec{
		{name: "head", role: results.RoleHead, runtime: "go", initMs: 46.3, durMs: 160},
		{name: "base", role: results.RoleBase, runtime: "go", initMs: 41.2, durMs: 160, fail: func(i int) *results.SampleError {
			if i == 1 {
				return &results.SampleError{Type: "Runtime.ExitError", Phase: "invoke", Reason: "runtime exited during the invocation: exit status 2"}
			}
			return nil
		}},
	}, 3, func(r *results.Results) { r.Config.Budgets = map[string]float64{"init_ms": 50} })
}

func TestGolden(t *testing.T) {
	for name, res := range cases() {
		var text bytes.Buffer
		WriteText(&text, res, TextOptions{})
		golden(t, name+".txt", text.String())
		golden(t, name+".md", Markdown(res, MarkdownOptions{}))
	}
	var js, html bytes.Buffer
	if err := results.WriteJSON(&js, schemaCase()); err != nil {
		t.Fatal(err)
	}
	golden(t, "schema.json", js.String())
	for _, name := range []string{"regression", "dependency", "references"} {
		html.Reset()
		if err := WriteHTML(&html, cases()[name]); err != nil {
			t.Fatal(err)
		}
		golden(t, name+".html", html.String())
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./pkg/report -update rewrites it):\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff shows where got departs from want: the first differing line with two lines of
// context, and the line counts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (want %d lines, got %d)\n", i+1, len(w), len(g))
	for k := max(0, i-2); k < i; k++ {
		fmt.Fprintf(&b, "  %s\n", w[k])
	}
	for k := i; k < min(i+3, len(w)); k++ {
		fmt.Fprintf(&b, "- %s\n", w[k])
	}
	for k := i; k < min(i+3, len(g)); k++ {
		fmt.Fprintf(&b, "+ %s\n", g[k])
	}
	return b.String()
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	want := map[string]results.Verdict{"regression": results.Regression, "improvement": results.Improvement, "nochange": results.NoChange,
		"basefailed": results.NotCompared, "failedsamples": results.Regression, "references": results.Unavailable,
		"inconclusive": results.Inconclusive, "budget": results.Regression, "adaptive": results.NoChange, "storedbaseline": results.Regression, "instructions": results.Regression, "dependency": results.Regression}
	for name, res := range cases() {
		if res.Verdict != want[name] {
			t.Errorf("case %s: verdict %s, want %s (comparisons %+v)", name, res.Verdict, want[name], res.Comparisons)
		}
	}
	md := Markdown(cases()["regression"], MarkdownOptions{})
	first := strings.SplitN(md, "\n", 4)[2]
	if !strings.HasPrefix(first, "**Cold start +1") || !strings.Contains(first, "p50 init 39.9 → 47.1 ms") || !strings.HasSuffix(first, "— regression**") {
		t.Errorf("regression headline = %q", first)
	}
}

// A report too long for a comment is trimmed from the details, never the verdict or the table.
func TestMarkdownTrimmedToGitHubLimit(t *testing.T) {
	t.Parallel()
	res := cases()["failedsamples"]
	for i := 0; i < 3000; i++ { // thousands of distinct failure kinds
		res.Samples = append(res.Samples, results.Sample{Variant: "head", Error: &results.SampleError{
			Type: fmt.Sprintf("Custom.Error%04d", i), Phase: "invoke", Reason: strings.Repeat("very long reason ", 8)}})
	}
	md := Markdown(res, MarkdownOptions{})
	if len(md) > MaxCommentChars {
		t.Fatalf("Markdown() = %d chars, want at most %d", len(md), MaxCommentChars)
	}
	for _, want := range []string{Headline(res), "| head vs base |", "Failed samples omitted"} {
		if !strings.Contains(md, want) {
			t.Errorf("trimmed report lacks %q", want)
		}
	}
	small := Markdown(res, MarkdownOptions{Limit: 2000})
	if len(small) > 2000 || !strings.Contains(small, Headline(res)) {
		t.Errorf("Markdown(limit 2000) = %d chars, verdict kept: %v", len(small), strings.Contains(small, Headline(res)))
	}
}

func TestJSONRoundTripReanalyzes(t *testing.T) {
	t.Parallel()
	res := cases()["regression"]
	var b bytes.Buffer
	if err := results.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	js := b.String()
	back, err := results.Read(&b, "r.json")
	if err != nil {
		t.Fatal(err)
	}
	verdict.Analyze(back)
	if back.Verdict != res.Verdict || len(back.Comparisons) != len(res.Comparisons) || back.Comparisons[0].ShiftPct != res.Comparisons[0].ShiftPct {
		t.Errorf("re-analysed results differ: %s vs %s", back.Verdict, res.Verdict)
	}
	for _, key := range []string{`"schema_version": 1`, `"variants"`, `"role": "head"`, `"init_ms"`, `"p50"`, `"comparisons"`, `"shift_pct"`, `"ci_low_pct"`, `"p_value"`, `"verdict"`, `"samples"`} {
		if !strings.Contains(js, key) {
			t.Errorf("results JSON lacks %s", key)
		}
	}
}

// The page leads with the verdict and its cause, then head against base (their table, and their
// distributions alone, a chart a metric), the init breakdown as tables, and every variant on a log
// axis apart; it holds no Markdown and draws the history it is given.
func TestHTMLDrawsDistributions(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteHTMLWith(&b, cases()["dependency"], HTMLOptions{History: `<svg id="history-chart"></svg>`}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	// 4 metrics of head and base (2 boxes each), init and cold of all 4 variants on a log axis.
	if n, boxes := strings.Count(html, "<svg")-1, strings.Count(html, `class="box"`); n != 6 || boxes != 16 {
		t.Errorf("HTML: %d charts, %d boxes; want 6 charts, 16 boxes", n, boxes)
	}
	order := []string{"badge\">regression", "github.com/aws/aws-sdk-go-v2 came in: 27 of the 37", "<h2>Head vs base</h2>", "<h2>History</h2>",
		"<h2>Init breakdown", "<th>counter</th>", "Reference runtimes, for context", "(log axis)", "<h2>Environment</h2>"}
	last := -1
	for _, want := range order {
		i := strings.Index(html, want)
		if i <= last {
			t.Errorf("HTML: %q missing or out of order", want)
		}
		last = max(last, i)
	}
	for _, md := range []string{"|---|", "###", "<details>", "```"} {
		if strings.Contains(html, md) {
			t.Errorf("HTML holds Markdown %q", md)
		}
	}
	var plain bytes.Buffer
	if err := WriteHTML(&plain, cases()["references"]); err != nil {
		t.Fatal(err)
	}
	if p := plain.String(); strings.Contains(p, "<h2>Head vs base</h2>") || strings.Contains(p, "<h2>History</h2>") || !strings.Contains(p, "Runtimes, same run") {
		t.Errorf("references alone: want no head-vs-base or history section, the runtimes' table")
	}
}

// Names the pull request chooses reach the page escaped, in tables and charts alike.
func TestHTMLEscapesNames(t *testing.T) {
	t.Parallel()
	res := cases()["dependency"]
	res.Breakdown.Units[0].Name = `<script>alert(1)</script>`
	res.Variants[0].Name = `<img src=x onerror=alert(1)>`
	var b bytes.Buffer
	if err := WriteHTML(&b, res); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>alert") || strings.Contains(b.String(), "<img src") {
		t.Errorf("a name reached the page unescaped")
	}
}

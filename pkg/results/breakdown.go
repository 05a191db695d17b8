package results

import (
	"fmt"
	"strings"
)

// InitTrace is what one traced cold start's runtime reported about its init, unit by unit: a Go
// package's init (GODEBUG=inittrace=1), a Python module's import (-X importtime), a JavaScript
// module's top-level evaluation. Traced cold starts are extra ones, never the timed samples.
type InitTrace struct {
	Variant string      `json:"variant"`
	Tracer  string      `json:"tracer"`
	Units   []TraceUnit `json:"units"`
}

// InstructionCount is init's instruction count on one counted cold start (valgrind's
// cachegrind; an extra cold start, never a timed sample), or why it has none.
type InstructionCount struct {
	Variant      string `json:"variant"`
	Instructions int64  `json:"instructions,omitempty"`
	Lost         string `json:"lost,omitempty"`
}

// TraceUnit is one unit's part of an init.
type TraceUnit struct {
	Name   string  `json:"name"`
	Ms     float64 `json:"ms"`
	Bytes  int64   `json:"bytes,omitempty"`  // allocated (Go)
	Allocs int64   `json:"allocs,omitempty"` // allocations (Go)
}

// Breakdown says why init changed: the units whose init grew, shrank, appeared or went, and the
// counters of head against base. Cause is one sentence naming the biggest contributor when one
// stands out.
type Breakdown struct {
	Tracer   string         `json:"tracer,omitempty"`
	Traces   int            `json:"traces_a_side,omitempty"`
	Units    []UnitDelta    `json:"units,omitempty"`
	Counters []CounterDelta `json:"counters,omitempty"`
	// Sections are the arm64 bootstraps' ELF sections that changed size, biggest change first.
	Sections []SectionDelta `json:"sections,omitempty"`
	// Modules are the bundle's modules whose bytes changed (the bundler's metafile), biggest first.
	Modules []SectionDelta `json:"bundle_modules,omitempty"`
	// Dependency is the dependency head's init brings in, when one does; Cause then starts
	// with its sentence.
	Dependency *DependencyChange `json:"dependency,omitempty"`
	Cause      string            `json:"cause,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
}

// UnitDelta is one unit, base against head (medians over the traced cold starts).
type UnitDelta struct {
	Name       string  `json:"name"`
	BaseMs     float64 `json:"base_ms"`
	HeadMs     float64 `json:"head_ms"`
	DeltaMs    float64 `json:"delta_ms"`
	BaseAllocs int64   `json:"base_allocs,omitempty"`
	HeadAllocs int64   `json:"head_allocs,omitempty"`
	BaseBytes  int64   `json:"base_bytes,omitempty"`
	HeadBytes  int64   `json:"head_bytes,omitempty"`
	// New: only in head; Gone: only in base.
	New  bool `json:"new,omitempty"`
	Gone bool `json:"gone,omitempty"`
}

// CounterDelta is one counter, base against head: medians and ranges over the samples. Exact is
// true when neither side varied at all, so any difference is the change's, not noise's.
type CounterDelta struct {
	Name    string  `json:"name"`
	Unit    string  `json:"unit,omitempty"`
	Base    float64 `json:"base"`
	Head    float64 `json:"head"`
	BaseMin float64 `json:"base_min"`
	BaseMax float64 `json:"base_max"`
	HeadMin float64 `json:"head_min"`
	HeadMax float64 `json:"head_max"`
	N       int     `json:"n"`
	Exact   bool    `json:"exact,omitempty"`
	// Changed is true when the ranges do not overlap: every head sample is above (or below)
	// every base sample.
	Changed bool `json:"changed,omitempty"`
}

// SectionDelta is one part of the package, base against head, in bytes: an ELF section of the
// bootstrap, or a module of a bundle.
type SectionDelta struct {
	Name string `json:"name"`
	Base int64  `json:"base"`
	Head int64  `json:"head"`
}

// DependencyChange is a dependency that head's init brings in and base's does not: a Go module's
// repository, an npm package or scope, a Python package; with what came in with it.
type DependencyChange struct {
	Name string `json:"name"`
	// Units is how many traced units new in head are the dependency's, of NewUnits in all;
	// UnitWord says what a unit is, one and several ("package with an init", "packages with
	// an init").
	Units    int       `json:"units"`
	NewUnits int       `json:"new_units"`
	UnitWord [2]string `json:"unit_word"`
	// InitMs is their init time in head's median trace; InitAllocBytes what their init
	// allocated (Go); BundleBytes their bytes in the bundle (a bundler's metafile).
	InitMs         float64 `json:"init_ms,omitempty"`
	InitAllocs     int64   `json:"init_allocs,omitempty"`
	InitAllocBytes int64   `json:"init_alloc_bytes,omitempty"`
	BundleBytes    int64   `json:"bundle_bytes,omitempty"`
	// ZipDelta is head's arm64 zip less base's; ReadDelta the median bytes read at init, head's
	// less base's, when the ranges are apart (0 otherwise).
	ZipDelta  int64   `json:"zip_delta_bytes,omitempty"`
	ReadDelta float64 `json:"read_delta_bytes,omitempty"`
}

// Sentence says what came in, the dependency's name quoted by quote (Markdown's code span, or
// nothing): "`github.com/aws/aws-sdk-go-v2` came in: 27 of the 37 packages with an init new in
// head (+3.2 ms, 1.2 MB allocated); zip +2.5 MB; 5.0 MB more read at init".
func (d DependencyChange) Sentence(quote func(string) string) string {
	var b strings.Builder
	word := d.UnitWord[1]
	if d.NewUnits == 1 {
		word = d.UnitWord[0]
	}
	if d.Units == d.NewUnits {
		fmt.Fprintf(&b, "%s came in: %d %s new in head", quote(d.Name), d.Units, word)
	} else {
		fmt.Fprintf(&b, "%s came in: %d of the %d %s new in head", quote(d.Name), d.Units, d.NewUnits, word)
	}
	var cost []string
	if d.InitMs >= 0.05 {
		cost = append(cost, fmt.Sprintf("+%.1f ms", d.InitMs))
	}
	switch {
	case d.InitAllocs > 0 && d.InitAllocBytes > 0:
		cost = append(cost, fmt.Sprintf("%s allocations, %s", GroupDigits(float64(d.InitAllocs)), FormatBytes(d.InitAllocBytes)))
	case d.InitAllocs > 0:
		cost = append(cost, GroupDigits(float64(d.InitAllocs))+" allocations")
	}
	if d.BundleBytes > 0 {
		cost = append(cost, FormatBytes(d.BundleBytes)+" of bundle")
	}
	if len(cost) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(cost, ", "))
	}
	if d.ZipDelta != 0 {
		fmt.Fprintf(&b, "; zip %s", signedBytes(d.ZipDelta))
	}
	if d.ReadDelta > 0 {
		fmt.Fprintf(&b, "; %s more read at init", FormatBytes(int64(d.ReadDelta)))
	} else if d.ReadDelta < 0 {
		fmt.Fprintf(&b, "; %s less read at init", FormatBytes(int64(-d.ReadDelta)))
	}
	return b.String()
}

// FormatBytes is n in B, KB or MB (1024-based), "–" when n is not positive.
func FormatBytes(n int64) string {
	switch {
	case n <= 0:
		return "–"
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func signedBytes(n int64) string {
	if n < 0 {
		return "-" + FormatBytes(-n)
	}
	return "+" + FormatBytes(n)
}

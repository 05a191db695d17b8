package results

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
	Cause   string         `json:"cause,omitempty"`
	Notes   []string       `json:"notes,omitempty"`
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

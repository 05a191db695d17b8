package verdict

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/inittrace"
	"github.com/coldbench/coldbench/pkg/results"
)

// breakdownUnits is how many units the breakdown lists; a unit's change below breakdownMinMs
// (with the same allocations) is not listed, and one must grow by causeMinMs (and more: see
// inittrace.Cause) to be named the cause.
const (
	breakdownUnits = 10
	breakdownMinMs = 0.05
	causeMinMs     = 1
)

// Breakdown says why head's init differs from base's: the traced units (packages, modules) that
// changed, and every counter of the two sides' samples. Nil without a head and a base.
func Breakdown(r *results.Results) *results.Breakdown {
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	if head == nil || base == nil {
		return nil
	}
	b := &results.Breakdown{Counters: compareCounters(r.SamplesOf(head.Name), r.SamplesOf(base.Name))}
	if d, note := compareInstructions(r.InitInstructions, head.Name, base.Name); note != "" {
		if d != nil {
			b.Counters = append([]results.CounterDelta{*d}, b.Counters...)
		}
		b.Notes = append(b.Notes, note)
	}
	var ht, bt [][]results.TraceUnit
	for _, t := range r.InitTraces {
		b.Tracer = t.Tracer
		switch t.Variant {
		case head.Name:
			ht = append(ht, t.Units)
		case base.Name:
			bt = append(bt, t.Units)
		}
	}
	if head.Deploy != nil && base.Deploy != nil {
		b.Sections = compareSections(base.Deploy.Sections, head.Deploy.Sections)
		b.Modules = compareSections(base.Deploy.Modules, head.Deploy.Modules)
	}
	if len(ht) > 0 && len(bt) > 0 {
		b.Traces = min(len(ht), len(bt))
		bm, hm := inittrace.Median(bt), inittrace.Median(ht)
		b.Units = inittrace.Diff(bm, hm, breakdownUnits, breakdownMinMs)
		b.Cause = inittrace.Cause(b.Units, inittrace.Ranges(bt), inittrace.Ranges(ht), causeMinMs)
		b.Dependency = inittrace.NewDependency(b.Tracer, mainModule(head), bm, hm, b.Modules)
	}
	b.Cause = causeSentence(b, head, base)
	// A cause is named only for an init that changed: three traced starts a side can show a
	// millisecond of jitter in a large module (aws-lambda-ric's, twice in CI) as a shift.
	if c := r.Comparison(results.MetricInit); c == nil || c.Verdict != results.Regression && c.Verdict != results.Improvement {
		b.Cause, b.Dependency = "", nil
	}
	if len(b.Counters) == 0 && len(b.Units) == 0 && len(b.Sections) == 0 && len(b.Modules) == 0 {
		return nil
	}
	return b
}

// causeSentence is what a reviewer acts on first: the dependency head brings in (its name, how
// many of init's new units are its, the bytes), then the traced unit that grew most when it is
// not one of the dependency's, else the counter that moved most.
func causeSentence(b *results.Breakdown, head, base *results.Variant) string {
	var parts []string
	if d := b.Dependency; d != nil {
		if head.Deploy != nil && base.Deploy != nil {
			d.ZipDelta = head.Deploy.ZipBytes - base.Deploy.ZipBytes
		}
		for _, c := range b.Counters {
			if c.Name == "read_bytes" && c.Changed {
				d.ReadDelta = c.Head - c.Base
			}
		}
		parts = append(parts, d.Sentence(func(s string) string { return "`" + s + "`" }))
	}
	unit := b.Cause
	if d := b.Dependency; d != nil && len(b.Units) > 0 && inittrace.Dependency(b.Tracer, b.Units[0].Name, mainModule(head)) == d.Name {
		unit = "" // the dependency's sentence says it
	}
	switch {
	case unit != "":
		parts = append(parts, unit)
	case counterCause(b.Counters) != "":
		parts = append(parts, counterCause(b.Counters))
	}
	return strings.Join(parts, "; then ")
}

// mainModule is a Go head's main module, from its build info ("" when not recorded).
func mainModule(v *results.Variant) string {
	for _, a := range []*results.Artifact{v.Deploy, v.Artifact} {
		if a != nil && a.GoMainModule != "" {
			return a.GoMainModule
		}
	}
	return ""
}

// compareCounters sets each counter of head's samples against base's: medians, ranges, and
// whether the ranges are apart (every head sample above or below every base one).
func compareCounters(hs, bs []results.Sample) []results.CounterDelta {
	values := func(samples []results.Sample, name string) []float64 {
		var out []float64
		for _, s := range samples {
			if v, ok := s.Counters.Get(name); ok && s.InitOK() {
				out = append(out, v)
			}
		}
		return out
	}
	var out []results.CounterDelta
	for _, c := range results.CounterNames {
		hv, bv := values(hs, c.Name), values(bs, c.Name)
		if len(hv) == 0 || len(bv) == 0 {
			continue
		}
		out = append(out, counterDelta(c.Name, c.Unit, hv, bv))
	}
	return out
}

// counterDelta sets one counter's head values against base's.
func counterDelta(name, unit string, hv, bv []float64) results.CounterDelta {
	d := results.CounterDelta{Name: name, Unit: unit, Base: medianOf(bv), Head: medianOf(hv),
		BaseMin: slices.Min(bv), BaseMax: slices.Max(bv), HeadMin: slices.Min(hv), HeadMax: slices.Max(hv), N: min(len(hv), len(bv))}
	d.Exact = d.BaseMin == d.BaseMax && d.HeadMin == d.HeadMax
	d.Changed = d.HeadMin > d.BaseMax || d.HeadMax < d.BaseMin
	return d
}

// compareInstructions sets head's instruction counts against base's (--instructions), with a
// note saying where they come from; the note alone when a side has no count, saying why.
func compareInstructions(counts []results.InstructionCount, head, base string) (*results.CounterDelta, string) {
	if len(counts) == 0 {
		return nil, ""
	}
	var hv, bv []float64
	var lost []string
	for _, c := range counts {
		switch {
		case c.Instructions == 0:
			lost = append(lost, c.Variant+": "+c.Lost)
		case c.Variant == head:
			hv = append(hv, float64(c.Instructions))
		case c.Variant == base:
			bv = append(bv, float64(c.Instructions))
		}
	}
	note := "instructions: counted by valgrind's cachegrind up to the first /next, on extra init-only cold starts (the bootstrap process and what it execs)"
	if len(lost) > 0 {
		note += fmt.Sprintf("; %d gave no count (%s)", len(lost), lost[0])
	}
	if len(hv) == 0 || len(bv) == 0 {
		return nil, note
	}
	// A few counts a side: apart is not enough (3 against 3 draws of one spread are apart one
	// time in ten); the gap must also exceed three times each side's median absolute deviation
	// (1.6% of A/A runs of 3 a side then show a change, simulated), which one wild count does
	// not move (a Go init under valgrind once counted 2.8 G beside 270 M twice). And unless the
	// counts are exact (a deterministic bootstrap), the gap must be over a tenth of the count:
	// a Go init counts in two modes ~5% apart (1.63–1.66 M and 1.72–1.75 M, each tight), so
	// three starts a side in different modes are apart by far more than their deviation (CI
	// saw it: an unchanged head named a change).
	d := counterDelta("instructions", "", hv, bv)
	gap := max(d.HeadMin-d.BaseMax, d.BaseMin-d.HeadMax)
	d.Changed = d.Changed && gap > 3*max(mad(hv), mad(bv)) && (d.Exact || gap > 0.1*min(d.Base, d.Head))
	return &d, note
}

// counterCause names a counter that moved beyond both sides' ranges when no traced unit did:
// the repeatable ones first (instructions, CPU time and page faults say the most about init).
func counterCause(cs []results.CounterDelta) string {
	for _, name := range []string{"instructions", "cpu_ms", "minor_faults", "read_bytes", "major_faults", "open_files", "threads"} {
		for _, c := range cs {
			if c.Name != name || !c.Changed || c.Base <= 0 || c.Head <= c.Base {
				continue
			}
			f := func(v float64) string { return fmt.Sprintf("%.4g", v) }
			if c.Unit == "" {
				f = results.GroupDigits
			}
			return fmt.Sprintf("init %s %s → %s (%+.0f%%), beyond both sides' ranges", c.Name, f(c.Base), f(c.Head), (c.Head/c.Base-1)*100)
		}
	}
	return ""
}

// mad is v's median absolute deviation from its median.
func mad(v []float64) float64 {
	m := medianOf(v)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - m)
	}
	return medianOf(dev)
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// compareSections lists the parts (ELF sections, bundle modules) whose size changed, biggest
// change first.
func compareSections(base, head map[string]int64) []results.SectionDelta {
	var out []results.SectionDelta
	for name := range head {
		if head[name] != base[name] {
			out = append(out, results.SectionDelta{Name: name, Base: base[name], Head: head[name]})
		}
	}
	for name := range base {
		if _, ok := head[name]; !ok {
			out = append(out, results.SectionDelta{Name: name, Base: base[name]})
		}
	}
	slices.SortFunc(out, func(a, b results.SectionDelta) int {
		da, db := abs64(a.Head-a.Base), abs64(b.Head-b.Base)
		if da != db {
			return int(db - da)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

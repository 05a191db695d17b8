// Package inittrace asks a runtime to say what its init spent, and reads what it says: Go's
// GODEBUG=inittrace=1 (each package's init, with allocations), Python's -X importtime (each
// module's import), and for Node.js a module hook of coldbench's that times each module's
// top-level evaluation. It imports nothing of coldbench's but the result model.
package inittrace

import (
	"bufio"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// Tracer is how one runtime's init is traced: the environment that turns it on, and the parser
// of what it then writes.
type Tracer struct {
	Name string
	// Env is added to the function's environment for a traced cold start (values appended to the
	// function's own where both set one, as GODEBUG and NODE_OPTIONS allow).
	Env   map[string]string
	Parse func(output string) []results.TraceUnit
}

// Go is Go's tracer: GODEBUG=inittrace=1, a line for each package's init.
func Go() Tracer {
	return Tracer{Name: "GODEBUG=inittrace=1", Env: map[string]string{"GODEBUG": "inittrace=1"}, Parse: ParseGo}
}

// Python is Python's tracer: -X importtime, a line for each module's import.
func Python() Tracer {
	return Tracer{Name: "python -X importtime", Env: map[string]string{"PYTHONPROFILEIMPORTTIME": "1"}, Parse: ParsePython}
}

// Node is Node.js's tracer: coldbench's module hook, timing each module's evaluation.
func Node() Tracer {
	return Tracer{Name: "node module evaluation (coldbench's module hook)", Env: map[string]string{"NODE_OPTIONS": "--import=" + nodeHookURL()}, Parse: ParseNode}
}

// MergeEnv adds the tracer's variables to env (a copy), appending to a value the function sets.
func (t Tracer) MergeEnv(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range t.Env {
		switch old := out[k]; {
		case old == "":
			out[k] = v
		case k == "GODEBUG":
			out[k] = old + "," + v
		default:
			out[k] = old + " " + v
		}
	}
	return out
}

// init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
var goLine = regexp.MustCompile(`^init (\S+) @[\d.]+ ms, ([\d.]+) ms clock, (\d+) bytes, (\d+) allocs`)

// ParseGo reads GODEBUG=inittrace=1's lines: one per package with init work.
func ParseGo(output string) []results.TraceUnit {
	var out []results.TraceUnit
	sc := bufio.NewScanner(strings.NewReader(output))
	for sc.Scan() {
		m := goLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseInt(m[3], 10, 64)
		a, _ := strconv.ParseInt(m[4], 10, 64)
		out = append(out, results.TraceUnit{Name: m[1], Ms: ms, Bytes: b, Allocs: a})
	}
	return out
}

// import time:       157 |        157 |   _io
var pyLine = regexp.MustCompile(`^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)`)

// ParsePython reads -X importtime's lines and keeps the modules imported at the top level (by
// the runtime or the function), with their cumulative time: each one's own import and what it
// imported in turn, so a heavy dependency is named once, by the module the function imported.
func ParsePython(output string) []results.TraceUnit {
	var out []results.TraceUnit
	sc := bufio.NewScanner(strings.NewReader(output))
	for sc.Scan() {
		m := pyLine.FindStringSubmatch(sc.Text())
		if m == nil || len(m[3]) > 1 { // one space: imported at the top level
			continue
		}
		us, _ := strconv.ParseFloat(m[2], 64)
		out = append(out, results.TraceUnit{Name: m[4], Ms: us / 1000})
	}
	return out
}

// nodeMarker starts the lines the Node.js hook writes: "coldbench-init <ms> <url>".
const nodeMarker = "coldbench-init "

// ParseNode reads the Node.js hook's lines: each module's top-level evaluation, its own
// statements only (ES modules evaluate their imports first).
func ParseNode(output string) []results.TraceUnit {
	var out []results.TraceUnit
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), nodeMarker)
		if !ok {
			continue
		}
		msStr, name, _ := strings.Cut(rest, " ")
		ms, err := strconv.ParseFloat(msStr, 64)
		if err != nil {
			continue
		}
		out = append(out, results.TraceUnit{Name: nodeModuleName(name), Ms: ms})
	}
	return out
}

// nodeModuleName shortens a module URL: a package's files go by the package's name and path in
// it, the function's own by their path in the task root.
func nodeModuleName(u string) string {
	p := strings.TrimPrefix(u, "file://")
	if i := strings.LastIndex(p, "/node_modules/"); i >= 0 {
		return p[i+len("/node_modules/"):]
	}
	if i := strings.Index(p, "/task/"); i >= 0 {
		return "./" + p[i+len("/task/"):]
	}
	return p
}

// nodeHook times every module's top-level evaluation: a synchronous load hook (Node.js 22.15+)
// wraps each module's source in two statements that write when it starts and ends, after its
// directives and hashbang. Lines go straight to stderr: a traced cold start is killed at its
// first /next, before any exit handler would run.
const nodeHook = `import { registerHooks } from "node:module";
import { writeSync } from "node:fs";
globalThis.__coldbenchInit = (u, t0) => writeSync(2, "coldbench-init " + (performance.now() - t0).toFixed(3) + " " + u + "\n");
registerHooks({
  load(url, context, nextLoad) {
    const r = nextLoad(url, context);
    if (!url.startsWith("file:") || (r.format !== "module" && r.format !== "commonjs") || r.source == null) return r;
    let src = typeof r.source === "string" ? r.source : new TextDecoder().decode(r.source);
    let head = "";
    const m = src.match(/^(#![^\n]*\n)?(\s*(["'])use strict\3;?)?/);
    if (m) { head = m[0]; src = src.slice(head.length); }
    const u = JSON.stringify(url);
    return { ...r, source: head + "const __cbT0 = performance.now();" + src + "\n;globalThis.__coldbenchInit(" + u + ", __cbT0);\n" };
  },
});
`

func nodeHookURL() string {
	return "data:text/javascript," + url.PathEscape(nodeHook)
}

// Median is the per-unit median over several traces of one variant: a unit's time in each trace
// (0 where a trace lacks it), and its allocations.
func Median(traces [][]results.TraceUnit) []results.TraceUnit {
	byName := map[string][]results.TraceUnit{}
	for _, tr := range traces {
		sum := map[string]results.TraceUnit{} // a unit named twice in one trace (Node: re-imports) adds up
		for _, u := range tr {
			s := sum[u.Name]
			s.Name, s.Ms, s.Bytes, s.Allocs = u.Name, s.Ms+u.Ms, s.Bytes+u.Bytes, s.Allocs+u.Allocs
			sum[u.Name] = s
		}
		for n, u := range sum {
			byName[n] = append(byName[n], u)
		}
	}
	var out []results.TraceUnit
	for name, us := range byName {
		for len(us) < len(traces) {
			us = append(us, results.TraceUnit{Name: name})
		}
		ms := make([]float64, len(us))
		bytes, allocs := make([]float64, len(us)), make([]float64, len(us))
		for i, u := range us {
			ms[i], bytes[i], allocs[i] = u.Ms, float64(u.Bytes), float64(u.Allocs)
		}
		out = append(out, results.TraceUnit{Name: name, Ms: median(ms), Bytes: int64(median(bytes)), Allocs: int64(median(allocs))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Diff compares base's and head's median traces unit by unit, biggest growth first, and keeps
// the top n (units that changed by less than minMs and appeared in both are left out).
func Diff(base, head []results.TraceUnit, n int, minMs float64) []results.UnitDelta {
	b := map[string]results.TraceUnit{}
	for _, u := range base {
		b[u.Name] = u
	}
	h := map[string]results.TraceUnit{}
	for _, u := range head {
		h[u.Name] = u
	}
	var out []results.UnitDelta
	for name := range union(b, h) {
		bu, inB := b[name]
		hu, inH := h[name]
		d := results.UnitDelta{Name: name, BaseMs: bu.Ms, HeadMs: hu.Ms, DeltaMs: hu.Ms - bu.Ms,
			BaseAllocs: bu.Allocs, HeadAllocs: hu.Allocs, BaseBytes: bu.Bytes, HeadBytes: hu.Bytes, New: !inB, Gone: !inH}
		if inB && inH && abs(d.DeltaMs) < minMs && d.HeadAllocs == d.BaseAllocs {
			continue
		}
		if (d.New || d.Gone) && abs(d.DeltaMs) < minMs && d.HeadAllocs+d.BaseAllocs == 0 {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DeltaMs != out[j].DeltaMs {
			return out[i].DeltaMs > out[j].DeltaMs
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Ranges is each unit's lowest and highest time over several traces (0 where a trace lacks it).
func Ranges(traces [][]results.TraceUnit) map[string][2]float64 {
	names := map[string]bool{}
	for _, tr := range traces {
		for _, u := range tr {
			names[u.Name] = true
		}
	}
	out := map[string][2]float64{}
	for name := range names {
		lo, hi := -1.0, 0.0
		for _, tr := range traces {
			ms := 0.0
			for _, u := range tr {
				if u.Name == name {
					ms += u.Ms
				}
			}
			if lo < 0 || ms < lo {
				lo = ms
			}
			hi = max(hi, ms)
		}
		out[name] = [2]float64{lo, hi}
	}
	return out
}

// Cause is one sentence naming the unit that explains init's growth, or "" when none stands out.
// The unit must have grown by at least minMs and by a fifth of its base time (or be new), in every
// traced start (head's lowest above base's highest), and by at least half of all units' growth: a
// few traced starts make a millisecond of jitter in a big module look like a change otherwise.
func Cause(deltas []results.UnitDelta, base, head map[string][2]float64, minMs float64) string {
	total := 0.0
	for _, d := range deltas {
		if d.DeltaMs > 0 {
			total += d.DeltaMs
		}
	}
	if len(deltas) == 0 {
		return ""
	}
	d := deltas[0]
	apart := head[d.Name][0] > base[d.Name][1]
	if d.DeltaMs < minMs || d.DeltaMs < total/2 || !apart || !d.New && d.DeltaMs < d.BaseMs/5 {
		return ""
	}
	what := fmt.Sprintf("+%.1f ms", d.DeltaMs)
	if d.New {
		what += ", new in head"
	}
	if d.HeadAllocs > d.BaseAllocs {
		what += fmt.Sprintf(", %d more allocations", d.HeadAllocs-d.BaseAllocs)
	}
	return fmt.Sprintf("`%s` init: %s", d.Name, what)
}

func union(a, b map[string]results.TraceUnit) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

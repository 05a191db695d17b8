package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// extRow is one external extension's part of init: the median time from Init Duration's start to
// its readiness (its first /event/next) in head and in base, over the samples whose init ended.
type extRow struct {
	name       string
	head, base float64
	nh, nb     int
	initHead   float64 // head's median Init Duration, for the extension's share
}

// extensionRows lists the layers' extensions of head and base, in name order.
func extensionRows(r *results.Results) []extRow {
	ready := map[results.Role]map[string][]float64{results.RoleHead: {}, results.RoleBase: {}}
	var inits []float64
	roles := map[string]results.Role{}
	for _, v := range r.Variants {
		roles[v.Name] = v.Role
	}
	for _, s := range r.Samples {
		role := roles[s.Variant]
		m, ok := ready[role]
		if !ok || !s.InitOK() {
			continue
		}
		if role == results.RoleHead && len(s.Extensions) > 0 {
			inits = append(inits, s.InitMs)
		}
		for _, e := range s.Extensions {
			if e.ReadyMs > 0 {
				m[e.Name] = append(m[e.Name], e.ReadyMs)
			}
		}
	}
	names := map[string]bool{}
	for _, m := range ready {
		for n := range m {
			names[n] = true
		}
	}
	var out []extRow
	for _, n := range slices.Sorted(maps.Keys(names)) {
		h, b := ready[results.RoleHead][n], ready[results.RoleBase][n]
		out = append(out, extRow{name: n, head: median(h), base: median(b), nh: len(h), nb: len(b), initHead: median(inits)})
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stats.Quantile(s, 0.5)
}

func (e extRow) cells() []string {
	head, base, change, share := "–", "–", "–", "–"
	if e.nh > 0 {
		head = num(e.head, "ms")
		if e.initHead > 0 {
			share = fmt.Sprintf("%.0f%%", 100*e.head/e.initHead)
		}
	}
	if e.nb > 0 {
		base = num(e.base, "ms")
	}
	switch {
	case e.nh > 0 && e.nb > 0:
		change = fmt.Sprintf("%+.1f ms (%s)", e.head-e.base, pctStr(100*(e.head-e.base)/e.base))
	case e.nh > 0:
		change = "new in head"
	case e.nb > 0:
		change = "removed in head"
	}
	return []string{e.name, head, share, base, change}
}

// extensionsNote says how to read the table.
const extensionsNote = "ready at: median time from the start of init to the extension's first /event/next (Lambda starts the runtime once every extension has registered, and init ends when the runtime and every extension have called next); share: of head's median Init Duration"

// mdExtensions is the report's "what does this extension cost at init" table.
func mdExtensions(r *results.Results) string {
	rows := extensionRows(r)
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("**Extensions at init**\n\n| extension | head ready at | share of init | base ready at | change |\n|---|---:|---:|---:|---:|\n")
	for _, e := range rows {
		c := e.cells()
		c[0] = Code(c[0])
		b.WriteString("| " + strings.Join(c, " | ") + " |\n")
	}
	b.WriteString("\n_" + extensionsNote + "._\n\n")
	return b.String()
}

// textExtensions is mdExtensions for the terminal.
func textExtensions(w io.Writer, r *results.Results) {
	rows := extensionRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nextensions at init (%s):\n", extensionsNote)
	for _, e := range rows {
		c := e.cells()
		fmt.Fprintf(w, "  %-24s head %s (%s of init), base %s, change %s\n", c[0], c[1], c[2], c[3], c[4])
	}
}

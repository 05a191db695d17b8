package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/trend"
)

// The history's picture: one chart per metric, every commit along the x axis, the median on a
// log axis so the references (3 ms to 100 ms) share the chart with the handler and the machine's
// drift shows as all lines moving together; the handler drawn as measured (thin) and corrected
// for that drift (bold), its levels between change points as bands, each change point as a red
// line labelled with its size, and each release as a grey line labelled with its tag. Stored
// results may come from pull requests' runs and tags from the repository: every label is escaped.

// History charts' geometry, in px: wide enough for 100 commits, readable at 1280 px.
const (
	histW, histH                             = 980, 380
	histLeft, histRight, histTop, histBottom = 64, 190, 34, 56
)

var historyColors = []string{"#0969da", "#bf8700", "#1a7f37", "#8250df", "#cf222e", "#57606a", "#bc4c00"}

// HistorySVG draws metric m of the series (trend.Analyze's) as an SVG chart; "" when there is
// nothing to draw.
func HistorySVG(series []trend.Series, m results.Metric, title string) string {
	var ss []trend.Series
	for _, s := range series {
		if s.Metric == m && len(s.Points) > 0 {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return ""
	}
	// The x axis: every commit of every series, in the order they were stored.
	var refs []string
	pos := map[string]int{}
	tags := map[string][]string{}
	for _, s := range ss {
		for _, p := range s.Points {
			if _, ok := pos[p.Ref]; !ok {
				pos[p.Ref] = len(refs)
				refs = append(refs, p.Ref)
			}
			if len(p.Tags) > 0 {
				tags[p.Ref] = p.Tags
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.Points {
			for _, v := range []float64{p.Median, p.Corrected} {
				if v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	lo, hi = lo/1.15, hi*1.15
	plotW, plotH := float64(histW-histLeft-histRight), float64(histH-histTop-histBottom)
	x := func(i int) float64 {
		if len(refs) == 1 {
			return histLeft + plotW/2
		}
		return histLeft + plotW*float64(i)/float64(len(refs)-1)
	}
	y := func(v float64) float64 {
		return histTop + plotH*(1-(math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo)))
	}
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="system-ui,sans-serif">`, histW, histH, histW, histH, esc(title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, histW, histH)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="600" fill="#1f2328">%s</text>`, histLeft, esc(title))
	// Log axis: ticks at 1, 2, 5 × 10^k, finer when the range is under a decade.
	steps := []float64{1, 2, 5}
	if hi/lo < 10 {
		steps = []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8}
	}
	for k := math.Floor(math.Log10(lo)); k <= math.Ceil(math.Log10(hi)); k++ {
		for _, f := range steps {
			v := f * math.Pow(10, k)
			if v < lo || v > hi {
				continue
			}
			yy := y(v)
			fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eaeef2"/>`, histLeft, histLeft+plotW, yy, yy)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" fill="#57606a" text-anchor="end">%s ms</text>`, histLeft-6, yy+4, fmtMs(v))
		}
	}
	fmt.Fprintf(&b, `<text x="14" y="%.1f" font-size="11" fill="#57606a" transform="rotate(-90 14 %.1f)" text-anchor="middle">median, log scale</text>`, histTop+plotH/2, histTop+plotH/2)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#d0d7de"/>`, histLeft, histTop, plotW, plotH)
	// Commits along x: a label every few, so they never overlap.
	every := max(1, int(math.Ceil(float64(len(refs))/12)))
	for i, ref := range refs {
		if i%every != 0 && i != len(refs)-1 {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" fill="#57606a" text-anchor="middle" font-family="ui-monospace,monospace">%s</text>`, x(i), histH-histBottom+16, esc(short(ref)))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#57606a" text-anchor="middle">commit (oldest first), %d commits</text>`, histLeft+plotW/2, histH-14, len(refs))
	// Releases.
	for i, ref := range refs {
		if t := tags[ref]; len(t) > 0 {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#8c959f" stroke-dasharray="2 3"/>`, x(i), x(i), histTop, histTop+plotH)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" fill="#57606a" text-anchor="middle">%s</text>`, x(i), histTop-4, esc(strings.Join(t, ", ")))
		}
	}
	legendY := float64(histTop + 8)
	legend := func(color, dash, label string, width float64) {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f" stroke-dasharray="%s"/>`, histW-histRight+12, histW-histRight+34, legendY, legendY, color, width, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" fill="#1f2328">%s</text>`, histW-histRight+40, legendY+4, esc(label))
		legendY += 18
	}
	polyline := func(pts []trend.Point, val func(trend.Point) float64, color, dash string, width float64) {
		var coords []string
		for _, p := range pts {
			coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(pos[p.Ref]), y(val(p))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%.1f" stroke-dasharray="%s" stroke-linejoin="round" points="%s"/>`, color, width, dash, strings.Join(coords, " "))
	}
	for k, s := range ss {
		color := historyColors[k%len(historyColors)]
		tracked := len(s.References) > 0 || s.Role == results.RoleHead
		if !tracked {
			polyline(s.Points, func(p trend.Point) float64 { return p.Median }, color, "", 1.2)
			legend(color, "", s.Variant+" (reference)", 1.2)
			continue
		}
		// Levels between change points, as bands behind the line.
		bounds := []int{0}
		for _, c := range s.Changes {
			bounds = append(bounds, c.Index)
		}
		bounds = append(bounds, len(s.Points))
		for j := 0; j+1 < len(bounds); j++ {
			seg := s.Points[bounds[j]:bounds[j+1]]
			var sum float64
			for _, p := range seg {
				sum += math.Log(p.Corrected)
			}
			lvl := math.Exp(sum / float64(len(seg)))
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="7" stroke-opacity="0.18" stroke-linecap="round"/>`,
				x(pos[seg[0].Ref]), x(pos[seg[len(seg)-1].Ref]), y(lvl), y(lvl), color)
		}
		polyline(s.Points, func(p trend.Point) float64 { return p.Median }, color, "3 3", 1)
		polyline(s.Points, func(p trend.Point) float64 { return p.Corrected }, color, "", 2.4)
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.4" fill="%s"><title>%s: %s ms (measured %s ms, drift %+.1f%%)</title></circle>`,
				x(pos[p.Ref]), y(p.Corrected), color, esc(short(p.Ref)), fmtMs(p.Corrected), fmtMs(p.Median), (p.Drift-1)*100)
		}
		legend(color, "", s.Variant+", drift-corrected", 2.4)
		legend(color, "3 3", s.Variant+", as measured", 1)
		for _, c := range s.Changes {
			xx := (x(pos[c.FromRef]) + x(pos[c.ToRef])) / 2
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="5 3"/>`, xx, xx, histTop, histTop+plotH)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" font-weight="600" fill="#cf222e">%+.1f%%</text>`, xx+4, histTop+14, c.ShiftPct)
		}
	}
	if len(tags) > 0 {
		legend("#8c959f", "2 3", "release", 1)
	}
	if changeCount(ss) > 0 {
		legend("#cf222e", "5 3", "change point", 1.5)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func changeCount(ss []trend.Series) int {
	n := 0
	for _, s := range ss {
		n += len(s.Changes)
	}
	return n
}

// short is a commit's short SHA (7 characters).
func short(ref string) string {
	if len(ref) > 7 {
		return ref[:7]
	}
	return ref
}

// fmtMs prints a tick or value with 3 significant digits.
func fmtMs(v float64) string { return fmt.Sprintf("%.3g", v) }

// HistoryMermaid is metric m's trend of the tracked series as a Mermaid xychart for a job
// summary (GitHub renders it): the handler drift-corrected and as measured, commits along x
// (tags where there are releases), and a table of the change points under it. Mermaid's charts
// have no log axis, so the references, which a log axis would need, are left to the SVG.
func HistoryMermaid(series []trend.Series, m results.Metric, title string) string {
	var b strings.Builder
	for _, s := range series {
		if s.Metric != m || len(s.Points) == 0 || s.Role != results.RoleHead && len(s.References) == 0 {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		var labels, corrected, measured []string
		for _, p := range s.Points {
			label := short(p.Ref)
			if len(p.Tags) > 0 {
				label = p.Tags[0]
			}
			labels = append(labels, `"`+mermaidSafe(label)+`"`)
			corrected = append(corrected, fmt.Sprintf("%.3g", p.Corrected))
			measured = append(measured, fmt.Sprintf("%.3g", p.Median))
			lo, hi = math.Min(lo, math.Min(p.Corrected, p.Median)), math.Max(hi, math.Max(p.Corrected, p.Median))
		}
		fmt.Fprintf(&b, "```mermaid\nxychart-beta\n  title \"%s: %s (bold: drift-corrected; thin: as measured)\"\n  x-axis [%s]\n  y-axis \"%s (ms)\" %.3g --> %.3g\n  line [%s]\n  line [%s]\n```\n\n",
			mermaidSafe(title), mermaidSafe(s.Variant), strings.Join(labels, ", "), m, math.Floor(lo*0.9), math.Ceil(hi*1.1), strings.Join(corrected, ", "), strings.Join(measured, ", "))
		if len(s.Changes) == 0 {
			fmt.Fprintf(&b, "No change point in %s's %s over %d commits (drift-corrected by %s).\n\n", s.Variant, m, len(s.Points), orDash(strings.Join(s.References, ", ")))
			continue
		}
		b.WriteString("| change | 95% interval | between | level | confidence |\n|--:|--:|---|--:|--:|\n")
		for _, c := range s.Changes {
			fmt.Fprintf(&b, "| %+.1f%% | %+.1f%% … %+.1f%% | `%s` … `%s` | %.3g → %.3g ms | %s |\n",
				c.ShiftPct, c.CILowPct, c.CIHighPct, short(c.FromRef), short(c.ToRef), c.Before, c.After, trend.Confidence(c.PValue))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// mermaidSafe keeps a label inside its quotes and on its line.
func mermaidSafe(s string) string {
	return strings.Map(func(c rune) rune {
		switch c {
		case '"', '\n', '\r', '`', '<', '>', '[', ']':
			return '_'
		}
		return c
	}, s)
}

// WriteHistoryHTML writes a page of the history's charts (one per metric) and change points.
func WriteHistoryHTML(w io.Writer, title string, series []trend.Series) error {
	type chart struct {
		Title string
		SVG   template.HTML
	}
	var charts []chart
	for _, m := range trend.Metrics {
		if svg := HistorySVG(series, m, title+" — "+metricLabel(m)); svg != "" {
			charts = append(charts, chart{Title: metricLabel(m) + " — " + string(m), SVG: template.HTML(svg)})
		}
	}
	var changes []string
	for _, s := range series {
		for _, c := range s.Changes {
			changes = append(changes, fmt.Sprintf("%s %s: %s", s.Variant, s.Metric, c))
		}
	}
	return historyTmpl.Execute(w, map[string]any{"Title": title, "Charts": charts, "Changes": changes})
}

var historyTmpl = template.Must(template.New("history").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coldbench history — {{.Title}}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#1f2328}
h1{font-size:20px} h2{font-size:16px;margin-top:2em} svg{border:1px solid #d0d7de;border-radius:6px;max-width:100%;height:auto}</style>
</head><body><h1>History of {{.Title}}</h1>
{{range .Charts}}<h2>{{.Title}}</h2>{{.SVG}}{{end}}
<h2>Change points</h2>{{if .Changes}}<ul>{{range .Changes}}<li>{{.}}</li>{{end}}</ul>{{else}}<p>None: no change beyond the noise and the threshold.</p>{{end}}
</body></html>
`))

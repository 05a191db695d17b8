package report

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/coldbench/coldbench/pkg/stats"
	"github.com/coldbench/coldbench/pkg/trend"
)

// WriteHTML writes a self-contained page with every variant's distributions drawn as box plots
// (one chart per metric, a dot per sample), for people who would rather look than read, and the
// stored history's trend when one is given (HistorySVG).
func WriteHTML(w io.Writer, r *results.Results, history ...trend.Series) error {
	type chart struct {
		Title string
		SVG   template.HTML
	}
	var charts []chart
	for _, m := range []results.Metric{results.MetricInit, results.MetricDuration, results.MetricCold, results.MetricMemory} {
		if svg := boxPlot(r, m); svg != "" {
			charts = append(charts, chart{Title: metricLabel(m) + " — " + string(m), SVG: template.HTML(svg)})
		}
	}
	for _, m := range trend.Metrics {
		if svg := HistorySVG(history, m, "history — "+metricLabel(m)); svg != "" {
			charts = append(charts, chart{Title: "History: " + metricLabel(m) + " per commit, drift-corrected", SVG: template.HTML(svg)})
		}
	}
	return pageTmpl.Execute(w, map[string]any{
		"Headline": Headline(r),
		"Markdown": Markdown(r, MarkdownOptions{}),
		"Charts":   charts,
		"Notes":    allWarnings(r),
		"Env":      r.Environment,
		"Lambda":   lambdaHTML(r),
		"Created":  r.CreatedAt.Format("2006-01-02 15:04 UTC"),
	})
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coldbench — {{.Headline}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#1f2328}
h1{font-size:20px} h2{font-size:16px;margin-top:2em} svg{background:#fff;border:1px solid #d0d7de;border-radius:6px}
.box{fill:#ddf4ff;stroke:#0969da} .med{stroke:#0969da;stroke-width:2} .whisk{stroke:#57606a} .dot{fill:#cf222e;opacity:.35}
.lbl{font-size:12px;fill:#1f2328} .axis{font-size:11px;fill:#57606a} .grid{stroke:#eaeef2}
pre{white-space:pre-wrap;background:#f6f8fa;padding:1em;border-radius:6px;font-size:12px}
</style></head><body>
<h1>{{.Headline}}</h1>
{{if .Lambda}}<p>{{.Lambda}}; created {{.Created}}.</p>{{else}}<p>{{.Env.CPU}}, {{.Env.Cores}} cores, {{.Env.Arch}}; cgroup {{.Env.Limits.Cgroup}}; created {{.Created}}.</p>{{end}}
{{range .Charts}}<h2>{{.Title}}</h2>{{.SVG}}{{end}}
{{if .Notes}}<h2>Notes</h2><ol>{{range .Notes}}<li>{{.}}</li>{{end}}</ol>{{end}}
<h2>Report</h2><pre>{{.Markdown}}</pre>
</body></html>
`))

// boxPlot draws one horizontal box plot per variant: box p25–p75, median line, whiskers at
// p5–p95 (wide enough to show a tail), every sample as a faint dot.
func boxPlot(r *results.Results, metric results.Metric) string {
	type row struct {
		name string
		vals []float64
	}
	var rows []row
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range r.Variants {
		vals, _ := results.Values(r.SamplesOf(v.Name), metric)
		if len(vals) == 0 {
			continue
		}
		sort.Float64s(vals)
		rows = append(rows, row{v.Name, vals})
		lo, hi = math.Min(lo, vals[0]), math.Max(hi, vals[len(vals)-1])
	}
	if len(rows) == 0 {
		return ""
	}
	const width, left, right, rowH, top = 940, 110, 20, 40, 24
	if hi == lo {
		hi = lo + 1
	}
	lo = math.Max(0, lo-(hi-lo)*0.05)
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(width-left-right) }
	height := top + rowH*len(rows) + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">`, width, height, template.HTMLEscapeString(string(metric)))
	for i := 0; i <= 5; i++ {
		v := lo + (hi-lo)*float64(i)/5
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			x(v), x(v), top-6, height-20, x(v), height-6, template.HTMLEscapeString(num(v, unitOf(metric))))
	}
	for i, rw := range rows {
		y := float64(top + rowH*i + rowH/2)
		q := func(p float64) float64 { return x(stats.Quantile(rw.vals, p)) }
		fmt.Fprintf(&b, `<text class="lbl" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-8, y+4, template.HTMLEscapeString(rw.name))
		fmt.Fprintf(&b, `<line class="whisk" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, q(0.05), q(0.95), y, y)
		fmt.Fprintf(&b, `<rect class="box" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`, q(0.25), y-10, math.Max(1, q(0.75)-q(0.25)), 20)
		fmt.Fprintf(&b, `<line class="med" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, q(0.5), q(0.5), y-10, y+10)
		for j, v := range rw.vals {
			fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="2"/>`, x(v), y-8+float64(j%17))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

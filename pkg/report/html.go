package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
	"github.com/coldbench/coldbench/pkg/trend"
)

// HTMLOptions shapes the HTML report.
type HTMLOptions struct {
	// History is an SVG chart of the results history (this package's rendering of the stored
	// runs, trusted markup), drawn in the page's History section; the section is left out when
	// it is empty.
	History template.HTML
}

// WriteHTML writes a self-contained page for people who would rather look than read: the verdict
// and its cause, head against base (their table, then each metric's distributions on a scale of
// their own), the stored history's trend when one is given, the reference runtimes apart (every
// variant on a log axis), the init breakdown as tables, notes and environment.
func WriteHTML(w io.Writer, r *results.Results, history ...trend.Series) error {
	return WriteHTMLWith(w, r, HTMLOptions{History: historyHTML(history)})
}

// historyHTML is the history's charts (HistorySVG), one per metric that has points.
func historyHTML(history []trend.Series) template.HTML {
	var b strings.Builder
	for _, m := range trend.Metrics {
		if svg := HistorySVG(history, m, "history — "+metricLabel(m)); svg != "" {
			fmt.Fprintf(&b, "<h3>%s</h3>\n%s\n", template.HTMLEscapeString(metricLabel(m)+" per commit, drift-corrected"), svg)
		}
	}
	return template.HTML(b.String())
}

// WriteHTMLWith is WriteHTML with options.
func WriteHTMLWith(w io.Writer, r *results.Results, opt HTMLOptions) error {
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	page := htmlPage{Headline: Headline(r), Verdict: verdictName(r.Verdict), Env: r.Environment, History: opt.History, Lambda: lambdaHTML(r),
		Created: r.CreatedAt.Format("2006-01-02 15:04 UTC"), Notes: allWarnings(r), Setup: samplesStr(r.Config)}
	page.Badge = page.Verdict
	if head == nil {
		page.Badge = "reference runtimes"
	}
	if b := r.Breakdown; b != nil && b.Cause != "" {
		page.Cause = strings.ReplaceAll(b.Cause, "`", "")
	}
	if head != nil && base != nil {
		for _, c := range r.Comparisons {
			page.Comparisons = append(page.Comparisons, htmlRow{Cells: comparisonCells(c), Class: verdictName(c.Verdict), Gate: c.Gate})
		}
		if bz, hz, ok := zipDelta(r); ok {
			page.Comparisons = append(page.Comparisons, htmlRow{Cells: []string{"arm64 zip", sizeStr(bz), sizeStr(hz), pctStr((float64(hz)/float64(bz) - 1) * 100), "", "", ""}})
		}
		for _, m := range plotMetrics {
			if svg := boxPlot(plotRows(r, m, []*results.Variant{base, head}), unitOf(m), false); svg != "" {
				page.HeadBase = append(page.HeadBase, htmlChart{Title: metricTitle(m), SVG: template.HTML(svg)})
			}
		}
	}
	var all []*results.Variant
	for i := range r.Variants {
		all = append(all, &r.Variants[i])
		page.Variants = append(page.Variants, htmlRow{Cells: referenceRow(r, r.Variants[i]), Class: string(r.Variants[i].Role)})
	}
	for _, m := range []results.Metric{results.MetricInit, results.MetricCold} {
		if svg := boxPlot(plotRows(r, m, all), unitOf(m), true); svg != "" {
			page.AllRuntimes = append(page.AllRuntimes, htmlChart{Title: metricTitle(m) + " (log axis)", SVG: template.HTML(svg)})
		}
	}
	page.Breakdown = htmlBreakdown(r.Breakdown)
	page.Environment = environmentLines(r, func(s string) string { return s })
	return pageTmpl.Execute(w, page)
}

// htmlPage is what the page template draws.
type htmlPage struct {
	Headline, Verdict, Badge, Cause, Created, Setup, Lambda string
	Comparisons, Variants                                   []htmlRow
	HeadBase, AllRuntimes                                   []htmlChart
	Breakdown                                               []htmlTable
	History                                                 template.HTML
	Notes, Environment                                      []string
	Env                                                     results.Environment
}

// htmlRow is a table row: its cells, a class (a verdict, a role) and whether it is a gate row.
type htmlRow struct {
	Cells []string
	Class string
	Gate  bool
}

// htmlChart is one titled SVG chart (markup this package drew, with every name escaped).
type htmlChart struct {
	Title string
	SVG   template.HTML
}

// htmlTable is one of the init breakdown's tables.
type htmlTable struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// plotMetrics are the metrics head and base are drawn for.
var plotMetrics = []results.Metric{results.MetricInit, results.MetricDuration, results.MetricCold, results.MetricMemory}

func metricTitle(m results.Metric) string {
	return strings.TrimSuffix(metricLabel(m), " p50") + " — " + string(m)
}

// htmlBreakdown is the init breakdown's tables: the traced units, the counters, the ELF sections
// and the bundle's modules that changed.
func htmlBreakdown(b *results.Breakdown) []htmlTable {
	if b == nil {
		return nil
	}
	var out []htmlTable
	if len(b.Units) > 0 {
		t := htmlTable{Caption: fmt.Sprintf("Traced units (%s, medians of %d traced cold starts a side)", b.Tracer, b.Traces),
			Header: []string{"unit", "base", "head", "delta", "allocations (base → head)"}}
		for _, u := range b.Units {
			t.Rows = append(t.Rows, []string{u.Name, unitMs(u.BaseMs, u.New), unitMs(u.HeadMs, u.Gone), fmt.Sprintf("%+.2f ms", u.DeltaMs), allocStr(u)})
		}
		out = append(out, t)
	}
	if len(b.Counters) > 0 {
		t := htmlTable{Caption: "Counters of init (read from /proc at the first /next; median, and range over the samples)",
			Header: []string{"counter", "base", "head", "change"}}
		for _, c := range b.Counters {
			t.Rows = append(t.Rows, []string{c.Name, counterStr(c.Base, c.BaseMin, c.BaseMax, c.Unit), counterStr(c.Head, c.HeadMin, c.HeadMax, c.Unit), counterChange(c)})
		}
		out = append(out, t)
	}
	for _, part := range []struct {
		caption string
		deltas  []results.SectionDelta
	}{{"The arm64 bootstrap's ELF sections that changed size", b.Sections}, {"The arm64 bundle's modules that changed size", b.Modules}} {
		if len(part.deltas) == 0 {
			continue
		}
		t := htmlTable{Caption: part.caption, Header: []string{"part", "base", "head", "delta"}}
		for _, d := range part.deltas[:min(len(part.deltas), 15)] {
			t.Rows = append(t.Rows, []string{d.Name, sizeStr(d.Base), sizeStr(d.Head), fmt.Sprintf("%+d B", d.Head-d.Base)})
		}
		out = append(out, t)
	}
	return out
}

// referenceRow is a variant's row of the runtimes' table (the Markdown report's and the page's): name, init p50 and p90, first invoke,
// cold, memory, zip, failed.
func referenceRow(r *results.Results, v results.Variant) []string {
	s := v.Summary
	zip := int64(0)
	if v.Deploy != nil {
		zip = v.Deploy.ZipBytes
	}
	failed := "–"
	if s.InitMs != nil || s.ColdMs != nil {
		failed = failedOf(r.SamplesOf(v.Name))
	} else if v.BuildError != "" {
		failed = "build failed"
	}
	return []string{variantLabel(v), p50(s.InitMs, "ms"), p90(s.InitMs, "ms"), p50(s.DurationMs, "ms"), p50(s.ColdMs, "ms"),
		p50(s.MaxMemoryMB, "MB"), sizeStr(zip), failed}
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coldbench — {{.Headline}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
main{max-width:1000px;margin:0 auto;padding:24px}
header{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;border-left:6px solid #8c959f}
header.regression{border-left-color:#cf222e} header.improvement{border-left-color:#1a7f37} header.inconclusive{border-left-color:#bf8700}
h1{font-size:20px;margin:0 0 6px} .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#eaeef2;vertical-align:2px;margin-right:6px}
.regression .badge{background:#ffebe9;color:#cf222e} .improvement .badge{background:#dafbe1;color:#1a7f37} .inconclusive .badge{background:#fff8c5;color:#9a6700}
.cause{margin:8px 0 0;font-size:15px} .meta{color:#57606a;font-size:12px;margin:6px 0 0}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 20px;margin-top:16px}
h2{font-size:16px;margin:4px 0 10px} h3{font-size:13px;margin:14px 0 4px;color:#57606a;font-weight:600}
table{border-collapse:collapse;font-size:13px;margin:4px 0 8px} th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:right;white-space:nowrap}
th{background:#f6f8fa;font-weight:600} th:first-child,td:first-child{text-align:left}
td.name{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;white-space:normal;word-break:break-all}
tr.regression td:last-child{color:#cf222e;font-weight:600} tr.improvement td:last-child{color:#1a7f37;font-weight:600}
tr.head td:first-child{color:#0969da;font-weight:600} tr.base td:first-child{color:#57606a;font-weight:600} tr.info td{color:#57606a}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:4px 20px} svg{display:block}
.box{stroke-width:1.5} .base .box{fill:#eaeef2;stroke:#57606a} .head .box{fill:#ddf4ff;stroke:#0969da} .reference .box{fill:#fbefff;stroke:#8250df}
.med{stroke-width:2.5} .base .med{stroke:#57606a} .head .med{stroke:#0969da} .reference .med{stroke:#8250df}
.whisk{stroke:#8c959f} .dot{opacity:.35} .base .dot{fill:#57606a} .head .dot{fill:#0969da} .reference .dot{fill:#8250df}
.lbl{font-size:12px;fill:#1f2328} .val{font-size:11px;fill:#57606a} .axis{font-size:10px;fill:#57606a} .grid{stroke:#eaeef2}
ol,ul{margin:4px 0;padding-left:22px} li{margin:2px 0}
</style></head><body><main>
<header class="{{.Verdict}}">
<h1><span class="badge">{{or .Badge "measured"}}</span>{{.Headline}}</h1>
{{if .Cause}}<p class="cause">{{.Cause}}.</p>{{end}}
<p class="meta">{{if .Lambda}}{{.Lambda}}{{else}}{{.Env.CPU}}, {{.Env.Cores}} cores, {{.Env.Arch}}; cgroup {{.Env.Limits.Cgroup}}{{end}}; {{.Setup}}; {{.Created}}</p>
</header>
{{if .Comparisons}}<section><h2>Head vs base</h2>
<table><tr><th>metric</th><th>base</th><th>head</th><th>delta</th><th>95% CI</th><th>p</th><th>verdict</th></tr>
{{range .Comparisons}}<tr class="{{.Class}}{{if not .Gate}} info{{end}}">{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<h3>Distributions: box p25–p75, line at the median, whiskers p5–p95, a dot a sample; each chart on its own scale</h3>
<div class="charts">{{range .HeadBase}}<div><h3>{{.Title}}</h3>{{.SVG}}</div>{{end}}</div>
</section>{{end}}
{{if .History}}<section id="history"><h2>History</h2>{{.History}}</section>{{end}}
{{if .Breakdown}}<section><h2>Init breakdown: what head's init did differently</h2>
{{range .Breakdown}}<h3>{{.Caption}}</h3><table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if eq $i 0}} class="name"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>{{end}}
</section>{{end}}
<section><h2>{{if .Comparisons}}Reference runtimes, for context{{else}}Runtimes, same run{{end}}</h2>
<table><tr><th>variant</th><th>init p50</th><th>init p90</th><th>first invoke p50</th><th>cold p50</th><th>max memory</th><th>arm64 zip</th><th>failed</th></tr>
{{range .Variants}}<tr class="{{.Class}}">{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .AllRuntimes}}<h3>{{.Title}}</h3>{{.SVG}}{{end}}
</section>
{{if .Notes}}<section><h2>Notes</h2><ol>{{range .Notes}}<li>{{.}}</li>{{end}}</ol></section>{{end}}
<section><h2>Environment</h2><ul>{{range .Environment}}<li>{{.}}</li>{{end}}</ul></section>
</main></body></html>
`))

// plotRow is one variant's sorted values of a metric.
type plotRow struct {
	name, class string
	vals        []float64
}

// plotRows are the variants' values of metric, in the order given; variants without any left out.
func plotRows(r *results.Results, metric results.Metric, vs []*results.Variant) []plotRow {
	var rows []plotRow
	for _, v := range vs {
		vals, _ := results.Values(r.SamplesOf(v.Name), metric)
		if len(vals) == 0 {
			continue
		}
		slices.Sort(vals)
		rows = append(rows, plotRow{v.Name, string(v.Role), vals})
	}
	return rows
}

// axis maps values to x: linear over the rows' range (padded, so two close distributions fill
// the width), or logarithmic over decades (so a 3 ms init and a 1.5 s one are both readable).
type axis struct {
	lo, hi float64
	log    bool
}

func newAxis(rows []plotRow, log bool) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, rw := range rows {
		lo, hi = math.Min(lo, rw.vals[0]), math.Max(hi, rw.vals[len(rw.vals)-1])
	}
	if log {
		lo = math.Max(lo, 0.01)
		return axis{lo: lo / 1.25, hi: math.Max(hi, lo) * 1.25, log: true}
	}
	if hi == lo {
		hi, lo = hi+1, math.Max(0, lo-1)
	}
	pad := (hi - lo) * 0.08
	return axis{lo: math.Max(0, lo-pad), hi: hi + pad}
}

// frac is where v falls on the axis, 0 to 1.
func (a axis) frac(v float64) float64 {
	if a.log {
		v = math.Max(v, a.lo)
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

// ticks are the axis's labelled values: 1, 2 and 5 of each decade on a log axis (finer steps when
// the axis spans less than a decade or two), about five round steps on a linear one.
func (a axis) ticks() []float64 {
	var out []float64
	if a.log {
		for _, ms := range [][]float64{{1, 2, 5}, {1, 1.5, 2, 3, 5, 7}, {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9}} {
			out = out[:0]
			for d := math.Pow(10, math.Floor(math.Log10(a.lo))); d < a.hi; d *= 10 {
				for _, m := range ms {
					if v := d * m; v >= a.lo && v <= a.hi {
						out = append(out, v)
					}
				}
			}
			if len(out) >= 4 {
				break
			}
		}
		return out
	}
	raw := (a.hi - a.lo) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * p; step >= raw {
			break
		}
	}
	for v := math.Ceil(a.lo/step) * step; v <= a.hi; v += step {
		out = append(out, v)
	}
	return out
}

// boxPlot draws one horizontal box plot per row: box p25–p75, median line and its value,
// whiskers at p5–p95, every sample a faint dot; on a log axis when log is set.
func boxPlot(rows []plotRow, unit string, log bool) string {
	if len(rows) == 0 {
		return ""
	}
	width, left, right, rowH, top := 470, 72, 64, 34, 10
	if log {
		width = 950
	}
	ax := newAxis(rows, log)
	x := func(v float64) float64 { return float64(left) + ax.frac(v)*float64(width-left-right) }
	height := top + rowH*len(rows) + 22
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, width, height)
	for _, v := range ax.ticks() {
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			x(v), x(v), top-4, height-18, x(v), height-5, template.HTMLEscapeString(num(v, unit)))
	}
	for i, rw := range rows {
		y := float64(top + rowH*i + rowH/2)
		q := func(p float64) float64 { return x(stats.Quantile(rw.vals, p)) }
		fmt.Fprintf(&b, `<g class="%s">`, template.HTMLEscapeString(rw.class))
		fmt.Fprintf(&b, `<text class="lbl" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-8, y+4, template.HTMLEscapeString(shortName(rw.name)))
		fmt.Fprintf(&b, `<line class="whisk" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, q(0.05), q(0.95), y, y)
		fmt.Fprintf(&b, `<rect class="box" x="%.1f" y="%.1f" width="%.1f" height="16" rx="2"/>`, q(0.25), y-8, math.Max(1, q(0.75)-q(0.25)))
		for j, v := range rw.vals {
			fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="1.8"/>`, x(v), y-6+float64(j%13))
		}
		fmt.Fprintf(&b, `<line class="med" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, q(0.5), q(0.5), y-9, y+9)
		fmt.Fprintf(&b, `<text class="val" x="%d" y="%.1f">%s</text></g>`, width-right+6, y+4, template.HTMLEscapeString(num(stats.Quantile(rw.vals, 0.5), unit)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// shortName keeps a chart's row label within its margin.
func shortName(s string) string {
	if len(s) <= 10 {
		return s
	}
	return trimTo(s, 9)
}

package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// chartSpread is the largest ratio of one chart's values: past it the small bars are slivers
// beside the large, so each metric gets a chart of its own.
const chartSpread = 10

// bar is one labelled bar of a chart.
type bar struct {
	label string
	ms    float64
}

// mdChart draws the p50s as Mermaid bar charts, which GitHub renders inside comments with no
// image hosting: head vs base first, every bar labelled on the x axis (xychart has no legend),
// then the reference runtimes on charts of their own, collapsed beside a head and base. Values
// that differ by more than chartSpread go on separate charts, one per metric, from 0.
func mdChart(r *results.Results) string {
	head, base := r.Variant(results.RoleHead), r.Variant(results.RoleBase)
	var b strings.Builder
	compared := head != nil && base != nil && p50Of(head, results.MetricInit) > 0 && p50Of(base, results.MetricInit) > 0
	if compared {
		var init, cold []bar
		for _, v := range []*results.Variant{base, head} {
			init = append(init, bar{"init: " + string(v.Role), p50Of(v, results.MetricInit)})
			if ms := p50Of(v, results.MetricCold); ms > 0 {
				cold = append(cold, bar{"cold: " + string(v.Role), ms})
			}
		}
		b.WriteString(mermaidCharts("head vs base", []metricBars{{"init", init}, {"cold latency", cold}}))
	}
	var init, cold []bar
	for _, v := range r.Variants {
		if v.Role != results.RoleReference || p50Of(&v, results.MetricInit) <= 0 {
			continue
		}
		name := results.CleanType(v.Name) // no backtick, quote or newline to leave the chart by
		init = append(init, bar{name, p50Of(&v, results.MetricInit)})
		if ms := p50Of(&v, results.MetricCold); ms > 0 {
			cold = append(cold, bar{name, ms})
		}
	}
	if len(init) < 2 && !compared {
		return b.String()
	}
	if len(init) > 0 {
		refs := mermaidChart("reference runtimes: p50 init (ms)", init) + mermaidChart("reference runtimes: p50 cold latency (ms)", cold)
		if compared {
			refs = "<details><summary>Reference runtimes, charted</summary>\n\n" + refs + "</details>\n\n"
		}
		b.WriteString(refs)
	}
	return b.String()
}

// metricBars are one metric's bars.
type metricBars struct {
	metric string
	bars   []bar
}

// mermaidCharts draws a group's metrics (init, cold) on one chart when their values are within
// chartSpread of each other, else a chart a metric.
func mermaidCharts(group string, metrics []metricBars) string {
	var all []bar
	for _, m := range metrics {
		all = append(all, m.bars...)
	}
	if spread(all) <= chartSpread {
		return mermaidChart(group+": p50 (ms)", all)
	}
	var b strings.Builder
	for _, m := range metrics {
		b.WriteString(mermaidChart(group+": p50 "+m.metric+" (ms)", m.bars))
	}
	return b.String()
}

// mermaidChart is one bar chart from 0, its bars named on the x axis.
func mermaidChart(title string, bars []bar) string {
	if len(bars) == 0 {
		return ""
	}
	var labels, values []string
	top := 0.0
	for _, br := range bars {
		labels = append(labels, fmt.Sprintf("%q", br.label))
		values = append(values, fmt.Sprintf("%.1f", br.ms))
		top = math.Max(top, br.ms)
	}
	return fmt.Sprintf("```mermaid\nxychart-beta\n  title %q\n  x-axis [%s]\n  y-axis \"ms\" 0 --> %s\n  bar [%s]\n```\n\n",
		title, strings.Join(labels, ", "), niceCeil(top*1.1), strings.Join(values, ", "))
}

// spread is the largest value over the smallest (positive) one.
func spread(bars []bar) float64 {
	lo, hi := math.Inf(1), 0.0
	for _, b := range bars {
		if b.ms > 0 {
			lo, hi = math.Min(lo, b.ms), math.Max(hi, b.ms)
		}
	}
	if hi == 0 {
		return 1
	}
	return hi / lo
}

// niceCeil rounds v up to a round number for an axis end: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a
// power of ten.
func niceCeil(v float64) string {
	if v <= 0 {
		return "1"
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return fmt.Sprintf("%g", m*p)
		}
	}
	return fmt.Sprintf("%g", 10*p)
}

// p50Of is a variant's median of metric, 0 without one.
func p50Of(v *results.Variant, m results.Metric) float64 {
	if s := v.Summary.Get(m); s != nil {
		return s.P50
	}
	return 0
}

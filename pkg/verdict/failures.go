package verdict

import (
	"fmt"
	"maps"
	"slices"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/stats"
)

// A cold start that crashes, times out or errors is a worse cold start, never a missing data
// point. In the timing comparisons such a sample is censored at the cap it could not beat (init:
// Lambda's 10 s init limit; cold latency: that plus the invoke timeout), so it ranks as the worst
// rather than vanishing; and how often each side failed is compared on its own. A sample that
// coldbench could not prepare (its setup error) is no evidence about the handler and is left out.

// handlerFailed reports whether s failed through the handler's doing.
func handlerFailed(s results.Sample) bool {
	return s.Error != nil && s.Error.Type != results.ErrTypeSetup
}

// caps are the values failed samples are censored at.
func caps(r *results.Results) (initCap, coldCap float64) {
	initCap = r.Config.InitTimeoutMs
	if initCap == 0 {
		initCap = 10_000
	}
	timeout := r.Config.TimeoutMs
	if timeout == 0 {
		timeout = 30_000
	}
	return initCap, initCap + timeout
}

// value is s's value of a gate metric with failures censored at the caps; ok is false for a
// sample that says nothing (setup error, or an init-only sample for cold latency).
func value(r *results.Results, s results.Sample, m results.Metric) (float64, bool) {
	if s.Error != nil && !handlerFailed(s) {
		return 0, false
	}
	if v, ok := s.Value(m); ok && v > 0 {
		return v, true
	}
	if s.InitOnly && m != results.MetricInit {
		return 0, false
	}
	initCap, coldCap := caps(r)
	switch {
	case m == results.MetricInit && (s.Error == nil || s.Error.Phase != results.PhaseInvoke):
		return initCap, true
	case m == results.MetricInit:
		return s.InitMs, s.InitMs > 0
	case m == results.MetricCold:
		return coldCap, true
	}
	return 0, false
}

// censored is every sample's value of m, failures censored.
func censored(r *results.Results, samples []results.Sample, m results.Metric) []float64 {
	var out []float64
	for _, s := range samples {
		if v, ok := value(r, s, m); ok {
			out = append(out, v)
		}
	}
	return out
}

// pairs lines up head's and base's values of m round by round: within a round, the full samples
// pair with each other and the init-only ones in the order they were taken. What has no partner
// in its round is left out.
func pairs(r *results.Results, hs, bs []results.Sample, m results.Metric) (head, base []float64) {
	byRound := func(samples []results.Sample) map[int][]float64 {
		out := map[int][]float64{}
		for _, s := range samples { // run order: the full sample and the init-only ones by Seq
			if v, ok := value(r, s, m); ok {
				if !s.InitOnly {
					out[s.Index] = append([]float64{v}, out[s.Index]...)
				} else {
					out[s.Index] = append(out[s.Index], v)
				}
			}
		}
		return out
	}
	h, b := byRound(hs), byRound(bs)
	for _, round := range slices.Sorted(maps.Keys(h)) {
		hv, bv := h[round], b[round]
		for i := 0; i < min(len(hv), len(bv)); i++ {
			head, base = append(head, hv[i]), append(base, bv[i])
		}
	}
	return head, base
}

// countFailures counts the handler's failures among samples (setup failures are not the
// handler's and are left out), and each failure type.
func countFailures(samples []results.Sample) (failed, n int, types map[string]int) {
	types = map[string]int{}
	for _, s := range samples {
		if s.Error != nil && !handlerFailed(s) {
			continue
		}
		n++
		if handlerFailed(s) {
			failed++
			types[s.Error.Type]++
		}
	}
	return failed, n, types
}

// compareFailures compares how often head and base failed (Fisher's exact test, one-sided), and
// warns of every failure type head showed that base never did.
func compareFailures(r *results.Results, hs, bs []results.Sample, rule stats.Rule) results.Comparison {
	hf, hn, htypes := countFailures(hs)
	bf, bn, btypes := countFailures(bs)
	c := results.Comparison{Metric: MetricFailures, NHead: hn, NBase: bn, Gate: true,
		Method: "Fisher's exact test, one-sided (head fails more often)", Verdict: results.NoChange, PValue: 1}
	if hn == 0 || bn == 0 {
		return c
	}
	c.Head, c.Base = 100*float64(hf)/float64(hn), 100*float64(bf)/float64(bn)
	c.ShiftPct = c.Head - c.Base // percentage points
	c.PValue = stats.FailureRate(hf, hn, bf, bn)
	if c.PValue < rule.Alpha && hf*bn > bf*hn {
		c.Verdict = results.Regression
	}
	for _, typ := range slices.Sorted(maps.Keys(htypes)) {
		if btypes[typ] == 0 {
			c.Warnings = append(c.Warnings, results.Warning{Code: WarnNewFailure, Message: fmt.Sprintf(
				"head failed with %s in %d of %d samples, which base never showed", typ, htypes[typ], hn)})
		}
	}
	return c
}

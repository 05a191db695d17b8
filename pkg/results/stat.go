package results

// Warning is a caveat on a result: it limits what the numbers can say but never makes them wrong.
// Reports show warnings as numbered notes.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Summary describes one metric of one variant.
type Summary struct {
	N      int     `json:"n"`
	Failed int     `json:"failed"`
	Min    float64 `json:"min"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
	SD     float64 `json:"sd"`
	// P50Low and P50High bound the median with at least 95% confidence.
	P50Low   float64   `json:"p50_ci_low"`
	P50High  float64   `json:"p50_ci_high"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// Comparison is head against base for one metric. Shifts are relative to base, in percent.
type Comparison struct {
	Metric   Metric  `json:"metric"`
	Head     float64 `json:"head"` // head's median (or p90 for tail comparisons)
	Base     float64 `json:"base"`
	ShiftPct float64 `json:"shift_pct"`
	// CILowPct and CIHighPct bound the shift with 95% confidence.
	CILowPct  float64 `json:"ci_low_pct"`
	CIHighPct float64 `json:"ci_high_pct"`
	// LowerBoundPct and UpperBoundPct are the one-sided bounds at the rule's alpha that decided:
	// a regression is a shift surely above the threshold (LowerBoundPct > threshold), an
	// improvement one surely below minus the threshold.
	LowerBoundPct float64 `json:"lower_bound_pct"`
	UpperBoundPct float64 `json:"upper_bound_pct"`
	PValue        float64 `json:"p_value"`
	Verdict       Verdict `json:"verdict"`
	Method        string  `json:"method"`
	NHead         int     `json:"n_head"`
	NBase         int     `json:"n_base"`
	// Paired is set when head and base were compared round by round (the same run's interleaved
	// rounds), so drift common to a round cancels.
	Paired bool `json:"paired,omitempty"`
	// Gate is set on the comparisons that decide the overall verdict; the others inform.
	Gate     bool      `json:"gate,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// Budget verdicts.
const (
	BudgetWithin    = "within"
	BudgetExceeded  = "exceeded"
	BudgetUncertain = "uncertain" // the median is over, but its 95% interval reaches under
)

// BudgetCheck is the head's standing against one budget: the release gate.
type BudgetCheck struct {
	Metric  string  `json:"metric"` // init_ms, cold_ms, duration_ms, max_memory_mb, optionally _p90/_p99
	Budget  float64 `json:"budget"`
	Value   float64 `json:"value"`
	CILow   float64 `json:"ci_low,omitempty"`
	CIHigh  float64 `json:"ci_high,omitempty"`
	Verdict string  `json:"verdict"`
	// Function is whose head was checked, in a run of several functions.
	Function string `json:"function,omitempty"`
}

// BudgetsExceeded reports whether any budget is exceeded.
func BudgetsExceeded(cs []BudgetCheck) bool {
	for _, c := range cs {
		if c.Verdict == BudgetExceeded {
			return true
		}
	}
	return false
}

package stats

import "github.com/coldbench/coldbench/pkg/results"

// Worse returns the graver of two verdicts, as the gate ranks them: unavailable and not compared
// (a gate that could not be tested leaves nothing the others say standing), regression,
// improvement, inconclusive, none.
func Worse(a, b results.Verdict) results.Verdict {
	if b.Gravity() > a.Gravity() {
		return b
	}
	return a
}

package stats

import "github.com/coldbench/coldbench/pkg/results"

// Worse returns the graver of two verdicts, as the gate ranks them: unavailable and not compared
// (a gate that could not be tested leaves nothing the others say standing), regression,
// improvement, inconclusive, none.
func Worse(a, b results.Verdict) results.Verdict {
	rank := map[results.Verdict]int{NoChange: 0, Inconclusive: 1, Improvement: 2, Regression: 3, results.NotCompared: 4, results.Unavailable: 5}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

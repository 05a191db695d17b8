package stats

import "github.com/coldbench/coldbench/pkg/results"

// Worse returns the graver of two verdicts, as the gate ranks them: regression, improvement,
// inconclusive, none.
func Worse(a, b results.Verdict) results.Verdict {
	rank := map[results.Verdict]int{NoChange: 0, Inconclusive: 1, Improvement: 2, Regression: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// LambdaLine describes where a mode aws run sampled: region, architecture, memory, copies and
// each variant's runtime.
func LambdaLine(l *results.LambdaEnv) string {
	var rts []string
	for _, name := range slices.Sorted(maps.Keys(l.Runtimes)) {
		rts = append(rts, name+" "+l.Runtimes[name])
	}
	s := fmt.Sprintf("AWS Lambda %s, %s, %d MB, %d function(s) per variant at once; runtimes: %s",
		l.Region, l.Arch, l.MemoryMB, l.Copies, strings.Join(rts, ", "))
	if l.S3Bucket != "" {
		s += "; large zips deployed through s3://" + l.S3Bucket
	}
	return s
}

// CostLine is what a mode aws run cost: estimated before sampling and counted after.
func CostLine(c *results.Cost) string {
	s := fmt.Sprintf("cost: %d invokes, %.2f GB-s of init and %.2f GB-s of invoke, %s (estimated before: %d invokes, %.2f GB-s, %s; at most %.0f GB-s) at $%.10f per GB-s and $%.2f per million requests, arm64 %s",
		c.Requests, c.InitGBs, c.InvokeGBs, USD(c.USD), c.EstimatedRequests, c.EstimatedGBs, USD(c.EstimatedUSD), c.WorstGBs, c.PricePerGBs, c.PricePerMillion, c.Region)
	if c.PriceNote != "" {
		s += " (" + c.PriceNote + ")"
	}
	return s
}

// lambdaHTML is the HTML report's environment line of a mode aws run ("" for a local one).
func lambdaHTML(r *results.Results) string {
	if r.Environment.Lambda == nil {
		return ""
	}
	s := LambdaLine(r.Environment.Lambda)
	if r.Cost != nil {
		s += "; " + CostLine(r.Cost)
	}
	return s
}

// USD is an amount of dollars with the precision a small one needs ($0.000027, $1.25).
func USD(v float64) string {
	if v < 0.01 {
		return fmt.Sprintf("$%.6f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

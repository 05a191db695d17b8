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
	s := fmt.Sprintf("cost: %d invokes, %.2f GB-s of init + %.2f GB-s of invoke = $%.4f (estimated before: %d invokes, %.2f GB-s, $%.4f; at most %.0f GB-s) at $%.10f per GB-s and $%.2f per million requests, arm64 %s",
		c.Requests, c.InitGBs, c.InvokeGBs, c.USD, c.EstimatedRequests, c.EstimatedGBs, c.EstimatedUSD, c.WorstGBs, c.PricePerGBs, c.PricePerMillion, c.Region)
	if c.PriceNote != "" {
		s += " (" + c.PriceNote + ")"
	}
	return s
}

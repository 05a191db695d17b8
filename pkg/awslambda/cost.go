package awslambda

import (
	"cmp"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// Lambda's arm64 on-demand prices (USD, first pricing tier), from its pricing page: per
// GB-second of billed duration (init included since August 2025) and per million requests.
// Regions not listed are priced as us-east-1 and say so.
var arm64Prices = map[string][2]float64{
	"us-east-1":      {0.0000133334, 0.20},
	"us-east-2":      {0.0000133334, 0.20},
	"us-west-2":      {0.0000133334, 0.20},
	"eu-west-1":      {0.0000133334, 0.20},
	"eu-central-1":   {0.0000133334, 0.20},
	"ap-southeast-1": {0.0000133334, 0.20},
	"ap-northeast-1": {0.0000133334, 0.20},
}

// Price is the region's arm64 price per GB-second and per million requests, with a note when
// the region is not in the table.
func Price(region string) (perGBs, perMillion float64, note string) {
	if p, ok := arm64Prices[region]; ok {
		return p[0], p[1], ""
	}
	p := arm64Prices["us-east-1"]
	return p[0], p[1], "priced as us-east-1: coldbench has no price for " + cmp.Or(region, "this region")
}

// typicalColdMs is what a cold start of a runtime is expected to bill, for the estimate: the
// lambda-perf medians of 2026-08-22 (arm64, zip, hello world) plus 100 ms of invoke; 400 ms for
// runtimes it does not list.
func typicalColdMs(lambdaRuntime string) float64 {
	switch {
	case lambdaRuntime == "" || strings.HasPrefix(lambdaRuntime, "provided"):
		return 43.4 + 100 // Go's; Rust's is lower, a bundled runtime's higher
	case strings.HasPrefix(lambdaRuntime, "nodejs"):
		return 130.2 + 100
	case strings.HasPrefix(lambdaRuntime, "python"):
		return 80.7 + 100
	}
	return 400
}

// Estimate is the run's cost before sampling: rounds cold starts of every variant, each with
// its warm invokes.
func (r *Runner) Estimate(variants []sampling.Variant, rounds int) *results.Cost {
	perGBs, perM, note := Price(r.cfg.Region)
	c := &results.Cost{Region: r.cfg.Region, PricePerGBs: perGBs, PricePerMillion: perM, PriceNote: note}
	for _, v := range variants {
		gb := float64(r.memoryMB(v)) / 1024
		timeout := cmp.Or(v.Timeout, r.cfg.Timeout).Seconds()
		c.EstimatedRequests += rounds * (1 + r.cfg.WarmInvokes)
		c.EstimatedGBs += float64(rounds) * gb * (typicalColdMs(v.LambdaRuntime) + float64(r.cfg.WarmInvokes)*10) / 1000
		c.WorstGBs += float64(rounds) * gb * (10 + timeout*float64(1+r.cfg.WarmInvokes))
	}
	c.EstimatedUSD = c.EstimatedGBs*perGBs + float64(c.EstimatedRequests)/1e6*perM
	return c
}

// Count fills in what the run was billed for so far.
func (r *Runner) Count(c *results.Cost) {
	r.mu.Lock()
	u := r.usage
	r.mu.Unlock()
	c.Requests, c.InitGBs, c.InvokeGBs, c.APICalls = u.invokes, u.initGBs, u.invokeGBs, u.apiCalls
	c.USD = (u.initGBs+u.invokeGBs)*c.PricePerGBs + float64(u.invokes)/1e6*c.PricePerMillion
}

// Describe is the environment section's Lambda: region, architecture, memory, copies and each
// variant's runtime.
func (r *Runner) Describe(variants []sampling.Variant) *results.LambdaEnv {
	e := &results.LambdaEnv{Region: r.cfg.Region, Arch: r.cfg.Arch, MemoryMB: r.cfg.MemoryMB, Copies: r.cfg.Copies, Runtimes: map[string]string{}}
	for _, v := range variants {
		e.Runtimes[v.Name] = cmp.Or(v.LambdaRuntime, "provided.al2023")
	}
	r.mu.Lock()
	if len(r.objects) > 0 {
		e.S3Bucket = r.cfg.Bucket
	}
	r.mu.Unlock()
	return e
}

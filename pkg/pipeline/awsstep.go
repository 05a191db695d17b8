package pipeline

import (
	"context"
	"fmt"

	"github.com/coldbench/coldbench/pkg/awslambda"
	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// Checker is a Samplers that can tell, before anything is built, whether it will be able to
// sample (mode aws: the region, the credentials, the role, the bucket).
type Checker interface {
	Check(ctx context.Context, cfg config.Config) error
}

// Describer is a sampler that says where it sampled and what it cost (mode aws).
type Describer interface {
	Describe(variants []sampling.Variant) *results.LambdaEnv
	Estimate(variants []sampling.Variant, rounds int) *results.Cost
	Count(c *results.Cost)
}

// Check checks mode aws's region, credentials (sts GetCallerIdentity), role and bucket.
func (b Backends) Check(ctx context.Context, cfg config.Config) error {
	if cfg.Mode != config.ModeAWS {
		return nil
	}
	c, err := awslambda.NewClients(ctx, cfg.AWSRegion, cfg.AWSEndpoint)
	if err != nil {
		return badInput(fmt.Errorf("mode aws: %w", err))
	}
	id, err := c.Check(ctx, cfg.AWSRoleARN, cfg.AWSBucket)
	if err != nil {
		return badInput(err)
	}
	b.Log("mode aws: %s in %s as %s", cfg.AWSRoleARN, c.Region, id.ARN)
	return nil
}

// lambda starts the Lambda sampler with every variant deployed.
func (b Backends) lambda(ctx context.Context, s SamplerSpec) (sampling.Sampler, func(), error) {
	cfg, run := s.Config, s.Function
	c, err := awslambda.NewClients(ctx, cfg.AWSRegion, cfg.AWSEndpoint)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("mode aws: %w", err))
	}
	r, err := awslambda.New(awslambda.Config{Client: c.Lambda, Logs: c.Logs, S3: c.S3, Bucket: cfg.AWSBucket, Region: c.Region,
		RoleARN: cfg.AWSRoleARN, MemoryMB: run.MemoryMB, Timeout: run.Timeout, Arch: build.ArchARM64, Event: s.Event,
		EphemeralMB: run.EphemeralMB, WarmInvokes: cfg.WarmInvokes, Copies: cfg.AWSCopies, Logf: b.warn()})
	if err != nil {
		return nil, nil, badInput(err)
	}
	copies := max(cfg.AWSCopies, 1)
	b.Log("deploying %d functions to Lambda (%d variants x %d)", len(s.Variants)*copies, len(s.Variants), copies)
	if err := r.Deploy(ctx, s.Variants); err != nil {
		_ = r.Close(ctx)
		return nil, nil, badInput(err)
	}
	return r, func() { _ = r.Close(ctx) }, nil
}

// describeLambda puts where a Lambda sampler sampled in the results' environment, and its
// cost estimate, said before sampling.
func (p *Pipeline) describeLambda(res *results.Results, s sampling.Sampler, variants []sampling.Variant, rounds int) Describer {
	d, ok := s.(Describer)
	if !ok {
		return nil
	}
	res.Environment.Lambda = d.Describe(variants)
	res.Environment.CPU, res.Environment.Cores, res.Environment.Kernel = "", 0, ""
	res.Environment.Arch = res.Environment.Lambda.Arch
	res.Config.OutboundDelayMs = 0 // Lambda cannot reach coldbench's delayed endpoint
	for _, v := range variants {
		if isReference(res, v.Name) {
			res.Environment.Limits.Notes = append(res.Environment.Limits.Notes, "the references make no outbound call on Lambda (coldbench's delayed endpoint is on this machine's loopback): their invoke times lack the call they make locally")
			break
		}
	}
	res.Cost = d.Estimate(variants, rounds)
	c := res.Cost
	p.log.printf("mode aws: %d rounds at most: about %d invokes, %.1f GB-s (at worst %.0f GB-s), ~$%.6f at $%.10f per GB-s arm64 in %s%s",
		rounds, c.EstimatedRequests, c.EstimatedGBs, c.WorstGBs, c.EstimatedUSD, c.PricePerGBs, c.Region, noteOf(c.PriceNote))
	return d
}

// countLambda fills in what the run was billed for.
func (p *Pipeline) countLambda(res *results.Results, d Describer) {
	if d == nil || res.Cost == nil {
		return
	}
	d.Count(res.Cost)
	c := res.Cost
	p.log.printf("mode aws: %d invokes, %.2f GB-s of init and %.2f GB-s of invoke, $%.6f; %d control-plane calls",
		c.Requests, c.InitGBs, c.InvokeGBs, c.USD, c.APICalls)
}

func noteOf(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func (b Backends) warn() func(format string, args ...any) {
	if b.Warn != nil {
		return b.Warn
	}
	return b.Log
}

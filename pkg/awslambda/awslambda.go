// Package awslambda takes cold-start samples on real AWS Lambda: it deploys each variant's zip as a
// provided.al2023 function, forces a new execution environment before every sample by changing
// its configuration, invokes it with the log tail, and reads Init Duration, Duration and Max
// Memory Used from the REPORT line, as Lambda itself measures them. It implements
// sampling.Sampler; Close deletes the functions, whatever happened.
package awslambda

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// Config holds what a run on Lambda needs.
type Config struct {
	Client *lambda.Client
	// RoleARN is the execution role the functions run with (it needs no permissions beyond
	// writing logs).
	RoleARN  string
	MemoryMB int
	Timeout  time.Duration
	Arch     string // "arm64" or "x86_64"
	Event    []byte
	// Prefix starts every function name, so leftovers are easy to find; "coldbench-" by default.
	Prefix string
	// WaitMin and WaitMax bound the polling of function state (1 s and 5 s by default).
	WaitMin, WaitMax time.Duration
}

// Runner samples variants on Lambda. Deploy them first; Close deletes them.
type Runner struct {
	cfg     Config
	fns     map[string]*function // by variant name
	samples int                  // taken so far: each forces a new environment with a new value
}

// New validates cfg.
func New(cfg Config) (*Runner, error) {
	var problems []string
	if cfg.Client == nil {
		problems = append(problems, "no Lambda client")
	}
	if !strings.HasPrefix(cfg.RoleARN, "arn:") {
		problems = append(problems, fmt.Sprintf("execution role %q: want the role's ARN (arn:aws:iam::ACCOUNT:role/NAME)", cfg.RoleARN))
	}
	if cfg.MemoryMB < config.MinMemoryMB || cfg.MemoryMB > config.MaxMemoryMB {
		problems = append(problems, fmt.Sprintf("memory %d MB: Lambda allows %d to %d", cfg.MemoryMB, config.MinMemoryMB, config.MaxMemoryMB))
	}
	if cfg.Arch != "arm64" && cfg.Arch != "x86_64" {
		problems = append(problems, fmt.Sprintf("arch %q: valid values are arm64, x86_64", cfg.Arch))
	}
	if len(problems) > 0 {
		return nil, errors.New("aws: " + strings.Join(problems, "; "))
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = config.DefaultTimeout
	}
	if cfg.Event == nil {
		cfg.Event = []byte("{}")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "coldbench-"
	}
	if cfg.WaitMin == 0 {
		cfg.WaitMin = time.Second
	}
	if cfg.WaitMax == 0 {
		cfg.WaitMax = 5 * time.Second
	}
	return &Runner{cfg: cfg, fns: map[string]*function{}}, nil
}

// NewClient is a Lambda client with coldbench's own credentials (environment, profile, or the
// job's OIDC role): they sign API calls and are never passed to builds or handlers. endpoint,
// when set, replaces Lambda's (a test server, a local emulator).
func NewClient(ctx context.Context, region, endpoint string) (*lambda.Client, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("no region: set --aws-region or AWS_REGION")
	}
	return lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// Limits describes what Lambda enforces: everything, by definition.
func (r *Runner) Limits() results.Limits {
	return results.Limits{Cgroup: "lambda", Memory: true, CPU: true, MemorySource: "lambda REPORT", PageCacheEviction: true,
		Notes: []string{"measured on AWS Lambda (" + r.cfg.Arch + "): Init Duration, Duration and Max Memory Used from each REPORT line"}}
}

type function struct {
	name string
	env  map[string]string
	err  error
}

// Deploy creates a function for every variant and waits until each is active. A variant that
// fails to deploy is not an error: its samples fail with the reason.
func (r *Runner) Deploy(ctx context.Context, variants []sampling.Variant) {
	suffix := randomHex(4)
	for _, v := range variants {
		f := r.deploy(ctx, v, r.cfg.Prefix+config.FunctionName(v.Name, 40)+"-"+suffix)
		r.fns[v.Name] = &f
	}
}

// Close deletes the functions, even when ctx is done.
func (r *Runner) Close(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for _, f := range r.fns {
		if f.err == nil {
			_, _ = r.cfg.Client.DeleteFunction(cctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(f.name)})
		}
	}
	clear(r.fns)
}

// Sample takes one cold sample of a deployed variant.
func (r *Runner) Sample(ctx context.Context, v sampling.Variant) results.Sample {
	f, ok := r.fns[v.Name]
	switch {
	case !ok:
		return results.Sample{Variant: v.Name, Error: &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: "not deployed"}}
	case f.err != nil:
		return results.Sample{Variant: v.Name, Error: &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: f.err.Error()}}
	}
	r.samples++
	return r.sample(ctx, v.Name, f)
}

// deploy creates the function and waits until it is active.
//
// API docs: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
func (r *Runner) deploy(ctx context.Context, v sampling.Variant, name string) function {
	f := function{name: name, env: map[string]string{}}
	for k, val := range v.Env {
		f.env[k] = val
	}
	zip, err := os.ReadFile(v.Artifact)
	if err != nil {
		f.err = fmt.Errorf("read artifact: %w", err)
		return f
	}
	handler := v.Handler
	if handler == "" {
		handler = "bootstrap"
	}
	f.env["COLDBENCH_SAMPLE"] = "0"
	_, err = r.cfg.Client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Role:          aws.String(r.cfg.RoleARN),
		Runtime:       types.Runtime(cmp.Or(v.LambdaRuntime, string(types.RuntimeProvidedal2023))),
		Handler:       aws.String(handler),
		Code:          &types.FunctionCode{ZipFile: zip},
		Architectures: []types.Architecture{types.Architecture(r.cfg.Arch)},
		MemorySize:    aws.Int32(int32(cmp.Or(v.MemoryMB, r.cfg.MemoryMB))), // the variant's own, or the run's
		Timeout:       aws.Int32(int32(cmp.Or(v.Timeout, r.cfg.Timeout).Seconds())),
		Environment:   &types.Environment{Variables: f.env},
		Description:   aws.String("coldbench cold-start sample (deleted after the run)"),
		Tags:          map[string]string{"created-by": "coldbench"},
	})
	if err != nil {
		f.err = fmt.Errorf("create function %s: %w", name, err)
		return f
	}
	w := lambda.NewFunctionActiveV2Waiter(r.cfg.Client, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = r.cfg.WaitMin, r.cfg.WaitMax
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 5*time.Minute); err != nil {
		f.err = fmt.Errorf("function %s did not become active: %w", name, err)
	}
	return f
}

// sample forces a cold start (a configuration change retires every warm environment), invokes
// once with the log tail, and reads Lambda's own REPORT line.
//
// API docs: https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
// and https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
func (r *Runner) sample(ctx context.Context, variant string, f *function) results.Sample {
	s := results.Sample{Variant: variant}
	fail := func(typ string, phase results.Phase, reason string) results.Sample {
		s.Error = &results.SampleError{Type: typ, Phase: phase, Reason: reason}
		return s
	}
	f.env["COLDBENCH_SAMPLE"] = strconv.Itoa(r.samples)
	if _, err := r.cfg.Client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(f.name),
		Environment:  &types.Environment{Variables: f.env},
	}); err != nil {
		return fail(results.ErrTypeSetup, results.PhaseSetup, "force a cold start: "+err.Error())
	}
	w := lambda.NewFunctionUpdatedV2Waiter(r.cfg.Client, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = r.cfg.WaitMin, r.cfg.WaitMax
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.name)}, 5*time.Minute); err != nil {
		return fail(results.ErrTypeSetup, results.PhaseSetup, "wait for the update: "+err.Error())
	}
	out, err := r.cfg.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(f.name),
		Payload:      r.cfg.Event,
		LogType:      types.LogTypeTail,
	})
	if err != nil {
		return fail(results.ErrTypeSetup, results.PhaseSetup, "invoke: "+err.Error())
	}
	logs := ""
	if out.LogResult != nil {
		b, _ := base64.StdEncoding.DecodeString(*out.LogResult)
		logs = string(b)
	}
	rep, ok := ParseReport(logs)
	if !ok {
		return fail(results.ErrTypeSetup, results.PhaseSetup, "no REPORT line in the log tail")
	}
	s.DurationMs, s.MaxMemoryMB = rep.DurationMs, rep.MaxMemoryMB
	if rep.InitMs == 0 {
		// Not a cold start at all: no init to count (an init of 0 would read as a fast one).
		return fail(results.ErrTypeSetup, results.PhaseSetup, "the invocation was warm (no Init Duration): the configuration change did not retire the environment")
	}
	s.InitMs = rep.InitMs
	s.ColdMs = rep.InitMs + rep.DurationMs
	if out.FunctionError != nil {
		var doc struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Payload, &doc)
		typ := doc.ErrorType
		if rep.ErrorType != "" {
			typ = rep.ErrorType
		}
		if typ == "" {
			typ = *out.FunctionError
		}
		phase := results.PhaseInvoke
		if rep.ErrorType == "Runtime.ExitError" && rep.DurationMs == 0 {
			phase = results.PhaseInit
		}
		s.Error = &results.SampleError{Type: typ, Phase: phase, Reason: strings.TrimSpace(doc.ErrorMessage)}
		s.Output = tail(logs, 4096)
		return s
	}
	if len(out.Payload) <= 1024 {
		s.Response = string(out.Payload)
	}
	return s
}

// Report is what a Lambda REPORT line says.
type Report struct {
	DurationMs, InitMs, MaxMemoryMB float64
	ErrorType                       string
}

var (
	reDuration = regexp.MustCompile(`\tDuration: ([0-9.]+) ms`)
	reInit     = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
	reMemory   = regexp.MustCompile(`Max Memory Used: ([0-9]+) MB`)
	reErrType  = regexp.MustCompile(`Error Type: (\S+)`)
)

// ParseReport reads the REPORT line of a log tail, e.g.
//
//	REPORT RequestId: 3f5e...	Duration: 1.81 ms	Billed Duration: 38 ms	Memory Size: 128 MB	Max Memory Used: 19 MB	Init Duration: 35.62 ms
//
// (https://docs.aws.amazon.com/lambda/latest/dg/golang-logging.html). ok is false without one.
func ParseReport(logs string) (Report, bool) {
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.HasPrefix(l, "REPORT ") {
			line = l
		}
	}
	if line == "" {
		return Report{}, false
	}
	var r Report
	num := func(re *regexp.Regexp) float64 {
		if m := re.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
		return 0
	}
	r.DurationMs, r.InitMs, r.MaxMemoryMB = num(reDuration), num(reInit), num(reMemory)
	if m := reErrType.FindStringSubmatch(line); m != nil {
		r.ErrorType = m[1]
	}
	return r, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

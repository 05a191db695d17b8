// Package awslambda takes cold-start samples on real AWS Lambda: it deploys each variant's zip as a
// provided.al2023 function, forces a new execution environment before every sample by changing
// its configuration, invokes it with the log tail, and reads Init Duration, Duration and Max
// Memory Used from the REPORT line, as Lambda itself measures them. Functions are deleted after
// the run, whatever happens.
package awslambda

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/coldbench/coldbench/pkg/runner"
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
	Seed     uint64
	// Prefix starts every function name, so leftovers are easy to find; "coldbench-" by default.
	Prefix string
	// WaitMin and WaitMax bound the polling of function state (1 s and 5 s by default).
	WaitMin, WaitMax time.Duration
	Progress         func(done, total int, s runner.Sample)
}

// Runner samples variants on Lambda.
type Runner struct {
	cfg    Config
	rng    *mrand.Rand
	rounds int
	seqs   int
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
	if cfg.MemoryMB < runner.MinMemoryMB || cfg.MemoryMB > runner.MaxMemoryMB {
		problems = append(problems, fmt.Sprintf("memory %d MB: Lambda allows %d to %d", cfg.MemoryMB, runner.MinMemoryMB, runner.MaxMemoryMB))
	}
	if cfg.Arch != "arm64" && cfg.Arch != "x86_64" {
		problems = append(problems, fmt.Sprintf("arch %q: valid values are arm64, x86_64", cfg.Arch))
	}
	if len(problems) > 0 {
		return nil, errors.New("aws: " + strings.Join(problems, "; "))
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = runner.DefaultTimeout
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
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	return &Runner{cfg: cfg, rng: mrand.New(mrand.NewPCG(cfg.Seed, 0x61777321))}, nil
}

// Limits describes what Lambda enforces: everything, by definition.
func (r *Runner) Limits() runner.Limits {
	return runner.Limits{Cgroup: "lambda", Memory: true, CPU: true, MemorySource: "lambda REPORT", PageCacheEviction: true,
		Notes: []string{"measured on AWS Lambda (" + r.cfg.Arch + "): Init Duration, Duration and Max Memory Used from each REPORT line"}}
}

type function struct {
	name string
	env  map[string]string
	err  error
}

// Run deploys every variant, takes n cold samples of each in randomized interleaved rounds, and
// deletes the functions. A variant that fails to deploy yields failed samples, never a lost run.
func (r *Runner) Run(ctx context.Context, variants []runner.Variant, n int) (*runner.Result, error) {
	res := &runner.Result{Limits: r.Limits(), Seed: r.cfg.Seed, MemoryMB: r.cfg.MemoryMB, Started: time.Now()}
	fns := make([]function, len(variants))
	suffix := randomHex(4)
	for i, v := range variants {
		fns[i] = r.deploy(ctx, v, r.cfg.Prefix+runner.FunctionName(v.Name, 40)+"-"+suffix)
	}
	defer func() {
		// Deleting must happen even when ctx is done.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, f := range fns {
			if f.err == nil {
				_, _ = r.cfg.Client.DeleteFunction(cctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(f.name)})
			}
		}
	}()
	total := n * len(variants)
	for round := 0; round < n; round++ {
		for _, i := range r.rng.Perm(len(variants)) {
			if err := ctx.Err(); err != nil {
				res.Finished = time.Now()
				return res, err
			}
			var s runner.Sample
			if fns[i].err != nil {
				s = runner.Sample{Variant: variants[i].Name, Error: &runner.SampleError{Type: runner.ErrTypeSetup, Phase: "setup", Reason: fns[i].err.Error()}}
			} else {
				s = r.sample(ctx, variants[i].Name, &fns[i])
			}
			s.Index, s.Seq = r.rounds+round, r.seqs
			r.seqs++
			res.Samples = append(res.Samples, s)
			if r.cfg.Progress != nil {
				r.cfg.Progress(len(res.Samples), total, s)
			}
		}
	}
	r.rounds += n
	res.Finished = time.Now()
	return res, nil
}

// deploy creates the function and waits until it is active.
//
// API docs: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
func (r *Runner) deploy(ctx context.Context, v runner.Variant, name string) function {
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
		Runtime:       types.RuntimeProvidedal2023,
		Handler:       aws.String(handler),
		Code:          &types.FunctionCode{ZipFile: zip},
		Architectures: []types.Architecture{types.Architecture(r.cfg.Arch)},
		MemorySize:    aws.Int32(int32(r.cfg.MemoryMB)),
		Timeout:       aws.Int32(int32(r.cfg.Timeout.Seconds())),
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
func (r *Runner) sample(ctx context.Context, variant string, f *function) runner.Sample {
	s := runner.Sample{Variant: variant}
	fail := func(typ, phase, reason string) runner.Sample {
		s.Error = &runner.SampleError{Type: typ, Phase: phase, Reason: reason}
		return s
	}
	f.env["COLDBENCH_SAMPLE"] = strconv.Itoa(r.seqs + 1)
	if _, err := r.cfg.Client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(f.name),
		Environment:  &types.Environment{Variables: f.env},
	}); err != nil {
		return fail(runner.ErrTypeSetup, "setup", "force a cold start: "+err.Error())
	}
	w := lambda.NewFunctionUpdatedV2Waiter(r.cfg.Client, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = r.cfg.WaitMin, r.cfg.WaitMax
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.name)}, 5*time.Minute); err != nil {
		return fail(runner.ErrTypeSetup, "setup", "wait for the update: "+err.Error())
	}
	out, err := r.cfg.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(f.name),
		Payload:      r.cfg.Event,
		LogType:      types.LogTypeTail,
	})
	if err != nil {
		return fail(runner.ErrTypeSetup, "invoke", "invoke: "+err.Error())
	}
	logs := ""
	if out.LogResult != nil {
		b, _ := base64.StdEncoding.DecodeString(*out.LogResult)
		logs = string(b)
	}
	rep, ok := ParseReport(logs)
	if !ok {
		return fail(runner.ErrTypeSetup, "invoke", "no REPORT line in the log tail")
	}
	s.DurationMs, s.MaxMemoryMB = rep.DurationMs, rep.MaxMemoryMB
	if rep.InitMs == 0 {
		return fail(runner.ErrTypeSetup, "invoke", "the invocation was warm (no Init Duration): the configuration change did not retire the environment")
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
		phase := "invoke"
		if rep.ErrorType == "Runtime.ExitError" && rep.DurationMs == 0 {
			phase = "init"
		}
		s.Error = &runner.SampleError{Type: typ, Phase: phase, Reason: strings.TrimSpace(doc.ErrorMessage)}
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

// Package awslambda takes cold-start samples on real AWS Lambda: it deploys each variant's zip
// (directly, or through S3 when it is over the direct-upload limit) as K functions, forces a new
// execution environment before every sample by changing the function's configuration, invokes it
// with the log tail, and reads the cold start as Lambda reports it (FunctionError, INIT_REPORT
// and REPORT lines). It implements sampling.Sampler and sampling.WaveSampler (the K copies of
// every variant sampled at once). Every function is remembered before CreateFunction is sent, and
// Close deletes them all, with their log groups and uploaded zips, whatever happened.
package awslambda

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// Config holds what a run on Lambda needs.
type Config struct {
	Client *lambda.Client
	// Logs, when set, deletes each function's log group (/aws/lambda/NAME) at Close.
	Logs *cloudwatchlogs.Client
	// S3 and Bucket deploy zips over DirectUploadLimit through S3 (PutObject, then CreateFunction
	// with S3Bucket/S3Key; the objects are deleted at Close). Without a bucket such a zip is
	// refused before anything is created.
	S3     *s3.Client
	Bucket string
	// Region names where the functions are (the environment section, the price).
	Region string
	// RoleARN is the execution role the functions run with (it needs no permissions beyond
	// writing logs).
	RoleARN  string
	MemoryMB int
	Timeout  time.Duration
	Arch     string // "arm64" or "x86_64"
	Event    []byte
	// EphemeralMB is /tmp's size (0: Lambda's default, 512 MB); a variant's own wins.
	EphemeralMB int
	// WarmInvokes is how many warm invokes follow each cold one (their Durations are WarmMs).
	WarmInvokes int
	// Copies is how many functions of each variant are sampled concurrently (1 by default).
	Copies int
	// Prefix starts every function name, so leftovers are easy to find; "coldbench-" by default.
	Prefix string
	// WaitMin and WaitMax bound the polling of function state (250 ms and 2 s by default).
	WaitMin, WaitMax time.Duration
	// Logf, when set, is told what Close could not delete.
	Logf func(format string, args ...any)
}

// Runner samples variants on Lambda. Deploy them first; Close deletes them.
type Runner struct {
	cfg Config

	mu      sync.Mutex
	fns     map[string][]*function // by variant name: its copies
	created []string               // every function CreateFunction was sent for, in order
	objects []string               // every S3 key PutObject was sent for
	samples int                    // taken so far: each forces a new environment with a new value
	usage   usage
}

// usage counts what the run was billed for.
type usage struct {
	invokes            int
	initGBs, invokeGBs float64
	apiCalls           int
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
	if cfg.Copies < 0 || cfg.Copies > MaxCopies {
		problems = append(problems, fmt.Sprintf("copies %d: want 1 to %d", cfg.Copies, MaxCopies))
	}
	if cfg.Bucket != "" && cfg.S3 == nil {
		problems = append(problems, "bucket "+cfg.Bucket+" without an S3 client")
	}
	if len(problems) > 0 {
		return nil, errors.New("aws: " + strings.Join(problems, "; "))
	}
	cfg.Timeout = cmp.Or(cfg.Timeout, config.DefaultTimeout)
	if cfg.Event == nil {
		cfg.Event = []byte("{}")
	}
	cfg.Prefix = cmp.Or(cfg.Prefix, "coldbench-")
	cfg.WaitMin = cmp.Or(cfg.WaitMin, 250*time.Millisecond)
	cfg.WaitMax = cmp.Or(cfg.WaitMax, 2*time.Second)
	cfg.Copies = max(cfg.Copies, 1)
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Runner{cfg: cfg, fns: map[string][]*function{}}, nil
}

// MaxCopies bounds the functions per variant: Lambda's control plane allows 15 requests a second
// in all, and every sample is an update.
const MaxCopies = 50

// DirectUploadLimit is the largest CreateFunction request body Lambda takes (its error:
// RequestEntityTooLargeException); a zip travels in it base64-encoded.
const DirectUploadLimit = 69_905_067

// bodyOverhead is what CreateFunction's JSON adds to the encoded zip, generously (names, the
// role, the environment, tags).
const bodyOverhead = 16 << 10

// RequestBytes is the CreateFunction body a zip of n bytes makes when uploaded directly.
func RequestBytes(n int64) int64 { return (n+2)/3*4 + bodyOverhead }

// Limits describes what Lambda enforces: everything, by definition.
func (r *Runner) Limits() results.Limits {
	return results.Limits{Cgroup: "lambda", Memory: true, CPU: true, MemorySource: "lambda REPORT", PageCacheEviction: true,
		CPUShare:  float64(r.cfg.MemoryMB) / config.DefaultMemoryMB, // Lambda's: a vCPU per 1769 MB
		Ephemeral: true, EphemeralMB: cmp.Or(r.cfg.EphemeralMB, config.DefaultEphemeralMB),
		Notes: []string{fmt.Sprintf("measured on AWS Lambda (%s, %s, %d cop%s of each variant sampled at once): the cold start as Lambda reports it (REPORT's Init Duration, Duration and Max Memory Used; INIT_REPORT for failed and suppressed inits)",
			cmp.Or(r.cfg.Region, "region unknown"), r.cfg.Arch, r.cfg.Copies, plural(r.cfg.Copies, "y", "ies"))}}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type function struct {
	name    string
	env     map[string]string
	err     error
	variant sampling.Variant
}

// Deploy creates Copies functions for every variant and waits until each is active. A variant
// that fails to deploy is not an error: its samples fail with the reason. The error is a zip
// over the direct-upload limit without a bucket, found before anything is created.
func (r *Runner) Deploy(ctx context.Context, variants []sampling.Variant) error {
	var problems []string
	for _, v := range variants {
		st, err := os.Stat(v.Artifact)
		if err != nil {
			continue // the variant's samples say so
		}
		if n := RequestBytes(st.Size()); n > DirectUploadLimit && r.cfg.Bucket == "" {
			problems = append(problems, fmt.Sprintf("%s: its %.1f MB zip makes a %d-byte CreateFunction request, over Lambda's %d-byte limit: give --aws-s3-bucket (a bucket in the region, which coldbench uploads the zip to and deletes it from after the run), or leave %s out",
				v.Name, float64(st.Size())/(1<<20), n, DirectUploadLimit, v.Name))
		}
	}
	if len(problems) > 0 {
		return errors.New("mode aws: " + strings.Join(problems, "; "))
	}
	suffix := randomHex(4)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // CreateFunction and its waiter, a few at a time
	for _, v := range variants {
		code, err := r.code(ctx, v, suffix)
		copies := make([]*function, r.cfg.Copies)
		for i := range copies {
			name := r.cfg.Prefix + config.FunctionName(v.Name, 40) + "-" + suffix
			if r.cfg.Copies > 1 {
				name += "-" + strconv.Itoa(i)
			}
			f := &function{name: name, env: map[string]string{}, variant: v, err: err}
			for k, val := range v.Env {
				f.env[k] = val
			}
			copies[i] = f
			if err != nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				f.err = r.deploy(ctx, f, code)
			}()
		}
		r.mu.Lock()
		r.fns[v.Name] = copies
		r.mu.Unlock()
	}
	wg.Wait()
	return nil
}

// code is how a variant's zip reaches CreateFunction: in the request, or as an S3 object it
// uploads (one for all copies).
func (r *Runner) code(ctx context.Context, v sampling.Variant, suffix string) (*types.FunctionCode, error) {
	zip, err := os.ReadFile(v.Artifact)
	if err != nil {
		return nil, fmt.Errorf("read artifact: %w", err)
	}
	if RequestBytes(int64(len(zip))) <= DirectUploadLimit {
		return &types.FunctionCode{ZipFile: zip}, nil
	}
	key := "coldbench/" + config.FunctionName(v.Name, 40) + "-" + suffix + ".zip"
	r.mu.Lock()
	r.objects = append(r.objects, key) // remembered before it is sent
	r.mu.Unlock()
	if err := r.putObject(ctx, key, zip); err != nil {
		return nil, fmt.Errorf("upload the zip to s3://%s/%s: %w", r.cfg.Bucket, key, err)
	}
	return &types.FunctionCode{S3Bucket: aws.String(r.cfg.Bucket), S3Key: aws.String(key)}, nil
}

// uncancelled runs a call that creates something to its end even when ctx is cancelled, so its
// outcome is known and Close can delete what it made.
func uncancelled(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
}

// deploy creates the function and waits until it is active.
//
// API docs: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
func (r *Runner) deploy(ctx context.Context, f *function, code *types.FunctionCode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v := f.variant
	f.env["COLDBENCH_SAMPLE"] = "0"
	in := &lambda.CreateFunctionInput{
		FunctionName:  aws.String(f.name),
		Role:          aws.String(r.cfg.RoleARN),
		Runtime:       types.Runtime(cmp.Or(v.LambdaRuntime, string(types.RuntimeProvidedal2023))),
		Handler:       aws.String(cmp.Or(v.Handler, "bootstrap")),
		Code:          code,
		Architectures: []types.Architecture{types.Architecture(r.cfg.Arch)},
		MemorySize:    aws.Int32(int32(r.memoryMB(v))), // the variant's own, or the run's
		Timeout:       aws.Int32(int32(cmp.Or(v.Timeout, r.cfg.Timeout).Seconds())),
		Environment:   &types.Environment{Variables: maps(f.env)},
		Description:   aws.String("coldbench cold-start sample (deleted after the run)"),
		Tags:          map[string]string{"created-by": "coldbench"},
	}
	if mb := cmp.Or(v.EphemeralMB, r.cfg.EphemeralMB); mb > 0 {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(int32(mb))}
	}
	r.mu.Lock()
	r.created = append(r.created, f.name) // remembered before it is sent
	r.usage.apiCalls++
	r.mu.Unlock()
	cctx, cancel := uncancelled(ctx)
	_, err := r.cfg.Client.CreateFunction(cctx, in)
	cancel()
	if err != nil {
		return fmt.Errorf("create function %s: %w", f.name, err)
	}
	w := lambda.NewFunctionActiveV2Waiter(r.cfg.Client, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = r.cfg.WaitMin, r.cfg.WaitMax
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.name)}, 5*time.Minute); err != nil {
		return fmt.Errorf("function %s did not become active: %w", f.name, err)
	}
	return nil
}

func (r *Runner) memoryMB(v sampling.Variant) int { return cmp.Or(v.MemoryMB, r.cfg.MemoryMB) }

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Close deletes every function CreateFunction was sent for, whatever its state (one already
// gone is fine), its log group and the uploaded zips, even when ctx is done. It says what it could
// not delete, and returns it as the error.
func (r *Runner) Close(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancel()
	r.mu.Lock()
	names, objects := slices.Clone(r.created), slices.Clone(r.objects)
	r.created, r.objects = nil, nil
	clear(r.fns)
	r.mu.Unlock()
	var mu sync.Mutex
	var left []string
	fail := func(what string, err error) {
		mu.Lock()
		left = append(left, fmt.Sprintf("%s (%v)", what, err))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := r.cfg.Client.DeleteFunction(cctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
			var nf *types.ResourceNotFoundException
			if err != nil && !errors.As(err, &nf) {
				fail("function "+name, err)
			}
			if r.cfg.Logs == nil {
				return
			}
			group := "/aws/lambda/" + name
			_, err = r.cfg.Logs.DeleteLogGroup(cctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(group)})
			var lnf *logstypes.ResourceNotFoundException
			if err != nil && !errors.As(err, &lnf) {
				fail("log group "+group, err)
			}
		}()
	}
	for _, key := range objects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.deleteObject(cctx, key); err != nil {
				fail("s3://"+r.cfg.Bucket+"/"+key, err)
			}
		}()
	}
	wg.Wait()
	if len(left) == 0 {
		return nil
	}
	slices.Sort(left)
	err := fmt.Errorf("could not delete %d resource(s); delete them by hand: %s", len(left), strings.Join(left, "; "))
	r.cfg.Logf("mode aws: %v", err)
	return err
}

// Sample takes one cold sample of a deployed variant on its first copy.
func (r *Runner) Sample(ctx context.Context, v sampling.Variant) results.Sample {
	f, s, ok := r.copyOf(v, 0)
	if !ok {
		return s
	}
	return r.sample(ctx, v.Name, f)
}

// Copies is how many functions of each variant sample at once.
func (r *Runner) Copies() int { return r.cfg.Copies }

// SampleWave takes the samples of tasks at once: each variant's tasks are spread over its copies
// (the i-th of a variant on copy i), every copy working through its own in order, all copies of
// all variants concurrently. The samples come back in the order of tasks.
func (r *Runner) SampleWave(ctx context.Context, tasks []sampling.Variant) []results.Sample {
	out := make([]results.Sample, len(tasks))
	perCopy := map[*function][]int{}
	next := map[string]int{}
	var order []*function
	for i, v := range tasks {
		f, s, ok := r.copyOf(v, next[v.Name]%r.cfg.Copies)
		next[v.Name]++
		if !ok {
			out[i] = s
			continue
		}
		if _, seen := perCopy[f]; !seen {
			order = append(order, f)
		}
		perCopy[f] = append(perCopy[f], i)
	}
	var wg sync.WaitGroup
	for _, f := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range perCopy[f] {
				start := time.Now()
				out[i] = r.sample(ctx, tasks[i].Name, f)
				out[i].WallMs = float64(time.Since(start).Microseconds()) / 1000
			}
		}()
	}
	wg.Wait()
	return out
}

// copyOf is copy i of v's functions, or the failed sample that stands for it.
func (r *Runner) copyOf(v sampling.Variant, i int) (*function, results.Sample, bool) {
	r.mu.Lock()
	copies, ok := r.fns[v.Name]
	r.mu.Unlock()
	setup := func(reason string) results.Sample {
		return results.Sample{Variant: v.Name, Error: &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: reason}}
	}
	switch {
	case !ok || i >= len(copies):
		return nil, setup("not deployed"), false
	case copies[i].err != nil:
		return nil, setup(copies[i].err.Error()), false
	}
	return copies[i], results.Sample{}, true
}

// sample forces a cold start (a configuration change retires every warm environment), invokes
// once with the log tail, reads the cold start as Lambda reports it, and makes the warm invokes.
//
// API docs: https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
// and https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
func (r *Runner) sample(ctx context.Context, variant string, f *function) results.Sample {
	fail := func(reason string) results.Sample {
		return results.Sample{Variant: variant, Error: &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: reason}}
	}
	r.mu.Lock()
	r.samples++
	f.env["COLDBENCH_SAMPLE"] = strconv.Itoa(r.samples)
	r.usage.apiCalls += 2 // the update and at least one look
	r.mu.Unlock()
	if _, err := r.cfg.Client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(f.name),
		Environment:  &types.Environment{Variables: maps(f.env)},
	}); err != nil {
		return fail("force a cold start: " + err.Error())
	}
	w := lambda.NewFunctionUpdatedV2Waiter(r.cfg.Client, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = r.cfg.WaitMin, r.cfg.WaitMax
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.name)}, 5*time.Minute); err != nil {
		return fail("wait for the update: " + err.Error())
	}
	out, logs, err := r.invoke(ctx, f)
	if err != nil {
		return fail("invoke: " + err.Error())
	}
	s := Classify(logs, aws.ToString(out.FunctionError), out.Payload)
	s.Variant = variant
	if t := ParseTail(logs); t.HasReport {
		r.bill(f, s.InitMs, t.Report)
	}
	if s.Error != nil {
		return s
	}
	for i := 0; i < r.cfg.WarmInvokes; i++ {
		wout, wlogs, err := r.invoke(ctx, f)
		if err != nil {
			s.Notes = append(s.Notes, fmt.Sprintf("warm invoke %d: %v", i+1, err))
			break
		}
		t := ParseTail(wlogs)
		if !t.HasReport {
			s.Notes = append(s.Notes, fmt.Sprintf("warm invoke %d: no REPORT line", i+1))
			break
		}
		r.bill(f, t.Report.InitMs, t.Report)
		if wout.FunctionError != nil || t.Report.InitMs > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("warm invoke %d was not a warm success (FunctionError %q, Init Duration %.0f ms)", i+1, aws.ToString(wout.FunctionError), t.Report.InitMs))
			break
		}
		s.WarmMs = append(s.WarmMs, t.Report.DurationMs)
	}
	return s
}

// invoke calls the function with the event and returns its decoded log tail.
func (r *Runner) invoke(ctx context.Context, f *function) (*lambda.InvokeOutput, string, error) {
	out, err := r.cfg.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(f.name),
		Payload:      r.cfg.Event,
		LogType:      types.LogTypeTail,
	})
	if err != nil {
		return nil, "", err
	}
	logs := ""
	if out.LogResult != nil {
		b, _ := base64.StdEncoding.DecodeString(*out.LogResult)
		logs = string(b)
	}
	return out, logs, nil
}

// bill counts an invoke and its billed GB-seconds: the init (billed since August 2025 for every
// on-demand function) and the rest of Billed Duration.
func (r *Runner) bill(f *function, initMs float64, rep Report) {
	gb := float64(r.memoryMB(f.variant)) / 1024
	billed := max(rep.BilledMs, initMs+rep.DurationMs)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.usage.invokes++
	r.usage.initGBs += initMs / 1000 * gb
	r.usage.invokeGBs += (billed - initMs) / 1000 * gb
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

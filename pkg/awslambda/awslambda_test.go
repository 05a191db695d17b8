package awslambda

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/internal/fakelambda"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

var testCreds = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

// client is the real SDK client, signed with test credentials, pointed at the fake, retrying
// in the SDK's adaptive mode as NewClients' do.
func client(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  testCreds,
		HTTPClient:   &http.Client{Timeout: time.Minute},
		Retryer: retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = 8 })
		}),
	})
}

func logsClient(url string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: testCreds})
}

func shellZip(t testing.TB) string {
	t.Helper()
	testenv.Tool(t, "bash")
	testenv.Tool(t, "curl")
	out := filepath.Join(t.TempDir(), "shell.zip")
	if _, _, err := build.ZipDir("../runner/testdata/shell", out); err != nil {
		t.Fatal(err)
	}
	return out
}

const testRole = "arn:aws:iam::000000000000:role/coldbench"

func TestRunOnLambda(t *testing.T) {
	t.Parallel()
	fake := fakelambda.New(t)
	art := shellZip(t)
	r, err := New(Config{Client: client(fake.URL), Logs: logsClient(fake.URL), RoleARN: testRole, MemoryMB: 1024, Arch: "arm64",
		WarmInvokes: 2, EphemeralMB: 1024, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	variants := []sampling.Variant{
		{Name: "ok", Artifact: art},
		{Name: "failing", Artifact: art, Env: map[string]string{"TEST_MODE": "error"}},
		{Name: "missing", Artifact: "/nonexistent.zip"},
	}
	ctx := context.Background()
	if err := r.Deploy(ctx, variants); err != nil {
		t.Fatal(err)
	}
	samples, err := sampling.NewScheduler(r, 3).Run(ctx, variants, 3)
	if cerr := r.Close(ctx); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 9 || r.Limits().MemorySource != "lambda REPORT" || r.Limits().EphemeralMB != 1024 {
		t.Fatalf("Run() = %d samples, limits %+v", len(samples), r.Limits())
	}
	for _, s := range samples {
		switch s.Variant {
		case "ok":
			if s.Error != nil || s.InitMs <= 0 || s.DurationMs <= 0 || s.MaxMemoryMB <= 0 || s.ColdMs < s.InitMs || !strings.Contains(s.Response, "echo") || len(s.WarmMs) != 2 {
				t.Errorf("ok sample = %+v, want a cold start and 2 warm invokes", s)
			}
		case "failing":
			if s.Error == nil || s.Error.Type != "HandlerError" || s.Error.Phase != results.PhaseInvoke || s.InitMs <= 0 {
				t.Errorf("failing sample = %+v, want HandlerError with its init measured", s)
			}
		case "missing":
			if s.Error == nil || s.Error.Type != results.ErrTypeSetup || !strings.Contains(s.Error.Reason, "read artifact") {
				t.Errorf("missing sample = %+v", s)
			}
		}
	}
	// Nothing is left behind: functions, nor the log groups their invokes made.
	if left, deleted, groups := fake.Functions(), fake.Deleted(), fake.LogGroups(); len(left) != 0 || len(deleted) != 2 || len(groups) != 0 {
		t.Errorf("functions left %v, deleted %v, log groups left %v; want none left and 2 deleted", left, deleted, groups)
	}
	c := r.Estimate(variants, 3)
	r.Count(c)
	// ok: 3 cold + 6 warm; failing: 3 cold (no warm after a failure).
	if c.Requests != 12 || c.InitGBs <= 0 || c.InvokeGBs <= 0 || c.EstimatedRequests != 27 || c.USD <= 0 || c.WorstGBs < c.EstimatedGBs {
		t.Errorf("cost = %+v", c)
	}
}

// Lambda's failures, as the fake writes their log tails from a real run of the shell runtime:
// each is one failed sample with Lambda's error type and phase, none is read as warm.
func TestFailuresAsLambdaReportsThem(t *testing.T) {
	t.Parallel()
	fake := fakelambda.NewWithOptions(t, fakelambda.Options{InitTimeout: time.Second})
	art := shellZip(t)
	r, err := New(Config{Client: client(fake.URL), Logs: logsClient(fake.URL), RoleARN: testRole, MemoryMB: 512, Arch: "arm64",
		Timeout: time.Second, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		typ   string
		phase results.Phase
		init  bool // an init time is known
	}{
		"exit-init":  {"Runtime.ExitError", results.PhaseInit, true},
		"init-error": {"Runtime.ConfigError", results.PhaseInit, true},
		"hang-init":  {"Sandbox.Timedout", results.PhaseInit, true},
		"error":      {"HandlerError", results.PhaseInvoke, true},
		"hang":       {"Sandbox.Timedout", results.PhaseInvoke, true},
	}
	var variants []sampling.Variant
	for mode := range want {
		variants = append(variants, sampling.Variant{Name: mode, Artifact: art, Env: map[string]string{"TEST_MODE": mode}})
	}
	ctx := context.Background()
	if err := r.Deploy(ctx, variants); err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	for _, v := range variants {
		s := r.Sample(ctx, v)
		w := want[v.Name]
		if s.Error == nil || s.Error.Type != w.typ || s.Error.Phase != w.phase || (s.InitMs > 0) != w.init {
			t.Errorf("%s: sample %+v (error %+v), want %s in %s", v.Name, s, s.Error, w.typ, w.phase)
		}
	}
}

// The shapes of the fake's tails that no shell runtime here can produce on demand (the kernel's
// OOM killer needs a cgroup), read back.
func TestClassifyShapes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		smp   results.Sample
		cold  bool
		typ   string
		phase results.Phase
		init  float64
	}{
		{"oom in invoke", results.Sample{InitMs: 80, DurationMs: 300, MaxMemoryMB: 128, Error: &results.SampleError{Type: "Runtime.OutOfMemory", Phase: results.PhaseInvoke, Reason: "Runtime exited with error: signal: killed"}}, true, "Runtime.OutOfMemory", results.PhaseInvoke, 80},
		{"oom in init", results.Sample{InitMs: 90, MaxMemoryMB: 128, Error: &results.SampleError{Type: "Runtime.OutOfMemory", Phase: results.PhaseInit, Reason: "Runtime exited with error: signal: killed"}}, true, "Runtime.OutOfMemory", results.PhaseInit, 90},
		{"exit in invoke", results.Sample{InitMs: 20, DurationMs: 5, Error: &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInvoke, Reason: "Runtime exited with error: exit status 2"}}, true, "Runtime.ExitError", results.PhaseInvoke, 20},
		{"ok", results.Sample{InitMs: 30, DurationMs: 2, Response: "{}"}, true, "", "", 30},
		{"warm", results.Sample{InitMs: 30, DurationMs: 2, Response: "{}"}, false, ErrTypeWarm, results.PhaseSetup, 0},
	} {
		logs, body, fe := fakelambda.Tail(tt.smp, tt.cold, 128, 3)
		s := Classify(logs, fe, body)
		gotTyp, gotPhase := "", results.Phase("")
		if s.Error != nil {
			gotTyp, gotPhase = s.Error.Type, s.Error.Phase
		}
		if gotTyp != tt.typ || gotPhase != tt.phase || s.InitMs != tt.init {
			t.Errorf("%s: Classify = %s in %s, init %.0f; want %s in %s, init %.0f\n%s", tt.name, gotTyp, gotPhase, s.InitMs, tt.typ, tt.phase, tt.init, logs)
		}
	}
}

// Logs as Lambda writes them (the shapes of cargo-lambda's issue 572 and AWS's docs).
func TestClassifyLambdaLogs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, logs, fe, payload string
		typ                     string
		phase                   results.Phase
		init, dur               float64
	}{
		{"crashed init, retried in the invoke",
			"INIT_START Runtime Version: provided:al2023.v69\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc\n" +
				"thread 'main' panicked at src/main.rs:4:5\n" +
				"INIT_REPORT Init Duration: 38.61 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n" +
				"INIT_REPORT Init Duration: 41.02 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError\n" +
				"START RequestId: 9d0b Version: $LATEST\n" +
				"RequestId: 9d0b Error: Runtime exited with error: exit status 101\nRuntime.ExitError\n" +
				"END RequestId: 9d0b\n" +
				"REPORT RequestId: 9d0b\tDuration: 41.09 ms\tBilled Duration: 42 ms\tMemory Size: 128 MB\tMax Memory Used: 12 MB\tStatus: error\tError Type: Runtime.ExitError\n",
			"Unhandled", `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 9d0b Error: Runtime exited with error: exit status 101"}`,
			"Runtime.ExitError", results.PhaseInit, 38.61, 0.07},
		{"init over 10 s",
			"INIT_REPORT Init Duration: 10009.70 ms\tPhase: init\tStatus: timeout\n" +
				"START RequestId: aa Version: $LATEST\n" +
				"2026-08-22T10:00:13.000Z aa Task timed out after 3.00 seconds\n" +
				"END RequestId: aa\n" +
				"REPORT RequestId: aa\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout\n",
			"Unhandled", `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: aa Error: Task timed out after 3.00 seconds"}`,
			"Sandbox.Timedout", results.PhaseInit, 10009.70, 3000},
		{"suppressed init that succeeded",
			"INIT_REPORT Init Duration: 10008.00 ms\tPhase: init\tStatus: timeout\n" +
				"INIT_REPORT Init Duration: 10500.00 ms\tPhase: invoke\n" +
				"START RequestId: bb Version: $LATEST\nEND RequestId: bb\n" +
				"REPORT RequestId: bb\tDuration: 10520.00 ms\tBilled Duration: 10520 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\n",
			"", `{}`, "Sandbox.Timedout", results.PhaseInit, 10008, 20},
		{"invoke timeout",
			"START RequestId: cc Version: $LATEST\n2026-08-22T10:00:13.000Z cc Task timed out after 3.00 seconds\nEND RequestId: cc\n" +
				"REPORT RequestId: cc\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tInit Duration: 120.00 ms\tStatus: timeout\n",
			"Unhandled", `{"errorType":"Sandbox.Timedout"}`, "Sandbox.Timedout", results.PhaseInvoke, 120, 3000},
		{"handler error",
			"START RequestId: dd Version: $LATEST\nEND RequestId: dd\nREPORT RequestId: dd\tDuration: 2.00 ms\tBilled Duration: 50 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 47.00 ms\n",
			"Unhandled", `{"errorType":"TypeError","errorMessage":"x is undefined"}`, "TypeError", results.PhaseInvoke, 47, 2},
		{"warm",
			"START RequestId: ee Version: $LATEST\nEND RequestId: ee\nREPORT RequestId: ee\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\n",
			"", `{}`, ErrTypeWarm, results.PhaseSetup, 0, 2},
		{"no report", "START only\n", "", "", results.ErrTypeSetup, results.PhaseSetup, 0, 0},
	} {
		s := Classify(tt.logs, tt.fe, []byte(tt.payload))
		if s.Error == nil || s.Error.Type != tt.typ || s.Error.Phase != tt.phase || s.InitMs != tt.init || (tt.dur > 0 && abs(s.DurationMs-tt.dur) > 0.01) {
			t.Errorf("%s: Classify = %+v (error %+v); want %s in %s, init %.2f, duration %.2f", tt.name, s, s.Error, tt.typ, tt.phase, tt.init, tt.dur)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// A zip whose CreateFunction body would be over Lambda's limit (Bun's 54.0 MB) is refused, with
// the way out, before anything is created.
func TestTooLargeWithoutBucket(t *testing.T) {
	t.Parallel()
	fake := fakelambda.New(t)
	big := filepath.Join(t.TempDir(), "bun.zip")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(54 << 20); err != nil { // sparse: its size is what counts
		t.Fatal(err)
	}
	f.Close()
	r, err := New(Config{Client: client(fake.URL), RoleARN: testRole, MemoryMB: 512, Arch: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Deploy(context.Background(), []sampling.Variant{{Name: "ok", Artifact: shellZip(t)}, {Name: "bun", Artifact: big}})
	if err == nil || !strings.Contains(err.Error(), "bun: its 54.0 MB zip") || !strings.Contains(err.Error(), "--aws-s3-bucket") || !strings.Contains(err.Error(), "69905067") {
		t.Errorf("Deploy(54 MB zip) = %v, want it refused naming the bucket setting", err)
	}
	if reqs := fake.Requests(); len(reqs) != 0 {
		t.Errorf("requests %v, want none before the refusal", reqs)
	}
	if RequestBytes(54<<20) <= DirectUploadLimit || RequestBytes(40<<20) > DirectUploadLimit {
		t.Errorf("RequestBytes: 54 MB makes %d, 40 MB %d; limit %d", RequestBytes(54<<20), RequestBytes(40<<20), DirectUploadLimit)
	}
}

// K copies per variant, sampled in waves against a control plane that throttles as Lambda's
// does: every sample is a cold start, head's and base's of a round in the same wave, and the
// adaptive retryer gets every request through.
func TestWavesUnderThrottling(t *testing.T) {
	t.Parallel()
	fake := fakelambda.NewWithOptions(t, fakelambda.Options{ControlRate: 15, GetRate: 100,
		UpdateLatency: func() time.Duration { return 50 * time.Millisecond }, Parallel: 2})
	art := shellZip(t)
	r, err := New(Config{Client: client(fake.URL), Logs: logsClient(fake.URL), RoleARN: testRole, MemoryMB: 512, Arch: "arm64",
		Copies: 4, WaitMin: 20 * time.Millisecond, WaitMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	variants := []sampling.Variant{{Name: "head", Artifact: art}, {Name: "base", Artifact: art}}
	ctx := context.Background()
	if err := r.Deploy(ctx, variants); err != nil {
		t.Fatal(err)
	}
	samples, err := sampling.NewScheduler(r, 1).Run(ctx, variants, 8)
	if cerr := r.Close(ctx); cerr != nil {
		t.Error(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 16 {
		t.Fatalf("%d samples, want 16", len(samples))
	}
	rounds := map[int]int{}
	for _, s := range samples {
		if s.Error != nil || s.InitMs <= 0 {
			t.Errorf("sample %+v (error %+v)", s, s.Error)
		}
		rounds[s.Index]++
	}
	for i := 0; i < 8; i++ {
		if rounds[i] != 2 {
			t.Errorf("round %d has %d samples, want head's and base's", i, rounds[i])
		}
	}
	if left := fake.Functions(); len(left) != 0 || len(fake.Deleted()) != 8 {
		t.Errorf("functions left %v, deleted %d; want 8 deleted", left, len(fake.Deleted()))
	}
	t.Logf("throttled %d requests", fake.Throttled())
}

// Close deletes every function CreateFunction was sent for, one that ended Failed too, and says
// which it could not delete.
func TestCloseDeletesFailedAndSaysWhatItCouldNot(t *testing.T) {
	t.Parallel()
	fake := fakelambda.NewWithOptions(t, fakelambda.Options{
		FailCreate: func(name string) bool { return strings.Contains(name, "broken") },
		DenyDelete: func(name string) bool { return strings.Contains(name, "kept") },
	})
	art := shellZip(t)
	var logged []string
	r, err := New(Config{Client: client(fake.URL), Logs: logsClient(fake.URL), RoleARN: testRole, MemoryMB: 512, Arch: "arm64",
		WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, Logf: func(f string, a ...any) { logged = append(logged, f) }})
	if err != nil {
		t.Fatal(err)
	}
	variants := []sampling.Variant{{Name: "broken", Artifact: art}, {Name: "kept", Artifact: art}, {Name: "ok", Artifact: art}}
	ctx := context.Background()
	if err := r.Deploy(ctx, variants); err != nil {
		t.Fatal(err)
	}
	if s := r.Sample(ctx, variants[0]); s.Error == nil || !strings.Contains(s.Error.Reason, "did not become active") {
		t.Errorf("sample of a Failed function = %+v", s.Error)
	}
	err = r.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "coldbench-kept-") || !strings.Contains(err.Error(), "AccessDeniedException") || strings.Contains(err.Error(), "broken") || len(logged) != 1 {
		t.Errorf("Close = %v (logged %v), want it to name the function it could not delete", err, logged)
	}
	left := fake.Functions()
	if len(left) != 1 || !strings.Contains(left[0], "kept") {
		t.Errorf("functions left %v, want only the one DeleteFunction refused", left)
	}
}

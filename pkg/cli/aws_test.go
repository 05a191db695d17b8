package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/internal/fakelambda"
)

// --mode aws deploys head and base to Lambda (here a fake that the real aws-sdk-go-v2 client
// signs its requests for), samples them cold, reads REPORT lines, and deletes the functions.
func TestRunModeAWS(t *testing.T) {
	dir, _ := repoWithPR(t)
	fake := fakelambda.New(t)
	awsTestCredentials(t, dir)
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--mode", "aws", "--aws-endpoint", fake.URL, "--aws-role-arn", "arn:aws:iam::000000000000:role/coldbench",
		"--handler", "fn", "--base", "master", "--samples", "2", "--references", "node,python", "--aws-copies", "2", "--warm-invokes", "1",
		"--json", "r.json", "--markdown", "r.md"}, env)
	if code != ExitOK && code != ExitRegression {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	var res struct {
		Environment struct {
			Limits struct{ Cgroup, MemorySource string }
			Notes  []string
			CPU    string
			Lambda *struct {
				Region   string
				Copies   int
				Runtimes map[string]string
			}
		}
		Cost *struct {
			Requests          int     `json:"requests"`
			EstimatedRequests int     `json:"estimated_requests"`
			InitGBs           float64 `json:"init_gb_seconds"`
			USD               float64 `json:"usd"`
		}
		Variants []struct {
			Name     string
			Arch     string
			Artifact struct{ Arch string }
		}
		Samples []struct {
			Variant string
			InitMs  float64   `json:"init_ms"`
			WarmMs  []float64 `json:"warm_ms"`
			Error   any
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Environment.Limits.Cgroup != "lambda" || res.Environment.CPU != "" || res.Environment.Lambda == nil || res.Environment.Lambda.Region != "us-east-1" || res.Environment.Lambda.Copies != 2 {
		t.Fatalf("environment = %+v", res.Environment)
	}
	rts := res.Environment.Lambda.Runtimes
	if rts["head"] != "provided.al2023" || !strings.HasPrefix(rts["node"], "nodejs") || !strings.HasPrefix(rts["python"], "python") {
		t.Errorf("runtimes = %v, want each variant's own", rts)
	}
	if c := res.Cost; c == nil || c.Requests != 16 || c.EstimatedRequests != 16 || c.InitGBs <= 0 || c.USD <= 0 {
		t.Errorf("cost = %+v, want 8 cold and 8 warm invokes counted", c)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
	if !strings.Contains(string(md), "AWS Lambda us-east-1, arm64") || !strings.Contains(string(md), "cost: 16 invokes") || strings.Contains(string(md), "cores") {
		t.Errorf("report's environment:\n%s", md)
	}
	for _, v := range res.Variants {
		if v.Arch != "arm64" || v.Artifact.Arch != "arm64" {
			t.Errorf("variant %s timed %s with a %s artifact, want arm64 on Lambda", v.Name, v.Arch, v.Artifact.Arch)
		}
	}
	if len(res.Samples) != 8 {
		t.Fatalf("%d samples, want 8", len(res.Samples))
	}
	for _, s := range res.Samples {
		if s.Error != nil || s.InitMs <= 0 || len(s.WarmMs) != 1 {
			t.Errorf("sample %+v", s)
		}
	}
	if left, deleted, groups := fake.Functions(), fake.Deleted(), fake.LogGroups(); len(left) != 0 || len(deleted) != 8 || len(groups) != 0 {
		t.Errorf("functions left behind: %v (deleted %v), log groups %v; want none left and 8 deleted", left, deleted, groups)
	}
	env2, _, errb2 := testEnv(dir)
	code = Main(context.Background(), []string{"run", "--mode", "aws", "--handler", "fn", "--references", "none", "--outbound-delay", "20ms", "--no-evict",
		"--init-samples", "4", "--aws-copies", "99"}, env2)
	for _, f := range []string{"--aws-role-arn", "--outbound-delay", "--no-evict", "--init-samples 4", "--aws-copies 99"} {
		if code != ExitBadInput || !strings.Contains(errb2.String(), f) {
			t.Errorf("mode aws with %s: exit %d, %s", f, code, errb2)
		}
	}
}

// The role is checked before anything is built: one of another account is refused at once.
func TestModeAWSChecksFirst(t *testing.T) {
	dir, _ := repoWithPR(t)
	fake := fakelambda.New(t)
	awsTestCredentials(t, dir)
	env, _, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--mode", "aws", "--aws-endpoint", fake.URL, "--aws-role-arn", "arn:aws:iam::111111111111:role/coldbench",
		"--handler", "fn", "--base", "master", "--samples", "2", "--references", "none"}, env)
	if code != ExitBadInput || !strings.Contains(errb.String(), "account 111111111111") || strings.Contains(errb.String(), "built ") {
		t.Errorf("exit %d\n%s", code, errb)
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r, "/functions") {
			t.Errorf("request %s before the check", r)
		}
	}
	t.Setenv("AWS_REGION", "")
	env, _, errb = testEnv(dir)
	code = Main(context.Background(), []string{"run", "--mode", "aws", "--aws-endpoint", fake.URL, "--aws-role-arn", "arn:aws:iam::000000000000:role/coldbench",
		"--handler", "fn", "--base", "master", "--samples", "2", "--references", "none"}, env)
	if code != ExitBadInput || !strings.Contains(errb.String(), "no region: set --aws-region") || strings.Contains(errb.String(), "built ") {
		t.Errorf("no region: exit %d\n%s", code, errb)
	}
}

// lambda-ratio runs the references locally and on Lambda (the fake, which runs them on this
// machine: a ratio near 1) and prints each runtime's ratio beside lambda-perf's figure.
func TestLambdaRatio(t *testing.T) {
	dir := t.TempDir()
	fake := fakelambda.New(t)
	awsTestCredentials(t, dir)
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"lambda-ratio", "--aws-endpoint", fake.URL, "--aws-role-arn", "arn:aws:iam::000000000000:role/coldbench",
		"--references", "node", "--samples", "3", "--quiet"}, env)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	var ratio, perf float64
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == "node" {
			fmt.Sscan(f[3], &ratio)
			fmt.Sscan(f[4], &perf)
		}
	}
	if ratio < 0.2 || ratio > 5 || perf != 121.3 || !strings.Contains(out.String(), "Lambda: 3 invokes") {
		t.Errorf("ratio %.2f, lambda-perf %.1f:\n%s", ratio, perf, out)
	}
}

// cancelAfter cancels once the sampling progress has been written n times (a SIGINT mid-run).
type cancelAfter struct {
	w      io.Writer
	n      int
	cancel func()
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "sampling ") || strings.Contains(string(p), "samples") {
		if c.n--; c.n <= 0 {
			c.cancel()
		}
	}
	return c.w.Write(p)
}

// A run cancelled while sampling (SIGINT, SIGTERM: main's context) writes what it measured, in
// local mode as in mode aws.
func TestCancelledRunWritesPartialResults(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPR(t)
	env, _, errb := testEnv(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.Stderr = &cancelAfter{w: errb, n: 1, cancel: func() { time.AfterFunc(500*time.Millisecond, cancel) }}
	code := Main(ctx, []string{"run", "--handler", "fn", "--base", "master", "--samples", "200", "--references", "none", "--json", "r.json"}, env)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 3\n%s", code, errb)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatalf("no partial results: %v\n%s", err, errb)
	}
	var res struct{ Samples []any }
	if err := json.Unmarshal(b, &res); err != nil || len(res.Samples) == 0 || len(res.Samples) >= 400 {
		t.Errorf("partial results hold %d samples (%v)", len(res.Samples), err)
	}
}

// awsTestCredentials gives coldbench the fake's test credentials and region, and no AWS files.
func awsTestCredentials(t *testing.T, dir string) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-aws-credentials"))
}

// A head whose init crashes is read on Lambda as Lambda reports it (INIT_REPORT … Status: error
// Error Type: Runtime.ExitError), never as a warm start: every head sample fails in init with
// that type, the run exits 3, and the failures are counted.
func TestModeAWSInitCrash(t *testing.T) {
	crash := strings.Replace(bootstrap, "sleep SLEEP", "echo 'cannot load config' >&2; exit 1", 1)
	dir, _ := repoWithHandlers(t, strings.Replace(bootstrap, "SLEEP", "0", 1), crash)
	fake := fakelambda.New(t)
	awsTestCredentials(t, dir)
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--mode", "aws", "--aws-endpoint", fake.URL, "--aws-role-arn", "arn:aws:iam::000000000000:role/coldbench",
		"--handler", "fn", "--base", "master", "--samples", "3", "--references", "none", "--json", "r.json", "--markdown", "r.md", "--quiet"}, env)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 3 (every head sample failed)\n%s\n%s", code, out, errb)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	var res struct {
		Samples []struct {
			Variant string
			InitMs  float64 `json:"init_ms"`
			Error   *struct{ Type, Phase string }
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	heads := 0
	for _, s := range res.Samples {
		switch {
		case s.Variant == "head":
			heads++
			if s.Error == nil || s.Error.Type != "Runtime.ExitError" || s.Error.Phase != "init" || s.InitMs <= 0 {
				t.Errorf("head sample %+v (error %+v), want Runtime.ExitError in init with its time", s, s.Error)
			}
		case s.Error != nil:
			t.Errorf("base sample %+v", s.Error)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
	if heads != 3 || !strings.Contains(string(md), "| failed samples | 0.0% | 100.0% |") || strings.Contains(string(md), "warm") || strings.Contains(string(md), "0.00 vCPU") {
		t.Errorf("%d head samples; report:\n%s", heads, md)
	}
	if left := fake.Functions(); len(left) != 0 {
		t.Errorf("functions left %v", left)
	}
}

package awslambda

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/internal/fakelambda"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// client is the real SDK client, signed with test credentials, pointed at the fake.
func client(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Timeout: time.Minute},
	})
}

func shellZip(t *testing.T) string {
	t.Helper()
	testenv.Tool(t, "bash")
	testenv.Tool(t, "curl")
	out := filepath.Join(t.TempDir(), "shell.zip")
	if _, _, err := build.ZipDir("../runner/testdata/shell", out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunOnLambda(t *testing.T) {
	t.Parallel()
	fake := fakelambda.New(t)
	art := shellZip(t)
	r, err := New(Config{Client: client(fake.URL), RoleARN: "arn:aws:iam::000000000000:role/coldbench", MemoryMB: 1024, Arch: "arm64",
		WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	variants := []sampling.Variant{
		{Name: "ok", Artifact: art},
		{Name: "failing", Artifact: art, Env: map[string]string{"TEST_MODE": "error"}},
		{Name: "missing", Artifact: "/nonexistent.zip"},
	}
	ctx := context.Background()
	r.Deploy(ctx, variants)
	samples, err := sampling.NewScheduler(r, 3).Run(ctx, variants, 3)
	r.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 9 || r.Limits().MemorySource != "lambda REPORT" {
		t.Fatalf("Run() = %d samples, limits %+v", len(samples), r.Limits())
	}
	for _, s := range samples {
		switch s.Variant {
		case "ok":
			if s.Error != nil || s.InitMs <= 0 || s.DurationMs <= 0 || s.MaxMemoryMB <= 0 || s.ColdMs < s.InitMs || !strings.Contains(s.Response, "echo") {
				t.Errorf("ok sample = %+v", s)
			}
		case "failing":
			if s.Error == nil || s.Error.Type != "HandlerError" || s.InitMs <= 0 {
				t.Errorf("failing sample = %+v, want HandlerError with its init measured", s)
			}
		case "missing":
			if s.Error == nil || s.Error.Type != results.ErrTypeSetup || !strings.Contains(s.Error.Reason, "read artifact") {
				t.Errorf("missing sample = %+v", s)
			}
		}
	}
	// Every sample was a cold start, and nothing is left behind.
	if left, deleted := fake.Functions(), fake.Deleted(); len(left) != 0 || len(deleted) != 2 {
		t.Errorf("functions left %v, deleted %v; want none left and 2 deleted", left, deleted)
	}
	for _, s := range samples {
		if s.Variant != "missing" && s.InitMs == 0 {
			t.Errorf("sample %+v was warm", s)
		}
	}
}

func TestNewValidatesEverything(t *testing.T) {
	t.Parallel()
	_, err := New(Config{RoleARN: "my-role", MemoryMB: 64, Arch: "mips"})
	for _, want := range []string{"no Lambda client", `execution role "my-role"`, "memory 64 MB", `arch "mips"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(bad) error = %v, want %q", err, want)
		}
	}
}

func TestParseReport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		logs string
		want Report
		ok   bool
	}{
		{"START RequestId: a Version: $LATEST\nEND RequestId: a\nREPORT RequestId: a\tDuration: 1.81 ms\tBilled Duration: 38 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\tInit Duration: 35.62 ms\t\n",
			Report{DurationMs: 1.81, InitMs: 35.62, MaxMemoryMB: 19}, true},
		{"REPORT RequestId: b\tDuration: 12.00 ms\tBilled Duration: 12 ms\tMemory Size: 512 MB\tMax Memory Used: 40 MB\n",
			Report{DurationMs: 12, MaxMemoryMB: 40}, true},
		{"REPORT RequestId: c\tDuration: 3.00 ms\tBilled Duration: 60 ms\tMemory Size: 128 MB\tMax Memory Used: 12 MB\tInit Duration: 55.10 ms\tStatus: error\tError Type: Runtime.ExitError\n",
			Report{DurationMs: 3, InitMs: 55.1, MaxMemoryMB: 12, ErrorType: "Runtime.ExitError"}, true},
		{"START only\n", Report{}, false},
	} {
		got, ok := ParseReport(tt.logs)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseReport(%q) = %+v, %v, want %+v, %v", tt.logs, got, ok, tt.want, tt.ok)
		}
	}
}

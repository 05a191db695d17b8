package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakelambda"
)

// --mode aws deploys head and base to Lambda (here a fake that the real aws-sdk-go-v2 client
// signs its requests for), samples them cold, reads REPORT lines, and deletes the functions.
func TestRunModeAWS(t *testing.T) {
	dir, _ := repoWithPR(t)
	fake := fakelambda.New(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-aws-credentials"))
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--mode", "aws", "--aws-endpoint", fake.URL, "--aws-role-arn", "arn:aws:iam::000000000000:role/coldbench",
		"--handler", "fn", "--base", "master", "--samples", "2", "--references", "none", "--json", "r.json", "--quiet"}, env)
	if code != ExitOK && code != ExitRegression {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	var res struct {
		Environment struct {
			Limits struct{ Cgroup, MemorySource string }
			Notes  []string
		}
		Variants []struct {
			Name     string
			Arch     string
			Artifact struct{ Arch string }
		}
		Samples []struct {
			Variant string
			InitMs  float64 `json:"init_ms"`
			Error   any
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Environment.Limits.Cgroup != "lambda" || !strings.Contains(strings.Join(res.Environment.Notes, " "), "AWS Lambda") {
		t.Errorf("environment = %+v", res.Environment)
	}
	for _, v := range res.Variants {
		if v.Arch != "arm64" || v.Artifact.Arch != "arm64" {
			t.Errorf("variant %s timed %s with a %s artifact, want arm64 on Lambda", v.Name, v.Arch, v.Artifact.Arch)
		}
	}
	if len(res.Samples) != 4 {
		t.Fatalf("%d samples, want 4", len(res.Samples))
	}
	for _, s := range res.Samples {
		if s.Error != nil || s.InitMs <= 0 {
			t.Errorf("sample %+v", s)
		}
	}
	if left, deleted := fake.Functions(), fake.Deleted(); len(left) != 0 || len(deleted) != 2 {
		t.Errorf("functions left behind: %v (deleted %v); want none left and 2 deleted", left, deleted)
	}
	for _, f := range []string{"--aws-role-arn"} {
		env2, _, errb2 := testEnv(dir)
		if Main(context.Background(), []string{"run", "--mode", "aws", "--handler", "fn", "--references", "none"}, env2) != ExitBadInput || !strings.Contains(errb2.String(), f) {
			t.Errorf("mode aws without a role: %s", errb2)
		}
	}
}

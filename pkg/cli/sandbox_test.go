package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
)

// secrets are put in coldbench's own environment, the way the action's container has its token
// and the job's AWS credentials. Builds and handlers must not get at them by any route.
var secrets = []string{"GITHUB_TOKEN=ghs_CANARY_token", "INPUT_GITHUB-TOKEN=ghs_CANARY_input", "AWS_SECRET_ACCESS_KEY=CANARY_aws"}

// buildColdbench builds this command into dir, named coldbench.
func buildColdbench(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "coldbench")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/coldbench/coldbench/cmd/coldbench").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runHostile runs coldbench on a hostile handler with secrets in its environment and returns the
// head's samples; results go to a directory the sandbox user may search but not write, as an
// action's workspace is.
func runHostile(t *testing.T, bin, handler string) ([]results.Sample, string) {
	t.Helper()
	out := testenv.SharedTempDir(t)
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}
	resultsPath := filepath.Join(out, "results.json")
	cmd := exec.Command(bin, "run", "--handler", handler, "--base", "none", "--references", "none",
		"--samples", "3", "--init-samples", "0", "--json", resultsPath, "--quiet")
	cmd.Env = append(os.Environ(), secrets...)
	combined, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("coldbench run: %v\n%s", err, combined)
	}
	res, err := results.ReadFile(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("the output dir holds %d entries, want only results.json (something was planted)", len(entries))
	}
	if !strings.Contains(res.Environment.Limits.Sandbox, "uid ") {
		t.Errorf("limits.sandbox = %q, want a separate uid", res.Environment.Limits.Sandbox)
	}
	return res.SamplesOf("head"), string(combined)
}

// A handler that, before its first /next, tries to read every process's environment and
// coldbench's memory, to trace and signal coldbench, and to overwrite its results: every attempt
// fails, and the same code run with coldbench's privileges (the control) succeeds, so the test
// is not passing because the attacker was polite.
func TestSandboxHoldsAgainstAHostileHandler(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox's separate user needs coldbench to run as root (as in the action's container)")
	}
	testenv.Tool(t, "go")
	dir := testenv.SharedTempDir(t)
	bin := buildColdbench(t, dir)
	samples, log := runHostile(t, bin, "testdata/hostile/attacker-go")
	if len(samples) != 3 {
		t.Fatalf("%d head samples, want 3\n%s", len(samples), log)
	}
	for _, s := range samples {
		if s.Error != nil {
			t.Fatalf("sample %d: %v\noutput: %s", s.Index, s.Error, s.Output)
		}
		var f struct{ Leaks, Denied []string }
		if err := json.Unmarshal([]byte(s.Response), &f); err != nil {
			t.Fatalf("response %q: %v", s.Response, err)
		}
		if len(f.Leaks) != 0 || len(f.Denied) < 5 {
			t.Errorf("sample %d: leaks %v, denied %v; want no leak and at least environ, memory, ptrace, signal and the results file denied", s.Index, f.Leaks, f.Denied)
		}
	}

	// The control: the same attack from coldbench's own user, on a process holding a secret.
	attacker := filepath.Join(dir, "attacker")
	build := exec.Command("go", "build", "-o", attacker, ".")
	build.Dir = "testdata/hostile/attacker-go"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build attacker: %v\n%s", err, out)
	}
	victim := exec.Command("sleep", "30")
	victim.Env = secrets
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer victim.Process.Kill()
	ctl := exec.Command(attacker)
	ctl.Env = []string{"ATTACKER_SELFTEST=" + strconv.Itoa(victim.Process.Pid)}
	out, err := ctl.Output()
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Leaks []string }
	_ = json.Unmarshal(out, &f)
	if len(f.Leaks) < 3 {
		t.Errorf("control run found %v; want the secret, ptrace and signal to succeed without the sandbox", f.Leaks)
	}
}

// A Rust build script (arbitrary code at build time) looks for the secrets in every process and
// tries to signal and overwrite the outputs of every ancestor, coldbench included; it bakes what
// it found into the handler, which reports it.
func TestSandboxHoldsAgainstAHostileBuildScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox's separate user needs coldbench to run as root (as in the action's container)")
	}
	testenv.Tool(t, "go")
	testenv.Tool(t, "cargo")
	dir := testenv.SharedTempDir(t)
	bin := buildColdbench(t, dir)
	samples, log := runHostile(t, bin, "testdata/hostile/attacker-rust")
	if len(samples) != 3 {
		t.Fatalf("%d head samples, want 3\n%s", len(samples), log)
	}
	for _, s := range samples {
		if s.Error != nil {
			t.Fatalf("sample %d: %v\noutput: %s", s.Index, s.Error, s.Output)
		}
		var f struct {
			Leaks  string `json:"build_leaks"`
			Denied int    `json:"build_denied"`
		}
		if err := json.Unmarshal([]byte(s.Response), &f); err != nil {
			t.Fatalf("response %q: %v", s.Response, err)
		}
		if f.Leaks != "" || f.Denied == 0 {
			t.Errorf("sample %d: the build script got out: leaks %q, %d environs denied; want none out and some denied", s.Index, f.Leaks, f.Denied)
		}
	}
}

package cli

import (
	"context"
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
	// In a repository of its own: coldbench seals the directory it runs in for the run, and this
	// package's directory is every other test's too. Copied with its files' times and committed, so
	// that the build's caches (keyed by the path in the repository) stay warm from run to run.
	work := testenv.SharedTempDir(t)
	for _, args := range [][]string{{"cp", "-a", handler, filepath.Join(work, "fn")}, {"chmod", "-R", "a+rX", work}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	git := gitIn(t, work)
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "handler")
	cmd := exec.Command(bin, "run", "--handler", "fn", "--base", "none", "--references", "none",
		"--samples", "3", "--init-samples", "0", "--json", resultsPath, "--quiet")
	cmd.Dir = work
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
	t.Parallel()
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
	t.Parallel()
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

// Paths that coldbench.yml or a template give are the pull request's words: they must not lead
// coldbench (which reads them as its own user) out of the repository, directly or through links.
func TestRepositoryPathsStayInside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	git := gitIn(t, dir)
	git("init", "-q", "-b", "master")
	secret := filepath.Join(t.TempDir(), "credentials")
	testenv.Write(t, filepath.Dir(secret), "credentials", "DB_PASSWORD=leaked\n")
	shadow := filepath.Join(filepath.Dir(secret), "shadow")
	testenv.Write(t, filepath.Dir(shadow), "shadow", "root:leaked-hash:19000:0:99999:7:::\n") // quoted by a parse error if read
	testenv.Write(t, dir, "fn/bootstrap", "#!/bin/sh\n")
	if err := os.Symlink(secret, filepath.Join(dir, "env.txt")); err != nil {
		t.Fatal(err)
	}
	for name, yml := range map[string]string{
		"env-file outside":        "handler: fn\nenv-file: " + secret + "\n",
		"env-file through a link": "handler: fn\nenv-file: env.txt\n",
		"event outside":           "handler: fn\nevent: " + secret + "\n",
		"handler outside":         "handler: " + filepath.Dir(secret) + "\n",
		"handler up and out":      "handler: ../../../../etc\n",
	} {
		testenv.Write(t, dir, "coldbench.yml", yml)
		env, out, errb := testEnv(dir)
		code := Main(context.Background(), []string{"run", "--references", "none", "--base", "none", "--samples", "2"}, env)
		if code != ExitBadInput || !strings.Contains(errb.String(), "leads outside the repository") || strings.Contains(out.String()+errb.String(), "leaked") {
			t.Errorf("%s: exit %d, want 2 and the path refused\n%s%s", name, code, out, errb)
		}
	}
	// The same paths given as flags (the workflow's own words) are taken.
	testenv.Write(t, dir, "coldbench.yml", "")
	env, _, errb := testEnv(dir)
	if code := Main(context.Background(), []string{"run", "--handler", "fn", "--env-file", secret, "--references", "none", "--base", "none", "--samples", "2"}, env); code == ExitBadInput {
		t.Errorf("--env-file as a flag refused: %s", errb)
	}
}

// A handler tree holding a file the sandbox user may not read is refused before it is copied for
// the sandboxed build: the copy would be the sandbox's to read (here, a user build command that
// would print it), so it must not be made.
func TestSandboxCopiesOnlyWhatItMayRead(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("the sandbox's separate user needs coldbench to run as root (as in the action's container)")
	}
	dir := t.TempDir()
	testenv.Write(t, dir, "fn/bootstrap.src", "#!/bin/sh\n")
	testenv.Write(t, dir, "fn/secrets/token", "ghs_notforthesandbox")
	if err := os.Chmod(filepath.Join(dir, "fn", "secrets", "token"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--handler", "fn", "--build", "cat secrets/token; exit 1",
		"--references", "none", "--base", "none", "--samples", "2"}, env)
	if code != ExitFailure || !strings.Contains(out.String(), "is not readable by the sandbox user") || strings.Contains(out.String()+errb.String(), "ghs_notforthesandbox") {
		t.Errorf("exit %d, want the build refused before any copy, and the secret nowhere\n%s%s", code, out, errb)
	}
}

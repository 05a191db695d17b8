package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

func testEnv(dir string) (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Getenv: os.Getenv, Environ: os.Environ, Now: timeNow, Dir: dir}, &out, &errb
}

func TestRunBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "coldbench.yml"), []byte("sample: 5\nmemory: lots\ninstructions: maybe\n"), 0o644)
	newer := filepath.Join(dir, "newer.json")
	_ = os.WriteFile(newer, []byte(`{"schema_version": 7}`), 0o644)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"run", "--sampels", "5"}, []string{"unknown flag -sampels; valid flags are --alpha, --artifact, --aws-copies, --aws-endpoint, --aws-region, --aws-role-arn, --aws-s3-bucket, --base, --baseline, --binary, --budgets, --build, --cache-dir, --config"}},
		{"config file problems all at once", []string{"run"}, []string{`coldbench.yml: unknown key "sample"; valid keys are alpha, artifact, aws-copies, aws-region, aws-role-arn, aws-s3-bucket, base,`, `coldbench.yml: memory: "lots": invalid syntax`, `coldbench.yml: instructions: "maybe": want true or false`}},
		{"instructions in mode aws", []string{"run", "--config", "/dev/null", "--instructions", "--mode", "aws", "--aws-role-arn", "arn:aws:iam::1:role/x"},
			[]string{"--instructions: instructions are counted under valgrind on this machine, not in mode aws"}},
		{"flags problems all at once", []string{"run", "--config", "/dev/null", "--handler", "nope", "--samples", "1", "--references", "go,java", "--runtime", "cobol"},
			[]string{"--handler \"" + filepath.Join(dir, "nope") + "\": no such file or directory", "--samples 1: need at least 2", `unknown reference "java"; valid values are go, rust, deno`, `--runtime "cobol": valid values are auto, go, rust, deno, nodejs, python, bun, provided`}},
		{"unknown command", []string{"bench"}, []string{`unknown command "bench"; valid commands: action, build-references, calibrate, doctor, history, lambda-ratio, publish, report, run, store, version`}},
		{"build-references' list", []string{"build-references", "--references", "cobol,go,java"}, []string{`--references "cobol", "java": valid values are go, rust, deno, node, python, bun`}},
		{"newer results", []string{"report", newer}, []string{"schema_version 7, this coldbench reads up to 1; upgrade coldbench"}},
		{"missing results", []string{"report", filepath.Join(dir, "none.json")}, []string{"no such file"}},
		{"report format", []string{"report", "--format", "pdf", newer}, []string{`--format "pdf": valid values are text, markdown, json, html`}},
	}
	for _, tt := range tests {
		env, _, errb := testEnv(dir)
		if code := Main(context.Background(), tt.args, env); code != ExitBadInput {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, ExitBadInput, errb)
		}
		for _, w := range tt.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, errb)
			}
		}
	}
}

// `coldbench run` on a handler in a git repository builds head and base and compares them; the
// results re-render with `coldbench report`.
func TestRunHeadAgainstBase(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPR(t)
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--handler", "fn", "--base", "master", "--samples", "8", "--references", "none",
		"--json", "r.json", "--markdown", "r.md", "--html", "r.html", "--quiet"}, env)
	if code != ExitRegression {
		t.Fatalf("exit %d, want 1 (head sleeps 200 ms more before /next)\n%s\n%s", code, out, errb)
	}
	if !strings.HasPrefix(out.String(), "Cold start +") || !strings.Contains(out.String(), "regression") {
		t.Errorf("stdout does not open with the verdict:\n%s", out)
	}
	var res struct {
		SchemaVersion int `json:"schema_version"`
		Variants      []struct {
			Name, Role, Ref string
		}
		Comparisons []struct{ Metric, Verdict string }
		Verdict     string
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.SchemaVersion != 1 || len(res.Variants) != 2 || res.Variants[1].Role != "base" || len(res.Variants[1].Ref) != 40 || res.Verdict != "regression" || len(res.Comparisons) < 4 {
		t.Errorf("results = %+v", res)
	}
	for _, f := range []string{"r.md", "r.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	// Re-render, and re-decide with a threshold so high nothing counts.
	env2, out2, _ := testEnv(dir)
	if code := Main(context.Background(), []string{"report", "--format", "markdown", "--threshold", "9000", "r.json"}, env2); code != ExitOK {
		t.Errorf("report --threshold 9000: exit %d, want 0", code)
	}
	if !strings.Contains(out2.String(), "| head vs base |") || strings.Contains(strings.SplitN(out2.String(), "\n", 4)[2], "— regression") {
		t.Errorf("re-rendered report:\n%s", out2)
	}
	// The work tree is untouched and no worktree is left behind.
	if st, _ := exec_("git", dir, "status", "--porcelain", "--untracked-files=no"); st != "" {
		t.Errorf("work tree changed: %s", st)
	}
	if wt, _ := exec_("git", dir, "worktree", "list"); strings.Count(wt, "\n") != 0 {
		t.Errorf("worktrees left: %s", wt)
	}
}

func exec_(name, dir string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// --samples auto stops at the first look when the verdict is already clear.
func TestRunAdaptiveStopsEarly(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPR(t)
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--handler", "fn", "--base", "master", "--samples", "auto", "--max-samples", "60",
		"--references", "none", "--json", "r.json"}, env)
	if code != ExitRegression {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errb)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	var res struct {
		Config struct {
			Samples, Looks, Block int
			Adaptive              bool
			Alpha                 float64
		}
		Samples []json.RawMessage
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	// Alpha is the run's overall level; look k tests at alpha 6/(pi^2 k^2). Each round is a full
	// cold start and 4 init-only ones of head and of base.
	if !res.Config.Adaptive || res.Config.Samples != 10 || res.Config.Looks != 1 || res.Config.Block != 10 || len(res.Samples) != 100 || res.Config.Alpha != 0.01 {
		t.Errorf("adaptive run: config %+v with %d samples, want a stop at the first look (10 rounds of 1 full + 4 init-only a side) of an alpha 0.01 run", res.Config, len(res.Samples))
	}
	if !strings.Contains(out.String(), "sampled until decided: 10 rounds (10 full and 40 init-only cold starts a side), analysed every 10 rounds; the last of 1 looks tested at alpha 0.0061") {
		t.Errorf("the report does not give the look's level:\n%s", out)
	}
	// `coldbench report` re-decides the same way from the file alone, warning included.
	env, rout, rerr := testEnv(dir)
	if code := Main(context.Background(), []string{"report", "r.json"}, env); code != ExitRegression || !strings.Contains(rout.String(), "sampled until decided: 10 rounds") {
		t.Errorf("report r.json: exit %d, want 1 and the adaptive note\n%s\n%s", code, rout, rerr)
	}
	if !strings.Contains(errb.String(), "after 10 rounds (look 1") {
		t.Errorf("no word of the early stop:\n%s\n%s", errb, out)
	}
}

// --budgets is a release gate: exit 1 when the head's median is confidently over a limit.
func TestRunBudgets(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPR(t)
	for _, tt := range []struct {
		budgets string
		code    int
		want    string
	}{
		{"init_ms=1", ExitRegression, "exceeded"},
		{"init_ms=100000,cold_ms_p90=100000", ExitOK, "within"},
	} {
		env, out, errb := testEnv(dir)
		code := Main(context.Background(), []string{"run", "--handler", "fn", "--base", "none", "--samples", "5", "--references", "none",
			"--budgets", tt.budgets, "--quiet"}, env)
		if code != tt.code || !strings.Contains(out.String(), "budgets:") || !strings.Contains(out.String(), tt.want) {
			t.Errorf("--budgets %s: exit %d (want %d)\n%s\n%s", tt.budgets, code, tt.code, out, errb)
		}
	}
	env, _, errb := testEnv(dir)
	if code := Main(context.Background(), []string{"run", "--budgets", "init=5", "--references", "none"}, env); code != ExitBadInput ||
		!strings.Contains(errb.String(), `unknown metric "init"`) || !strings.Contains(errb.String(), "nothing to measure") {
		t.Errorf("bad budgets: exit %d\n%s", code, errb)
	}
}

// --store keeps the history; a later --baseline run compares with the latest stored run;
// history lists them.
func TestStoreBaselineAndHistory(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPR(t)
	run := func(args ...string) (int, string, string) {
		env, out, errb := testEnv(dir)
		code := Main(context.Background(), append([]string{"run", "--handler", "fn", "--samples", "6", "--references", "none", "--quiet"}, args...), env)
		return code, out.String(), errb.String()
	}
	// The stored baseline is the fast handler (master); the work tree has the slow one.
	if out, err := exec_("git", dir, "stash", "-q"); err != nil {
		t.Fatalf("git stash: %v\n%s", err, out)
	}
	if _, err := exec_("git", dir, "checkout", "-q", "master"); err != nil {
		t.Fatal(err)
	}
	if code, out, errb := run("--base", "none", "--store", "store"); code != ExitOK {
		t.Fatalf("store run: exit %d\n%s\n%s", code, out, errb)
	}
	if _, err := exec_("git", dir, "checkout", "-q", "changes"); err != nil {
		t.Fatal(err)
	}
	code, out, errb := run("--baseline", "store", "--store", "store")
	if code != ExitRegression || !strings.Contains(out, "regression") {
		t.Fatalf("baseline run: exit %d, want 1 (200 ms slower than the stored baseline)\n%s\n%s", code, out, errb)
	}
	env, hout, herr := testEnv(dir)
	if code := Main(context.Background(), []string{"history", "--handler", "fn", "store"}, env); code != ExitOK {
		t.Fatalf("history: exit %d\n%s", code, herr)
	}
	table, _, _ := strings.Cut(hout.String(), "\n\n") // then each metric's change points
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.Contains(lines[2], "regression") || !strings.Contains(lines[3], "baseline") {
		t.Errorf("history:\n%s", hout)
	}
	// An empty store is a warning, not a failure; --base with --baseline is refused.
	if code, out, _ := run("--baseline", "empty-store"); code != ExitOK || !strings.Contains(out, "no stored results") {
		t.Errorf("empty baseline: exit %d\n%s", code, out)
	}
	if code, _, errb := run("--baseline", "store", "--base", "master"); code != ExitBadInput || !strings.Contains(errb, "not both") {
		t.Errorf("--baseline with --base: exit %d\n%s", code, errb)
	}
}

// A base that fails every sample is not compared, and --samples auto stops at the first look
// once base is stopped (more of head's samples cannot make a comparison); `coldbench report`
// re-derives the same verdict from the file, exit 0.
func TestRunBaseFailingEverySampleIsNotCompared(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithHandlers(t, brokenBase, strings.Replace(bootstrap, "SLEEP", "0", 1))
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--handler", "fn", "--base", "master", "--samples", "auto", "--max-samples", "30",
		"--references", "none", "--json", "r.json"}, env)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errb)
	}
	res, err := results.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != results.NotCompared || res.Config.Looks != 1 {
		t.Errorf("verdict %s after %d looks, want not-compared at the first look (base is stopped by then)\n%s", res.Verdict, res.Config.Looks, errb)
	}
	if !strings.Contains(out.String(), "base failed every sample: Runtime.ExitError in init") || !strings.Contains(out.String(), "; not compared") {
		t.Errorf("the report's headline does not say why:\n%s", out)
	}
	env, rout, rerr := testEnv(dir)
	if code := Main(context.Background(), []string{"report", "r.json"}, env); code != ExitOK || !strings.HasPrefix(rout.String(), "Cold start: base failed every sample") {
		t.Errorf("report r.json: exit %d, want 0 and the not-compared headline\n%s\n%s", code, rout, rerr)
	}
}

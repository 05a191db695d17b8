package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestApplyFile(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.ApplyFile("coldbench.yml", []byte(`
handler: functions/api
samples: 80
memory: 1024MB
threshold: 7.5%
references: [go, rust-hello]
timeout: 45
outbound-delay: 20ms
no-evict: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Handler != "functions/api" || c.Samples != 80 || c.MemoryMB != 1024 || c.Threshold != 7.5 ||
		strings.Join(c.References, ",") != "go,rust-hello" || c.Timeout != 45*time.Second || c.OutboundDelay != 20*time.Millisecond || !c.NoEvict {
		t.Errorf("ApplyFile() = %+v, want every key of the file applied", c)
	}
	if err := c.ApplyFile("empty.yml", nil); err != nil {
		t.Errorf("ApplyFile(empty) = %v, want nil", err)
	}
}

func TestApplyFileReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.ApplyFile("coldbench.yml", []byte("sample: 3\ntimeout: soon\nseed: -1\n"))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 3 {
		t.Fatalf("ApplyFile() = %v, want 3 problems", err)
	}
	for i, want := range []string{`unknown key "sample"; valid keys are alpha, artifact, aws-copies, aws-region, aws-role-arn, aws-s3-bucket, base, binary, budgets,`, `seed: "-1": invalid syntax`, `timeout: "soon": want a duration such as 30s`} {
		if !strings.Contains(ps[i], want) {
			t.Errorf("problem %d = %q, want %q", i, ps[i], want)
		}
	}
}

// testVocabulary is what build.Vocabulary hands in (pkg/build's TestVocabulary holds it so).
var testVocabulary = Vocabulary{
	Runtimes:       []string{"go", "rust", "deno", "nodejs", "python", "bun", "provided"},
	Aliases:        []string{"node"},
	LambdaRuntimes: []string{"nodejs22.x", "nodejs24.x", "python3.11"},
	References: []string{"go", "rust", "deno", "node", "python", "bun",
		"go-hello", "rust-hello", "deno-hello", "node-hello", "python-hello", "bun-hello"},
}

func TestValidate(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Samples, c.MemoryMB, c.Threshold, c.Alpha, c.Timeout, c.References = 1, 20000, 0, 0.7, 20*time.Minute, []string{"java"}
	c.Handler = "/does/not/exist"
	err := c.Validate(func(f string) string { return "--" + f }, testVocabulary)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 7 {
		t.Fatalf("Validate() = %v, want 7 problems", err)
	}
	for _, want := range []string{
		"--samples 1: need at least 2 samples",
		"--memory 20000: Lambda allows 128 to 10240 MB",
		"--threshold 0: want a percentage above 0",
		"--alpha 0.7: want a significance level between 0 and 0.5",
		`--references: unknown reference "java"; valid values are go, rust, deno`,
		"--timeout 20m0s: Lambda allows 1s to 15m",
		`--handler "/does/not/exist": no such file or directory`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v\nwant a problem %q", err, want)
		}
	}
	if c := Default(); c.Validate(func(f string) string { return f }, testVocabulary) != nil {
		t.Errorf("the defaults do not validate: %v", c.Validate(func(f string) string { return f }, testVocabulary))
	}
	for _, rt := range []string{"auto", "nodejs", "node", "nodejs22.x", "provided"} {
		c := Default()
		c.Runtime = rt
		if err := c.Validate(func(f string) string { return f }, testVocabulary); err != nil {
			t.Errorf("Validate(runtime %s) = %v, want nil: a name, an alias and a version are all valid", rt, err)
		}
	}
	if got := ParseReferences(" none "); got != nil {
		t.Errorf("ParseReferences(none) = %v, want nil", got)
	}
}

func TestParseBudgets(t *testing.T) {
	t.Parallel()
	b, err := ParseBudgets(" init_ms=50, cold_ms_p90=300,max_memory_mb=128 ")
	if err != nil || b[BudgetKey{BudgetInit, Median}] != 50 || b[BudgetKey{BudgetCold, P90}] != 300 || b[BudgetKey{BudgetMemory, Median}] != 128 {
		t.Errorf("ParseBudgets() = %v, %v", b, err)
	}
	_, err = ParseBudgets("init=5,cold_ms=-1,duration_ms")
	for _, want := range []string{`unknown metric "init"`, `"cold_ms=-1": want METRIC=LIMIT`, `"duration_ms": want METRIC=LIMIT`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBudgets(bad) error = %v, want %q", err, want)
		}
	}
}

func TestParseBudgetKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		key  string
		want BudgetKey
		err  string
	}{
		{"init_ms", BudgetKey{BudgetInit, Median}, ""},
		{"cold_ms_p90", BudgetKey{BudgetCold, P90}, ""},
		{"max_memory_mb_p99", BudgetKey{BudgetMemory, P99}, ""},
		{"init_ms_p95", BudgetKey{}, `unknown metric "init_ms_p95"; valid: init_ms, duration_ms, cold_ms, max_memory_mb (each also with _p90 or _p99)`},
		{"warm_ms", BudgetKey{}, `unknown metric "warm_ms"`},
	} {
		got, err := ParseBudgetKey(tt.key)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseBudgetKey(%q) = %v, %v; want %v, %q", tt.key, got, err, tt.want, tt.err)
		}
		if err == nil && got.String() != tt.key {
			t.Errorf("ParseBudgetKey(%q).String() = %q", tt.key, got.String())
		}
	}
}

func TestEnvAndEvent(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.ApplyFile("coldbench.yml", []byte("env:\n  TABLE: products\n  API_TOKEN: s3cret\nfunction-handler: index.handler\nevent: apigw-v2\n")); err != nil {
		t.Fatal(err)
	}
	if c.Env["TABLE"] != "products" || c.FunctionHandler != "index.handler" {
		t.Errorf("ApplyFile() = env %v, handler %q; want TABLE=products and index.handler", c.Env, c.FunctionHandler)
	}
	if got := c.SecretLooking(); len(got) != 1 || got[0] != "s3cret" {
		t.Errorf("SecretLooking() = %v, want the token's value only", got)
	}
	ev, err := c.EventJSON()
	if err != nil || !strings.Contains(string(ev), `"rawPath":"/"`) {
		t.Errorf("EventJSON(apigw-v2) = %.60s, %v; want an HTTP API request", ev, err)
	}
	for _, preset := range EventPresets {
		c.Event = preset
		if b, err := c.EventJSON(); err != nil || len(b) < 20 {
			t.Errorf("EventJSON(%s) = %d bytes, %v", preset, len(b), err)
		}
	}
	c.Event = `{"inline": true}`
	if b, err := c.EventJSON(); err != nil || string(b) != `{"inline": true}` {
		t.Errorf("EventJSON(inline) = %s, %v", b, err)
	}
	bad := Default()
	bad.Event = "apigw-v3"
	if err := bad.Set("env", "_HANDLER=x,1BAD=y,GOOD"); err == nil || !strings.Contains(err.Error(), `"GOOD": want KEY=VALUE`) {
		t.Errorf("Set(env, bad) = %v, want the entry without = named", err)
	}
	bad.Env = map[string]string{"_HANDLER": "x", "1BAD": "y"}
	err = bad.Validate(func(f string) string { return "--" + f }, testVocabulary)
	for _, want := range []string{`--event "apigw-v3": no such file or directory; give a JSON file, inline JSON, or one of alb, apigw-v1`, "--env: _HANDLER is reserved by Lambda", `--env: "1BAD" is not a variable name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v\nwant a problem %q", err, want)
		}
	}
}

// The table is the one declaration of the settings: names and inputs are unique, every row has
// its parser and usage, paths can be read back, and the yml keys are the judge and function ones.
func TestSettingsTable(t *testing.T) {
	t.Parallel()
	names, inputs := map[string]bool{}, map[string]bool{}
	for _, s := range Settings {
		if names[s.Name] || s.Input != "" && inputs[s.Input] {
			t.Errorf("setting %q (input %q) declared twice", s.Name, s.Input)
		}
		names[s.Name], inputs[s.Input] = true, s.Input != ""
		if s.parse == nil || s.Usage == "" || s.Kind < KindJudge || s.Kind > KindTrustedOnly {
			t.Errorf("setting %q: want a parser, a usage and a kind", s.Name)
		}
		if s.Path != (s.get != nil || s.all != nil) {
			t.Errorf("setting %q: Path %v but get %v", s.Name, s.Path, s.get != nil || s.all != nil)
		}
	}
	for _, want := range []struct {
		name string
		kind Kind
	}{
		{"threshold", KindJudge}, {"alpha", KindJudge}, {"samples", KindJudge}, {"mode", KindJudge}, {"aws-role-arn", KindJudge}, {"base", KindJudge}, {"budgets", KindJudge},
		{"build", KindFunction}, {"env", KindFunction}, {"handler", KindFunction}, {"memory", KindFunction}, {"template", KindFunction},
		{"json", KindTrustedOnly}, {"markdown", KindTrustedOnly}, {"html", KindTrustedOnly}, {"store", KindTrustedOnly}, {"baseline", KindTrustedOnly}, {"cache-dir", KindTrustedOnly}, {"aws-endpoint", KindTrustedOnly},
	} {
		if s, ok := Lookup(want.name); !ok || s.Kind != want.kind {
			t.Errorf("Lookup(%q) = %v, %v; want kind %v", want.name, s.Kind, ok, want.kind)
		}
	}
	if s, _ := Lookup("base"); s.Input != "base-ref" {
		t.Errorf("base's input = %q, want base-ref", s.Input)
	}
	c := Default()
	if err := c.Set("base-ref", "main"); err == nil {
		t.Error(`Set("base-ref") accepted the dead alias; the input base-ref is the setting base`)
	}
	if c.Set("handler", "fn"); c.PathValue("handler") != "fn" {
		t.Errorf("PathValue(handler) = %q, want fn", c.PathValue("handler"))
	}
}

// No coldbench.yml chooses where root writes or where credentials go: each trusted-only key is
// refused by name, with the flag or input to use instead, and all at once.
func TestParseFileRefusesTrustedOnlyKeys(t *testing.T) {
	t.Parallel()
	var doc strings.Builder
	trusted := SettingNames(KindTrustedOnly)
	for _, k := range trusted {
		doc.WriteString(k + ": x\n")
	}
	doc.WriteString("threshold: 7\n")
	f, err := ParseFile("coldbench.yml", []byte(doc.String()))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != len(trusted) {
		t.Fatalf("ParseFile(%v) = %v, want %d problems", trusted, err, len(trusted))
	}
	for _, want := range []string{
		"coldbench.yml: aws-endpoint is not settable from coldbench.yml: pass --aws-endpoint",
		"coldbench.yml: json is not settable from coldbench.yml: pass --json; the action writes its files to .coldbench/",
		"coldbench.yml: cache-dir is not settable from coldbench.yml: pass --cache-dir, or the action's cache-dir input",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFile() = %v\nwant a problem %q", err, want)
		}
	}
	if v, ok := f.Get("threshold"); !ok || v != "7" {
		t.Errorf("the valid key is still read: threshold = %q, %v", v, ok)
	}
}

// Load takes the judge settings from the trusted file alone and the function settings from the
// side's alone; flags win over both. JudgeChanges lists what the side's file would change.
func TestLoadLayers(t *testing.T) {
	t.Parallel()
	parse := func(doc string) File {
		f, err := ParseFile("coldbench.yml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	base := parse("threshold: 10\nsamples: 40\nbuild: make base\nmemory: 512\n")
	head := parse("threshold: 999\nalpha: 0.4\nbuild: make head\nenv:\n  FOO: x\nmemory: 1024\n")
	c, err := Load(Layers{Judge: base, Side: head, Given: []Given{{Key: "samples", Text: "60", Name: "--samples"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Threshold != 10 || c.Alpha != 0.01 || c.Samples != 60 || c.Build != "make head" || c.Env["FOO"] != "x" || c.MemoryMB != 1024 {
		t.Errorf("Load() = threshold %v, alpha %v, samples %d, build %q, env %v, memory %d; want base's threshold, the default alpha, the flag's samples, head's function",
			c.Threshold, c.Alpha, c.Samples, c.Build, c.Env, c.MemoryMB)
	}
	b, err := c.ForSide(base)
	if err != nil || b.Threshold != 10 || b.Samples != 60 || b.Build != "make base" || b.Env["FOO"] != "" || b.MemoryMB != 512 {
		t.Errorf("ForSide(base) = build %q, env %v, memory %d, %v; want base's own function and the same judge settings", b.Build, b.Env, b.MemoryMB, err)
	}
	if r, _ := c.ForSide(File{}); r.MemoryMB != DefaultMemoryMB || r.Build != "" {
		t.Errorf("ForSide(none) = memory %d, build %q; want the run's defaults", r.MemoryMB, r.Build)
	}
	got := JudgeChanges(base, head)
	want := []Change{{"alpha", "", "0.4"}, {"samples", "40", ""}, {"threshold", "10", "999"}}
	if len(got) != len(want) {
		t.Fatalf("JudgeChanges() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("JudgeChanges()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := Load(Layers{Given: []Given{{Key: "threshold", Text: "lots", Name: "input threshold"}}}); err == nil || !strings.Contains(err.Error(), `input threshold: "lots": invalid syntax`) {
		t.Errorf("Load(bad input) = %v, want the input named", err)
	}
}

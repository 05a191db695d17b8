package cli

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/publish"
	"github.com/coldbench/coldbench/pkg/results"
)

// The check's conclusion and the exit code of a run of several functions are the worst of its
// functions'; a function new in head has nothing to compare and does not make the run neutral.
func TestWorstOfFunctions(t *testing.T) {
	t.Parallel()
	fn, run := appFunction, appResults
	tests := []struct {
		name string
		r    *results.Results
		exit int
		want publish.Conclusion
	}{
		{"all unchanged", run(fn("A", results.FunctionMeasured, results.NoChange, true), fn("B", results.FunctionMeasured, results.Improvement, true)), ExitOK, publish.ConclusionSuccess},
		{"one regression", run(fn("A", results.FunctionMeasured, results.NoChange, true), fn("B", results.FunctionMeasured, results.Regression, true)), ExitRegression, publish.ConclusionFailure},
		{"one not compared", run(fn("A", results.FunctionMeasured, results.NoChange, true), fn("B", results.FunctionMeasured, results.NotCompared, true)), ExitOK, publish.ConclusionNeutral},
		{"a new function", run(fn("A", results.FunctionMeasured, results.NoChange, true), fn("N", results.FunctionNew, results.Unavailable, false)), ExitOK, publish.ConclusionSuccess},
		{"skipped and gone", run(fn("A", results.FunctionMeasured, results.NoChange, true), fn("S", results.FunctionSkipped, "", false), fn("G", results.FunctionGone, "", false)), ExitOK, publish.ConclusionSuccess},
	}
	for _, tc := range tests {
		if got := exitCode(tc.r); got != tc.exit {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.exit)
		}
		if got := conclusionOf(tc.r, true); got != tc.want {
			t.Errorf("%s: conclusion %s, want %s", tc.name, got, tc.want)
		}
	}
	// A head that failed to build fails the run, even a new function's.
	r := run(fn("A", results.FunctionMeasured, results.NoChange, true), fn("N", results.FunctionNew, results.Unavailable, false))
	r.Variants[2].BuildError = "exit status 1"
	if exitCode(r) != ExitFailure || conclusionOf(r, true) != publish.ConclusionFailure {
		t.Errorf("a head that failed to build: exit %d, conclusion %s; want a failure", exitCode(r), conclusionOf(r, true))
	}
}

// Which functions are measured is the judge's: the pull request's coldbench.yml cannot leave
// out the function it slows down. With function a function setting (the protection off), the
// pull request's file picks the one function it did not touch, and its regression goes unseen.
// (Not parallel: the control changes the settings table for a moment.)
func TestFunctionIsAJudgeSetting(t *testing.T) {
	t.Parallel()
	base, _ := config.ParseFile("base", []byte("function: all\n"))
	head, _ := config.ParseFile("head", []byte("function: GetProduct\n")) // PutProduct is the one it slowed
	load := func() string {
		cfg, err := config.Load(config.Layers{Judge: base, Side: head})
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Function
	}
	i := slices.IndexFunc(config.Settings, func(s config.Setting) bool { return s.Name == "function" })
	if config.Settings[i].Kind != config.KindJudge {
		t.Fatalf("function is a %s setting, want judge", config.Settings[i].Kind)
	}
	if got := load(); got != "all" || len(config.JudgeChanges(base, head)) != 1 {
		t.Errorf("function %q, changes %v; want base's all, head's change reported", got, config.JudgeChanges(base, head))
	}
	config.Settings[i].Kind = config.KindFunction
	got := load()
	config.Settings[i].Kind = config.KindJudge
	if got != "GetProduct" {
		t.Errorf("control: with function a function setting the pull request's file gives %q; the attack should have chosen GetProduct", got)
	}
}

// One real run of several functions, as the action runs it on a pull request (a copy of the
// products fixture, the layout of aws-samples/serverless-go-demo, and no handler input): the
// pull request changes one function's code and another's template settings, so function's
// default on a pull request (changed) measures those two in one run, skips the rest with the
// reason, and posts one comment and one check whose summary, like the job summary, has a row
// per function.
func TestAppActionEndToEnd(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "apps", "products"))); err != nil {
		t.Fatal(err)
	}
	git := gitIn(t, dir)
	git("init", "-q", "-b", "master")
	git("add", ".")
	git("commit", "-qm", "products")
	base := revParse(t, dir)
	git("checkout", "-qb", "pr")
	testenv.Write(t, filepath.Join(dir, "functions", "get-product"), "extra.go", "package main\n\nvar _ = len(\"more init\")\n")
	tmpl, _ := os.ReadFile(filepath.Join(dir, "template.yaml"))
	testenv.Write(t, dir, "template.yaml", strings.Replace(string(tmpl), "      MemorySize: 256\n", "      MemorySize: 512\n", 1))
	git("add", ".")
	git("commit", "-qm", "pr")
	head := revParse(t, dir)
	ev, err := os.ReadFile("testdata/pull_request.json")
	if err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(t.TempDir(), "event.json")
	evs := strings.ReplaceAll(strings.ReplaceAll(string(ev), "ec26c3e57ca3a959ca5aad62de7213c562f8c821", head), "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", base)
	testenv.Write(t, filepath.Dir(event), "event.json", evs)

	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, dir, event, map[string]string{"handler": "", "samples": "3", "init-samples": "0", "references": "go"})
	res, err := results.ReadFile(filepath.Join(dir, ".coldbench", "results.json"))
	if run.code == ExitFailure || run.code == ExitBadInput || err != nil {
		t.Fatalf("exit %d (%v)\n%s%s", run.code, err, run.stdout, run.stderr)
	}
	status := map[string]results.FunctionStatus{}
	for _, f := range res.Functions {
		status[f.Name] = f.Status
	}
	if status["GetProductFunction"] != results.FunctionMeasured || status["StreamFunction"] != results.FunctionMeasured ||
		status["ListProductsFunction"] != results.FunctionSkipped || len(res.Functions) != 5 {
		t.Fatalf("functions %v, want GetProduct (its code) and Stream (its MemorySize) measured, the rest skipped\n%s", status, run.stdout)
	}
	if f := res.FunctionByName("ListProductsFunction"); !strings.Contains(f.Reason, "package domain of the module") {
		t.Errorf("ListProducts skipped because %q; want the packages go list found", f.Reason)
	}
	for _, fn := range []string{"GetProductFunction", "StreamFunction"} {
		v := res.Function(fn)
		if len(v.SamplesOf("head")) != 3 || len(v.SamplesOf("base")) != 3 || v.Variant(results.RoleHead).Summary.InitMs == nil {
			t.Errorf("%s: %d head and %d base samples, want 3 each, measured\n%s", fn, len(v.SamplesOf("head")), len(v.SamplesOf("base")), run.stdout)
		}
	}
	if n := len(res.SamplesOf("go")); n != 3 {
		t.Errorf("the reference has %d samples, want 3: once a round for both functions", n)
	}
	if len(gh.Comments(2)) != 1 || len(gh.Checks()) != 1 {
		t.Fatalf("%d comments and %d checks, want one of each for the whole app", len(gh.Comments(2)), len(gh.Checks()))
	}
	for _, body := range []string{gh.Comments(2)[0].Body, run.summary} {
		if !strings.Contains(body, "| GetProductFunction | measured |") || !strings.Contains(body, "| ListProductsFunction | skipped |") || !strings.Contains(body, "coldbench · template.yaml") {
			t.Errorf("comment or job summary without the app's rows:\n%s", body)
		}
	}
}

// appFunction is a function of a run of several, with its head (and base) variants' names.
func appFunction(name string, status results.FunctionStatus, v results.Verdict, base bool) results.FunctionResult {
	f := results.FunctionResult{Name: name, Status: status, Verdict: v, Head: name + ":head"}
	if base {
		f.Base = name + ":base"
	}
	return f
}

// appResults is a run of the functions fns, each sampled one's variants measured.
func appResults(fns ...results.FunctionResult) *results.Results {
	r := &results.Results{SchemaVersion: 1, Functions: fns}
	for _, f := range fns {
		if f.Head == "" || !f.Sampled() {
			continue
		}
		sum := results.Summaries{InitMs: &results.Summary{N: 10, P50: 40}, ColdMs: &results.Summary{N: 10, P50: 45}}
		r.Variants = append(r.Variants, results.Variant{Name: f.Head, Role: results.RoleHead, Function: f.Name, Summary: sum})
		if f.Base != "" {
			r.Variants = append(r.Variants, results.Variant{Name: f.Base, Role: results.RoleBase, Function: f.Name, Summary: sum})
		}
	}
	r.Verdict = r.WorstVerdict()
	return r
}

// A run of several functions posts one comment and one check run, whose conclusion is the worst
// function's and whose summary has a row per function.
func TestPublishApp(t *testing.T) {
	t.Parallel()
	gh := fakegithub.New(t, repository, token)
	pub, err := publish.New(http.DefaultClient, gh.APIURL(), token, repository)
	if err != nil {
		t.Fatal(err)
	}
	r := appResults(appFunction("GetProduct", results.FunctionMeasured, results.NoChange, true),
		appFunction("PutProduct", results.FunctionMeasured, results.Regression, true),
		appFunction("ListProducts", results.FunctionSkipped, "", false))
	r.GitHub = &results.GitHubContext{Repository: repository, PullRequest: 2, HeadSHA: headSHA, Handler: "template.yaml"}
	if w := publishResults(context.Background(), pub, r, publishOptions{comment: "always", checkName: "coldbench", failOnRegression: true}, 0, true); len(w) > 0 {
		t.Fatalf("warnings %v", w)
	}
	if len(gh.Comments(2)) != 1 || len(gh.Checks()) != 1 || gh.Checks()[0].Conclusion != "failure" {
		t.Fatalf("%d comments, checks %+v; want one comment and one failed check", len(gh.Comments(2)), gh.Checks())
	}
	for _, row := range []string{"| GetProduct | measured |", "| PutProduct | measured |", "| ListProducts | skipped |"} {
		if !strings.Contains(gh.Comments(2)[0].Body, row) {
			t.Errorf("the comment has no row %q:\n%s", row, gh.Comments(2)[0].Body)
		}
	}
}

func revParse(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

const (
	token      = "ghs_e2eSecretToken"
	repository = "Codertocat/Hello-World"
)

// bootstrap is a tutorial-style shell runtime; SLEEP before the first /next sets its init time.
// It answers with its whole environment, so the test can see what a handler sees.
const bootstrap = `#!/bin/bash
set -euo pipefail
sleep SLEEP
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -LD "$HEADERS" "$API/invocation/next" >/dev/null
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  ENV=$(env | sort | tr '\n' ';' | sed 's/"/ /g')
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\"env\":\"$ENV\"}" >/dev/null
done
`

// repoWithPR makes a git repository whose base commit has a fast handler and whose head commit
// makes it 200 ms slower to init (clear even on a loaded machine), and returns it with the pull request's event file.
func repoWithPR(t *testing.T) (dir, event string) {
	t.Helper()
	return repoWithHandlers(t, strings.Replace(bootstrap, "SLEEP", "0", 1), strings.Replace(bootstrap, "SLEEP", "0.2", 1))
}

// repoWithPRSleeps is repoWithPR with the base's and the head's init sleeps given, and headFiles
// (path to contents) added in the head's commit.
func repoWithPRSleeps(t *testing.T, baseSleep, headSleep string, headFiles map[string]string) (dir, event string) {
	t.Helper()
	return repoWithHandlersFiles(t, strings.Replace(bootstrap, "SLEEP", baseSleep, 1), strings.Replace(bootstrap, "SLEEP", headSleep, 1), headFiles)
}

// repoWithHandlers makes a git repository whose base commit has the bootstrap base at fn/ and
// whose head commit (the pull request's) has head there, and returns it with the event file.
func repoWithHandlers(t *testing.T, baseBootstrap, headBootstrap string) (dir, event string) {
	t.Helper()
	return repoWithHandlersFiles(t, baseBootstrap, headBootstrap, nil)
}

// repoWithHandlersFiles is repoWithHandlers with headFiles (path to contents) added in the head's
// commit too.
func repoWithHandlersFiles(t *testing.T, baseBootstrap, headBootstrap string, headFiles map[string]string) (dir, event string) {
	t.Helper()
	testenv.Tool(t, "git")
	testenv.Tool(t, "curl")
	testenv.Tool(t, "bash")
	dir = t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Codertocat", "GIT_AUTHOR_EMAIL=c@example.com", "GIT_COMMITTER_NAME=Codertocat", "GIT_COMMITTER_EMAIL=c@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(script string) {
		_ = os.MkdirAll(filepath.Join(dir, "fn"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, "fn", "bootstrap"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "master")
	write(baseBootstrap)
	git("add", ".")
	git("commit", "-qm", "base handler")
	base := git("rev-parse", "HEAD")
	git("checkout", "-q", "-b", "changes")
	write(headBootstrap)
	for name, text := range headFiles {
		testenv.Write(t, dir, name, text)
	}
	git("add", ".")
	git("commit", "-qm", "the pull request's handler")
	head := git("rev-parse", "HEAD")

	tmpl, err := os.ReadFile("testdata/pull_request.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := strings.ReplaceAll(string(tmpl), "ec26c3e57ca3a959ca5aad62de7213c562f8c821", head)
	ev = strings.ReplaceAll(ev, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", base)
	event = filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(ev), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, event
}

type actionRun struct {
	code             int
	stdout, stderr   string
	outputs, summary string
}

// runActionT runs `coldbench action` as GitHub runs the container: INPUT_* variables, the event
// file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the API URL of the fake.
func runActionT(t *testing.T, gh *fakegithub.Server, workspace, event string, inputs map[string]string) actionRun {
	t.Helper()
	files := t.TempDir()
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": repository, "GITHUB_API_URL": gh.APIURL(), "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_WORKSPACE": workspace, "GITHUB_RUN_ID": "42", "GITHUB_SHA": "0000000000000000000000000000000000000000",
		"GITHUB_OUTPUT": filepath.Join(files, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(files, "summary"),
		"INPUT_GITHUB-TOKEN": token, "INPUT_HANDLER": "fn", "INPUT_SAMPLES": "12", "INPUT_INIT-SAMPLES": "0", "INPUT_REFERENCES": "none",
		"INPUT_COMMENT": "always", "INPUT_FAIL-ON-REGRESSION": "true", "INPUT_CHECK-NAME": "coldbench",
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for _, f := range []string{"output", "summary"} {
		_ = os.WriteFile(filepath.Join(files, f), nil, 0o644)
	}
	var stdout, stderr bytes.Buffer
	env := Env{
		Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""), Dir: workspace,
		Getenv: func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return os.Getenv(k)
		},
		Environ: os.Environ, Now: timeNow,
	}
	code := Main(context.Background(), []string{"action"}, env)
	out, _ := os.ReadFile(filepath.Join(files, "output"))
	sum, _ := os.ReadFile(filepath.Join(files, "summary"))
	return actionRun{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: string(out), summary: string(sum)}
}

func TestActionEndToEnd(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPR(t)
	gh := fakegithub.New(t, repository, token)

	first := runActionT(t, gh, dir, event, nil)
	if first.code != ExitRegression {
		t.Fatalf("first run exit %d, want %d (regression, fail-on-regression)\nstdout:\n%s\nstderr:\n%s", first.code, ExitRegression, first.stdout, first.stderr)
	}
	second := runActionT(t, gh, dir, event, map[string]string{"fail-on-regression": "false"})
	if second.code != ExitOK {
		t.Fatalf("second run exit %d, want 0 with fail-on-regression false\n%s", second.code, second.stderr)
	}

	// Exactly one sticky comment, created by the first run and edited by the second.
	var ours []fakegithub.Comment
	for _, c := range gh.Comments(2) {
		if strings.Contains(c.Body, "<!-- coldbench:sticky handler=fn -->") {
			ours = append(ours, c)
		}
	}
	if len(ours) != 1 || gh.Count("POST", "/issues/2/comments") != 1 || gh.Count("PATCH", "/issues/comments/"+itoa(ours[0].ID)) != 1 {
		t.Fatalf("comments: %d sticky, %d created, want exactly one created and edited once", len(ours), gh.Count("POST", "/issues/2/comments"))
	}
	if !strings.Contains(ours[0].Body, "regression") || !strings.Contains(ours[0].Body, "| head vs base |") {
		t.Errorf("comment body lacks the verdict or the table:\n%s", ours[0].Body)
	}
	// One completed check run per run, on the PR's head commit, with the right conclusion.
	if len(gh.Checks()) != 2 {
		t.Fatalf("%d check runs, want 2", len(gh.Checks()))
	}
	for i, want := range []string{"failure", "neutral"} {
		c := gh.Checks()[i]
		if c.Status != "completed" || c.Conclusion != want || c.Updates != 1 || !strings.Contains(c.Title, "regression") {
			t.Errorf("check run %d = %+v, want completed %s after one update", i, c, want)
		}
	}
	for _, want := range []string{"verdict<<", "regression", "results-json<<", ".coldbench/results.json", "report-markdown<<"} {
		if !strings.Contains(first.outputs, want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, first.outputs)
		}
	}
	if !strings.Contains(first.summary, "Cold start +") || !strings.Contains(first.summary, "regression") {
		t.Errorf("job summary lacks the verdict:\n%s", first.summary)
	}
	if !strings.Contains(first.stdout, "::error::Cold start +") {
		t.Errorf("no ::error annotation for the regression:\n%s", first.stdout)
	}
	// The token reaches neither the handler nor any output.
	results, err := os.ReadFile(filepath.Join(dir, ".coldbench", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{token, "INPUT_", "GITHUB_TOKEN", "AWS_SECRET", "GITHUB_API_URL"} {
		for name, text := range map[string]string{"results.json": string(results), "stderr": first.stderr, "log": strings.ReplaceAll(first.stdout, "::add-mask::"+token, ""), "summary": first.summary, "comment": ours[0].Body} {
			if strings.Contains(text, leak) {
				t.Errorf("%s contains %q", name, leak)
			}
		}
	}
	for _, phase := range []string{`"phases_ms"`, `"build"`, `"sample"`, `"publish"`} {
		if !strings.Contains(string(results), phase) {
			t.Errorf("results.json lacks the phase time %s", phase)
		}
	}
	if !strings.Contains(string(results), "AWS_LAMBDA_RUNTIME_API=") {
		t.Error("results.json lacks the handler's environment dump: the leak check proves nothing")
	}
	if !strings.Contains(first.stdout, "::add-mask::"+token) {
		t.Error("the token was not masked in the log")
	}
}

func TestActionReadOnlyToken(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPR(t)
	gh := fakegithub.New(t, repository, token)
	gh.Forbid = true
	run := runActionT(t, gh, dir, event, map[string]string{"fail-on-regression": "false"})
	if run.code != ExitOK {
		t.Fatalf("exit %d with a read-only token, want 0\n%s", run.code, run.stderr)
	}
	if len(gh.Comments(2)) != 0 || len(gh.Checks()) != 0 {
		t.Errorf("read-only token: %d comments, %d checks", len(gh.Comments(2)), len(gh.Checks()))
	}
	if !strings.Contains(run.stdout, "::warning::") || !strings.Contains(run.summary, "Cold start") {
		t.Errorf("want a warning and a job summary\nstdout:\n%s\nsummary:\n%s", run.stdout, run.summary)
	}
}

func TestActionRetriesA502Once(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPR(t)
	gh := fakegithub.New(t, repository, token)
	gh.FailNext("POST comments", 502)
	run := runActionT(t, gh, dir, event, map[string]string{"fail-on-regression": "false"})
	if run.code != ExitOK || len(gh.Comments(2)) != 1 || gh.Count("POST", "/issues/2/comments") != 2 {
		t.Errorf("after a 502: exit %d, %d comments, %d posts; want one retry, one comment", run.code, len(gh.Comments(2)), gh.Count("POST", "/issues/2/comments"))
	}
}

func TestActionForkPostsNothing(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPR(t)
	b, _ := os.ReadFile(event)
	// The head repository of a fork is another owner's.
	forked := strings.Replace(string(b), `"label": "Codertocat:changes",`, `"label": "forker:changes",`, 1)
	forked = strings.Replace(forked, `"full_name": "Codertocat/Hello-World",`, `"full_name": "forker/Hello-World",`, 1)
	_ = os.WriteFile(event, []byte(forked), 0o644)
	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, dir, event, map[string]string{"fail-on-regression": "false"})
	if run.code != ExitOK || len(gh.Requests()) != 0 || !strings.Contains(run.stdout, "fork") || !strings.Contains(run.summary, "Cold start") {
		t.Errorf("fork: exit %d, %d API requests; want 0 requests, a warning and a summary\n%s", run.code, len(gh.Requests()), run.stdout)
	}
}

func TestActionShallowCloneSaysFetchDepth(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPR(t)
	shallow := filepath.Join(t.TempDir(), "shallow")
	if out, err := exec.Command("git", "clone", "-q", "--depth", "1", "--branch", "changes", "file://"+dir, shallow).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, shallow, event, nil)
	if run.code != ExitBadInput || !strings.Contains(run.stdout+run.stderr, "fetch-depth: 0") {
		t.Errorf("shallow clone: exit %d, want 2 and advice to set fetch-depth: 0\n%s\n%s", run.code, run.stdout, run.stderr)
	}
}

func TestActionBadInputsAllAtOnce(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPR(t)
	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, dir, event, map[string]string{"samples": "1", "memory": "64", "comment": "sometimes", "fail-on-regression": "maybe"})
	if run.code != ExitBadInput {
		t.Fatalf("exit %d, want 2", run.code)
	}
	for _, want := range []string{"input samples 1", "input memory 64: Lambda allows 128 to 10240 MB", `input comment "sometimes": valid values are always, on-change, never`, `input fail-on-regression "maybe"`} {
		if !strings.Contains(run.stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, run.stderr)
		}
	}
	if len(gh.Requests()) != 0 {
		t.Errorf("bad inputs still called the API %d times", len(gh.Requests()))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var timeNow = time.Now

package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
)

// injector is a pull request's handler that tries to own the workflow from its init error: an
// errorType with a workflow command on each line of its own, a message that mentions and embeds
// HTML, and output that holds commands too (the report keeps the output's tail).
const injector = `#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "::set-output name=verdict::none"
echo "  ::notice title=coldbench::pwned by output"
echo "##[set-output name=regression;]false"
echo '@octocat <img src=x onerror=alert(1)>'
printf '%s' '{"errorType":"X\n::set-output name=verdict::none\n::notice::pwned","errorMessage":"@octocat <img src=x>\n::error::pwned"}' |
  curl -sS -X POST "$API/init/error" -H 'Content-Type: application/json' --data-binary @- >/dev/null
exit 1
`

// ours are the commands coldbench issues itself.
var ours = map[string]bool{"add-mask": true, "error": true, "warning": true, "notice": true}

// A handler's init error and output reach the action's log, the job summary and the comment
// inert: the runner acts on none of its commands (a control shows that printed as is it would
// act on them), the verdict output is the real one, and the Markdown mentions nobody and has no
// tag of the handler's.
func TestActionHandlerStringsAreInert(t *testing.T) {
	t.Parallel()
	dir, event := repoWithHandlers(t, strings.Replace(bootstrap, "SLEEP", "0", 1), injector)
	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, dir, event, nil)
	if run.code != ExitFailure {
		t.Fatalf("exit %d, want %d (every head sample failed)\nstdout:\n%s\nstderr:\n%s", run.code, ExitFailure, run.stdout, run.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ".coldbench", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The control: the handler's output, as it was kept, is an attack the runner would obey.
	if !strings.Contains(string(raw), `"output": "::set-output name=verdict::none\n`) {
		t.Fatalf("results.json lacks the handler's attack in its output: the handler did not run as meant\n%s", raw)
	}
	if got := runnerCommands("::set-output name=verdict::none\n  ::notice title=coldbench::pwned by output\n"); len(got) != 2 {
		t.Fatalf("the runner emulation ignores the attack (%v): this test proves nothing", got)
	}
	for name, log := range map[string]string{"stdout": run.stdout, "stderr": run.stderr} {
		for _, c := range runnerCommands(log) {
			if !ours[c.name] || c.data == "pwned" || c.data == "pwned by output" { // the handler's own commands
				t.Errorf("%s: the runner would run %s::%s, not coldbench's", name, c.name, c.data)
			}
		}
	}
	if !strings.Contains(run.stdout, "::add-mask::"+token) || !strings.Contains(run.stdout, "::stop-commands::") {
		t.Errorf("stdout lacks coldbench's own mask or a pause of commands:\n%s", run.stdout)
	}
	// The verdict the attack would set is none; the real one is a regression (head never starts).
	if !regexp.MustCompile(`(?m)^verdict<<.*\nregression\n`).MatchString(run.outputs) || strings.Contains(run.outputs, "\nnone\n") {
		t.Errorf("GITHUB_OUTPUT has not the real verdict (regression):\n%s", run.outputs)
	}
	comments := gh.Comments(2)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	for name, md := range map[string]string{"job summary": run.summary, "comment": comments[0].Body} {
		if !strings.Contains(md, "X_set-output_name_verdict_none_notice_pwned") {
			t.Errorf("%s lacks the cleaned error type: the test does not see the attack\n%s", name, md)
		}
		if m := regexp.MustCompile(`@octocat|<img`).FindAllString(md, -1); len(m) > 0 {
			t.Errorf("%s has %q: a mention or a tag of the handler's", name, m)
		}
		for _, l := range linesOutsideFences(md) {
			if strings.HasPrefix(strings.TrimSpace(l), "::") {
				t.Errorf("%s: outside code, the line %q reads as a workflow command", name, l)
			}
		}
		if !strings.Contains(md, "::set-output name=verdict::none") {
			t.Errorf("%s lacks the handler's output: nothing was tested\n%s", name, md)
		}
	}
}

// linesOutsideFences are md's lines that are not in a fenced code block.
func linesOutsideFences(md string) []string {
	var out []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimLeft(l, " ")
		n := len(t) - len(strings.TrimLeft(t, "`"))
		switch {
		case fence != "" && n >= len(fence) && strings.Trim(t, "` ") == "":
			fence = ""
		case fence != "":
		case n >= 3:
			fence = t[:n]
		default:
			out = append(out, l)
		}
	}
	return out
}

// brokenBase is a base revision whose handler dies at init: every base sample fails.
const brokenBase = `#!/bin/bash
echo "panic: base is broken" >&2
exit 2
`

// A base that fails every sample is not compared: the check is neutral (never a pass), the
// comment and the verdict output say so, a warning annotation says why, and the exit is 0.
func TestActionBaseFailedEverySampleIsNotCompared(t *testing.T) {
	t.Parallel()
	dir, event := repoWithHandlers(t, brokenBase, strings.Replace(bootstrap, "SLEEP", "0", 1))
	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, dir, event, nil)
	if run.code != ExitOK {
		t.Fatalf("exit %d, want 0 with a neutral check\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
	}
	if len(gh.Checks()) != 1 {
		t.Fatalf("%d check runs, want 1", len(gh.Checks()))
	}
	if c := gh.Checks()[0]; c.Conclusion != "neutral" || !strings.Contains(c.Title, "base failed every sample") || !strings.Contains(c.Title, "not compared") {
		t.Errorf("check run %+v, want neutral, titled that base failed every sample and was not compared", c)
	}
	comments := gh.Comments(2)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "not compared") || strings.Contains(comments[0].Body, "improvement") {
		t.Errorf("comments %+v, want one saying not compared, with no improvement", comments)
	}
	if !regexp.MustCompile(`(?m)^verdict<<.*\nnot-compared\n`).MatchString(run.outputs) {
		t.Errorf("GITHUB_OUTPUT's verdict is not not-compared:\n%s", run.outputs)
	}
	if !regexp.MustCompile(`(?m)^::warning::every base sample failed \(Runtime\.ExitError in init`).MatchString(run.stdout) {
		t.Errorf("no warning annotation saying why:\n%s", run.stdout)
	}
}

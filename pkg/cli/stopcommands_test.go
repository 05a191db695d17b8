package cli

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/sethvargo/go-githubactions"
)

// runnerCommand is a workflow command the GitHub runner acted on.
type runnerCommand struct{ name, data string }

// runnerCommands is what the GitHub runner acts on in a step's log, as its ActionCommandManager
// does: a line (lines end at "\r" or "\n") is a command when, leading whitespace trimmed, it is
// "::name props::data", or when it holds the legacy "##[name props]data" anywhere; name must be
// registered; ::stop-commands::T ignores every command until one named T.
func runnerCommands(log string) []runnerCommand {
	registered := map[string]bool{}
	for _, n := range []string{"set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher", "remove-matcher",
		"debug", "warning", "error", "notice", "group", "endgroup", "echo", "stop-commands"} {
		registered[n] = true
	}
	parse := func(line string) (string, string, bool) {
		if t := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(t, "::") {
			if end := strings.Index(t[2:], "::"); end >= 0 {
				name, _, _ := strings.Cut(t[2:2+end], " ")
				return strings.ToLower(name), t[2+end+2:], true
			}
		}
		if i := strings.Index(line, "##["); i >= 0 {
			if rb := strings.Index(line[i:], "]"); rb >= 0 {
				name, _, _ := strings.Cut(line[i+3:i+rb], " ")
				return strings.ToLower(name), line[i+rb+1:], true
			}
		}
		return "", "", false
	}
	var out []runnerCommand
	stop := ""
	for _, line := range strings.FieldsFunc(log, func(c rune) bool { return c == '\n' || c == '\r' }) {
		name, data, ok := parse(line)
		switch {
		case !ok:
		case stop != "":
			if name == stop {
				stop = ""
			}
		case name == "stop-commands" && data != "":
			stop = strings.ToLower(data)
		case registered[name]:
			out = append(out, runnerCommand{name, data})
		}
	}
	return out
}

// An attack that the runner runs when printed as is runs nothing when printed through
// stopCommands, and coldbench's own commands after a resume still run.
func TestStopCommandsPausesTheRunner(t *testing.T) {
	t.Parallel()
	attack := "X\n::set-output name=verdict::none\r  ::notice::pwned\n##[add-mask]x\n::stop-commands::guess\n::guess::\n::error::after guess"
	if got := runnerCommands(attack); len(got) < 3 {
		t.Fatalf("printed as is, the attack runs %v: too little for the test to mean anything", got)
	}
	var log strings.Builder
	s := &stopCommands{w: &log}
	fmt.Fprint(s, "partial line then ", attack) // no newline at the end: resume must still be a line of its own
	s.resume()
	fmt.Fprintln(&log, "::notice::ours")
	fmt.Fprintln(s, attack)
	s.resume()
	fmt.Fprintln(&log, "::warning::ours too")
	s.resume() // resuming twice prints nothing more
	got := runnerCommands(log.String())
	want := []runnerCommand{{"notice", "ours"}, {"warning", "ours too"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the runner ran %v, want only coldbench's own %v; log:\n%s", got, want, log.String())
	}
	for _, l := range strings.Split(log.String(), "\n") {
		if tok, ok := strings.CutPrefix(l, "::stop-commands::"); ok && tok != "guess" && strings.Count(log.String(), tok) != 2 {
			t.Errorf("token %s is printed %d times, want twice (its pause and its resume)", tok, strings.Count(log.String(), tok))
		}
	}
	if n := strings.Count(log.String(), "::stop-commands::") - 2*strings.Count(attack, "::stop-commands::"); n != 2 {
		t.Errorf("%d stop-commands lines of coldbench's, want one per pause:\n%s", n, log.String())
	}
}

// coldbench's own annotations quote the pull request's words (a warning names its error type and
// message): go-githubactions escapes '%', '\r' and '\n' in a command's message, and ':' and ','
// too in its properties (v1.4.0's escapeData and escapeProperty), so each is one command the
// runner reads whole, whatever the words.
func TestAnnotationsStayOneCommand(t *testing.T) {
	t.Parallel()
	attack := "x\n::set-output name=verdict::none\r::notice::pwned,title=y::z%0A::error::w"
	var log strings.Builder
	gha := githubactions.New(githubactions.WithWriter(&log))
	gha.Warningf("%s", attack)
	gha.WithFieldsMap(map[string]string{"title": attack}).Errorf("%s", attack)
	got := runnerCommands(log.String())
	if len(got) != 2 || got[0].name != "warning" || got[1].name != "error" || strings.Count(log.String(), "\n") != 2 {
		t.Errorf("the runner reads %v from\n%s\nwant one warning and one error", got, log.String())
	}
	if got := runnerCommands(attack); len(got) < 2 {
		t.Fatalf("the attack holds %v: printed as is it would run less than two commands; this test proves nothing", got)
	}
}

package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

// stopCommands is the action's log for everything coldbench prints that may carry a pull
// request's text (progress, build notes, the text report): a writer that, before its first byte,
// stops the runner's workflow commands with ::stop-commands::<token>, and whose resume turns
// them back on with ::<token>::. The token is 128 random bits, new for every pause and printed
// only in that pair, so text written in between cannot end the pause, and the runner acts on no
// line of it. coldbench's own commands (annotations, masks) are issued only while it is resumed.
//
// The runner reads a container's stdout and stderr apart, in no order between them, so the log
// goes to the stream the commands go to (stdout): a pause then covers exactly what was written
// after it.
//
// Runner: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs
// (TryProcessCommand: a "::" line, leading whitespace trimmed, or "##[" anywhere in a line);
// docs: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#stopping-and-starting-workflow-commands
type stopCommands struct {
	mu      sync.Mutex
	w       io.Writer
	token   string // the pause's token; empty while commands run
	midLine bool   // the last byte written was not a newline
}

// Write pauses commands when they run, then writes p.
func (s *stopCommands) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if s.token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("stop workflow commands: %w", err)
		}
		tok := hex.EncodeToString(b[:])
		if _, err := fmt.Fprintf(s.w, "%s::stop-commands::%s\n", s.newline(), tok); err != nil {
			return 0, err
		}
		s.token, s.midLine = tok, false
	}
	n, err := s.w.Write(p)
	if n > 0 {
		s.midLine = p[n-1] != '\n'
	}
	return n, err
}

// resume turns the runner's commands back on, on a line of its own, if they were paused.
func (s *stopCommands) resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" {
		return
	}
	fmt.Fprintf(s.w, "%s::%s::\n", s.newline(), s.token)
	s.token, s.midLine = "", false
}

func (s *stopCommands) newline() string {
	if s.midLine {
		return "\n"
	}
	return ""
}

// Package cli is coldbench's command line: one function per subcommand, each taking its inputs
// (arguments, writers, environment, clock) from an Env so tests can hand them in.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/report"
)

// Exit codes, documented in the README.
const (
	ExitOK         = 0 // no regression (or nothing to compare)
	ExitRegression = 1 // a regression, or a budget exceeded
	ExitBadInput   = 2 // invalid flags, config, inputs or files
	ExitFailure    = 3 // the benchmark could not be done (build failed, every sample failed...)
)

// Env is everything a command takes from the process around it.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Getenv         func(string) string
	Environ        func() []string
	// Unsetenv forgets a variable once it is read (a token), where the environment allows.
	Unsetenv func(string)
	Now      func() time.Time
	// IsTerminal reports whether Stderr is an interactive terminal (for the progress bar);
	// StdoutIsTerminal whether Stdout is (for colour).
	IsTerminal, StdoutIsTerminal bool
	// Dir is the working directory commands resolve relative paths against.
	Dir string
}

// System is the real process environment.
func System() Env {
	dir, _ := os.Getwd()
	st, _ := os.Stderr.Stat()
	so, _ := os.Stdout.Stat()
	return Env{
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Stdin:            os.Stdin,
		Getenv:           os.Getenv,
		Environ:          os.Environ,
		Unsetenv:         func(k string) { _ = os.Unsetenv(k) },
		Now:              time.Now,
		IsTerminal:       st != nil && st.Mode()&os.ModeCharDevice != 0,
		StdoutIsTerminal: so != nil && so.Mode()&os.ModeCharDevice != 0,
		Dir:              dir,
	}
}

// ExitError ends a command with an exit code: every command returns one (or nil, exit 0). Err
// is what went wrong; it is nil where the outcome was already reported (a regression's verdict).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exit ends a command with code and nothing more to say.
func exit(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code}
}

// withCode ends a command with err and code, unless err already carries a code of its own; an
// error without a code is a failure.
func withCode(code int, err error) error {
	if err == nil {
		return exit(code)
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if code == ExitOK {
		code = ExitFailure
	}
	return &ExitError{Code: code, Err: err}
}

// badInput marks err as the user's input being wrong (exit 2).
func badInput(err error) error { return &ExitError{Code: ExitBadInput, Err: err} }

// failure marks err as the benchmark failing (exit 3).
func failure(err error) error { return &ExitError{Code: ExitFailure, Err: err} }

type command struct {
	summary string
	run     func(ctx context.Context, args []string, env Env) error
}

func commands() map[string]command {
	return map[string]command{
		"run":              {"build and cold-start benchmark handlers locally, compare head with base", runCmd},
		"report":           {"re-render a results JSON as text, Markdown, JSON or HTML", reportCmd},
		"publish":          {"post a results JSON to a pull request (comment, check run)", publishCmd},
		"action":           {"the GitHub Action's entry point (reads INPUT_* and the event)", actionCmd},
		"calibrate":        {"measure the statistics' false-alarm and detection rates, or the runner's floor", calibrateCmd},
		"lambda-ratio":     {"run the references locally and on Lambda and print each runtime's ratio", lambdaRatioCmd},
		"doctor":           {"show which toolchains and limits this machine has", doctorCmd},
		"history":          {"the stored runs of a handler (a --store directory), their change points, charts and issues", historyCmd},
		"store":            {"keep a results history under its size limit and push it to its data branch", storeCmd},
		"version":          {"print the version", versionCmd},
		"build-references": {"build the reference handlers once, for the image or the cache (COLDBENCH_REFERENCES_DIR)", buildReferencesCmd},
	}
}

// Version is set at build time with -ldflags "-X github.com/coldbench/coldbench/pkg/cli.Version=...".
var Version = "dev"

// Main runs one coldbench command and returns its exit code.
func Main(ctx context.Context, args []string, env Env) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout, cmds)
		if len(args) == 0 {
			return ExitBadInput
		}
		return ExitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "coldbench: unknown command %q; valid commands: %s\n", args[0], strings.Join(slices.Sorted(maps.Keys(cmds)), ", "))
		return ExitBadInput
	}
	err := c.run(ctx, args[1:], env)
	if err == nil {
		return ExitOK
	}
	code := ExitFailure
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code // the command has said why (a regression's report)
		}
	}
	// An error may quote the pull request (its coldbench.yml, its template, its build).
	fmt.Fprintf(env.Stderr, "coldbench %s: %s\n", args[0], report.LogSafe(err.Error()))
	return code
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "coldbench: cold-start benchmarks for AWS Lambda handlers, with a verdict per pull request.")
	fmt.Fprintln(w, "\nUsage: coldbench <command> [flags]\n\nCommands:")
	for _, n := range slices.Sorted(maps.Keys(cmds)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'coldbench <command> -h' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 regression or budget exceeded, 2 bad input, 3 failure.")
}

func versionCmd(ctx context.Context, args []string, env Env) error {
	fmt.Fprintln(env.Stdout, "coldbench", Version)
	return nil
}

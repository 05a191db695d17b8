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

// exitError carries an exit code through the error chain.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// badInput marks err as the user's input being wrong (exit 2).
func badInput(err error) error { return &exitError{code: ExitBadInput, err: err} }

// failure marks err as the benchmark failing (exit 3).
func failure(err error) error { return &exitError{code: ExitFailure, err: err} }

type command struct {
	summary string
	run     func(ctx context.Context, args []string, env Env) (int, error)
}

func commands() map[string]command {
	return map[string]command{
		"run":              {"build and cold-start benchmark handlers locally, compare head with base", runCmd},
		"report":           {"re-render a results JSON as text, Markdown, JSON or HTML", reportCmd},
		"publish":          {"post a results JSON to a pull request (comment, check run)", publishCmd},
		"action":           {"the GitHub Action's entry point (reads INPUT_* and the event)", actionCmd},
		"calibrate":        {"measure the statistics' false-alarm and detection rates, or the runner's floor", calibrateCmd},
		"doctor":           {"show which toolchains and limits this machine has", doctorCmd},
		"history":          {"list the stored runs of a handler (a --store directory)", historyCmd},
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
	code, err := c.run(ctx, args[1:], env)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if code == ExitOK {
			code = ExitFailure
		}
		// An error may quote the pull request (its coldbench.yml, its template, its build).
		fmt.Fprintf(env.Stderr, "coldbench %s: %s\n", args[0], report.LogSafe(err.Error()))
	}
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

func versionCmd(ctx context.Context, args []string, env Env) (int, error) {
	fmt.Fprintln(env.Stdout, "coldbench", Version)
	return ExitOK, nil
}

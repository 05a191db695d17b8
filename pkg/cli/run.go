package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/results"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/git"
	"github.com/coldbench/coldbench/pkg/report"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// runHelpNotes follow run's flags in its help: what the init breakdown reads.
const runHelpNotes = `
Init breakdown (head against base, in every report):
  Every sample records its init's counters, read from /proc at the first /next: cpu_ms (on-CPU
  time of all threads), user_ms and sys_ms, minor_faults (memory touched) and major_faults (pages
  read from disk), voluntary_switches (waits) and involuntary_switches (preemptions), read_bytes,
  read_calls and disk_read_bytes, open_files and threads. They cannot see processes the bootstrap
  starts. Go, Python and Node.js inits are also traced on 3 extra cold starts a side (GODEBUG=
  inittrace=1, -X importtime, a module hook) to name the package or module that changed; binaries'
  ELF sections and bundles' modules are compared by size. --instructions adds init's instruction
  count from valgrind's cachegrind, on 3 more cold starts a side (slow for JIT runtimes).
  README: "Why init got slower".
`

// parseRun reads the settings (loadSettings: defaults, the trusted coldbench.yml's judge
// settings, the work tree's function settings, flags) and validates the result. Every setting
// of config.Settings is a flag; config, handlers-dir and quiet are run's own.
func parseRun(ctx context.Context, args []string, env Env) (config.Config, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals, bools := map[string]*string{}, map[string]*bool{}
	for _, s := range config.Settings {
		usage := s.Usage
		if s.Kind == config.KindTrustedOnly {
			usage += " [a flag only, never a coldbench.yml key]"
		}
		if s.Bool {
			bools[s.Name] = fs.Bool(s.Name, false, usage)
			continue
		}
		vals[s.Name] = fs.String(s.Name, "", usage)
	}
	configFile := fs.String("config", "", "coldbench.yml to read (default: ./coldbench.yml if present); in a git repository its judge settings are the base revision's")
	handlersDir := fs.String("handlers-dir", "", "where the reference handlers are")
	quiet := fs.Bool("quiet", false, "no progress output")
	help := fs.Bool("h", false, "")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) || *help { // -h, or -help/--help
		return config.Config{}, errHelp(fs)
	}
	if err != nil {
		return config.Config{}, badInput(flagError(err, fs))
	}
	if fs.NArg() > 0 {
		return config.Config{}, badInput(fmt.Errorf("unexpected argument %q (flags only; the handler is --handler DIR)", fs.Arg(0)))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var given []config.Given
	for _, s := range config.Settings {
		if !set[s.Name] {
			continue
		}
		val := ""
		if b, ok := bools[s.Name]; ok {
			val = strconv.FormatBool(*b)
		} else {
			val = *vals[s.Name]
		}
		given = append(given, config.Given{Key: s.Name, Text: val, Name: "--" + s.Name})
	}
	cfg, problems := loadSettings(ctx, loadSpec{dir: env.Dir, config: *configFile, explicit: *configFile != "", configName: "--config", given: given})
	cfg.Quiet = *quiet
	cfg.HandlersDir = *handlersDir
	cfg.Handler = resolve(env.Dir, cfg.Handler)
	problems = append(problems, settleFunction(&cfg, env.Dir, "")...)
	defaultFunctions(&cfg, false)
	wholeHandler(&cfg, env.Dir)
	if _, err := os.Stat(resolve(env.Dir, cfg.Event)); err == nil {
		cfg.Event = resolve(env.Dir, cfg.Event) // a file; presets and inline JSON stay as they are
	}
	cfg.Store = resolve(env.Dir, cfg.Store)
	cfg.Baseline = resolve(env.Dir, cfg.Baseline)
	cfg.CacheDir = resolve(env.Dir, cfg.CacheDir)
	if err := cfg.Validate(func(f string) string { return "--" + f }, build.Vocabulary()); err != nil {
		problems = append(problems, asProblems(err)...)
	}
	if len(problems) > 0 {
		return cfg, badInput(problems)
	}
	return cfg, nil
}

func runCmd(ctx context.Context, args []string, env Env) error {
	cfg, err := parseRun(ctx, args, env)
	if err != nil {
		if h, ok := err.(helpError); ok {
			fmt.Fprint(env.Stdout, h.text+runHelpNotes)
			return nil
		}
		return withCode(ExitBadInput, err)
	}
	p, err := withApp(newPipeline(cfg, env, env.Stderr), cfg, env.Dir)
	if err != nil {
		return withCode(ExitBadInput, err)
	}
	p.SlotOwner = runSlotOwner(ctx, cfg, env)
	if !cfg.Quiet {
		p.Preview = func(res *results.Results, pending []string) { writePreview(env.Stderr, res, pending) }
	}
	res, err := runPipeline(ctx, p)
	if err != nil {
		if res != nil {
			// Cancelled while sampling: the samples already taken (and paid for, on Lambda) are kept.
			if werr := writeOutputs(res, cfg, env); werr != nil {
				fmt.Fprintf(env.Stderr, "coldbench: %v\n", werr)
			} else if cfg.JSON != "" {
				fmt.Fprintf(env.Stderr, "coldbench: cancelled; the %d samples taken are in %s\n", len(res.Samples), cfg.JSON)
			}
		}
		return withCode(ExitFailure, err)
	}
	if err := writeOutputs(res, cfg, env); err != nil {
		return withCode(ExitFailure, err)
	}
	report.WriteText(env.Stdout, res, report.TextOptions{Color: colorOK(env)})
	fmt.Fprintf(env.Stderr, "coldbench: done in %.1fs (build %.1fs, %d samples in %.1fs, report)\n",
		res.DurationMs/1000, res.Phases["build"]/1000, len(res.Samples), res.Phases["sample"]/1000)
	return exit(exitCode(res))
}

// writePreview prints the first table of a run of the references alone, which grows: pending
// still build, and the full table follows on stdout.
func writePreview(w io.Writer, res *results.Results, pending []string) {
	fmt.Fprintf(w, "\ncoldbench: a first table (%d rounds, sampled while %s built; the table grows: the full one, every reference in every round, follows)\n",
		res.Config.Samples, strings.Join(pending, ", "))
	report.WriteText(w, res, report.TextOptions{})
	fmt.Fprintln(w)
}

// exitCode: 1 on a regression, 3 when the head could not be measured at all.
func exitCode(res *results.Results) int {
	if len(res.Functions) > 0 {
		return worstExit(res)
	}
	if head := res.Variant(results.RoleHead); head != nil {
		if head.BuildError != "" {
			return ExitFailure
		}
		if head.Summary.InitMs == nil || head.Summary.ColdMs == nil {
			return ExitFailure // every head sample failed, in init or in its invoke
		}
	}
	if len(res.Samples) > 0 && !slices.ContainsFunc(res.Samples, func(s results.Sample) bool { return s.Error == nil }) {
		return ExitFailure // every sample failed (the references alone: an endpoint down, a wrong role...)
	}
	if res.Verdict == results.Regression || results.BudgetsExceeded(res.Budgets) {
		return ExitRegression
	}
	return ExitOK
}

func writeOutputs(res *results.Results, cfg config.Config, env Env) error {
	write := func(path string, render func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			return err
		}
		if err := writeNew(resolve(env.Dir, path), buf.Bytes()); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	if err := write(cfg.JSON, func(w io.Writer) error { return results.WriteJSON(w, res) }); err != nil {
		return err
	}
	if err := write(cfg.Markdown, func(w io.Writer) error {
		_, err := io.WriteString(w, report.Markdown(res, report.MarkdownOptions{}))
		return err
	}); err != nil {
		return err
	}
	return write(cfg.HTML, func(w io.Writer) error { return report.WriteHTML(w, res, storedTrend(cfg, env.Dir)...) })
}

func colorOK(env Env) bool {
	_, noColor := lookupEnv(env, "NO_COLOR")
	return env.StdoutIsTerminal && !noColor && env.Getenv("TERM") != "dumb"
}

func lookupEnv(env Env, key string) (string, bool) {
	for _, kv := range env.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(dir, p)
}

func fileExistsAt(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// parseFlags parses a command's flags; done is true when -h printed the usage (argsHelp adds
// the positional arguments).
func parseFlags(fs *flag.FlagSet, args []string, env Env, argsHelp string) (done bool, err error) {
	fs.SetOutput(io.Discard)
	help := fs.Bool("h", false, "")
	err = fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return false, badInput(flagError(err, fs))
	}
	if *help || err != nil {
		fmt.Fprint(env.Stdout, errHelp(fs).(helpError).text+argsHelp)
		return true, nil
	}
	return false, nil
}

// helpError carries a command's usage text to print with exit 0.
type helpError struct{ text string }

func (h helpError) Error() string { return "help requested" }

func errHelp(fs *flag.FlagSet) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: coldbench %s [flags]\n\nFlags:\n", fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "h" {
			return
		}
		fmt.Fprintf(&b, "  --%-16s %s\n", f.Name, f.Usage)
	})
	return helpError{b.String()}
}

// flagError rewrites the flag package's error to name the valid flags.
func flagError(err error, fs *flag.FlagSet) error {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "h" {
			names = append(names, "--"+f.Name)
		}
	})
	sort.Strings(names)
	msg := err.Error()
	if bad, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return fmt.Errorf("unknown flag %s; valid flags are %s", bad, strings.Join(names, ", "))
	}
	return fmt.Errorf("%s (valid flags are %s)", msg, strings.Join(names, ", "))
}

// writeNew writes data to path as a new file: whatever is at path (a link, a hard link to
// another file, committed by a pull request to a checkout coldbench writes its reports into) is
// removed first, never written through.
func writeNew(path string, data []byte) error {
	if sandbox.Off("saferoot") { // the hostile tests' control: the old, trusting write
		return os.WriteFile(path, data, 0o644)
	}
	dir, name := filepath.Split(path)
	root, err := os.OpenRoot(cmp.Or(dir, "."))
	if err != nil {
		return err
	}
	defer root.Close()
	if st, err := root.Lstat(name); err == nil && !st.IsDir() {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runSlotOwner is whose code a run's head builds run, for the sandbox's caches
// (pipeline.Pipeline.SlotOwner): $COLDBENCH_SLOT_OWNER where the CI names it (a merge request's
// project and number, so that its pushes keep their caches), else the checkout and its branch,
// or the commit of a detached HEAD. A CI runner that checks every merge request out in one
// workspace gives each branch caches of its own, and a developer who checks a pull request out
// (gh pr checkout) builds it in clean ones; "" (no repository) leaves it to the pipeline: the
// head's directory.
func runSlotOwner(ctx context.Context, cfg config.Config, env Env) string {
	if v := env.Getenv("COLDBENCH_SLOT_OWNER"); v != "" {
		return v
	}
	at := cmp.Or(cfg.Handler, cfg.Template)
	if at == "" {
		return ""
	}
	root, err := git.RepoRoot(ctx, dirOf(at))
	if err != nil {
		return ""
	}
	if b := git.Branch(ctx, root); b != "" {
		return "checkout " + root + " branch " + b
	}
	sha, err := git.ResolveRev(ctx, root, "HEAD")
	if err != nil {
		return ""
	}
	return "checkout " + root + " at " + sha
}

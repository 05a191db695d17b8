// Package config holds coldbench's one Config, read from coldbench.yml files, command-line flags
// or the GitHub Action's inputs, and validated up front with every problem reported at once. Every
// setting is declared once, in Settings, with its kind: judge settings come from the trusted side
// (flags, inputs, the base revision's coldbench.yml), function settings from each side's own
// revision, trusted-only ones from flags and inputs alone (Load).
package config

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Lambda's limits and defaults where Lambda has a number. The configuration is the first stage, so
// the vocabulary of the input lives here and later stages take it from here.
const (
	MinMemoryMB = 128
	MaxMemoryMB = 10240
	// DefaultMemoryMB is one full vCPU, so CPU-bound work is not throttled below a core.
	DefaultMemoryMB = 1769
	DefaultTimeout  = 30 * time.Second
	// Ephemeral storage (/tmp): Lambda's default and range.
	DefaultEphemeralMB = 512
	MaxEphemeralMB     = 10240
)

// Vocabulary is the names the builders know, which this package, importing nothing of
// coldbench's, is handed by its caller (build.Vocabulary, from the runtime registry).
type Vocabulary struct {
	// Runtimes are the runtimes' names ("auto" detects one), listed in messages.
	Runtimes []string
	// Aliases are other names of runtimes that the runtime setting accepts ("node").
	Aliases []string
	// LambdaRuntimes are Lambda's names of the managed runtimes coldbench emulates: a runtime
	// setting of one of them pins that version (nodejs alone is the newest).
	LambdaRuntimes []string
	// References are the valid references.
	References []string
}

// Mode is where samples are taken.
type Mode string

// Modes: the embedded emulator on this machine, or real Lambda with coldbench's own credentials.
const (
	ModeLocal Mode = "local"
	ModeAWS   Mode = "aws"
)

// BasePreviousTag is the base setting of a release gate: the latest tag reachable from head
// other than head's own, built and sampled in the same run.
const BasePreviousTag = "previous-tag"

// Config is everything a run needs to know.
type Config struct {
	// Handler is the handler's directory (or zip); empty runs the references alone.
	Handler string
	Runtime string // auto, or one of Vocabulary.Runtimes, Aliases or LambdaRuntimes
	// Base is the revision to compare with: "" means the merge-base with the default branch when
	// Handler is in a git repository, "none" turns the comparison off, BasePreviousTag is the
	// release before head.
	Base    string
	Samples int
	// Adaptive ("samples: auto", the default) samples a head-vs-base run in blocks of
	// AdaptiveBlock rounds until the verdict is settled, MaxTime of sampling has passed, or
	// MaxSamples rounds were taken. Samples is the fixed count otherwise (and for runs with
	// nothing to compare, such as the references alone).
	Adaptive bool
	MaxTime  time.Duration
	// InitSamples is the number of init-only cold starts per variant and round beside the full
	// one; InitSamplesAuto (the default) is 4 in a head-vs-base run and 0 otherwise.
	InitSamples int
	MaxSamples  int
	MemoryMB    int
	Threshold   float64 // percent
	Alpha       float64
	References  []string
	WarmInvokes int
	Timeout     time.Duration
	// OutboundDelay is the delay of the loopback endpoint handlers reach as COLDBENCH_OUTBOUND_URL.
	OutboundDelay time.Duration
	// Event is what the handler is invoked with: a preset's name (EventPresets), inline JSON, or a
	// JSON file's path; "{}" when empty.
	Event string
	// Env is the handler's own configuration, its Lambda environment variables (this side's: the
	// head's Config has the head's, base's is loaded with ForSide).
	Env map[string]string
	// FunctionHandler is the function's handler setting (_HANDLER), e.g. "index.handler" for a
	// runtime that loads a module; "bootstrap" when empty.
	FunctionHandler string
	JSON            string
	Markdown        string
	HTML            string
	Seed            uint64
	NoEvict         bool
	HandlersDir     string
	Quiet           bool
	// Mode is where samples are taken: "local" (the embedded emulator) or "aws" (real Lambda,
	// with the credentials of coldbench's own environment).
	Mode        Mode
	AWSRoleARN  string
	AWSRegion   string
	AWSEndpoint string
	// AWSBucket takes zips over Lambda's direct-upload limit; AWSCopies is how many functions of
	// each variant sample at once.
	AWSBucket string
	AWSCopies int
	// Budgets are release-gate limits on the head: metric (init_ms, cold_ms_p90...) to ms or MB.
	Budgets Budgets
	// Store is a results directory to add this run to (the history); Baseline one whose latest
	// run is the base instead of a build of a base revision (a release gate).
	Store    string
	Baseline string
	// InitCPU is the init phase's CPU: "lambda" (not throttled by memory, as on Lambda) or
	// "memory" (the memory's share from the first instruction).
	InitCPU string
	// EphemeralMB is the size of /tmp (Lambda's ephemeral storage).
	EphemeralMB int
	// Template is a SAM or CloudFormation template and Function the logical ID of the function in
	// it to measure: its CodeUri, Handler, Runtime, MemorySize, Timeout, Environment and build
	// method are the defaults of the settings above. "" discovers template.yaml at the
	// repository's root when no handler is given; "none" turns that off.
	Template string
	Function string
	// Layers are the function's layers in order (directories laid out as /opt, or zips); Web is
	// auto, on or off (WebModes): whether the handler is a web server behind the Web Adapter.
	Layers []string
	Web    string
	// Build is the user's own build command (run in the handler's directory, as the sandbox user,
	// with ARTIFACTS_DIR, GOOS, GOARCH and COLDBENCH_ARCH set) and Artifact what it produces: a
	// zip, a directory or a bootstrap, relative to the handler's directory; ARTIFACTS_DIR's
	// contents when empty.
	Build    string
	Artifact string
	// Binary is the Rust bin to ship when the package has several (cargo lambda's --bin).
	Binary string
	// EnvFile is a file of the function's environment: KEY=VALUE lines (a .env file), or the JSON
	// of `sam local invoke --env-vars` (Parameters for every function, then the function's own).
	// Env given otherwise wins over it; it wins over the template's.
	EnvFile string
	// GoFlags are go build's flags from a template's BuildProperties (no key of its own: a build
	// command says anything else).
	GoFlags []string
	// Notes say where settings came from (the template) and what could not be taken as it is.
	Notes []string
	// set records which settings were given (file, flag or input), so a template only fills in
	// the others; fromRepo which came from the repository itself (coldbench.yml, a template),
	// whose paths must stay inside it: in a pull request they are the pull request's.
	set, fromRepo map[string]bool
	// ConfigFile is the work tree's coldbench.yml (absolute; "" when none) and WorkDir the
	// directory relative paths are resolved against: base's side finds its own from them.
	ConfigFile, WorkDir string
	// layers are what Load read, so ForSide can load another side with the same judge settings.
	layers Layers
	// JudgeChanges are the judge settings the head's coldbench.yml changes against the trusted
	// one: not applied, reported (they apply once merged).
	JudgeChanges []Change
	// Instructions counts init's instructions under valgrind's cachegrind on a few extra cold
	// starts of head and base: a repeatable counter for the init breakdown, at a cost (valgrind
	// runs code 20 to 1000 times slower).
	Instructions bool
	// CacheDir keeps what makes the next run fast: the sandbox's Go, cargo and Deno caches and
	// the reference handlers' artifacts. "" is /var/cache/coldbench for root, ~/.cache/coldbench
	// otherwise; the action defaults to .coldbench/cache in the workspace, for actions/cache.
	CacheDir string
}

// InitCPUModels lists the valid values of InitCPU.
var InitCPUModels = []string{"lambda", "memory"}

// Modes lists the valid values of Mode.
var Modes = []Mode{ModeLocal, ModeAWS}

// Default returns the embedded defaults: a local run of the reference handlers.
func Default() Config {
	return Config{
		Runtime:       "auto",
		Mode:          ModeLocal,
		Samples:       50,
		Adaptive:      true,
		MaxSamples:    500,
		MaxTime:       60 * time.Second,
		InitSamples:   InitSamplesAuto,
		MemoryMB:      DefaultMemoryMB,
		Threshold:     5,
		Alpha:         0.01,
		References:    AllReferences,
		Timeout:       DefaultTimeout,
		OutboundDelay: 50 * time.Millisecond,
		InitCPU:       "lambda",
		EphemeralMB:   DefaultEphemeralMB,
	}
}

// InitSamplesAuto asks for 4 init-only cold starts a round where head is compared with base.
const InitSamplesAuto = -1

// AdaptiveBlock is the number of rounds between two looks of a run sampled until decided.
const AdaptiveBlock = 10

// AllReferences are the reference table of a run of the references alone (the main job): every
// runtime coldbench measures. CompareReferences are the default beside a handler: each reference
// adds a cold start to every round of a head-vs-base run (Node.js, Python and Bun together add 12 s
// to a warm Go PR check here, 17.6 s → 29.6 s), so a PR check keeps the seed's three unless the
// references are set.
var (
	AllReferences     = []string{"go", "rust", "deno", "node", "python", "bun"}
	CompareReferences = []string{"go", "rust", "deno"}
)

// SettleReferences applies CompareReferences when a handler is measured and the references were
// not set.
func (c *Config) SettleReferences() {
	if (c.Handler != "" || c.SeveralFunctions()) && !c.IsSet("references") {
		c.References = CompareReferences
	}
}

// Problems collects every problem with the input, so the user fixes them all in one go.
type Problems []string

func (p Problems) Error() string {
	if len(p) == 1 {
		return p[0]
	}
	return fmt.Sprintf("%d problems:\n  - %s", len(p), strings.Join(p, "\n  - "))
}

func (p *Problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// Err returns nil or the problems as one error.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Validate checks every field and returns all problems at once. names maps a field to how the
// user spelled it (--samples, samples: in coldbench.yml, the samples input), for messages; v
// is the runtimes and references there are.
func (c *Config) Validate(names func(field string) string, v Vocabulary) error {
	var p Problems
	if c.Runtime != "auto" && !slices.Contains(v.Runtimes, c.Runtime) && !slices.Contains(v.Aliases, c.Runtime) && !slices.Contains(v.LambdaRuntimes, c.Runtime) {
		p.add("%s %q: valid values are auto, %s (or a version: %s)", names("runtime"), c.Runtime, strings.Join(v.Runtimes, ", "), strings.Join(v.LambdaRuntimes, ", "))
	}
	if !slices.Contains(Modes, c.Mode) {
		p.add("%s %q: valid values are local, aws", names("mode"), c.Mode)
	}
	if c.Mode == ModeAWS && !strings.HasPrefix(c.AWSRoleARN, "arn:") {
		p.add("%s %q: mode aws needs the ARN of an execution role for the functions it creates", names("aws-role-arn"), c.AWSRoleARN)
	}
	if !slices.Contains(InitCPUModels, c.InitCPU) {
		p.add("%s %q: valid values are %s", names("init-cpu"), c.InitCPU, strings.Join(InitCPUModels, ", "))
	}
	if c.EphemeralMB < DefaultEphemeralMB || c.EphemeralMB > MaxEphemeralMB {
		p.add("%s %d: Lambda allows %d to %d MB", names("ephemeral-storage"), c.EphemeralMB, DefaultEphemeralMB, MaxEphemeralMB)
	}
	if c.Samples < 2 {
		p.add("%s %d: need at least 2 samples a variant (50 or more for a dependable verdict)", names("samples"), c.Samples)
	}
	if c.Adaptive && (c.MaxTime < 5*time.Second || c.MaxTime > 2*time.Hour) {
		p.add("%s %s: want 5s to 2h of sampling", names("max-time"), c.MaxTime)
	}
	if c.InitSamples != InitSamplesAuto && (c.InitSamples < 0 || c.InitSamples > 50) {
		p.add("%s %d: want 0 to 50 init-only cold starts a round", names("init-samples"), c.InitSamples)
	}
	if c.Adaptive && (c.MaxSamples < AdaptiveBlock || c.MaxSamples > 10000) {
		p.add("%s %d: sampling until decided needs %d to 10000 rounds", names("max-samples"), c.MaxSamples, AdaptiveBlock)
	}
	if c.MemoryMB < MinMemoryMB || c.MemoryMB > MaxMemoryMB {
		p.add("%s %d: Lambda allows %d to %d MB", names("memory"), c.MemoryMB, MinMemoryMB, MaxMemoryMB)
	}
	if !(c.Threshold > 0 && c.Threshold < 1000) {
		p.add("%s %v: want a percentage above 0, such as 5", names("threshold"), c.Threshold)
	}
	if !(c.Alpha > 0 && c.Alpha < 0.5) {
		p.add("%s %v: want a significance level between 0 and 0.5, such as 0.01", names("alpha"), c.Alpha)
	}
	for _, r := range c.References {
		if !slices.Contains(v.References, r) {
			p.add("%s: unknown reference %q; valid values are %s, or none", names("references"), r, strings.Join(v.References, ", "))
		}
	}
	if c.WarmInvokes < 0 || c.WarmInvokes > 100 {
		p.add("%s %d: want 0 to 100", names("warm-invokes"), c.WarmInvokes)
	}
	if c.Timeout < time.Second || c.Timeout > 15*time.Minute {
		p.add("%s %s: Lambda allows 1s to 15m", names("timeout"), c.Timeout)
	}
	if c.OutboundDelay < 0 || c.OutboundDelay > time.Minute {
		p.add("%s %s: want 0 to 1m", names("outbound-delay"), c.OutboundDelay)
	}
	if c.Handler != "" {
		if _, err := os.Stat(c.Handler); err != nil {
			p.add("%s %q: %v", names("handler"), c.Handler, errors.Unwrap(err))
		}
	}
	if _, err := c.EventJSON(); err != nil {
		p.add("%s %q: %v", names("event"), c.Event, err)
	}
	for k := range c.Env {
		if !validEnvName(k) {
			p.add("%s: %q is not a variable name (letters, digits and _, not starting with a digit)", names("env"), k)
		} else if reservedEnv[k] {
			p.add("%s: %s is reserved by Lambda and set by coldbench", names("env"), k)
		}
	}
	if c.Mode == ModeAWS {
		c.validateAWS(&p, names)
	}
	if c.Instructions && c.Mode == ModeAWS {
		p.add("%s: instructions are counted under valgrind on this machine, not in mode aws", names("instructions"))
	} else if _, err := exec.LookPath("valgrind"); c.Instructions && err != nil {
		p.add("%s: counting needs valgrind on PATH (Debian and Ubuntu: apt-get install valgrind)", names("instructions"))
	}
	if c.Artifact != "" && c.Build == "" {
		p.add("%s %q: an artifact is what %s produces; give the build command too", names("artifact"), c.Artifact, names("build"))
	}
	c.checkFunctions(&p, names)
	if c.Function != "" && (c.Template == "" || c.Template == "none") {
		p.add("%s %q: no template to find it in; give %s (a SAM or CloudFormation template)", names("function"), c.Function, names("template"))
	}
	if c.Baseline != "" && c.Base != "" && c.Base != "none" {
		p.add("%s and %s: compare with a stored baseline or with a revision, not both", names("baseline"), names("base"))
	}
	if c.Baseline != "" && c.Handler == "" {
		p.add("%s: a baseline is compared with a handler; give %s", names("baseline"), names("handler"))
	}
	if len(c.Budgets) > 0 && c.Handler == "" && !c.SeveralFunctions() {
		p.add("%s: budgets apply to a handler; give %s", names("budgets"), names("handler"))
	}
	if c.Handler == "" && len(c.References) == 0 && (c.Template == "" || c.Template == "none") {
		p.add("nothing to measure: give %s, or keep at least one of %s", names("handler"), names("references"))
	}
	return p.Err()
}

// ParseReferences reads "go,rust,deno" or "none".
func ParseReferences(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil
	}
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// IsSet reports whether the setting was given (by a file, a flag or an input), not defaulted.
func (c *Config) IsSet(key string) bool { return c.set[key] }

// FromRepo reports whether the setting's value came from the repository (coldbench.yml or a
// template) rather than from a flag or an input.
func (c *Config) FromRepo(key string) bool { return c.fromRepo[key] }

// SetFromRepo is Set for a value the repository gave (a template's, coldbench.yml's).
func (c *Config) SetFromRepo(key, val string) error {
	err := c.Set(key, val)
	if c.fromRepo == nil {
		c.fromRepo = map[string]bool{}
	}
	c.fromRepo[key] = true
	return err
}

// parseBool takes true or false (and strconv's other spellings: 1, 0, yes is not one).
func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

// parseDuration takes Go durations ("30s", "1m") and bare seconds ("30").
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want a duration such as 30s, 500ms or 2m")
	}
	return d, nil
}

// FunctionName turns s into a valid Lambda function name of at most max characters: letters,
// digits, hyphens and underscores.
func FunctionName(s string, max int) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// validateAWS refuses, by name, the settings mode aws cannot honour, and checks its own.
func (c *Config) validateAWS(p *Problems, names func(string) string) {
	if c.IsSet("outbound-delay") {
		p.add("%s: mode aws has no delayed endpoint (coldbench's is on this machine's loopback, which Lambda cannot reach): leave it unset; the references make no outbound call on Lambda", names("outbound-delay"))
	}
	if c.NoEvict {
		p.add("%s: Lambda's page cache is Lambda's: not a setting of mode aws", names("no-evict"))
	}
	if c.IsSet("init-cpu") {
		p.add("%s: Lambda sets the init's CPU itself in mode aws", names("init-cpu"))
	}
	if c.IsSet("init-samples") && c.InitSamples != InitSamplesAuto && c.InitSamples != 0 {
		p.add("%s %d: Lambda cannot stop an invoke at the first /next, so mode aws takes full cold starts only: leave it unset or 0", names("init-samples"), c.InitSamples)
	}
	if c.AWSCopies < 0 || c.AWSCopies > 50 {
		p.add("%s %d: want 1 to 50 (Lambda's control plane takes 15 requests a second; every sample is an update)", names("aws-copies"), c.AWSCopies)
	}
}

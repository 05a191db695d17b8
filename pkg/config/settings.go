package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind says who may give a setting: the kinds are the trust split of a pull-request check, where
// the head's files are the pull request's words and the base revision's are the repository's.
type Kind int

const (
	// KindJudge settings decide or shape the verdict and the sampling (threshold, samples, mode...):
	// flags and action inputs, and the coldbench.yml of the base revision (the work tree's only
	// when there is no base revision), never the head's.
	KindJudge Kind = iota + 1
	// KindFunction settings are each side's own function (build, env, handler, memory...): the
	// head's from the head's coldbench.yml and template, base's from the base revision's, and
	// flags and inputs on top for both.
	KindFunction
	// KindTrustedOnly settings choose where coldbench (as root) writes and whom it sends credentials
	// to: flags and inputs only, never any coldbench.yml.
	KindTrustedOnly
)

func (k Kind) String() string {
	switch k {
	case KindJudge:
		return "judge"
	case KindFunction:
		return "function"
	case KindTrustedOnly:
		return "trusted-only"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Setting is one setting, declared once: run's flags, coldbench.yml's keys, the action's inputs
// and path confinement are derived from Settings.
type Setting struct {
	// Name is the coldbench.yml key and the --flag.
	Name  string
	Usage string
	// Input is the action input ("" when the action has none).
	Input string
	Kind  Kind
	// Path: the value names a file or directory that coldbench reads, runs or copies; one the
	// repository gave must stay inside the tree that gave it.
	Path bool
	// Bool: the flag takes no value (--no-evict, or --no-evict=false).
	Bool bool
	// entries: the parser's errors name each bad entry, so they are not wrapped with the value.
	entries bool
	parse   func(c *Config, val string) error
	// get is the value of a Path setting; all, for a Path setting that is a list, its values.
	get func(c *Config) string
	all func(c *Config) []string
}

// WebModes are the web setting's values.
var WebModes = []string{"auto", "on", "off"}

// Settings is the settings table, in the order of run's help.
var Settings = []Setting{
	{Name: "handler", Input: "handler", Kind: KindFunction, Path: true,
		Usage: "handler directory or zip (default: none, the references alone)",
		parse: str(func(c *Config) *string { return &c.Handler }), get: func(c *Config) string { return c.Handler }},
	{Name: "runtime", Input: "runtime", Kind: KindFunction,
		Usage: "handler runtime: auto, go, rust, deno, nodejs, python, bun, provided",
		parse: str(func(c *Config) *string { return &c.Runtime })},
	{Name: "base", Input: "base-ref", Kind: KindJudge,
		Usage: "revision to compare with (default: merge-base with the default branch; previous-tag: the latest tag reachable from head other than its own, a release gate; none to skip)",
		parse: str(func(c *Config) *string { return &c.Base })},
	{Name: "samples", Input: "samples", Kind: KindJudge,
		Usage: "auto (the default): with a base, sample until the verdict is settled within --max-time; or a fixed number of rounds (50 without a base)",
		parse: func(c *Config, val string) (err error) {
			if c.Adaptive = val == "auto"; c.Adaptive {
				return nil
			}
			c.Samples, err = strconv.Atoi(val)
			return err
		}},
	{Name: "max-time", Input: "max-time", Kind: KindJudge,
		Usage: "sampling time budget of --samples auto (default 60s)",
		parse: func(c *Config, val string) (err error) { c.MaxTime, err = parseDuration(val); return err }},
	{Name: "init-samples", Input: "init-samples", Kind: KindJudge,
		Usage: "init-only cold starts per variant and round, beside the full one (default auto: 4 with a base, else 0)",
		parse: func(c *Config, val string) (err error) {
			if val == "auto" {
				c.InitSamples = InitSamplesAuto
				return nil
			}
			c.InitSamples, err = strconv.Atoi(val)
			return err
		}},
	{Name: "max-samples", Kind: KindJudge,
		Usage: "most rounds of --samples auto (default 500)",
		parse: integer(func(c *Config) *int { return &c.MaxSamples })},
	{Name: "memory", Input: "memory", Kind: KindFunction,
		Usage: "Lambda memory size in MB; sets the memory limit and CPU share (default 1769 = 1 vCPU)",
		parse: megabytes(func(c *Config) *int { return &c.MemoryMB })},
	{Name: "threshold", Input: "threshold", Kind: KindJudge,
		Usage: "smallest shift that counts, in percent (default 5)",
		parse: func(c *Config, val string) (err error) {
			c.Threshold, err = strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
			return err
		}},
	{Name: "alpha", Input: "alpha", Kind: KindJudge,
		Usage: "significance level of the verdict (default 0.01)",
		parse: func(c *Config, val string) (err error) { c.Alpha, err = strconv.ParseFloat(val, 64); return err }},
	{Name: "references", Input: "references", Kind: KindJudge,
		Usage: "reference handlers: any of go, rust, deno, node, python, bun and their -hello variants, or none (default: all six alone, go,rust,deno beside --handler)",
		parse: func(c *Config, val string) error { c.References = ParseReferences(val); return nil }},
	{Name: "warm-invokes", Input: "warm-invokes", Kind: KindJudge,
		Usage: "warm invokes after each cold one (default 0)",
		parse: integer(func(c *Config) *int { return &c.WarmInvokes })},
	{Name: "timeout", Input: "timeout", Kind: KindFunction,
		Usage: "invoke timeout (default 30s)",
		parse: func(c *Config, val string) (err error) { c.Timeout, err = parseDuration(val); return err }},
	{Name: "outbound-delay", Input: "outbound-delay", Kind: KindJudge,
		Usage: "delay of the loopback endpoint behind COLDBENCH_OUTBOUND_URL (default 50ms)",
		parse: func(c *Config, val string) (err error) { c.OutboundDelay, err = parseDuration(val); return err }},
	{Name: "event", Input: "event", Kind: KindJudge, Path: true,
		Usage: "the event to invoke with: a preset (alb, apigw-v1, apigw-v2, eventbridge, s3, sqs), inline JSON, or a JSON file (default {})",
		parse: str(func(c *Config) *string { return &c.Event }), get: func(c *Config) string { return c.Event }},
	{Name: "env", Input: "env", Kind: KindFunction, entries: true,
		Usage: "the function's environment variables, KEY=VALUE,... (or one a line in coldbench.yml's env mapping)",
		parse: func(c *Config, val string) error {
			env, err := ParseEnv(val)
			if err != nil {
				return err
			}
			if c.Env == nil {
				c.Env = map[string]string{}
			}
			for k, v := range env {
				c.Env[k] = v
			}
			return nil
		}},
	{Name: "env-file", Input: "env-file", Kind: KindFunction, Path: true,
		Usage: "a file of the function's environment: KEY=VALUE lines, or sam local's --env-vars JSON (--env wins over it, it over the template)",
		parse: str(func(c *Config) *string { return &c.EnvFile }), get: func(c *Config) string { return c.EnvFile }},
	{Name: "function-handler", Input: "function-handler", Kind: KindFunction,
		Usage: "the function's handler setting (_HANDLER), e.g. index.handler (default bootstrap)",
		parse: str(func(c *Config) *string { return &c.FunctionHandler })},
	{Name: "json", Kind: KindTrustedOnly,
		Usage: "write results JSON to this file",
		parse: str(func(c *Config) *string { return &c.JSON })},
	{Name: "markdown", Kind: KindTrustedOnly,
		Usage: "write the Markdown report to this file",
		parse: str(func(c *Config) *string { return &c.Markdown })},
	{Name: "html", Kind: KindTrustedOnly,
		Usage: "write the HTML report (distributions drawn) to this file",
		parse: str(func(c *Config) *string { return &c.HTML })},
	{Name: "seed", Kind: KindJudge,
		Usage: "seed of the sampling order (default: time)",
		parse: func(c *Config, val string) (err error) { c.Seed, err = strconv.ParseUint(val, 10, 64); return err }},
	{Name: "no-evict", Kind: KindJudge, Bool: true,
		Usage: "keep the handler's files in the page cache (faster than Lambda; not recommended)",
		parse: boolean(func(c *Config) *bool { return &c.NoEvict })},
	{Name: "instructions", Input: "instructions", Kind: KindJudge, Bool: true,
		Usage: "also count init's instructions under valgrind on 3 extra cold starts of head and of base (repeatable; slow: see README)",
		parse: boolean(func(c *Config) *bool { return &c.Instructions })},
	{Name: "budgets", Input: "budgets", Kind: KindJudge, entries: true,
		Usage: "release gate on the head: METRIC=LIMIT,... (init_ms=50,cold_ms_p90=300; ms or MB); exit 1 when exceeded",
		parse: func(c *Config, val string) (err error) {
			c.Budgets, err = ParseBudgets(val)
			return err
		}},
	{Name: "store", Input: "store", Kind: KindTrustedOnly, Path: true,
		Usage: "add this run's results to the history in this directory",
		parse: str(func(c *Config) *string { return &c.Store }), get: func(c *Config) string { return c.Store }},
	{Name: "baseline", Input: "baseline", Kind: KindTrustedOnly, Path: true,
		Usage: "compare the head with the latest run stored in this directory (instead of building --base)",
		parse: str(func(c *Config) *string { return &c.Baseline }), get: func(c *Config) string { return c.Baseline }},
	{Name: "mode", Input: "mode", Kind: KindJudge,
		Usage: "where to sample: local (embedded emulator) or aws (real Lambda, arm64, your AWS credentials)",
		parse: func(c *Config, val string) error { c.Mode = Mode(val); return nil }},
	{Name: "aws-role-arn", Input: "aws-role-arn", Kind: KindJudge,
		Usage: "mode aws: execution role ARN for the functions coldbench creates and deletes",
		parse: str(func(c *Config) *string { return &c.AWSRoleARN })},
	{Name: "aws-region", Input: "aws-region", Kind: KindJudge,
		Usage: "mode aws: region (default: the AWS config's)",
		parse: str(func(c *Config) *string { return &c.AWSRegion })},
	{Name: "aws-s3-bucket", Input: "aws-s3-bucket", Kind: KindJudge,
		Usage: "mode aws: a bucket in the region for zips over Lambda's 69,905,067-byte CreateFunction request (~50 MB zipped); uploaded, deployed from, deleted after the run (default: none, such zips are refused)",
		parse: str(func(c *Config) *string { return &c.AWSBucket })},
	{Name: "aws-copies", Input: "aws-copies", Kind: KindJudge,
		Usage: "mode aws: functions per variant sampled at once, head and base in the same waves (default 1; 10 makes 100 rounds take minutes)",
		parse: integer(func(c *Config) *int { return &c.AWSCopies })},
	{Name: "aws-endpoint", Kind: KindTrustedOnly,
		Usage: "mode aws: Lambda API endpoint override (tests, proxies)",
		parse: str(func(c *Config) *string { return &c.AWSEndpoint })},
	{Name: "init-cpu", Input: "init-cpu", Kind: KindJudge,
		Usage: "init phase CPU: lambda (a full vCPU whatever the memory, as Lambda's init) or memory (the memory's share throughout) (default lambda)",
		parse: str(func(c *Config) *string { return &c.InitCPU })},
	{Name: "ephemeral-storage", Input: "ephemeral-storage", Kind: KindFunction,
		Usage: "size of the handler's /tmp in MB, 512 to 10240 (default 512)",
		parse: megabytes(func(c *Config) *int { return &c.EphemeralMB })},
	{Name: "template", Input: "template", Kind: KindFunction, Path: true,
		Usage: "SAM/CloudFormation template, CDK cloud assembly (cdk.out), serverless.yml or Terraform module to take the function from (default: the first of those at the repository root when no --handler; none to skip)",
		parse: str(func(c *Config) *string { return &c.Template }), get: func(c *Config) string { return c.Template }},
	// Which functions are measured decides which regressions can be seen at all: a pull request
	// that chose it could leave out the function it slows down. So it is the judge's.
	{Name: "function", Input: "function", Kind: KindJudge,
		Usage: "the functions of --template to measure: all, changed (those the diff can change), or logical IDs A,B (default: the only one; changed on a pull request, all otherwise)",
		parse: str(func(c *Config) *string { return &c.Function })},
	{Name: "build", Input: "build", Kind: KindFunction,
		Usage: "your own build command, run in the handler dir with ARTIFACTS_DIR, GOOS, GOARCH and COLDBENCH_ARCH set (default: coldbench builds it)",
		parse: str(func(c *Config) *string { return &c.Build })},
	{Name: "artifact", Input: "artifact", Kind: KindFunction,
		Usage: "what --build produces, relative to the handler dir: a zip, a directory or a bootstrap (default: ARTIFACTS_DIR's contents)",
		parse: str(func(c *Config) *string { return &c.Artifact })},
	{Name: "binary", Input: "binary", Kind: KindFunction,
		Usage: "Rust: the bin to ship when the package has several (default: bootstrap, the only bin, or the package's namesake)",
		parse: str(func(c *Config) *string { return &c.Binary })},
	{Name: "layers", Input: "layers", Kind: KindFunction, Path: true,
		Usage: "the function's layers, in order: directories laid out as /opt, or layer zips, comma-separated (default: the template's local layers)",
		parse: func(c *Config, val string) error {
			c.Layers = nil
			for _, l := range strings.Split(val, ",") {
				if l = strings.TrimSpace(l); l != "" {
					c.Layers = append(c.Layers, l)
				}
			}
			return nil
		}, all: func(c *Config) []string { return c.Layers }},
	{Name: "web", Input: "web", Kind: KindFunction,
		Usage: "the handler is an HTTP server behind the Lambda Web Adapter, which coldbench plays: auto (the adapter's layer or AWS_LWA_ settings), on, off (default auto)",
		parse: func(c *Config, val string) error {
			if !slices.Contains(WebModes, val) {
				return fmt.Errorf("valid values are %s", strings.Join(WebModes, ", "))
			}
			c.Web = val
			return nil
		}},
	{Name: "cache-dir", Input: "cache-dir", Kind: KindTrustedOnly, Path: true,
		Usage: "build caches and prebuilt reference artifacts kept between runs (default /var/cache/coldbench as root, else ~/.cache/coldbench)",
		parse: str(func(c *Config) *string { return &c.CacheDir }), get: func(c *Config) string { return c.CacheDir }},
}

// Lookup returns the setting called name (its coldbench.yml key and flag).
func Lookup(name string) (Setting, bool) {
	i := slices.IndexFunc(Settings, func(s Setting) bool { return s.Name == name })
	if i < 0 {
		return Setting{}, false
	}
	return Settings[i], true
}

// SettingNames lists the settings of the given kinds, sorted.
func SettingNames(kinds ...Kind) []string {
	var out []string
	for _, s := range Settings {
		if slices.Contains(kinds, s.Kind) {
			out = append(out, s.Name)
		}
	}
	slices.Sort(out)
	return out
}

// PathValues are the values of a Path setting in c: its one value, or each of a list's (none for
// any other setting).
func (c *Config) PathValues(name string) []string {
	s, ok := Lookup(name)
	switch {
	case ok && s.all != nil:
		return s.all(c)
	case ok && s.get != nil:
		return []string{s.get(c)}
	}
	return nil
}

// PathValue is the value of a Path setting in c ("" for any other).
func (c *Config) PathValue(name string) string {
	if s, ok := Lookup(name); ok && s.get != nil {
		return s.get(c)
	}
	return ""
}

// Set sets one setting from its text form, as flags, files and action inputs give it.
func (c *Config) Set(key, val string) error {
	s, ok := Lookup(key)
	if !ok {
		return fmt.Errorf("unknown setting %q", key)
	}
	if c.set == nil {
		c.set = map[string]bool{}
	}
	c.set[key] = true
	delete(c.fromRepo, key) // a flag's or an input's value; SetFromRepo marks the repository's
	val = strings.TrimSpace(val)
	if err := s.parse(c, val); err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		if s.entries {
			return err // already names every bad entry
		}
		return fmt.Errorf("%q: %w", val, err)
	}
	return nil
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, val string) error { *field(c) = val; return nil }
}

func integer(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, val string) (err error) { *field(c), err = strconv.Atoi(val); return err }
}

func megabytes(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, val string) (err error) {
		*field(c), err = strconv.Atoi(strings.TrimSuffix(strings.ToUpper(val), "MB"))
		return err
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, val string) (err error) { *field(c), err = parseBool(val); return err }
}

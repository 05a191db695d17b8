// Package results is coldbench's result model: what one run measured and decided, and the
// versioned JSON that every later stage (report, publish, history, a second workflow) reads. It
// is the leaf of the tree: it imports nothing of coldbench's, so every stage can depend on it.
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// SchemaVersion is the version of the JSON results format. It changes only when a field changes
// meaning or disappears; new fields do not change it.
const SchemaVersion = 1

// Role is what a variant is in the run.
type Role string

// Roles of a variant.
const (
	RoleHead      Role = "head"
	RoleBase      Role = "base"
	RoleReference Role = "reference"
	// RoleBaselineReference is a reference of a stored run that is this run's base (a release
	// gate on a stored baseline): measured in both runs, the references are the controls that
	// say how far the machine drifted between them.
	RoleBaselineReference Role = "baseline-reference"
)

// BaselineReferenceName is the name a stored run's reference takes in the run it is the base of.
func BaselineReferenceName(reference string) string { return "baseline-" + reference }

// Metric names a measured quantity, as it appears in summaries, comparisons and budgets.
type Metric string

// Metrics of a cold sample.
const (
	MetricInit     Metric = "init_ms"
	MetricDuration Metric = "duration_ms"
	MetricCold     Metric = "cold_ms"
	MetricMemory   Metric = "max_memory_mb"
	MetricWarm     Metric = "warm_ms"
)

// Metrics lists every metric in report order.
var Metrics = []Metric{MetricInit, MetricDuration, MetricCold, MetricMemory, MetricWarm}

// Tail names the comparison of the q-quantile (0.9: "init_ms_p90").
func (m Metric) Tail(q float64) Metric { return Metric(fmt.Sprintf("%s_p%.0f", m, q*100)) }

// Verdict is the outcome of a comparison, or of the whole run.
type Verdict string

// Verdicts.
const (
	Regression   Verdict = "regression"
	Improvement  Verdict = "improvement"
	NoChange     Verdict = "none" // shown as "~"
	Inconclusive Verdict = "inconclusive"
	// Unavailable: there was nothing to compare (no base, the head failed to build, or neither
	// side ever started).
	Unavailable Verdict = "unavailable"
	// NotCompared: the head was measured but the base could not be (it failed to build, or every
	// base sample failed), so nothing is known about the change; a warning says why. It never
	// passes as an improvement: a pull request that breaks base must not win by it.
	NotCompared Verdict = "not-compared"
)

// Gravity ranks v as the gate does: not compared and unavailable (a gate that could not be
// tested leaves nothing the others say standing), regression, improvement, inconclusive, no
// change. A verdict coldbench does not give (a results file's) ranks with "none".
func (v Verdict) Gravity() int {
	switch v {
	case Inconclusive:
		return 1
	case Improvement:
		return 2
	case Regression:
		return 3
	case NotCompared:
		return 4
	case Unavailable:
		return 5
	}
	return 0
}

// Results is everything one run produced. Every stage of coldbench can be rerun from it.
type Results struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          string      `json:"tool"`
	CreatedAt     time.Time   `json:"created_at"`
	Config        RunConfig   `json:"config"`
	Environment   Environment `json:"environment"`
	// Cost is what the run cost on Lambda (mode aws only).
	Cost        *Cost        `json:"cost,omitempty"`
	Variants    []Variant    `json:"variants"`
	Samples     []Sample     `json:"samples"`
	Comparisons []Comparison `json:"comparisons"`
	// Verdict is the overall head-vs-base verdict.
	Verdict  Verdict   `json:"verdict"`
	Warnings []Warning `json:"warnings,omitempty"`
	// Budgets is the release gate: the head against fixed limits (RunConfig.Budgets).
	Budgets    []BudgetCheck `json:"budgets,omitempty"`
	DurationMs float64       `json:"duration_ms"`
	// Phases is where the run's time went, in ms: plan, build, sample (trace, the traced init
	// cold starts, and count, the instruction-counted ones, included), analyze, store, publish
	// (each variant's and arch's build time is in its artifact).
	Phases map[string]float64 `json:"phases_ms,omitempty"`
	// InitTraces are the traced cold starts' init breakdowns (extra ones, not timed samples) and
	// Breakdown what they and the counters say about head against base.
	InitTraces []InitTrace `json:"init_traces,omitempty"`
	// InitInstructions are init's instruction counts on extra cold starts under valgrind
	// (--instructions), head's and base's.
	InitInstructions []InstructionCount `json:"init_instructions,omitempty"`
	Breakdown        *Breakdown         `json:"init_breakdown,omitempty"`
	// Functions are the functions of a run of several (an app's template), each with its own
	// analysis; Verdict and Budgets are then all of theirs: the worst verdict, every budget.
	Functions []FunctionResult `json:"functions,omitempty"`
	// GitHub is where the results belong, recorded by the action so that `coldbench publish`
	// can post them later from a trusted workflow (the fork-safe pattern).
	GitHub *GitHubContext `json:"github,omitempty"`
	// Compacted is set on a stored run whose samples the history dropped to stay under its size
	// limit: its summaries and comparisons are what remain (the trend needs no more).
	Compacted *Compaction `json:"compacted,omitempty"`
}

// Compaction records what compacting a stored run dropped.
type Compaction struct {
	At      time.Time `json:"at"`
	Samples int       `json:"samples_dropped"`
	Traces  int       `json:"traces_dropped,omitempty"`
	// Bytes is the file's size before and after.
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"`
}

// GitHubContext locates results on GitHub.
type GitHubContext struct {
	Repository  string `json:"repository"`
	PullRequest int    `json:"pull_request,omitempty"`
	HeadSHA     string `json:"head_sha"`
	Event       string `json:"event"`
	Handler     string `json:"handler"`
	RunURL      string `json:"run_url,omitempty"`
}

// RunConfig records the settings that shaped the numbers, and the facts about how the run went
// that the analysis needs to say what they mean (so `coldbench report` can say it again).
type RunConfig struct {
	Samples      int     `json:"samples"`
	MemoryMB     int     `json:"memory_mb"`
	ThresholdPct float64 `json:"threshold_pct"`
	Alpha        float64 `json:"alpha"`
	WarmInvokes  int     `json:"warm_invokes"`
	TimeoutMs    float64 `json:"timeout_ms"`
	// InitTimeoutMs is the init phase's cap (Lambda's 10 s): failed samples rank at it.
	InitTimeoutMs float64 `json:"init_timeout_ms,omitempty"`
	// InitSamples is how many init-only cold starts each variant got per round beside the full
	// one; MaxTimeMs the sampling time budget of a run sampled until decided.
	InitSamples int     `json:"init_samples,omitempty"`
	MaxTimeMs   float64 `json:"max_time_ms,omitempty"`
	// ReferenceFullSamples, when positive, is how many full cold starts each reference took;
	// its other rounds took an init-only one (a head-vs-base run: the references are context).
	ReferenceFullSamples int     `json:"reference_full_samples,omitempty"`
	OutboundDelayMs      float64 `json:"outbound_delay_ms"`
	Seed                 uint64  `json:"seed"`
	// Adaptive runs analyse after every Block samples a side, up to Looks looks, each at
	// Alpha / Looks (Bonferroni). Alpha stays the run's overall level.
	Adaptive bool   `json:"adaptive,omitempty"`
	Looks    int    `json:"looks,omitempty"`
	Block    int    `json:"block,omitempty"`
	HeadRef  string `json:"head_ref,omitempty"`
	// Budgets are release-gate limits per metric (init_ms, cold_ms_p90...), in ms or MB.
	Budgets map[string]float64 `json:"budgets,omitempty"`
	BaseRef string             `json:"base_ref,omitempty"`
	// Baseline is the store whose latest run was to be the base (--baseline); BaselineRun names
	// the stored run used, empty when the store had none for this handler.
	Baseline    string `json:"baseline,omitempty"`
	BaselineRun string `json:"baseline_run,omitempty"`
	// Function names the function a template defined ("GetProducts in template.yaml"); Build is
	// the user's build command; Notes what of the function's definition could not be honoured.
	Function string   `json:"function,omitempty"`
	Build    string   `json:"build,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// SettingChanges are the judge settings (threshold, samples, mode...) that the head's
	// coldbench.yml changes: this run took them from the base revision's, and the head's apply
	// once it is merged.
	SettingChanges []SettingChange `json:"setting_changes,omitempty"`
}

// SettingChange is one judge setting the head's coldbench.yml changes; "" is a key that side's
// file does not have.
type SettingChange struct {
	Key  string `json:"key"`
	Base string `json:"base"`
	Head string `json:"head"`
}

// DirtySuffix ends the Ref of a head built from a work tree with uncommitted changes.
const DirtySuffix = "+dirty"

// Environment describes the machine, so numbers from different machines are never confused.
type Environment struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	Kernel     string            `json:"kernel"`
	Arch       string            `json:"arch"`
	Limits     Limits            `json:"limits"`
	Notes      []string          `json:"notes,omitempty"`
	Toolchains map[string]string `json:"toolchains,omitempty"`
	// Lambda, in mode aws, is where the samples were taken instead of this machine.
	Lambda *LambdaEnv `json:"lambda,omitempty"`
}

// Limits says which of Lambda's resource limits a run could enforce on this machine, and why not
// where it could not. It travels with every result, so no number silently means something else.
type Limits struct {
	// Cgroup is the cgroup version used for limits and accounting: "v1", "v2", "none", or
	// "lambda" when Lambda itself ran the samples.
	Cgroup            string  `json:"cgroup"`
	Memory            bool    `json:"memory_enforced"`
	CPU               bool    `json:"cpu_enforced"`
	CPUShare          float64 `json:"cpu_vcpus,omitempty"`
	MemorySource      string  `json:"memory_source"` // "cgroup", "vmhwm" or "lambda REPORT"
	PageCacheEviction bool    `json:"page_cache_eviction"`
	// InitCPU is how the init phase's CPU was set: "lambda" (not throttled by memory: a full vCPU
	// or the memory's share where that is more) or "memory" (the memory's share throughout);
	// InitCPUShare is that share in vCPUs.
	InitCPU      string  `json:"init_cpu,omitempty"`
	InitCPUShare float64 `json:"init_cpu_vcpus,omitempty"`
	// Sandbox says who the handler ran as and what that keeps it from.
	Sandbox string `json:"sandbox,omitempty"`
	// Landlock says whether and how far file access was confined (the kernel's Landlock ABI);
	// Pids is the process and thread limit of a handler's user (0: none).
	Landlock string `json:"landlock,omitempty"`
	Pids     int    `json:"pids_limit,omitempty"`
	// Ephemeral is true when /tmp was bounded at EphemeralMB.
	Ephemeral   bool     `json:"ephemeral_storage_enforced"`
	EphemeralMB int      `json:"ephemeral_storage_mb,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// Variant is one handler measured in the run.
type Variant struct {
	Name    string `json:"name"`
	Runtime string `json:"runtime"`
	// Arch is the architecture that was timed; DeployArch the one of the artifact that ships.
	Arch       string `json:"arch"`
	DeployArch string `json:"deploy_arch"`
	Role       Role   `json:"role"`
	// Function is the function's logical ID, for a head or base of a run of several.
	Function   string    `json:"function,omitempty"`
	Handler    string    `json:"handler,omitempty"`
	Ref        string    `json:"ref,omitempty"`
	Artifact   *Artifact `json:"artifact,omitempty"`
	Deploy     *Artifact `json:"deploy_artifact,omitempty"`
	BuildError string    `json:"build_error,omitempty"`
	// Layers name the function's layers, in the order they were laid out in /opt; Web says the
	// handler is an HTTP server, sampled behind the Web Adapter coldbench plays.
	Layers []string `json:"layers,omitempty"`
	Web    bool     `json:"web,omitempty"`
	// Stopped says why sampling of this variant stopped early (its first samples all failed
	// the same way).
	Stopped string    `json:"stopped,omitempty"`
	Summary Summaries `json:"summary"`
}

// Artifact is a built Lambda deployment zip and how it came to be.
type Artifact struct {
	Runtime       string            `json:"runtime"`
	Arch          string            `json:"arch"`
	Path          string            `json:"path"`
	ZipBytes      int64             `json:"zip_bytes"`
	UnzippedBytes int64             `json:"unzipped_bytes"`
	BuildMs       float64           `json:"build_ms"`
	Method        string            `json:"method"`
	Toolchain     map[string]string `json:"toolchain,omitempty"`
	Notes         []string          `json:"notes,omitempty"`
	// LambdaRuntime is the managed runtime the package runs on ("nodejs24.x", "python3.11");
	// empty for a provided.al2023 bootstrap. RuntimeDir is where that runtime is on this machine
	// (its bootstrap, interpreter and runtime interface client: Lambda's /var/runtime).
	LambdaRuntime string `json:"lambda_runtime,omitempty"`
	RuntimeDir    string `json:"runtime_dir,omitempty"`
	// Sections are the bootstrap's ELF sections by size in bytes (.text, .rodata, .data...), when
	// it is a binary: what the loader maps and the code init runs from.
	Sections map[string]int64 `json:"elf_sections,omitempty"`
	// GoMainModule is a Go bootstrap's main module (its build info): the function's own
	// packages are under it, the rest came from dependencies or the standard library.
	GoMainModule string `json:"go_main_module,omitempty"`
	// Modules is a bundle's bytes by module (an npm package, or a file of the function's own),
	// from the bundler's metafile (esbuild, bun build).
	Modules map[string]int64 `json:"bundle_modules,omitempty"`
}

// Summaries holds one Summary per metric; a metric with no valid sample is absent.
type Summaries struct {
	InitMs      *Summary `json:"init_ms,omitempty"`
	DurationMs  *Summary `json:"duration_ms,omitempty"`
	ColdMs      *Summary `json:"cold_ms,omitempty"`
	MaxMemoryMB *Summary `json:"max_memory_mb,omitempty"`
	WarmMs      *Summary `json:"warm_ms,omitempty"`
}

// field is where metric's summary lives, or nil.
func (s *Summaries) field(m Metric) **Summary {
	switch m {
	case MetricInit:
		return &s.InitMs
	case MetricDuration:
		return &s.DurationMs
	case MetricCold:
		return &s.ColdMs
	case MetricMemory:
		return &s.MaxMemoryMB
	case MetricWarm:
		return &s.WarmMs
	}
	return nil
}

// Get returns the summary of metric, or nil.
func (s Summaries) Get(m Metric) *Summary {
	if f := s.field(m); f != nil {
		return *f
	}
	return nil
}

// Set records metric's summary.
func (s *Summaries) Set(m Metric, sum *Summary) {
	if f := s.field(m); f != nil {
		*f = sum
	}
}

// Variant returns the variant with role (the first), or nil.
func (r *Results) Variant(role Role) *Variant {
	for i := range r.Variants {
		if r.Variants[i].Role == role {
			return &r.Variants[i]
		}
	}
	return nil
}

// Comparison returns the comparison of metric, or nil.
func (r *Results) Comparison(m Metric) *Comparison {
	for i := range r.Comparisons {
		if r.Comparisons[i].Metric == m {
			return &r.Comparisons[i]
		}
	}
	return nil
}

// SamplesOf returns variant's samples in run order.
func (r *Results) SamplesOf(variant string) []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Variant == variant {
			out = append(out, s)
		}
	}
	return out
}

// ErrNewerSchema is returned for results written by a newer coldbench.
var ErrNewerSchema = errors.New("results were written by a newer coldbench")

// Read decodes results JSON, refusing unknown schema versions with a clear error.
func Read(rd io.Reader, name string) (*Results, error) {
	var probe struct {
		SchemaVersion *int `json:"schema_version"`
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("read %s: not coldbench results JSON: %w", name, err)
	}
	switch {
	case probe.SchemaVersion == nil:
		return nil, fmt.Errorf("read %s: no schema_version: not coldbench results JSON", name)
	case *probe.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("read %s: %w: schema_version %d, this coldbench reads up to %d; upgrade coldbench", name, ErrNewerSchema, *probe.SchemaVersion, SchemaVersion)
	case *probe.SchemaVersion < 1:
		return nil, fmt.Errorf("read %s: invalid schema_version %d", name, *probe.SchemaVersion)
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return &r, nil
}

// ReadFile reads results from a file.
func ReadFile(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// WriteJSON writes results as indented JSON.
func WriteJSON(w io.Writer, r *Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

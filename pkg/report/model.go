// Package report holds coldbench's result model, the versioned JSON other tools read, and renders
// it for the places people read results: the terminal, PR comments, check runs, job summaries and
// an HTML page with the distributions drawn.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/stats"
)

// SchemaVersion is the version of the JSON results format. It changes only when a field changes
// meaning or disappears; new fields do not change it.
const SchemaVersion = 1

// Roles of a variant.
const (
	RoleHead      = "head"
	RoleBase      = "base"
	RoleReference = "reference"
)

// Metric names, as they appear in summaries and comparisons.
const (
	MetricInit     = "init_ms"
	MetricDuration = "duration_ms"
	MetricCold     = "cold_ms"
	MetricMemory   = "max_memory_mb"
	MetricWarm     = "warm_ms"
)

// GateMetrics decide the overall verdict: init (Lambda's Init Duration) and cold latency (what
// the first caller waits for). Their rank tests share the rule's alpha (Bonferroni).
var GateMetrics = []string{MetricInit, MetricCold}

// Overall verdicts beyond stats' per-comparison ones.
const VerdictUnavailable = "unavailable"

// Results is everything one run produced. Every stage of coldbench can be rerun from it.
type Results struct {
	SchemaVersion int                `json:"schema_version"`
	Tool          string             `json:"tool"`
	CreatedAt     time.Time          `json:"created_at"`
	Config        RunConfig          `json:"config"`
	Environment   Environment        `json:"environment"`
	Variants      []Variant          `json:"variants"`
	Samples       []runner.Sample    `json:"samples"`
	Comparisons   []stats.Comparison `json:"comparisons"`
	// Verdict is the overall head-vs-base verdict: regression, improvement, none, inconclusive,
	// or unavailable (no base, or it failed to build).
	Verdict  string          `json:"verdict"`
	Warnings []stats.Warning `json:"warnings,omitempty"`
	// Budgets is the release gate: the head against fixed limits (RunConfig.Budgets).
	Budgets    []BudgetCheck `json:"budgets,omitempty"`
	DurationMs float64       `json:"duration_ms"`
	// GitHub is where the results belong, recorded by the action so that `coldbench publish`
	// can post them later from a trusted workflow (the fork-safe pattern).
	GitHub *GitHubContext `json:"github,omitempty"`
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

// RunConfig records the settings that shaped the numbers.
type RunConfig struct {
	Samples         int     `json:"samples"`
	MemoryMB        int     `json:"memory_mb"`
	ThresholdPct    float64 `json:"threshold_pct"`
	Alpha           float64 `json:"alpha"`
	WarmInvokes     int     `json:"warm_invokes"`
	TimeoutMs       float64 `json:"timeout_ms"`
	OutboundDelayMs float64 `json:"outbound_delay_ms"`
	Seed            uint64  `json:"seed"`
	// Adaptive runs analyse after every block; Alpha is then the per-look level (alpha / looks).
	Adaptive bool   `json:"adaptive,omitempty"`
	Looks    int    `json:"looks,omitempty"`
	HeadRef  string `json:"head_ref,omitempty"`
	// Budgets are release-gate limits per metric (init_ms, cold_ms_p90...), in ms or MB.
	Budgets map[string]float64 `json:"budgets,omitempty"`
	BaseRef string             `json:"base_ref,omitempty"`
}

// Environment describes the machine, so numbers from different machines are never confused.
type Environment struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	Kernel     string            `json:"kernel"`
	Arch       string            `json:"arch"`
	Limits     runner.Limits     `json:"limits"`
	Notes      []string          `json:"notes,omitempty"`
	Toolchains map[string]string `json:"toolchains,omitempty"`
}

// Variant is one handler measured in the run.
type Variant struct {
	Name    string `json:"name"`
	Runtime string `json:"runtime"`
	// Arch is the architecture that was timed; DeployArch the one of the artifact that ships.
	Arch       string          `json:"arch"`
	DeployArch string          `json:"deploy_arch"`
	Role       string          `json:"role"`
	Handler    string          `json:"handler,omitempty"`
	Ref        string          `json:"ref,omitempty"`
	Artifact   *build.Artifact `json:"artifact,omitempty"`
	Deploy     *build.Artifact `json:"deploy_artifact,omitempty"`
	BuildError string          `json:"build_error,omitempty"`
	Summary    Summary         `json:"summary"`
}

// Summary holds one stats.Summary per metric; a metric with no valid sample is absent.
type Summary struct {
	InitMs      *stats.Summary `json:"init_ms,omitempty"`
	DurationMs  *stats.Summary `json:"duration_ms,omitempty"`
	ColdMs      *stats.Summary `json:"cold_ms,omitempty"`
	MaxMemoryMB *stats.Summary `json:"max_memory_mb,omitempty"`
	WarmMs      *stats.Summary `json:"warm_ms,omitempty"`
}

// Get returns the summary of metric, or nil.
func (s Summary) Get(metric string) *stats.Summary {
	switch metric {
	case MetricInit:
		return s.InitMs
	case MetricDuration:
		return s.DurationMs
	case MetricCold:
		return s.ColdMs
	case MetricMemory:
		return s.MaxMemoryMB
	case MetricWarm:
		return s.WarmMs
	}
	return nil
}

// Variant returns the variant with role (the first), or nil.
func (r *Results) Variant(role string) *Variant {
	for i := range r.Variants {
		if r.Variants[i].Role == role {
			return &r.Variants[i]
		}
	}
	return nil
}

// Comparison returns the comparison of metric, or nil.
func (r *Results) Comparison(metric string) *stats.Comparison {
	for i := range r.Comparisons {
		if r.Comparisons[i].Metric == metric {
			return &r.Comparisons[i]
		}
	}
	return nil
}

// SamplesOf returns variant's samples in run order.
func (r *Results) SamplesOf(variant string) []runner.Sample {
	var out []runner.Sample
	for _, s := range r.Samples {
		if s.Variant == variant {
			out = append(out, s)
		}
	}
	return out
}

// MetricValues extracts one metric's valid values from samples, in run order, and counts the
// samples that have none. An invoke failure still has a valid init.
func MetricValues(samples []runner.Sample, metric string) (vals []float64, failed int) {
	for _, s := range samples {
		switch metric {
		case MetricInit:
			if s.InitOK() {
				vals = append(vals, s.InitMs)
				continue
			}
		case MetricDuration:
			if s.OK() {
				vals = append(vals, s.DurationMs)
				continue
			}
		case MetricCold:
			if s.OK() {
				vals = append(vals, s.ColdMs)
				continue
			}
		case MetricMemory:
			if s.MaxMemoryMB > 0 { // an OOM sample's memory is the limit it hit: worth showing
				vals = append(vals, s.MaxMemoryMB)
				continue
			}
		case MetricWarm:
			vals = append(vals, s.WarmMs...)
			continue
		}
		failed++
	}
	return vals, failed
}

// Analyze fills in every variant's summaries, the head-vs-base comparisons and the overall
// verdict from the samples. It is what `coldbench report` reruns on old results, so the numbers
// always follow the current statistics.
func (r *Results) Analyze(rule stats.Rule) {
	r.Warnings = nil
	defer func() { r.Budgets = CheckBudgets(r, r.Config.Budgets) }()
	for i := range r.Variants {
		v := &r.Variants[i]
		v.Summary = Summary{}
		samples := r.SamplesOf(v.Name)
		for _, m := range []string{MetricInit, MetricDuration, MetricCold, MetricMemory, MetricWarm} {
			vals, failed := MetricValues(samples, m)
			if m == MetricWarm && len(vals) == 0 {
				continue
			}
			s, err := stats.Summarize(vals, failed)
			if err != nil {
				continue
			}
			switch m {
			case MetricInit:
				v.Summary.InitMs = &s
			case MetricDuration:
				v.Summary.DurationMs = &s
			case MetricCold:
				v.Summary.ColdMs = &s
			case MetricMemory:
				v.Summary.MaxMemoryMB = &s
			case MetricWarm:
				v.Summary.WarmMs = &s
			}
		}
	}
	r.Comparisons = nil
	head, base := r.Variant(RoleHead), r.Variant(RoleBase)
	switch {
	case head == nil:
		r.Verdict = VerdictUnavailable
		return
	case base == nil:
		r.Verdict = VerdictUnavailable
		r.Warnings = append(r.Warnings, stats.Warning{Code: "no-base", Message: "no base revision was measured: there is nothing to compare the head with"})
		return
	case base.BuildError != "":
		r.Verdict = VerdictUnavailable
		r.Warnings = append(r.Warnings, stats.Warning{Code: "base-build-failed", Message: "the base revision failed to build, so head could not be compared: " + firstLine(base.BuildError)})
		return
	case head.BuildError != "":
		r.Verdict = VerdictUnavailable
		return
	}
	gateRule := rule
	gateRule.Alpha = rule.Alpha / float64(len(GateMetrics))
	hs, bs := r.SamplesOf(head.Name), r.SamplesOf(base.Name)
	for _, m := range []string{MetricInit, MetricDuration, MetricCold, MetricMemory} {
		hv, _ := MetricValues(hs, m)
		bv, _ := MetricValues(bs, m)
		rl := rule
		if isGate(m) {
			rl = gateRule
		}
		c, err := stats.Compare(m, hv, bv, rl)
		if err != nil {
			r.Warnings = append(r.Warnings, stats.Warning{Code: "no-comparison", Message: err.Error()})
			continue
		}
		r.Comparisons = append(r.Comparisons, c)
		if m == MetricInit || m == MetricCold {
			for _, q := range []float64{0.9, 0.99} {
				if q == 0.99 && (len(hv) < 100 || len(bv) < 100) {
					continue // p99 of fewer than 100 samples is their maximum: not worth a verdict
				}
				t, err := stats.CompareQuantile(fmt.Sprintf("%s_p%.0f", m, q*100), q, hv, bv, rule, 2000, r.Config.Seed)
				if err == nil {
					r.Comparisons = append(r.Comparisons, t)
				}
			}
		}
	}
	r.Verdict = overall(r.Comparisons)
	for _, c := range r.Comparisons {
		if isGate(c.Metric) {
			r.Warnings = append(r.Warnings, c.Warnings...)
		}
	}
	r.Warnings = dedupe(r.Warnings)
}

func isGate(metric string) bool {
	for _, g := range GateMetrics {
		if g == metric {
			return true
		}
	}
	return false
}

// overall is the worst gate verdict: regression beats improvement beats inconclusive beats none.
func overall(cs []stats.Comparison) string {
	best, seen := stats.NoChange, false
	for _, c := range cs {
		if isGate(c.Metric) {
			seen = true
			best = stats.Worse(best, c.Verdict)
		}
	}
	if !seen {
		return VerdictUnavailable
	}
	return best
}

func dedupe(ws []stats.Warning) []stats.Warning {
	seen := map[string]bool{}
	var out []stats.Warning
	for _, w := range ws {
		if !seen[w.Message] {
			seen[w.Message] = true
			out = append(out, w)
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

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

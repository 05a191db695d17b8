package results

// Phase is where in a cold start a sample failed.
type Phase string

// Phases of a cold start.
const (
	PhaseSetup  Phase = "setup"  // before the bootstrap started: not the handler's doing
	PhaseInit   Phase = "init"   // before the first /next
	PhaseInvoke Phase = "invoke" // the first invocation (or a warm one)
)

// Error types coldbench uses besides the handler's own. Lambda's names where Lambda has one.
const (
	// ErrTypeSetup: the sample could not be prepared (disk full, cgroup refused, a Lambda API
	// call failed). Not the handler's fault.
	ErrTypeSetup = "Coldbench.SetupError"
	// ErrTypeInvalidEntrypoint: the bootstrap is missing or not executable.
	ErrTypeInvalidEntrypoint = "Runtime.InvalidEntrypoint"
)

// SampleError says why a sample failed, in Lambda's terms.
type SampleError struct {
	Type   string `json:"type"`
	Phase  Phase  `json:"phase"`
	Reason string `json:"reason"`
}

func (e *SampleError) Error() string { return e.Type + " (" + string(e.Phase) + "): " + e.Reason }

// Sample is one cold start. Times are milliseconds. A failed sample keeps whatever it measured
// before it failed: an invoke failure still has a valid init.
type Sample struct {
	Variant string `json:"variant"`
	Index   int    `json:"index"` // the round it was taken in
	Seq     int    `json:"seq"`   // position in the run's order
	// InitOnly samples were stopped at the first /next: they have an init and nothing else.
	InitOnly bool `json:"init_only,omitempty"`
	// WallMs is what the sample cost the run, preparation and teardown included.
	WallMs      float64      `json:"wall_ms,omitempty"`
	InitMs      float64      `json:"init_ms"`
	DurationMs  float64      `json:"duration_ms"`
	ColdMs      float64      `json:"cold_ms"`
	MaxMemoryMB float64      `json:"max_memory_mb"`
	WarmMs      []float64    `json:"warm_ms,omitempty"`
	Response    string       `json:"response,omitempty"` // first invoke's response (bounded)
	Error       *SampleError `json:"error,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
	OutputBytes int64        `json:"output_bytes"`
	Output      string       `json:"output,omitempty"` // kept for failed samples only
}

// InitOK reports whether the sample's init was measured: it has an init time, and it did not
// fail before its init ended.
func (s Sample) InitOK() bool {
	return s.InitMs > 0 && (s.Error == nil || s.Error.Phase == PhaseInvoke)
}

// OK reports whether the sample completed init and its first invoke.
func (s Sample) OK() bool { return s.Error == nil }

// Value is the sample's value of metric, and whether it has one. Failed samples have none,
// except for what they measured before failing (an invoke failure's init; an OOM's memory,
// which is the limit it hit). Warm invokes are several values: see WarmMs.
func (s Sample) Value(m Metric) (float64, bool) {
	if s.InitOnly && m != MetricInit {
		return 0, false
	}
	switch m {
	case MetricInit:
		return s.InitMs, s.InitOK()
	case MetricDuration:
		return s.DurationMs, s.OK()
	case MetricCold:
		return s.ColdMs, s.OK()
	case MetricMemory:
		return s.MaxMemoryMB, s.MaxMemoryMB > 0
	}
	return 0, false
}

// Values extracts one metric's valid values from samples, in run order, and counts the samples
// that have none.
func Values(samples []Sample, m Metric) (vals []float64, failed int) {
	for _, s := range samples {
		if s.InitOnly && m != MetricInit {
			continue // measured nothing past init, by design: not a failure
		}
		if m == MetricWarm {
			vals = append(vals, s.WarmMs...)
			continue
		}
		if v, ok := s.Value(m); ok {
			vals = append(vals, v)
		} else {
			failed++
		}
	}
	return vals, failed
}

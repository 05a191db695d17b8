package results

import (
	"math"
	"strconv"
)

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
	// Counters is what the runtime process did during init, read at its first /next.
	Counters *Counters `json:"init_counters,omitempty"`
	// Extensions are the layers' external extensions' parts of init, in name order.
	Extensions []ExtensionInit `json:"extensions,omitempty"`
}

// ExtensionInit is one external extension's part of an init, from Init Duration's time zero:
// when it registered with the Extensions API and when it was ready (its first /event/next; zero
// when it never was). Lambda starts the runtime after every extension has registered, so the
// last registration is init the runtime waited for, and an extension ready after the runtime's
// first /next extends init to its own readiness.
type ExtensionInit struct {
	Name         string  `json:"name"`
	RegisteredMs float64 `json:"registered_ms"`
	ReadyMs      float64 `json:"ready_ms"`
}

// Counters are repeatable measures of one init, read from /proc for the bootstrap process (its
// threads included, processes it started not) at the moment of its first /next: unlike
// wall-clock time they hardly move with the machine's noise.
type Counters struct {
	// CPUMs is on-CPU time of the process's threads (schedstat, ns precision); UserMs and SysMs
	// its split from /proc/PID/stat (clock ticks, 10 ms precision).
	CPUMs  float64 `json:"cpu_ms"`
	UserMs float64 `json:"user_ms"`
	SysMs  float64 `json:"sys_ms"`
	// MinorFaults and MajorFaults are page faults: memory touched, and pages read from disk.
	MinorFaults int64 `json:"minor_faults"`
	MajorFaults int64 `json:"major_faults"`
	// VoluntarySwitches (waiting: I/O, locks, sleeps) and InvoluntarySwitches (preempted).
	VoluntarySwitches   int64 `json:"voluntary_switches"`
	InvoluntarySwitches int64 `json:"involuntary_switches"`
	// ReadBytes is what read(2) and friends returned (rchar: page cache included); ReadCalls
	// their count; DiskReadBytes what came from the block device.
	ReadBytes     int64 `json:"read_bytes"`
	ReadCalls     int64 `json:"read_calls"`
	DiskReadBytes int64 `json:"disk_read_bytes"`
	// OpenFiles is the number of file descriptors open at the first /next.
	OpenFiles int64 `json:"open_files"`
	// Threads is the process's thread count at the first /next.
	Threads int64 `json:"threads"`
	// Instructions is init's instruction count, from valgrind's cachegrind, on an extra cold start
	// that counted them (not on timed samples: valgrind makes init many times slower).
	Instructions int64 `json:"instructions,omitempty"`
}

// CounterNames lists the counters in report order, with their unit.
var CounterNames = []struct{ Name, Unit string }{
	{"cpu_ms", "ms"}, {"user_ms", "ms"}, {"sys_ms", "ms"}, {"minor_faults", ""}, {"major_faults", ""},
	{"voluntary_switches", ""}, {"involuntary_switches", ""}, {"read_bytes", "B"}, {"read_calls", ""},
	{"disk_read_bytes", "B"}, {"open_files", ""}, {"threads", ""},
}

// Get returns the counter called name.
func (c *Counters) Get(name string) (float64, bool) {
	if c == nil {
		return 0, false
	}
	switch name {
	case "cpu_ms":
		return c.CPUMs, true
	case "user_ms":
		return c.UserMs, true
	case "sys_ms":
		return c.SysMs, true
	case "minor_faults":
		return float64(c.MinorFaults), true
	case "major_faults":
		return float64(c.MajorFaults), true
	case "voluntary_switches":
		return float64(c.VoluntarySwitches), true
	case "involuntary_switches":
		return float64(c.InvoluntarySwitches), true
	case "read_bytes":
		return float64(c.ReadBytes), true
	case "read_calls":
		return float64(c.ReadCalls), true
	case "disk_read_bytes":
		return float64(c.DiskReadBytes), true
	case "open_files":
		return float64(c.OpenFiles), true
	case "threads":
		return float64(c.Threads), true
	}
	return 0, false
}

// GroupDigits writes a count rounded to a whole number with its thousands grouped: 1,041,925.
func GroupDigits(v float64) string {
	s := strconv.FormatFloat(math.Abs(math.Round(v)), 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if math.Round(v) < 0 {
		return "-" + s
	}
	return s
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

package awslambda

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// Report is what a Lambda REPORT line says.
type Report struct {
	DurationMs, BilledMs, InitMs, MaxMemoryMB float64
	// Status is "" (success), "error" or "timeout"; ErrorType is set with "error".
	Status, ErrorType string
}

// InitReport is an INIT_REPORT line: Lambda writes one when an init fails or times out, in the
// init phase (before the invoke) and again in the invoke phase when it retries the init there
// (a "suppressed" init, whose time REPORT does not show as Init Duration):
//
//	INIT_REPORT Init Duration: 10009.70 ms	Phase: init	Status: timeout
//	INIT_REPORT Init Duration: 187.35 ms	Phase: invoke	Status: error	Error Type: Runtime.ExitError
type InitReport struct {
	DurationMs    float64
	Phase, Status string
	ErrorType     string
}

// Tail is what an invoke's log tail says of its cold start.
type Tail struct {
	Report    Report
	HasReport bool
	Inits     []InitReport
	// TimedOut is a "Task timed out after N seconds" line.
	TimedOut bool
}

var (
	reDuration = regexp.MustCompile(`(?:^|\t)Duration: ([0-9.]+) ms`)
	reBilled   = regexp.MustCompile(`Billed Duration: ([0-9.]+) ms`)
	reInit     = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
	reMemory   = regexp.MustCompile(`Max Memory Used: ([0-9]+) MB`)
	reStatus   = regexp.MustCompile(`Status: (\w+)`)
	rePhase    = regexp.MustCompile(`Phase: (\w+)`)
	reErrType  = regexp.MustCompile(`Error Type: (\S+)`)
	reTimedOut = regexp.MustCompile(`Task timed out after [0-9.]+ seconds`)
)

// ParseReport reads the REPORT line of a log tail, e.g.
//
//	REPORT RequestId: 3f5e...	Duration: 1.81 ms	Billed Duration: 38 ms	Memory Size: 128 MB	Max Memory Used: 19 MB	Init Duration: 35.62 ms
//
// (https://docs.aws.amazon.com/lambda/latest/dg/golang-logging.html). ok is false without one.
func ParseReport(logs string) (Report, bool) {
	t := ParseTail(logs)
	return t.Report, t.HasReport
}

// ParseTail reads an invoke's log tail: its REPORT line (the last), its INIT_REPORT lines and a
// timeout line.
func ParseTail(logs string) Tail {
	var t Tail
	for _, l := range strings.Split(logs, "\n") {
		l = strings.TrimRight(l, "\r")
		switch {
		case strings.HasPrefix(l, "REPORT "):
			t.HasReport = true
			t.Report = Report{DurationMs: num(reDuration, l), BilledMs: num(reBilled, l), InitMs: num(reInit, l),
				MaxMemoryMB: num(reMemory, l), Status: word(reStatus, l), ErrorType: word(reErrType, l)}
		case strings.HasPrefix(l, "INIT_REPORT "):
			t.Inits = append(t.Inits, InitReport{DurationMs: num(reInit, l), Phase: word(rePhase, l), Status: word(reStatus, l),
				ErrorType: word(reErrType, l)})
		case reTimedOut.MatchString(l):
			t.TimedOut = true
		}
	}
	return t
}

func num(re *regexp.Regexp, line string) float64 {
	if m := re.FindStringSubmatch(line); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	return 0
}

func word(re *regexp.Regexp, line string) string {
	if m := re.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

// ErrTypeWarm is a sample whose invoke found a warm environment: nothing else explains a
// REPORT without Init Duration.
const ErrTypeWarm = "Coldbench.WarmStart"

// ErrTypeUnexplainedInit is a sample whose log tail has an invoke-phase INIT_REPORT (an init
// retried inside the invoke) without the failed or timed-out init-phase one that Lambda retries
// after: the handler writes to the same stream as Lambda and may have printed the line itself (a
// warm environment passed off as a 1 ms init), or pushed the first attempt's out of the 4 KB tail.
const ErrTypeUnexplainedInit = "Coldbench.UnexplainedInit"

// Classify reads one cold invoke as Lambda reports it: the FunctionError header and payload
// first, then the INIT_REPORT lines (a failed or timed-out init, a suppressed init retried in the
// invoke phase), then REPORT's status (a timeout, an error of the runtime); a missing Init
// Duration means a warm start only when none of these explains it.
func Classify(logs, functionError string, payload []byte) results.Sample {
	var s results.Sample
	t := ParseTail(logs)
	if !t.HasReport {
		s.Error = &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: "no REPORT line in the log tail"}
		return s
	}
	r := t.Report
	s.DurationMs, s.MaxMemoryMB = r.DurationMs, r.MaxMemoryMB
	// The init: its own line, or the INIT_REPORT of a failed or suppressed one.
	var failedInit *InitReport
	var invokeInit *InitReport
	for i := range t.Inits {
		in := &t.Inits[i]
		if in.Status == "error" || in.Status == "timeout" {
			if failedInit == nil {
				failedInit = in
			}
		}
		if in.Phase == "invoke" {
			invokeInit = in
		}
	}
	switch {
	case r.InitMs > 0:
		s.InitMs = r.InitMs
		s.ColdMs = r.InitMs + r.DurationMs
	case failedInit != nil:
		// The first failed attempt's time; a retry in the invoke phase is inside REPORT's Duration.
		s.InitMs = failedInit.DurationMs
		if invokeInit != nil {
			s.DurationMs = max(r.DurationMs-invokeInit.DurationMs, 0)
		}
	case invokeInit != nil && !sandbox.Off("initreport"):
		s.Error = &results.SampleError{Type: ErrTypeUnexplainedInit, Phase: results.PhaseInit,
			Reason: "an INIT_REPORT of the invoke phase without the failed init-phase one before it in the log tail: Lambda retries an init only after one failed or timed out, and a handler can print that line itself; counted as a failed init"}
		s.Output = tail(logs, 4096)
		return s
	case invokeInit != nil: // the hostile test's control: the line taken as Lambda's
		// Suppressed: the init ran inside the invoke, whose Duration includes it.
		s.InitMs = invokeInit.DurationMs
		s.DurationMs = max(r.DurationMs-invokeInit.DurationMs, 0)
		s.ColdMs = max(r.DurationMs, s.InitMs)
		s.Notes = append(s.Notes, "suppressed init: Lambda ran the init inside the invoke")
	}
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if functionError != "" {
		_ = json.Unmarshal(payload, &doc)
	}
	phase := results.PhaseInvoke
	if failedInit != nil {
		phase = results.PhaseInit
	}
	typ := ""
	switch {
	case failedInit != nil && failedInit.Status == "timeout":
		typ = "Sandbox.Timedout"
		doc.ErrorMessage = strings.TrimSpace(strings.Join([]string{"init timed out (INIT_REPORT Status: timeout, phase " + failedInit.Phase + ")", doc.ErrorMessage}, "; "))
	case failedInit != nil:
		typ = failedInit.ErrorType
	case r.Status == "timeout" || t.TimedOut:
		typ = "Sandbox.Timedout"
	case r.Status == "error" && r.ErrorType != "":
		typ = r.ErrorType
	}
	if functionError != "" || typ != "" {
		if typ == "" {
			typ = doc.ErrorType
		}
		if typ == "" {
			typ = functionError // "Unhandled"
		}
		reason := strings.TrimSpace(doc.ErrorMessage)
		if reason == "" && typ == "Sandbox.Timedout" {
			reason = "Task timed out"
		}
		s.Error = &results.SampleError{Type: typ, Phase: phase, Reason: reason}
		s.Output = tail(logs, 4096)
		return s
	}
	if s.InitMs == 0 {
		// Nothing failed and nothing ran an init: a warm environment answered.
		s.Error = &results.SampleError{Type: ErrTypeWarm, Phase: results.PhaseSetup,
			Reason: "the invocation was warm (no Init Duration, no INIT_REPORT): the configuration change did not retire the environment"}
		return s
	}
	if len(payload) <= 1024 {
		s.Response = string(payload)
	}
	return s
}

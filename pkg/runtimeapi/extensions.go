package runtimeapi

// The Extensions API (version 2020-01-01), served on the same address as the Runtime API, as
// Lambda serves both at AWS_LAMBDA_RUNTIME_API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html): an external
// extension registers (POST /extension/register with Lambda-Extension-Name, its file name in
// /opt/extensions), then long-polls GET /extension/event/next for INVOKE and SHUTDOWN events. Init
// ends when the runtime and every extension have called next; a failed extension reports
// /extension/init/error or /extension/exit/error. The Telemetry and Logs APIs' subscriptions are
// accepted and recorded, and nothing is ever delivered to them.

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	extPrefix     = "/2020-01-01/extension/"
	telemetryPath = "/2022-07-01/telemetry"
	logsPath      = "/2020-08-15/logs"
)

// Extension event types.
const (
	EventInvoke   = "INVOKE"
	EventShutdown = "SHUTDOWN"
)

// Lambda's error types for extensions.
const (
	ErrTypeExtensionInit  = "Extension.InitError"
	ErrTypeExtensionCrash = "Extension.Crash"
)

// shutdownGrace is the deadline a SHUTDOWN event gives (Lambda gives external extensions 2 s of
// its shutdown phase when the runtime has none of its own).
const shutdownGrace = 2 * time.Second

// FunctionInfo is what /extension/register answers with.
type FunctionInfo struct {
	Name, Version, Handler string
}

// ExtensionTimes is one extension's part of init: when it registered and when it first called
// /event/next (zero when it did not).
type ExtensionTimes struct {
	Name       string
	Registered time.Time
	Ready      time.Time
	// Events are the event types it registered for.
	Events []string
}

// WithExtensions names the external extensions started in this environment (their file names in
// /opt/extensions) and the function they are told about at registration: init waits for each of
// them, and a registration under another name is refused.
func WithExtensions(names []string, fn FunctionInfo) Option {
	return func(s *Server) { s.ext.expect, s.ext.fn = slices.Clone(names), fn }
}

type extension struct {
	id, name   string
	events     []string
	registered time.Time
	ready      time.Time
	queue      chan []byte // events not yet fetched
}

type extState struct {
	expect   []string
	fn       FunctionInfo
	byID     map[string]*extension
	byName   map[string]*extension
	regDone  chan struct{} // closed when every expected extension has registered
	regClose bool
	subs     []string
	failed   string // the extension whose error failed init
}

func (e *extState) init() {
	e.byID, e.byName, e.regDone = map[string]*extension{}, map[string]*extension{}, make(chan struct{})
	e.maybeRegistered()
}

func (e *extState) maybeRegistered() {
	if !e.regClose && len(e.byName) == len(e.expect) {
		e.regClose = true
		close(e.regDone)
	}
}

// ExtensionsRegistered is closed when every expected extension has registered (at once when none
// is expected): Lambda starts the runtime after the extensions' registration.
func (s *Server) ExtensionsRegistered() <-chan struct{} { return s.ext.regDone }

// Extensions returns each expected extension's registration and readiness, in the order given to
// WithExtensions.
func (s *Server) Extensions() []ExtensionTimes {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ExtensionTimes
	for _, n := range s.ext.expect {
		t := ExtensionTimes{Name: n}
		if x := s.ext.byName[n]; x != nil {
			t.Registered, t.Ready, t.Events = x.registered, x.ready, slices.Clone(x.events)
		}
		out = append(out, t)
	}
	return out
}

// Waiting says what init still waits for: the runtime's first /next and the extensions that have
// not registered or not called /event/next ("" when nothing).
func (s *Server) Waiting() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, n := range s.ext.expect {
		switch x := s.ext.byName[n]; {
		case x == nil:
			parts = append(parts, "extension "+n+" never registered")
		case x.ready.IsZero():
			parts = append(parts, "extension "+n+" registered but never called /extension/event/next")
		}
	}
	if s.runtimeNext.IsZero() {
		parts = append(parts, "the runtime never called /invocation/next")
	}
	return strings.Join(parts, "; ")
}

// FailedExtension is the extension whose /init/error or /exit/error failed init ("" when none).
func (s *Server) FailedExtension() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ext.failed
}

// Subscriptions lists the Telemetry and Logs API subscriptions accepted ("NAME: telemetry
// [platform function]").
func (s *Server) Subscriptions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ext.subs)
}

// maybeEndInitLocked ends init once the runtime and every expected extension have called next,
// at the last of those calls.
func (s *Server) maybeEndInitLocked() {
	if s.runtimeNext.IsZero() || s.initErr != nil {
		return
	}
	end := s.runtimeNext
	for _, n := range s.ext.expect {
		x := s.ext.byName[n]
		if x == nil || x.ready.IsZero() {
			return
		}
		if x.ready.After(end) {
			end = x.ready
		}
	}
	s.endInitLocked(end)
}

// queueInvokeLocked hands an INVOKE event to every extension registered for it, as the runtime
// receives inv.
func (s *Server) queueInvokeLocked(inv Invocation, delivered time.Time) {
	deadline := inv.Deadline
	if deadline.IsZero() {
		deadline = delivered.Add(inv.Timeout)
	}
	ev, _ := json.Marshal(map[string]any{
		"eventType": EventInvoke, "deadlineMs": deadline.UnixMilli(), "requestId": inv.RequestID,
		"invokedFunctionArn": inv.FunctionARN,
		"tracing":            map[string]string{"type": "X-Amzn-Trace-Id", "value": inv.TraceID},
	})
	for _, x := range s.ext.byID {
		if slices.Contains(x.events, EventInvoke) {
			select {
			case x.queue <- ev:
			default: // an extension that never fetches its events does not hold the runtime up
			}
		}
	}
}

func (s *Server) serveExtension(w http.ResponseWriter, r *http.Request, at time.Time) {
	path := r.URL.Path
	want := map[string]string{
		extPrefix + "register": http.MethodPost, extPrefix + "event/next": http.MethodGet,
		extPrefix + "init/error": http.MethodPost, extPrefix + "exit/error": http.MethodPost,
		telemetryPath: http.MethodPut, logsPath: http.MethodPut,
	}
	method, ok := want[path]
	switch {
	case !ok:
		s.refuse(w, r, at, "", http.StatusNotFound, "NotFound", "unknown path "+path)
		return
	case r.Method != method:
		s.refuse(w, r, at, "", http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+path)
		return
	case path == extPrefix+"register":
		s.register(w, r, at)
		return
	}
	s.mu.Lock()
	x := s.ext.byID[r.Header.Get("Lambda-Extension-Identifier")]
	s.mu.Unlock()
	if x == nil {
		s.refuse(w, r, at, "", http.StatusForbidden, "Extension.UnknownExtensionIdentifier",
			"missing or unknown Lambda-Extension-Identifier header (register first)")
		return
	}
	switch path {
	case extPrefix + "event/next":
		s.extNext(w, r, at, x)
	case extPrefix + "init/error", extPrefix + "exit/error":
		s.extError(w, r, at, x, path == extPrefix+"init/error")
	default:
		s.subscribe(w, r, at, x, path)
	}
}

func (s *Server) register(w http.ResponseWriter, r *http.Request, at time.Time) {
	name := r.Header.Get("Lambda-Extension-Name")
	var body struct {
		Events []string `json:"events"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBytes))
	if err := json.Unmarshal(raw, &body); err != nil {
		s.refuse(w, r, at, "", http.StatusBadRequest, "InvalidRequest", fmt.Sprintf(`register %s: body is not {"events": [...]}: %v`, name, err))
		return
	}
	for _, e := range body.Events {
		if e != EventInvoke && e != EventShutdown {
			s.refuse(w, r, at, "", http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("register %s: event %q: valid values are INVOKE, SHUTDOWN", name, e))
			return
		}
	}
	s.mu.Lock()
	var problem string
	switch {
	case name == "":
		problem = "register without a Lambda-Extension-Name header"
	case !slices.Contains(s.ext.expect, name):
		problem = fmt.Sprintf("register %q: not an extension of this function; Lambda-Extension-Name must be the file name in /opt/extensions: valid values are %s",
			name, cmp.Or(strings.Join(s.ext.expect, ", "), "none (no extension was started)"))
	case s.ext.byName[name] != nil:
		problem = fmt.Sprintf("register %q: already registered", name)
	case s.initClosed:
		problem = fmt.Sprintf("register %q: init has ended; extensions register during init", name)
	}
	if problem != "" {
		s.mu.Unlock()
		s.refuse(w, r, at, "", http.StatusForbidden, ErrTypeInvalidStateErr, problem)
		return
	}
	x := &extension{id: newID(), name: name, events: body.Events, registered: at, queue: make(chan []byte, 16)}
	s.ext.byID[x.id], s.ext.byName[name] = x, x
	s.ext.maybeRegistered()
	fn := s.ext.fn
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Lambda-Extension-Identifier", x.id)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]string{"functionName": fn.Name, "functionVersion": fn.Version, "handler": fn.Handler})
	s.record(at, r, "", http.StatusOK)
}

func (s *Server) extNext(w http.ResponseWriter, r *http.Request, at time.Time, x *extension) {
	s.mu.Lock()
	if x.ready.IsZero() {
		x.ready = at
		s.maybeEndInitLocked()
	}
	s.mu.Unlock()
	var ev []byte
	select {
	case ev = <-x.queue:
	case <-s.fatal:
		if !slices.Contains(x.events, EventShutdown) {
			s.refuse(w, r, at, "", http.StatusInternalServerError, ErrTypeInvalidStateErr, "environment is shutting down")
			return
		}
		reason := "spindown"
		if s.InitError() != nil {
			reason = "failure"
		}
		ev, _ = json.Marshal(map[string]any{"eventType": EventShutdown, "shutdownReason": reason,
			"deadlineMs": s.now().Add(shutdownGrace).UnixMilli()})
	case <-r.Context().Done():
		s.record(at, r, "", 0)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Lambda-Extension-Event-Identifier", newID())
	w.Header().Set("Content-Length", strconv.Itoa(len(ev)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ev)
	s.record(at, r, "", http.StatusOK)
}

// extError takes an extension's /init/error (init fails) or /exit/error (init fails if it has not
// ended; afterwards the environment is done).
func (s *Server) extError(w http.ResponseWriter, r *http.Request, at time.Time, x *extension, initErr bool) {
	doc := readErrorDoc(r)
	if h := r.Header.Get("Lambda-Extension-Function-Error-Type"); h != "" {
		doc.ErrorType = h
	}
	if doc.ErrorType == ErrTypeUnknown {
		doc.ErrorType = ErrTypeExtensionInit
	}
	what := "exit error"
	if initErr {
		what = "init error"
	}
	doc.ErrorMessage = strings.TrimSpace(fmt.Sprintf("extension %s reported an %s: %s", x.name, what, doc.ErrorMessage))
	s.mu.Lock()
	if initErr && s.initClosed {
		s.mu.Unlock()
		s.refuse(w, r, at, "", http.StatusForbidden, ErrTypeInvalidStateErr, "extension "+x.name+": init error reported after init ended")
		return
	}
	if !s.initClosed {
		s.initErr, s.ext.failed = doc, x.name
		s.endInitLocked(time.Time{})
	} else {
		s.protoErrs = append(s.protoErrs, doc.ErrorMessage)
	}
	s.shutdownLocked()
	s.mu.Unlock()
	s.accepted(w, r, at, "")
}

// subscribe accepts a Telemetry or Logs API subscription and records it; no telemetry is sent.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request, at time.Time, x *extension, path string) {
	api := "telemetry"
	if path == logsPath {
		api = "logs"
	}
	var body struct {
		Destination struct {
			Protocol string `json:"protocol"`
			URI      string `json:"URI"`
		} `json:"destination"`
		Types []string `json:"types"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBytes))
	if err := json.Unmarshal(raw, &body); err != nil || body.Destination.URI == "" || len(body.Types) == 0 {
		s.refuse(w, r, at, "", http.StatusBadRequest, "ValidationError",
			fmt.Sprintf(`%s API subscription of %s: want {"destination": {"protocol": "HTTP", "URI": ...}, "types": [...]}`, api, x.name))
		return
	}
	s.mu.Lock()
	s.ext.subs = append(s.ext.subs, fmt.Sprintf("%s: %s %v", x.name, api, body.Types))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK")
	s.record(at, r, "", http.StatusOK)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Package runtimeapi is a local emulator of the AWS Lambda Runtime API (version 2018-06-01), the
// HTTP interface a custom runtime's bootstrap polls for events.
//
// One Server serves one execution environment: one bootstrap process, its init phase and the
// invocations handed to it. Every phase is time-stamped when the runtime's request arrives, so the
// init phase ends exactly where AWS ends it: at the runtime's first GET .../invocation/next
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxResponseBytes is Lambda's limit for a synchronous response payload (6 MB).
const MaxResponseBytes = 6 * 1024 * 1024

// maxErrorBytes bounds what is kept of an error document; Lambda truncates error payloads too.
const maxErrorBytes = 256 * 1024

const apiPrefix = "/2018-06-01/runtime/"

// Lambda's own error types, as they appear in REPORT lines and invoke responses.
const (
	ErrTypeExit             = "Runtime.ExitError"
	ErrTypeOutOfMemory      = "Runtime.OutOfMemory"
	ErrTypeTimeout          = "Sandbox.Timedout"
	ErrTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	ErrTypeUnknown          = "Runtime.Unknown"
	ErrTypeInitError        = "Runtime.InitError"
	ErrTypeInvalidRequestID = "InvalidRequestID"
	ErrTypeInvalidStateErr  = "InvalidStateTransition"
	ErrTypeRequestTooLarge  = "RequestEntityTooLarge"
)

// ErrorDoc is the error document a runtime posts to /init/error and /invocation/{id}/error, and the
// body of the API's own 4xx/5xx answers.
type ErrorDoc struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
	// StackTrace is kept raw: aws-lambda-go sends frame objects, other runtimes send strings.
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

// Invocation is one event to hand to the runtime.
type Invocation struct {
	RequestID string
	Payload   []byte
	// Deadline is sent as Lambda-Runtime-Deadline-Ms. When zero, the deadline is Timeout after the
	// event is delivered, which is how Lambda counts a function's timeout.
	Deadline        time.Time
	Timeout         time.Duration
	FunctionARN     string
	TraceID         string
	ClientContext   string // base64 JSON, sent only when set
	CognitoIdentity string // JSON, sent only when set
}

// Outcome is what became of an Invocation.
type Outcome struct {
	RequestID string
	// Delivered is when the runtime's /next request returned this event; Completed is when its
	// /response or /error request arrived. Their difference is Lambda's Duration.
	Delivered time.Time
	Completed time.Time
	Response  []byte
	// Err is set when the function failed: the runtime posted /error, or its response was refused.
	Err *ErrorDoc
	// ErrorTypeHeader is the Lambda-Runtime-Function-Error-Type header of an /error post.
	ErrorTypeHeader string
}

// Event is one time-stamped API call, kept in arrival order for reports and tests.
type Event struct {
	At        time.Time
	Method    string
	Path      string
	RequestID string
	Status    int
}

// ErrFatal is returned by Invoke after the runtime reported an init error or the server was shut
// down: no further invocation can succeed in this environment.
var ErrFatal = errors.New("runtime api: environment is in a fatal state")

type pending struct {
	inv       Invocation
	delivered time.Time
	done      chan Outcome
	answered  bool
}

// Server emulates the Runtime API for one execution environment. It is an http.Handler; the caller
// owns the listener, so the same Server works over loopback TCP or any other transport.
type Server struct {
	now func() time.Time

	initDone chan struct{} // closed on the first /next or /init/error
	fatal    chan struct{} // closed on /init/error or Shutdown
	queue    chan *pending

	mu sync.Mutex
	// runtimeNext is the runtime's first /next; init ends there, or at the last extension's
	// first /event/next when that comes later (extensions.go).
	runtimeNext time.Time
	initClosed  bool
	ext         extState
	initEnd     time.Time
	initErr     *ErrorDoc
	current     *pending
	delivered   map[string]*pending
	events      []Event
	protoErrs   []string
	closed      bool
}

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New returns a Server in the init phase.
func New(opts ...Option) *Server {
	s := &Server{
		now:       time.Now,
		initDone:  make(chan struct{}),
		fatal:     make(chan struct{}),
		queue:     make(chan *pending, 1),
		delivered: make(map[string]*pending),
	}
	for _, o := range opts {
		o(s)
	}
	s.ext.init()
	return s
}

// InitDone is closed when the init phase ends: at the first /next (and every expected
// extension's first /event/next), or at an /init/error.
func (s *Server) InitDone() <-chan struct{} { return s.initDone }

// InitEnd is the end of init: the arrival of the runtime's first /next, or of the last expected
// extension's first /event/next if that came later (zero while init has not ended).
func (s *Server) InitEnd() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initEnd
}

// InitError is the document the runtime posted to /init/error, or nil.
func (s *Server) InitError() *ErrorDoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Events returns a copy of every API call received so far.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// ProtocolErrors lists the requests the API refused (unknown request id, bad path, oversized
// response...), as short sentences for a failed sample's reason.
func (s *Server) ProtocolErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.protoErrs...)
}

// Shutdown puts the environment in its final state: waiting /next calls return 500 and Invoke
// returns ErrFatal. It is safe to call more than once.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdownLocked()
}

func (s *Server) shutdownLocked() {
	if !s.closed {
		s.closed = true
		close(s.fatal)
	}
}

// endInitLocked closes InitDone once; at is InitEnd (zero for an init error).
func (s *Server) endInitLocked(at time.Time) {
	if s.initClosed {
		return
	}
	s.initClosed, s.initEnd = true, at
	close(s.initDone)
}

// Invoke hands inv to the runtime's next /next call and waits for the runtime's answer. It returns
// ctx's error if ctx ends first (the caller decides whether that is a timeout or a crash), and
// ErrFatal once the environment cannot take invocations.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (Outcome, error) {
	if inv.RequestID == "" {
		return Outcome{}, errors.New("runtime api: invocation without request id")
	}
	p := &pending{inv: inv, done: make(chan Outcome, 1)}
	select {
	case s.queue <- p:
	case <-s.fatal:
		return Outcome{}, ErrFatal
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
	select {
	case out := <-p.done:
		return out, nil
	case <-s.fatal:
		// An answer may have raced the shutdown.
		select {
		case out := <-p.done:
			return out, nil
		default:
			return Outcome{}, ErrFatal
		}
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
}

// ServeHTTP implements the Runtime API routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := s.now() // first thing: this is the phase timestamp
	path := r.URL.Path
	if strings.HasPrefix(path, extPrefix) || path == telemetryPath || path == logsPath {
		s.serveExtension(w, r, at)
		return
	}
	if !strings.HasPrefix(path, apiPrefix) {
		s.refuse(w, r, at, "", http.StatusNotFound, "NotFound", "unknown path "+path)
		return
	}
	rest := strings.TrimPrefix(path, apiPrefix)
	switch {
	case rest == "invocation/next":
		if r.Method != http.MethodGet {
			s.refuse(w, r, at, "", http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+path)
			return
		}
		s.next(w, r, at)
	case rest == "init/error":
		if r.Method != http.MethodPost {
			s.refuse(w, r, at, "", http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+path)
			return
		}
		s.initError(w, r, at)
	case strings.HasPrefix(rest, "invocation/"):
		id, verb, ok := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		if !ok || (verb != "response" && verb != "error") || id == "" {
			s.refuse(w, r, at, "", http.StatusNotFound, "NotFound", "unknown path "+path)
			return
		}
		if r.Method != http.MethodPost {
			s.refuse(w, r, at, id, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+path)
			return
		}
		s.answer(w, r, at, id, verb == "error")
	default:
		s.refuse(w, r, at, "", http.StatusNotFound, "NotFound", "unknown path "+path)
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request, at time.Time) {
	s.mu.Lock()
	if s.runtimeNext.IsZero() && s.initErr == nil {
		s.runtimeNext = at
		s.maybeEndInitLocked()
	}
	if s.current != nil && !s.current.answered {
		// Asking for the next event abandons the current one; Lambda treats that as a runtime bug.
		s.current.answered = true
		s.protoErrs = append(s.protoErrs, "runtime asked for the next event without answering "+s.current.inv.RequestID)
		s.current.done <- Outcome{RequestID: s.current.inv.RequestID, Delivered: s.current.delivered, Completed: at,
			Err: &ErrorDoc{ErrorType: ErrTypeUnknown, ErrorMessage: "runtime requested the next event before answering this one"}}
	}
	s.mu.Unlock()

	// No event is handed over before init has ended: the extensions too must have called next.
	select {
	case <-s.initDone:
	case <-s.fatal:
		s.refuse(w, r, at, "", http.StatusInternalServerError, ErrTypeInvalidStateErr, "environment is shutting down")
		return
	case <-r.Context().Done():
		s.record(at, r, "", 0)
		return
	}
	var p *pending
	select {
	case p = <-s.queue:
	case <-s.fatal:
		s.refuse(w, r, at, "", http.StatusInternalServerError, ErrTypeInvalidStateErr, "environment is shutting down")
		return
	case <-r.Context().Done():
		s.record(at, r, "", 0)
		return
	}
	delivered := s.now()
	s.mu.Lock()
	p.delivered = delivered
	s.current = p
	s.delivered[p.inv.RequestID] = p
	s.queueInvokeLocked(p.inv, delivered)
	s.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", p.inv.RequestID)
	deadline := p.inv.Deadline
	if deadline.IsZero() {
		deadline = delivered.Add(p.inv.Timeout)
	}
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", p.inv.FunctionARN)
	h.Set("Lambda-Runtime-Trace-Id", p.inv.TraceID)
	if p.inv.ClientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", p.inv.ClientContext)
	}
	if p.inv.CognitoIdentity != "" {
		h.Set("Lambda-Runtime-Cognito-Identity", p.inv.CognitoIdentity)
	}
	h.Set("Content-Length", strconv.Itoa(len(p.inv.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.inv.Payload)
	s.record(at, r, p.inv.RequestID, http.StatusOK)
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request, at time.Time) {
	doc := readErrorDoc(r)
	s.mu.Lock()
	if !s.runtimeNext.IsZero() || s.initErr != nil {
		s.mu.Unlock()
		s.refuse(w, r, at, "", http.StatusForbidden, ErrTypeInvalidStateErr, "init error reported after init ended")
		return
	}
	s.initErr = doc
	s.endInitLocked(time.Time{})
	s.shutdownLocked()
	s.mu.Unlock()
	s.accepted(w, r, at, "")
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, at time.Time, id string, isError bool) {
	s.mu.Lock()
	p, ok := s.delivered[id]
	switch {
	case !ok:
		s.mu.Unlock()
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, MaxResponseBytes+1))
		s.refuse(w, r, at, id, http.StatusBadRequest, ErrTypeInvalidRequestID, "unknown request id "+strconv.Quote(id))
		return
	case p.answered:
		s.mu.Unlock()
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, MaxResponseBytes+1))
		s.refuse(w, r, at, id, http.StatusBadRequest, ErrTypeInvalidRequestID, "request id "+strconv.Quote(id)+" was already answered")
		return
	}
	s.mu.Unlock()

	out := Outcome{RequestID: id, Delivered: p.delivered, Completed: at}
	if isError {
		out.Err = readErrorDoc(r)
		out.ErrorTypeHeader = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if out.Err.ErrorType == "" {
			out.Err.ErrorType = out.ErrorTypeHeader
		}
	} else {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
		if err != nil {
			s.refuse(w, r, at, id, http.StatusBadRequest, "InvalidRequest", "reading response body: "+err.Error())
			return
		}
		if len(body) > MaxResponseBytes {
			out.Err = &ErrorDoc{ErrorType: ErrTypeResponseTooLarge,
				ErrorMessage: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)}
			s.finish(p, out)
			s.refuse(w, r, at, id, http.StatusRequestEntityTooLarge, ErrTypeRequestTooLarge, out.Err.ErrorMessage)
			return
		}
		out.Response = body
	}
	if !s.finish(p, out) {
		s.refuse(w, r, at, id, http.StatusBadRequest, ErrTypeInvalidRequestID, "request id "+strconv.Quote(id)+" was already answered")
		return
	}
	s.accepted(w, r, at, id)
}

// finish records p's outcome once; it reports false when p was answered meanwhile.
func (s *Server) finish(p *pending, out Outcome) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.answered {
		return false
	}
	p.answered = true
	p.done <- out
	return true
}

func readErrorDoc(r *http.Request) *ErrorDoc {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBytes))
	_, _ = io.Copy(io.Discard, r.Body)
	doc := &ErrorDoc{}
	if err := json.Unmarshal(body, doc); err != nil || (doc.ErrorType == "" && doc.ErrorMessage == "") {
		// Lambda keeps a non-JSON error body as the message.
		doc = &ErrorDoc{ErrorMessage: strings.TrimSpace(string(body))}
	}
	if doc.ErrorType == "" {
		doc.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if doc.ErrorType == "" {
		doc.ErrorType = ErrTypeUnknown
	}
	return doc
}

func (s *Server) accepted(w http.ResponseWriter, r *http.Request, at time.Time, id string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
	s.record(at, r, id, http.StatusAccepted)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, at time.Time, id string, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorDoc{ErrorMessage: msg, ErrorType: errType})
	s.mu.Lock()
	s.protoErrs = append(s.protoErrs, fmt.Sprintf("%s %s: %d %s", r.Method, r.URL.Path, status, msg))
	s.mu.Unlock()
	s.record(at, r, id, status)
}

func (s *Server) record(at time.Time, r *http.Request, id string, status int) {
	s.mu.Lock()
	s.events = append(s.events, Event{At: at, Method: r.Method, Path: r.URL.Path, RequestID: id, Status: status})
	s.mu.Unlock()
}

// Package fakelambda is a stand-in for the AWS Lambda API that the real aws-sdk-go-v2 client talks
// to. It keeps functions as state, checks SigV4-signed requests and the bodies Lambda would
// reject, and runs each invocation for real with coldbench's local runner, answering with the log
// tail Lambda would write: a configuration change makes the next invoke cold (Init Duration
// present), a failed or timed-out init is reported on INIT_REPORT lines and retried in the invoke
// (a suppressed init, no Init Duration), a timeout and a runtime's crash are REPORT's Status.
// Updates and creates can take a latency of their own (Pending, InProgress) and the control plane
// is rate-limited as Lambda's (TooManyRequestsException). It also answers the two calls of other
// services a run makes: sts GetCallerIdentity and logs DeleteLogGroup. Unknown routes fail the
// test.
package fakelambda

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/runtimeapi"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// Function is a stored function.
type Function struct {
	Name, Role, Runtime, Handler string
	Architectures                []string
	MemorySize, Timeout          int
	Env                          map[string]string
	EphemeralMB                  int
	zipPath                      string
	state, updateStatus          string
	readyAt                      time.Time // when a Pending or InProgress state completes
	cold                         bool
	Invocations, ColdStarts      int
}

// Options shape the fake's behaviour.
type Options struct {
	// UpdateLatency and CreateLatency are how long an update stays InProgress and a new function
	// Pending (zero: until the next look).
	UpdateLatency, CreateLatency func() time.Duration
	// ControlRate is the control plane's requests a second (CreateFunction, Update..., Delete...;
	// Lambda's 15) and GetRate GetFunction's (Lambda's 100); 0: unlimited.
	ControlRate, GetRate float64
	// InitTimeout is the runner's init timeout (Lambda's 10 s when zero).
	InitTimeout time.Duration
	// Parallel is how many invocations run at once (2 when zero).
	Parallel int
	// FailCreate says which new functions end in the Failed state (as one whose role Lambda cannot
	// assume, or whose zip it cannot unpack); DenyDelete which DeleteFunction refuses
	// (AccessDeniedException).
	FailCreate, DenyDelete func(name string) bool
}

// Server is the fake API.
type Server struct {
	*httptest.Server
	t        testing.TB
	dir      string
	run      *runner.Runner
	mu       sync.Mutex
	funcs    map[string]*Function
	deleted  []string
	requests []string
	opt      Options
	control  *bucket
	gets     *bucket
	runs     chan struct{}
	// LogGroups holds the log groups that exist: an invoke creates its function's, as Lambda's
	// logging does; DeleteLogGroup removes it.
	logGroups map[string]bool
	throttled int
}

// LogGroups lists the log groups that exist now.
func (s *Server) LogGroups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.logGroups))
}

// Throttled is how many requests were refused with TooManyRequestsException.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// bucket is a token bucket of rate tokens a second, rate deep.
type bucket struct {
	rate, tokens float64
	last         time.Time
}

func (b *bucket) take(now time.Time) bool {
	if b == nil {
		return true
	}
	b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func newBucket(rate float64) *bucket {
	if rate <= 0 {
		return nil
	}
	return &bucket{rate: rate, tokens: rate, last: time.Now()}
}

// Functions lists the names of the functions that exist now.
func (s *Server) Functions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.funcs))
}

// Deleted lists the functions deleted so far, in order.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deleted)
}

// Requests lists "METHOD PATH" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// New starts the fake. Invocations run on a local runner with its defaults.
func New(t testing.TB) *Server { return NewWithOptions(t, Options{}) }

// NewWithOptions starts the fake with opt.
func NewWithOptions(t testing.TB, opt Options) *Server {
	r, err := runner.New(runner.Config{WorkDir: t.TempDir(), Timeout: 10 * time.Second, InitTimeout: opt.InitTimeout})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, dir: t.TempDir(), run: r, funcs: map[string]*Function{}, opt: opt, logGroups: map[string]bool{},
		control: newBucket(opt.ControlRate), gets: newBucket(opt.GetRate), runs: make(chan struct{}, cmp.Or(opt.Parallel, 2))}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { s.Close(); r.Close() })
	return s
}

var (
	reFunctions   = regexp.MustCompile(`^/2015-03-31/functions/?$`)
	reFunction    = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)$`)
	reConfig      = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/configuration$`)
	reInvocations = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/invocations$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	service := ""
	for _, svc := range []string{"lambda", "sts", "logs"} {
		if strings.Contains(auth, "/"+svc+"/aws4_request") {
			service = svc
		}
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || service == "" || r.Header.Get("X-Amz-Date") == "" {
		s.fail(w, http.StatusForbidden, "InvalidSignatureException", "request not signed for lambda, sts or logs with the test credentials")
		return
	}
	if !s.admit(r) {
		s.fail(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
		return
	}
	switch {
	case service == "sts":
		s.sts(w, r)
	case service == "logs":
		s.logs(w, r)
	case r.Method == http.MethodPost && reFunctions.MatchString(r.URL.Path):
		s.create(w, r)
	case r.Method == http.MethodGet && reFunction.MatchString(r.URL.Path):
		s.get(w, reFunction.FindStringSubmatch(r.URL.Path)[1])
	case r.Method == http.MethodDelete && reFunction.MatchString(r.URL.Path):
		s.delete(w, reFunction.FindStringSubmatch(r.URL.Path)[1])
	case r.Method == http.MethodPut && reConfig.MatchString(r.URL.Path):
		s.update(w, r, reConfig.FindStringSubmatch(r.URL.Path)[1])
	case r.Method == http.MethodPost && reInvocations.MatchString(r.URL.Path):
		s.invoke(w, r, reInvocations.FindStringSubmatch(r.URL.Path)[1])
	default:
		s.t.Errorf("fakelambda: unexpected request %s %s", r.Method, r.URL.Path)
		s.fail(w, http.StatusNotFound, "UnknownOperationException", "unknown operation")
	}
}

// admit applies the control plane's rate limits.
func (s *Server) admit(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b *bucket
	switch {
	case reInvocations.MatchString(r.URL.Path) || !strings.HasPrefix(r.URL.Path, "/2015-03-31/"):
		return true
	case r.Method == http.MethodGet:
		b = s.gets
	default:
		b = s.control
	}
	if b.take(time.Now()) {
		return true
	}
	s.throttled++
	return false
}

// sts answers GetCallerIdentity (the query protocol, XML).
func (s *Server) sts(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if r.Form.Get("Action") != "GetCallerIdentity" {
		s.t.Errorf("fakelambda: unexpected sts action %q", r.Form.Get("Action"))
		s.fail(w, http.StatusBadRequest, "InvalidAction", "unknown action")
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
		`<Arn>arn:aws:iam::000000000000:user/coldbench</Arn><UserId>AIDATEST</UserId><Account>000000000000</Account>`+
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>`+newID()+`</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
}

// logs answers DeleteLogGroup (JSON 1.1).
func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "Logs_20140328.DeleteLogGroup" {
		s.t.Errorf("fakelambda: unexpected logs call %q", target)
		s.fail(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation")
		return
	}
	var in struct{ LogGroupName string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.logGroups[in.LogGroupName] {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}`)
		return
	}
	delete(s.logGroups, in.LogGroupName)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fmt.Fprint(w, `{}`)
}

func (s *Server) fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (s *Server) invalid(w http.ResponseWriter, msg string) {
	s.t.Errorf("fakelambda: %s", msg)
	s.fail(w, http.StatusBadRequest, "InvalidParameterValueException", msg)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FunctionName, Role, Runtime, Handler, Description string
		Code                                              struct{ ZipFile []byte }
		Architectures                                     []string
		MemorySize, Timeout                               int
		Environment                                       struct{ Variables map[string]string }
		Tags                                              map[string]string
		EphemeralStorage                                  *struct{ Size int }
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		s.invalid(w, "CreateFunction body: "+err.Error())
		return
	}
	switch {
	case in.FunctionName == "" || len(in.FunctionName) > 64:
		s.invalid(w, "FunctionName must be 1 to 64 characters")
		return
	case !strings.HasPrefix(in.Role, "arn:aws:iam::"):
		s.invalid(w, "Role must be an IAM role ARN")
		return
	case in.Runtime != "provided.al2023" && runtimeDir(in.Runtime) == "":
		s.invalid(w, "Runtime "+in.Runtime+": not provided.al2023 nor a managed runtime installed by scripts/setup.sh")
		return
	case in.EphemeralStorage != nil && (in.EphemeralStorage.Size < 512 || in.EphemeralStorage.Size > 10240):
		s.invalid(w, fmt.Sprintf("EphemeralStorage.Size %d", in.EphemeralStorage.Size))
		return
	case in.MemorySize < 128 || in.MemorySize > 10240:
		s.invalid(w, fmt.Sprintf("MemorySize %d", in.MemorySize))
		return
	}
	zr, err := zip.NewReader(bytes.NewReader(in.Code.ZipFile), int64(len(in.Code.ZipFile)))
	if err != nil {
		s.invalid(w, "Code.ZipFile is not a zip: "+err.Error())
		return
	}
	hasBootstrap := false
	for _, f := range zr.File {
		hasBootstrap = hasBootstrap || f.Name == "bootstrap"
	}
	if !hasBootstrap && in.Runtime == "provided.al2023" {
		s.invalid(w, "zip has no bootstrap")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.funcs[in.FunctionName]; ok {
		s.fail(w, http.StatusConflict, "ResourceConflictException", "Function already exist: "+in.FunctionName)
		return
	}
	p := filepath.Join(s.dir, in.FunctionName+".zip")
	if err := os.WriteFile(p, in.Code.ZipFile, 0o644); err != nil {
		s.fail(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	f := &Function{Name: in.FunctionName, Role: in.Role, Runtime: in.Runtime, Handler: in.Handler, Architectures: in.Architectures,
		MemorySize: in.MemorySize, Timeout: in.Timeout, Env: in.Environment.Variables, zipPath: p, state: "Pending", updateStatus: "Successful", cold: true,
		EphemeralMB: 512, readyAt: s.after(s.opt.CreateLatency)}
	if in.EphemeralStorage != nil {
		f.EphemeralMB = in.EphemeralStorage.Size
	}
	s.funcs[f.Name] = f
	writeJSON(w, http.StatusCreated, s.config(f))
}

func (s *Server) config(f *Function) map[string]any {
	return map[string]any{
		"FunctionName": f.Name, "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:" + f.Name,
		"Runtime": f.Runtime, "Role": f.Role, "Handler": f.Handler, "MemorySize": f.MemorySize, "Timeout": f.Timeout,
		"Architectures": f.Architectures, "State": f.state, "LastUpdateStatus": f.updateStatus, "StateReason": stateReason(f.state),
		"Environment": map[string]any{"Variables": f.Env},
	}
}

// get answers GetFunction; a pending create or update completes on the next look, as Lambda's
// finish a moment later.
func (s *Server) get(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.funcs[name]
	if !ok {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	ready := func() {
		if f.state == "Pending" {
			f.state = "Active"
			if s.opt.FailCreate != nil && s.opt.FailCreate(f.Name) {
				f.state = "Failed"
			}
		}
		if f.updateStatus == "InProgress" {
			f.updateStatus = "Successful"
		}
	}
	if !f.readyAt.IsZero() && !time.Now().Before(f.readyAt) {
		ready() // its latency has passed
	}
	out := map[string]any{"Configuration": s.config(f), "Code": map[string]string{"RepositoryType": "S3"}}
	if f.readyAt.IsZero() {
		ready() // no latency: done by the next look
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, name string) {
	var in struct {
		Environment struct{ Variables map[string]string }
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		s.invalid(w, "UpdateFunctionConfiguration body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.funcs[name]
	switch {
	case !ok:
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	case f.updateStatus == "InProgress" || f.state != "Active":
		s.fail(w, http.StatusConflict, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: "+name)
		return
	}
	f.Env, f.updateStatus, f.cold, f.readyAt = in.Environment.Variables, "InProgress", true, s.after(s.opt.UpdateLatency)
	writeJSON(w, http.StatusOK, s.config(f))
}

func (s *Server) invoke(w http.ResponseWriter, r *http.Request, name string) {
	payload, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	f, ok := s.funcs[name]
	if ok && (f.state != "Active" || f.updateStatus == "InProgress") {
		s.mu.Unlock()
		s.fail(w, http.StatusConflict, "ResourceConflictException", "function is not ready")
		return
	}
	var cold bool
	if ok {
		cold, f.cold = f.cold, false
		f.Invocations++
		if cold {
			f.ColdStarts++
		}
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	if r.Header.Get("X-Amz-Log-Type") != "Tail" {
		s.t.Errorf("fakelambda: invoke without X-Amz-Log-Type: Tail")
	}
	_ = payload
	v := sampling.Variant{Name: name, Artifact: f.zipPath, Env: f.Env, Handler: f.Handler, MemoryMB: f.MemorySize,
		Timeout: time.Duration(f.Timeout) * time.Second, EphemeralMB: f.EphemeralMB}
	if f.Runtime != "provided.al2023" {
		v.RuntimeDir, v.LambdaRuntime = runtimeDir(f.Runtime), f.Runtime
	}
	s.runs <- struct{}{}
	start := time.Now()
	smp := s.run.Sample(context.Background(), v)
	elapsed := float64(time.Since(start).Microseconds()) / 1000
	<-s.runs
	if smp.Error != nil && smp.Error.Phase == results.PhaseInit && smp.InitMs == 0 {
		smp.InitMs = elapsed // the runner keeps no init time of a failed init; Lambda reports it
	}
	s.mu.Lock()
	s.logGroups["/aws/lambda/"+name] = true
	s.mu.Unlock()
	logs, body, functionError := Tail(smp, cold, f.MemorySize, f.Timeout)
	if functionError != "" {
		w.Header().Set("X-Amz-Function-Error", functionError)
	}
	w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(tail(logs, 4096))))
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Tail is what Lambda answers for an invocation that went as smp did: the log (START, the
// handler's output, END, REPORT, and INIT_REPORT lines for a failed or timed-out init), the
// payload, and the X-Amz-Function-Error header. cold says whether the invoke had to start an
// environment; a failed init is retried in the invoke phase (suppressed: no Init Duration).
func Tail(smp results.Sample, cold bool, memoryMB, timeoutS int) (logs string, body []byte, functionError string) {
	id := newID()
	var b strings.Builder
	e := smp.Error
	initFailed := e != nil && e.Phase == results.PhaseInit
	duration := smp.DurationMs
	if initFailed {
		status := "error\tError Type: " + e.Type
		if e.Type == runtimeapi.ErrTypeTimeout {
			status = "timeout"
		}
		fmt.Fprintf(&b, "INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:fake\n")
		b.WriteString(smp.Output)
		fmt.Fprintf(&b, "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s\n", smp.InitMs, status)
		// Lambda retries the init inside the invoke, against the function's timeout.
		fmt.Fprintf(&b, "INIT_REPORT Init Duration: %.2f ms\tPhase: invoke\tStatus: %s\n", smp.InitMs, status)
		duration = smp.InitMs
	} else if cold {
		fmt.Fprintf(&b, "INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:fake\n")
	}
	fmt.Fprintf(&b, "START RequestId: %s Version: $LATEST\n", id)
	if !initFailed {
		b.WriteString(smp.Output)
	}
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %d MB\tMax Memory Used: %.0f MB",
		id, duration, math.Ceil(duration+smp.InitMs), memoryMB, math.Ceil(smp.MaxMemoryMB))
	if cold && !initFailed {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", smp.InitMs)
	}
	body = []byte(smp.Response)
	if e != nil {
		functionError = "Unhandled"
		doc := map[string]string{"errorType": e.Type, "errorMessage": e.Reason}
		switch {
		case e.Type == runtimeapi.ErrTypeTimeout:
			msg := fmt.Sprintf("Task timed out after %d.00 seconds", timeoutS)
			fmt.Fprintf(&b, "%s %s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), id, msg)
			doc["errorMessage"] = "RequestId: " + id + " Error: " + msg
			report += "\tStatus: timeout"
		case initFailed || e.Type == runtimeapi.ErrTypeExit || e.Type == runtimeapi.ErrTypeOutOfMemory:
			// The runtime died (or never came up): Lambda names its error on REPORT.
			doc["errorMessage"] = "RequestId: " + id + " Error: " + e.Reason
			fmt.Fprintf(&b, "RequestId: %s Error: %s\n%s\n", id, e.Reason, e.Type)
			report += "\tStatus: error\tError Type: " + e.Type
		}
		body, _ = json.Marshal(doc)
	}
	fmt.Fprintf(&b, "END RequestId: %s\n%s\n", id, report)
	return b.String(), body, functionError
}

// runtimeDir is where scripts/setup.sh installed a managed runtime ("" when it did not).
func runtimeDir(name string) string {
	if name == "" || name == "provided.al2023" {
		return ""
	}
	dir := filepath.Join(build.DefaultToolsDir(os.Getenv), "runtimes", name)
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		return ""
	}
	return dir
}

func (s *Server) after(latency func() time.Duration) time.Time {
	if latency == nil {
		return time.Time{} // the next look
	}
	return time.Now().Add(latency())
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func (s *Server) delete(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.funcs[name]; !ok {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	if s.opt.DenyDelete != nil && s.opt.DenyDelete(name) {
		s.fail(w, http.StatusForbidden, "AccessDeniedException", "not authorized to perform: lambda:DeleteFunction on "+name)
		return
	}
	delete(s.funcs, name)
	s.deleted = append(s.deleted, name)
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func stateReason(state string) string {
	if state == "Failed" {
		return "The function could not be created: its execution role cannot be assumed by Lambda."
	}
	return ""
}

// Package fakelambda is a stand-in for the AWS Lambda API that the real aws-sdk-go-v2 client talks
// to. It keeps functions as state, checks SigV4-signed requests and the bodies Lambda would
// reject, and runs each invocation for real with coldbench's local runner, answering with the
// REPORT line Lambda would write: a configuration change makes the next invoke cold (Init
// Duration present), as on Lambda. Unknown routes fail the test.
package fakelambda

import (
	"archive/zip"
	"bytes"
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

	"github.com/coldbench/coldbench/pkg/runner"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// Function is a stored function.
type Function struct {
	Name, Role, Runtime, Handler string
	Architectures                []string
	MemorySize, Timeout          int
	Env                          map[string]string
	zipPath                      string
	state, updateStatus          string
	cold                         bool
	Invocations, ColdStarts      int
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
func New(t testing.TB) *Server {
	r, err := runner.New(runner.Config{WorkDir: t.TempDir(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, dir: t.TempDir(), run: r, funcs: map[string]*Function{}}
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
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/lambda/aws4_request") || r.Header.Get("X-Amz-Date") == "" {
		s.fail(w, http.StatusForbidden, "InvalidSignatureException", "request not signed for lambda with the test credentials")
		return
	}
	switch {
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
	case in.Runtime != "provided.al2023":
		s.invalid(w, "Runtime "+in.Runtime+": coldbench deploys provided.al2023")
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
	if !hasBootstrap {
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
		MemorySize: in.MemorySize, Timeout: in.Timeout, Env: in.Environment.Variables, zipPath: p, state: "Pending", updateStatus: "Successful", cold: true}
	s.funcs[f.Name] = f
	writeJSON(w, http.StatusCreated, s.config(f))
}

func (s *Server) config(f *Function) map[string]any {
	return map[string]any{
		"FunctionName": f.Name, "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:" + f.Name,
		"Runtime": f.Runtime, "Role": f.Role, "Handler": f.Handler, "MemorySize": f.MemorySize, "Timeout": f.Timeout,
		"Architectures": f.Architectures, "State": f.state, "LastUpdateStatus": f.updateStatus,
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
	out := map[string]any{"Configuration": s.config(f), "Code": map[string]string{"RepositoryType": "S3"}}
	if f.state == "Pending" {
		f.state = "Active"
	}
	if f.updateStatus == "InProgress" {
		f.updateStatus = "Successful"
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
	f.Env, f.updateStatus, f.cold = in.Environment.Variables, "InProgress", true
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
	smp := s.run.Sample(context.Background(), sampling.Variant{Name: name, Artifact: f.zipPath, Env: f.Env, Handler: f.Handler})
	id := newID()
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %d MB\tMax Memory Used: %.0f MB",
		id, smp.DurationMs, math.Ceil(smp.DurationMs+smp.InitMs), f.MemorySize, math.Ceil(smp.MaxMemoryMB))
	if cold {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", smp.InitMs)
	}
	body := []byte(smp.Response)
	if smp.Error != nil {
		report += "\tStatus: error\tError Type: " + smp.Error.Type
		body, _ = json.Marshal(map[string]string{"errorType": smp.Error.Type, "errorMessage": smp.Error.Reason})
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
	}
	logs := fmt.Sprintf("START RequestId: %s Version: $LATEST\n%sEND RequestId: %s\n%s\n", id, smp.Output, id, report)
	w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(logs)))
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (s *Server) delete(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.funcs[name]; !ok {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
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

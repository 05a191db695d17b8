package runtimeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const extBase = "/2020-01-01/extension"

// extClient talks to the Extensions API as aws-samples/aws-lambda-extensions' Go example does:
// register with its file name for INVOKE and SHUTDOWN, then long-poll event/next with its id.
type extClient struct {
	t   *testing.T
	url string
	id  string
}

func (c *extClient) register(name string, events ...string) (*http.Response, string) {
	body, _ := json.Marshal(map[string]any{"events": events})
	resp, b := do(c.t, "POST", c.url+extBase+"/register", string(body), "Lambda-Extension-Name", name)
	c.id = resp.Header.Get("Lambda-Extension-Identifier")
	return resp, b
}

// next long-polls for the extension's next event; it may run in its own goroutine (no t.Fatal).
func (c *extClient) next() (*http.Response, string) {
	return send("GET", c.url+extBase+"/event/next", "", "Lambda-Extension-Identifier", c.id)
}

// send is do without a test, for requests made from other goroutines; a failed request is an
// empty answer, which the test's assertions catch.
func send(method, url, body string, hdr ...string) (*http.Response, string) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return &http.Response{}, ""
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &http.Response{}, ""
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func newExtServer(t *testing.T, names ...string) (*Server, *httptest.Server) {
	t.Helper()
	s := New(WithClock(fakeClock()), WithExtensions(names, FunctionInfo{Name: "fn", Version: "$LATEST", Handler: "index.handler"}))
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Shutdown(); hs.Close() })
	return s, hs
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestExtensionRegisterAnswersWithFunctionAndID(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "agent")
	if closed(s.ExtensionsRegistered()) {
		t.Fatal("registration done before the extension registered")
	}
	c := &extClient{t: t, url: hs.URL}
	resp, body := c.register("agent", EventInvoke, EventShutdown)
	if resp.StatusCode != 200 || c.id == "" {
		t.Fatalf("register = %d (id %q) %s, want 200 with Lambda-Extension-Identifier", resp.StatusCode, c.id, body)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(body), &info); err != nil || info["functionName"] != "fn" || info["functionVersion"] != "$LATEST" || info["handler"] != "index.handler" {
		t.Fatalf("register body = %s (%v), want the function's name, version and handler", body, err)
	}
	if !closed(s.ExtensionsRegistered()) {
		t.Fatal("every extension registered but ExtensionsRegistered is open")
	}
}

func TestExtensionRegisterRefusals(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "agent")
	c := &extClient{t: t, url: hs.URL}
	for _, tc := range []struct {
		name, events, want string
		status             int
	}{
		{"", `{"events":[]}`, "without a Lambda-Extension-Name", 403},
		{"other", `{"events":[]}`, `valid values are agent`, 403},
		{"agent", `{"events":["INVOKE","FOO"]}`, `event "FOO": valid values are INVOKE, SHUTDOWN`, 400},
		{"agent", `not json`, `body is not {"events"`, 400},
	} {
		resp, body := do(t, "POST", hs.URL+extBase+"/register", tc.events, "Lambda-Extension-Name", tc.name)
		var doc ErrorDoc
		_ = json.Unmarshal([]byte(body), &doc)
		if resp.StatusCode != tc.status || !strings.Contains(doc.ErrorMessage, tc.want) {
			t.Errorf("register %q %s = %d %s, want %d mentioning %q", tc.name, tc.events, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	if resp, _ := c.register("agent"); resp.StatusCode != 200 {
		t.Fatalf("register agent = %d", resp.StatusCode)
	}
	if resp, body := c.register("agent"); resp.StatusCode != 403 || !strings.Contains(body, "already registered") {
		t.Errorf("second register = %d %s, want 403 already registered", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", hs.URL+extBase+"/event/next", "", "Lambda-Extension-Identifier", "nope"); resp.StatusCode != 403 || !strings.Contains(body, "unknown Lambda-Extension-Identifier") {
		t.Errorf("next with an unknown id = %d %s, want 403", resp.StatusCode, body)
	}
	if len(s.ProtocolErrors()) != 6 {
		t.Errorf("protocol errors = %q, want the 6 refusals", s.ProtocolErrors())
	}
}

// Init ends when the runtime and every extension have called next, at the last call: here the
// extension is last, after the runtime's /next; the event goes to the runtime only then.
func TestInitEndsWhenRuntimeAndEveryExtensionCalledNext(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "a", "b")
	ca, cb := &extClient{t: t, url: hs.URL}, &extClient{t: t, url: hs.URL}
	ca.register("a", EventInvoke)
	cb.register("b", EventInvoke, EventShutdown)
	done := invokeAsync(s, Invocation{RequestID: "req-1", Payload: []byte(`{}`), Timeout: time.Second})

	aNext := make(chan string, 1)
	go func() { _, b := ca.next(); aNext <- b }()
	waitFor(t, func() bool { return !s.Extensions()[0].Ready.IsZero() })
	type res struct {
		status int
		id     string
	}
	rtNext := make(chan res, 1)
	go func() {
		resp, _ := send("GET", hs.URL+base+"/invocation/next", "")
		rtNext <- res{resp.StatusCode, resp.Header.Get("Lambda-Runtime-Aws-Request-Id")}
	}()
	waitFor(t, func() bool {
		return strings.Contains(s.Waiting(), "extension b registered but never called") && !strings.Contains(s.Waiting(), "runtime")
	})
	if closed(s.InitDone()) {
		t.Fatal("init ended while extension b had not called next")
	}
	select {
	case r := <-rtNext:
		t.Fatalf("the runtime got an event (%v) before init ended", r)
	case <-time.After(20 * time.Millisecond):
	}
	bNext := make(chan string, 1)
	go func() { _, b := cb.next(); bNext <- b }()
	<-s.InitDone()
	ext := s.Extensions()
	if !s.InitEnd().Equal(ext[1].Ready) || !ext[1].Ready.After(ext[0].Ready) {
		t.Fatalf("init end %v, want b's first next %v (after a's %v)", s.InitEnd(), ext[1].Ready, ext[0].Ready)
	}
	if r := <-rtNext; r.status != 200 || r.id != "req-1" {
		t.Fatalf("runtime next = %v", r)
	}
	for name, ch := range map[string]chan string{"a": aNext, "b": bNext} {
		var ev map[string]any
		if err := json.Unmarshal([]byte(<-ch), &ev); err != nil || ev["eventType"] != EventInvoke || ev["requestId"] != "req-1" {
			t.Errorf("extension %s event = %v (%v), want INVOKE req-1", name, ev, err)
		}
	}
	do(t, "POST", hs.URL+base+"/invocation/req-1/response", `"ok"`)
	if out := <-done; string(out.Response) != `"ok"` {
		t.Fatalf("outcome %+v", out)
	}
	// SHUTDOWN only for b, which registered for it.
	bShut := make(chan string, 1)
	go func() { _, b := cb.next(); bShut <- b }()
	s.Shutdown() // before or after b's next arrives, b gets SHUTDOWN
	if b := <-bShut; !strings.Contains(b, `"eventType":"SHUTDOWN"`) || !strings.Contains(b, `"shutdownReason":"spindown"`) {
		t.Errorf("b after shutdown got %s, want a SHUTDOWN event", b)
	}
}

func TestInitWaitsForRuntimeAfterExtensions(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "a")
	c := &extClient{t: t, url: hs.URL}
	c.register("a")
	go c.next()
	waitFor(t, func() bool { return !s.Extensions()[0].Ready.IsZero() })
	if closed(s.InitDone()) || s.Waiting() != "the runtime never called /invocation/next" {
		t.Fatalf("init done %v, waiting %q: want init open until the runtime's /next", closed(s.InitDone()), s.Waiting())
	}
	invokeAsync(s, Invocation{RequestID: "r", Timeout: time.Second})
	go send("GET", hs.URL+base+"/invocation/next", "")
	<-s.InitDone()
	if ext := s.Extensions(); !s.InitEnd().After(ext[0].Ready) {
		t.Fatalf("init end %v, want the runtime's /next after a's %v", s.InitEnd(), ext[0].Ready)
	}
}

// A misbehaving extension fails init with its reason: one failed sample, not a hung run.
func TestExtensionInitErrorFailsInit(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "agent")
	c := &extClient{t: t, url: hs.URL}
	c.register("agent", EventShutdown)
	resp, _ := do(t, "POST", hs.URL+extBase+"/init/error", `{"errorMessage":"no API key","errorType":"Extension.ConfigInvalid"}`,
		"Lambda-Extension-Identifier", c.id, "Lambda-Extension-Function-Error-Type", "Extension.ConfigInvalid")
	if resp.StatusCode != 202 {
		t.Fatalf("init/error = %d, want 202", resp.StatusCode)
	}
	<-s.InitDone()
	doc := s.InitError()
	if doc == nil || doc.ErrorType != "Extension.ConfigInvalid" || doc.ErrorMessage != "extension agent reported an init error: no API key" {
		t.Fatalf("init error = %+v", doc)
	}
	if resp, _ := do(t, "GET", hs.URL+base+"/invocation/next", ""); resp.StatusCode != 500 {
		t.Errorf("runtime next after a failed init = %d, want 500", resp.StatusCode)
	}
	if _, b := c.next(); !strings.Contains(b, `"shutdownReason":"failure"`) {
		t.Errorf("extension next after a failed init = %s, want SHUTDOWN failure", b)
	}
}

func TestExtensionExitErrorDuringInit(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "agent")
	c := &extClient{t: t, url: hs.URL}
	c.register("agent")
	do(t, "POST", hs.URL+extBase+"/exit/error", "boom", "Lambda-Extension-Identifier", c.id, "Lambda-Extension-Function-Error-Type", "Extension.Crash")
	<-s.InitDone()
	if doc := s.InitError(); doc == nil || doc.ErrorType != ErrTypeExtensionCrash || !strings.Contains(doc.ErrorMessage, "agent reported an exit error: boom") {
		t.Fatalf("init error = %+v", doc)
	}
}

func TestTelemetryAndLogsSubscriptionsAccepted(t *testing.T) {
	t.Parallel()
	s, hs := newExtServer(t, "agent")
	c := &extClient{t: t, url: hs.URL}
	c.register("agent")
	sub := `{"schemaVersion":"2022-07-01","destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:8080"},"types":["platform","function"]}`
	for _, p := range []string{"/2022-07-01/telemetry", "/2020-08-15/logs"} {
		if resp, b := do(t, "PUT", hs.URL+p, sub, "Lambda-Extension-Identifier", c.id); resp.StatusCode != 200 {
			t.Errorf("PUT %s = %d %s, want 200", p, resp.StatusCode, b)
		}
	}
	if resp, b := do(t, "PUT", hs.URL+"/2022-07-01/telemetry", `{"types":[]}`, "Lambda-Extension-Identifier", c.id); resp.StatusCode != 400 || !strings.Contains(b, "destination") {
		t.Errorf("bad subscription = %d %s, want 400 naming the shape", resp.StatusCode, b)
	}
	if got := s.Subscriptions(); len(got) != 2 || got[0] != "agent: telemetry [platform function]" || got[1] != "agent: logs [platform function]" {
		t.Errorf("subscriptions = %q", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5 s")
}

package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const base = "/2018-06-01/runtime"

// fakeClock advances 1 ms per reading, so every phase has a distinct, predictable timestamp.
func fakeClock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Millisecond); return t }
}

func newServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := New(WithClock(fakeClock()))
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Shutdown(); hs.Close() })
	return s, hs
}

func do(t *testing.T, method, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	resp, b := send(method, url, body, hdr...)
	if resp.StatusCode == 0 {
		t.Fatalf("%s %s: no answer", method, url)
	}
	return resp, b
}

// invokeAsync queues inv and returns where its outcome will arrive.
func invokeAsync(s *Server, inv Invocation) <-chan Outcome {
	ch := make(chan Outcome, 1)
	go func() {
		out, err := s.Invoke(context.Background(), inv)
		if err != nil {
			out.Err = &ErrorDoc{ErrorType: "invoke-error", ErrorMessage: err.Error()}
		}
		ch <- out
	}()
	return ch
}

func TestNextDeliversEventWithLambdaHeaders(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	deadline := time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)
	done := invokeAsync(s, Invocation{
		RequestID: "req-1", Payload: []byte(`{"k":1}`), Deadline: deadline,
		FunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:f", TraceID: "Root=1-abc",
		ClientContext: "e30=", CognitoIdentity: `{"cognitoIdentityId":"x"}`,
	})
	resp, body := do(t, "GET", hs.URL+base+"/invocation/next", "")
	if resp.StatusCode != 200 || body != `{"k":1}` {
		t.Fatalf("GET next = %d %q, want 200 with the event", resp.StatusCode, body)
	}
	for h, want := range map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Deadline-Ms":          "1767323100000",
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:f",
		"Lambda-Runtime-Trace-Id":             "Root=1-abc",
		"Lambda-Runtime-Client-Context":       "e30=",
		"Lambda-Runtime-Cognito-Identity":     `{"cognitoIdentityId":"x"}`,
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	resp, body = do(t, "POST", hs.URL+base+"/invocation/req-1/response", `{"answer":42}`)
	if resp.StatusCode != 202 || body != `{"status":"OK"}` {
		t.Fatalf("POST response = %d %q, want 202", resp.StatusCode, body)
	}
	out := <-done
	if string(out.Response) != `{"answer":42}` || out.Err != nil {
		t.Errorf("Invoke() = %+v, want the posted response", out)
	}
	if !out.Completed.After(out.Delivered) {
		t.Errorf("Completed %v not after Delivered %v", out.Completed, out.Delivered)
	}
	// The first /next ends init: its arrival is the init end, the first clock reading.
	if got, want := s.InitEnd(), time.Date(2026, 1, 2, 3, 4, 5, int(time.Millisecond), time.UTC); !got.Equal(want) {
		t.Errorf("InitEnd() = %v, want %v", got, want)
	}
	select {
	case <-s.InitDone():
	default:
		t.Error("InitDone() not closed after the first /next")
	}
}

func TestDeadlineFollowsTimeoutFromDelivery(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	invokeAsync(s, Invocation{RequestID: "r", Timeout: 3 * time.Second})
	resp, _ := do(t, "GET", hs.URL+base+"/invocation/next", "")
	// Clock readings: 1 ms arrival, 2 ms delivery; deadline = delivery + 3 s.
	want := time.Date(2026, 1, 2, 3, 4, 8, int(2*time.Millisecond), time.UTC).UnixMilli()
	if got := resp.Header.Get("Lambda-Runtime-Deadline-Ms"); got != jsonNum(want) {
		t.Errorf("deadline = %s, want %d", got, want)
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAnswerStatusCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path, body string
		wantStatus int
		wantType   string
	}{
		{"unknown request id", "/invocation/nope/response", `{}`, 400, ErrTypeInvalidRequestID},
		{"unknown request id on error", "/invocation/nope/error", `{}`, 400, ErrTypeInvalidRequestID},
		{"oversized response", "/invocation/r1/response", strings.Repeat("x", MaxResponseBytes+1), 413, ErrTypeRequestTooLarge},
		{"unknown route", "/invocation/r1/teapot", `{}`, 404, "NotFound"},
		{"init error after init", "/init/error", `{}`, 403, ErrTypeInvalidStateErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, hs := newServer(t)
			invokeAsync(s, Invocation{RequestID: "r1", Timeout: time.Second})
			do(t, "GET", hs.URL+base+"/invocation/next", "")
			resp, body := do(t, "POST", hs.URL+base+tt.path, tt.body)
			var doc ErrorDoc
			_ = json.Unmarshal([]byte(body), &doc)
			if resp.StatusCode != tt.wantStatus || doc.ErrorType != tt.wantType {
				t.Errorf("POST %s = %d %q, want %d with errorType %s", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantType)
			}
			if len(s.ProtocolErrors()) != 1 {
				t.Errorf("ProtocolErrors() = %q, want one entry", s.ProtocolErrors())
			}
		})
	}
}

func TestOversizedResponseFailsTheInvocation(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	done := invokeAsync(s, Invocation{RequestID: "r1"})
	do(t, "GET", hs.URL+base+"/invocation/next", "")
	do(t, "POST", hs.URL+base+"/invocation/r1/response", strings.Repeat("x", MaxResponseBytes+10))
	if out := <-done; out.Err == nil || out.Err.ErrorType != ErrTypeResponseTooLarge {
		t.Errorf("Invoke() = %+v, want %s", out.Err, ErrTypeResponseTooLarge)
	}
	// The id is now answered: a retry is refused.
	if resp, _ := do(t, "POST", hs.URL+base+"/invocation/r1/response", `{}`); resp.StatusCode != 400 {
		t.Errorf("second answer = %d, want 400", resp.StatusCode)
	}
}

func TestFunctionErrorKeepsDocumentAndHeader(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	done := invokeAsync(s, Invocation{RequestID: "r1"})
	do(t, "GET", hs.URL+base+"/invocation/next", "")
	resp, _ := do(t, "POST", hs.URL+base+"/invocation/r1/error",
		`{"errorMessage":"bad","errorType":"ValueError","stackTrace":["a.py:1"]}`,
		"Lambda-Runtime-Function-Error-Type", "Unhandled")
	if resp.StatusCode != 202 {
		t.Fatalf("POST error = %d, want 202", resp.StatusCode)
	}
	out := <-done
	if out.Err == nil || out.Err.ErrorType != "ValueError" || out.Err.ErrorMessage != "bad" ||
		string(out.Err.StackTrace) != `["a.py:1"]` || out.ErrorTypeHeader != "Unhandled" {
		t.Errorf("Invoke() error = %+v (header %q)", out.Err, out.ErrorTypeHeader)
	}
	if resp, _ := do(t, "POST", hs.URL+base+"/invocation/r1/response", `{}`); resp.StatusCode != 400 {
		t.Errorf("answer after error = %d, want 400 (already answered)", resp.StatusCode)
	}
}

func TestNonJSONErrorBodyBecomesMessage(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	done := invokeAsync(s, Invocation{RequestID: "r1"})
	do(t, "GET", hs.URL+base+"/invocation/next", "")
	do(t, "POST", hs.URL+base+"/invocation/r1/error", "plain failure", "Lambda-Runtime-Function-Error-Type", "Runtime.Custom")
	out := <-done
	if out.Err.ErrorMessage != "plain failure" || out.Err.ErrorType != "Runtime.Custom" {
		t.Errorf("error = %+v, want message from body and type from header", out.Err)
	}
}

func TestInitErrorIsFatal(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	resp, _ := do(t, "POST", hs.URL+base+"/init/error", `{"errorMessage":"no config","errorType":"Runtime.ConfigError"}`)
	if resp.StatusCode != 202 {
		t.Fatalf("POST init/error = %d, want 202", resp.StatusCode)
	}
	if doc := s.InitError(); doc == nil || doc.ErrorType != "Runtime.ConfigError" || doc.ErrorMessage != "no config" {
		t.Errorf("InitError() = %+v", doc)
	}
	if resp, _ := do(t, "GET", hs.URL+base+"/invocation/next", ""); resp.StatusCode != 500 {
		t.Errorf("GET next after init error = %d, want 500", resp.StatusCode)
	}
	if _, err := s.Invoke(context.Background(), Invocation{RequestID: "x"}); !errors.Is(err, ErrFatal) {
		t.Errorf("Invoke() after init error = %v, want ErrFatal", err)
	}
	if !s.InitEnd().IsZero() {
		t.Errorf("InitEnd() = %v, want zero: init never completed", s.InitEnd())
	}
}

func TestNextWithoutAnswerAbandonsCurrent(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	done := invokeAsync(s, Invocation{RequestID: "r1"})
	do(t, "GET", hs.URL+base+"/invocation/next", "")
	go func() { // blocks waiting for a second event until the server shuts down
		if resp, err := http.Get(hs.URL + base + "/invocation/next"); err == nil {
			resp.Body.Close()
		}
	}()
	out := <-done
	if out.Err == nil || out.Err.ErrorType != ErrTypeUnknown {
		t.Errorf("Invoke() = %+v, want %s for an abandoned event", out.Err, ErrTypeUnknown)
	}
}

func TestMethodAndPathValidation(t *testing.T) {
	t.Parallel()
	_, hs := newServer(t)
	for _, c := range []struct{ method, path string }{
		{"POST", base + "/invocation/next"},
		{"GET", base + "/init/error"},
		{"GET", base + "/invocation/r/response"},
		{"GET", "/2015-03-31/functions"},
	} {
		resp, _ := do(t, c.method, hs.URL+c.path, "")
		if resp.StatusCode < 400 {
			t.Errorf("%s %s = %d, want a 4xx", c.method, c.path, resp.StatusCode)
		}
	}
}

func TestEventsAreRecordedInOrder(t *testing.T) {
	t.Parallel()
	s, hs := newServer(t)
	done := invokeAsync(s, Invocation{RequestID: "r1"})
	do(t, "GET", hs.URL+base+"/invocation/next", "")
	do(t, "POST", hs.URL+base+"/invocation/r1/response", "{}")
	<-done
	ev := s.Events()
	if len(ev) != 2 || ev[0].Path != base+"/invocation/next" || ev[1].Status != 202 || !ev[1].At.After(ev[0].At) {
		t.Errorf("Events() = %+v", ev)
	}
}

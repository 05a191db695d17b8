package webadapter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/runtimeapi"
)

func TestParseDefaultsAsTheAdapter(t *testing.T) {
	o, err := Parse(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Host != "127.0.0.1" || o.Port != 8080 || o.ReadinessPort != 8080 || o.ReadinessPath != "/" || o.ReadinessTCP ||
		o.PassThroughPath != "/events" || o.Healthy[0] != 100 || o.Healthy[len(o.Healthy)-1] != 499 {
		t.Fatalf("defaults = %+v", o)
	}
	// PORT is the fallback (otsu81's Dockerfiles set it); AWS_LWA_PORT wins; the readiness port
	// follows the traffic port; the deprecated READINESS_CHECK_PATH is still read.
	o, _ = Parse(map[string]string{"PORT": "3000", "READINESS_CHECK_PATH": "health"})
	if o.Port != 3000 || o.ReadinessPort != 3000 || o.ReadinessPath != "/health" {
		t.Fatalf("PORT fallback = %+v", o)
	}
	o, _ = Parse(map[string]string{"PORT": "3000", "AWS_LWA_PORT": "9000", "AWS_LWA_READINESS_CHECK_PORT": "9001",
		"AWS_LWA_READINESS_CHECK_PROTOCOL": "TCP", "AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS": "400"})
	if o.Port != 9000 || o.ReadinessPort != 9001 || !o.ReadinessTCP || o.Healthy[len(o.Healthy)-1] != 399 {
		t.Fatalf("explicit = %+v", o)
	}
}

func TestParseNamesEveryBadValue(t *testing.T) {
	_, err := Parse(map[string]string{"AWS_LWA_PORT": "http", "AWS_LWA_READINESS_CHECK_PROTOCOL": "grpc",
		"AWS_LWA_READINESS_CHECK_HEALTHY_STATUS": "200-x,204", "AWS_LWA_ERROR_STATUS_CODES": "700"})
	for _, want := range []string{`AWS_LWA_PORT "http": not a port`, `AWS_LWA_READINESS_CHECK_PORT "http"`, `"grpc": valid values are http, tcp`,
		`AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: "200-x"`, `AWS_LWA_ERROR_STATUS_CODES: "700"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to mention %s", err, want)
		}
	}
}

func TestDetectAndIs(t *testing.T) {
	for preset, want := range map[string]Kind{"apigw-v1": KindAPIGatewayV1, "apigw-v2": KindAPIGatewayV2, "alb": KindALB, "sqs": KindPassThrough, "eventbridge": KindPassThrough} {
		b, err := os.ReadFile("../config/events/" + preset + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if got := Detect(b); got != want {
			t.Errorf("Detect(%s) = %s, want %s", preset, got, want)
		}
	}
	if !Is(map[string]string{"AWS_LWA_PORT": "1"}) || !Is(map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"}) || Is(map[string]string{"PORT": "8080"}) {
		t.Error("Is: want AWS_LWA_* or the exec wrapper, not PORT alone")
	}
	if !IsLayer("arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:25") || IsLayer("arn:aws:lambda:us-east-1:1:layer:Other:1") {
		t.Error("IsLayer")
	}
}

func TestRequestShapes(t *testing.T) {
	o, _ := Parse(map[string]string{"AWS_LWA_REMOVE_BASE_PATH": "/prod", "AWS_LWA_AUTHORIZATION_SOURCE": "X-Token"})
	lc := LambdaContext{RequestID: "req-1", Deadline: 1, InvokedFunctionARN: "arn"}
	v2 := `{"version":"2.0","rawPath":"/prod/items/7","rawQueryString":"a=1&b=2","cookies":["c=1","d=2"],"headers":{"x-token":"secret","host":"api.example.com"},
		"requestContext":{"http":{"method":"PUT"},"requestId":"rc"},"body":"aGk=","isBase64Encoded":true}`
	req, kind, err := o.Request(context.Background(), []byte(v2), lc)
	if err != nil || kind != KindAPIGatewayV2 {
		t.Fatal(kind, err)
	}
	body, _ := io.ReadAll(req.Body)
	if req.Method != "PUT" || req.URL.String() != "http://127.0.0.1:8080/items/7?a=1&b=2" || req.Host != "api.example.com" ||
		req.Header.Get("Cookie") != "c=1; d=2" || req.Header.Get("Authorization") != "secret" || req.Header.Get("X-Token") != "" || string(body) != "hi" {
		t.Fatalf("v2 request = %s %s host %s headers %v body %q", req.Method, req.URL, req.Host, req.Header, body)
	}
	if !strings.Contains(req.Header.Get("x-amzn-request-context"), `"requestId":"rc"`) || !strings.Contains(req.Header.Get("x-amzn-lambda-context"), `"request_id":"req-1"`) {
		t.Errorf("context headers = %v", req.Header)
	}
	v1 := `{"httpMethod":"POST","path":"/prod/x","multiValueQueryStringParameters":{"k":["1","2"]},"multiValueHeaders":{"Accept":["a","b"]},"requestContext":{"stage":"prod"},"body":"{}"}`
	req, kind, _ = o.Request(context.Background(), []byte(v1), lc)
	if kind != KindAPIGatewayV1 || req.Method != "POST" || req.URL.String() != "http://127.0.0.1:8080/x?k=1&k=2" || !reflect.DeepEqual(req.Header.Values("Accept"), []string{"a", "b"}) {
		t.Fatalf("v1 request = %s %s %v", req.Method, req.URL, req.Header)
	}
	alb := `{"requestContext":{"elb":{"targetGroupArn":"tg"}},"httpMethod":"GET","path":"/a","queryStringParameters":{"q":"1"},"headers":{"accept":"x"}}`
	req, kind, _ = o.Request(context.Background(), []byte(alb), lc)
	if kind != KindALB || req.Method != "GET" || req.URL.String() != "http://127.0.0.1:8080/a?q=1" || req.Header.Get("Accept") != "x" ||
		req.Header.Get("x-amzn-request-context") != `{"elb":{"targetGroupArn":"tg"}}` {
		t.Fatalf("ALB request = %s %s %v", req.Method, req.URL, req.Header)
	}
	req, kind, _ = o.Request(context.Background(), []byte(`{"size":1000,"seed":42}`), lc)
	body, _ = io.ReadAll(req.Body)
	if kind != KindPassThrough || req.Method != "POST" || req.URL.Path != "/events" || string(body) != `{"size":1000,"seed":42}` {
		t.Fatalf("pass-through request = %s %s %q", req.Method, req.URL, body)
	}
}

func response(status int, hdr http.Header, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: hdr, Body: io.NopCloser(strings.NewReader(body))}
}

func TestResponseShapes(t *testing.T) {
	o, _ := Parse(map[string]string{"AWS_LWA_ERROR_STATUS_CODES": "500-599"})
	b, _ := o.Response(KindAPIGatewayV2, response(201, http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=2"}}, `{"ok":true}`))
	var v2 map[string]any
	_ = json.Unmarshal(b, &v2)
	if v2["statusCode"] != 201.0 || v2["body"] != `{"ok":true}` || v2["isBase64Encoded"] == true || len(v2["cookies"].([]any)) != 2 {
		t.Errorf("v2 response = %s", b)
	}
	b, _ = o.Response(KindAPIGatewayV1, response(200, http.Header{"Content-Type": {"image/png"}}, "\x89PNG"))
	var v1 map[string]any
	_ = json.Unmarshal(b, &v1)
	if v1["isBase64Encoded"] != true || v1["body"] != base64.StdEncoding.EncodeToString([]byte("\x89PNG")) {
		t.Errorf("binary v1 response = %s", b)
	}
	if b, _ := o.Response(KindPassThrough, response(200, http.Header{}, `{"n":1}`)); string(b) != `{"n":1}` {
		t.Errorf("pass-through JSON = %s", b)
	}
	if b, _ := o.Response(KindPassThrough, response(200, http.Header{}, `OK`)); string(b) != `"OK"` {
		t.Errorf("pass-through text = %s", b)
	}
	if _, err := o.Response(KindALB, response(503, http.Header{}, "down")); err == nil || err.Error() != `{"statusCode":503,"body":"down"}` {
		t.Errorf("error status = %v", err)
	}
}

// Run plays the adapter against the Runtime API emulator and a server that becomes ready after a
// few checks: init ends at the /next after the first healthy check, and the event reaches the
// server as the adapter sends it.
func TestRunReadinessThenForward(t *testing.T) {
	var checks atomic.Int32
	var readyAt atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
			if checks.Add(1) < 4 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			readyAt.CompareAndSwap(0, time.Now().UnixNano())
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"path":"`+r.URL.Path+`","got":`+string(b)+`}`)
	}))
	defer app.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(app.URL, "http://"))
	o, err := Parse(map[string]string{"PORT": port, "AWS_LWA_READINESS_CHECK_PATH": "/healthz"})
	if err != nil {
		t.Fatal(err)
	}
	emu := runtimeapi.New()
	api := httptest.NewServer(emu)
	defer api.Close()
	defer emu.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &net.Dialer{}
	go func() {
		_ = o.Run(ctx, http.DefaultClient, strings.TrimPrefix(api.URL, "http://"), Client(d.DialContext), d.DialContext)
	}()
	out, err := emu.Invoke(ctx, runtimeapi.Invocation{RequestID: "r1", Payload: []byte(`{"size":3}`), Timeout: 5 * time.Second})
	if err != nil || out.Err != nil {
		t.Fatalf("invoke: %v %+v", err, out.Err)
	}
	if string(out.Response) != `{"path":"/events","got":{"size":3}}` {
		t.Fatalf("response = %s", out.Response)
	}
	if checks.Load() < 4 || emu.InitEnd().UnixNano() < readyAt.Load() {
		t.Fatalf("init ended at %v with %d checks, want after the healthy check at %v", emu.InitEnd(), checks.Load(), time.Unix(0, readyAt.Load()))
	}
}

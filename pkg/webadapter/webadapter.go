// Package webadapter plays the AWS Lambda Web Adapter (awslabs/aws-lambda-web-adapter) for a
// function that is an HTTP server: it waits for the server's readiness check to pass, then takes
// each event from the Runtime API as the adapter's runtime client does, forwards it as the HTTP
// request the adapter would send (API Gateway REST and HTTP APIs, ALB, function URLs; other
// events POSTed as they are to the pass-through path), and maps the response back.
//
// Its settings are the adapter's environment variables, read as the adapter reads them (its
// deprecated names included): AWS_LWA_PORT (falling back to PORT, then 8080),
// AWS_LWA_READINESS_CHECK_PORT / _PATH / _PROTOCOL / _HEALTHY_STATUS (or the older
// _MIN_UNHEALTHY_STATUS), AWS_LWA_PASS_THROUGH_PATH, AWS_LWA_REMOVE_BASE_PATH,
// AWS_LWA_ERROR_STATUS_CODES, AWS_LWA_AUTHORIZATION_SOURCE.
package webadapter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ExtensionName is the adapter's file name in /opt/extensions; coldbench plays it and never runs
// the binary.
const ExtensionName = "lambda-adapter"

// ReadinessInterval is the adapter's fixed retry interval.
const ReadinessInterval = 10 * time.Millisecond

// MaxResponseBytes bounds what is read of the server's answer (Lambda's 6 MB response limit).
const MaxResponseBytes = 6 << 20

// Options are the adapter's settings.
type Options struct {
	Host            string // 127.0.0.1, the adapter's default (AWS_LWA_HOST)
	Port            int
	ReadinessPort   int
	ReadinessPath   string
	ReadinessTCP    bool
	Healthy         []int // status codes a readiness check accepts
	PassThroughPath string
	BasePath        string
	ErrorStatus     []int
	AuthSource      string
	// OnCheck, when set, is told of every failed readiness check (for a sample's reason).
	OnCheck func(error)
	// Notes name settings coldbench reads but does not play (async init, streaming, compression).
	Notes []string
}

// Is reports whether env configures a function for the adapter: the adapter's exec wrapper, or
// any AWS_LWA_ setting.
func Is(env map[string]string) bool {
	if env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap" {
		return true
	}
	for k := range env {
		if strings.HasPrefix(k, "AWS_LWA_") {
			return true
		}
	}
	return false
}

// IsLayer reports whether a layer ARN is the Web Adapter's (LambdaAdapterLayerArm64,
// LambdaAdapterLayerX86).
func IsLayer(arn string) bool {
	return strings.Contains(arn, ":layer:LambdaAdapterLayer") || strings.Contains(arn, ":layer:lambda-adapter")
}

// Parse reads the adapter's settings from the function's environment; every bad value is named.
func Parse(env map[string]string) (Options, error) {
	get := func(name, old, def string) (string, string) {
		if v, ok := env[name]; ok {
			return v, name
		}
		if v, ok := env[old]; ok && old != "" {
			return v, old
		}
		return def, ""
	}
	var problems []string
	port := func(val, name string) int {
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 65535 {
			problems = append(problems, fmt.Sprintf("%s %q: not a port (1 to 65535)", name, val))
		}
		return n
	}
	o := Options{}
	o.Host, _ = get("AWS_LWA_HOST", "HOST", "127.0.0.1")
	pv, pn := get("AWS_LWA_PORT", "PORT", "8080")
	o.Port = port(pv, cmp.Or(pn, "AWS_LWA_PORT"))
	rv, rn := get("AWS_LWA_READINESS_CHECK_PORT", "READINESS_CHECK_PORT", pv)
	o.ReadinessPort = port(rv, cmp.Or(rn, "AWS_LWA_READINESS_CHECK_PORT"))
	o.ReadinessPath, _ = get("AWS_LWA_READINESS_CHECK_PATH", "READINESS_CHECK_PATH", "/")
	if !strings.HasPrefix(o.ReadinessPath, "/") {
		o.ReadinessPath = "/" + o.ReadinessPath
	}
	switch proto, name := get("AWS_LWA_READINESS_CHECK_PROTOCOL", "READINESS_CHECK_PROTOCOL", "http"); strings.ToLower(proto) {
	case "http":
	case "tcp":
		o.ReadinessTCP = true
	default:
		problems = append(problems, fmt.Sprintf("%s %q: valid values are http, tcp", name, proto))
	}
	o.Healthy = statusRange(100, 499)
	if v, ok := env["AWS_LWA_READINESS_CHECK_HEALTHY_STATUS"]; ok {
		var err error
		if o.Healthy, err = ParseStatusCodes(v); err != nil {
			problems = append(problems, "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: "+err.Error())
		}
	} else if v, ok := env["AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS"]; ok { // adapter ≤ 0.9
		n, err := strconv.Atoi(v)
		if err != nil || n < 101 || n > 599 {
			problems = append(problems, fmt.Sprintf("AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS %q: a status code from 101 to 599", v))
		}
		o.Healthy = statusRange(100, n-1)
	}
	o.PassThroughPath = cmp.Or(env["AWS_LWA_PASS_THROUGH_PATH"], "/events")
	o.BasePath, _ = get("AWS_LWA_REMOVE_BASE_PATH", "REMOVE_BASE_PATH", "")
	if v, ok := env["AWS_LWA_ERROR_STATUS_CODES"]; ok {
		var err error
		if o.ErrorStatus, err = ParseStatusCodes(v); err != nil {
			problems = append(problems, "AWS_LWA_ERROR_STATUS_CODES: "+err.Error())
		}
	}
	o.AuthSource = env["AWS_LWA_AUTHORIZATION_SOURCE"]
	if v, _ := get("AWS_LWA_ASYNC_INIT", "ASYNC_INIT", "false"); v == "true" {
		o.Notes = append(o.Notes, "AWS_LWA_ASYNC_INIT is not played: init is timed to the readiness check's pass, as without it")
	}
	if v := env["AWS_LWA_INVOKE_MODE"]; strings.EqualFold(v, "response_stream") {
		o.Notes = append(o.Notes, "AWS_LWA_INVOKE_MODE response_stream is played buffered: the response is timed to its last byte")
	}
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

// ParseStatusCodes reads "200-399,404" as the adapter does; unlike the adapter (which skips them
// with a warning), bad entries are an error naming each.
func ParseStatusCodes(s string) ([]int, error) {
	var out []int
	var bad []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			bad = append(bad, strconv.Quote(part))
			continue
		}
		out = append(out, statusRange(a, b)...)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("%s: want status codes (100 to 599) and ranges, as 200-399,404", strings.Join(bad, ", "))
	}
	return out, nil
}

func statusRange(a, b int) []int {
	var out []int
	for c := a; c <= b; c++ {
		out = append(out, c)
	}
	return out
}

// Dialer opens a connection the way the adapter reaches the server (in the sample's network).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Client is an HTTP client that reaches the server through dial, with no proxy and no
// environment of coldbench's.
func Client(dial Dialer) *http.Client {
	return &http.Client{
		Transport: &http.Transport{DialContext: dial, DisableCompression: true, MaxIdleConnsPerHost: 4},
		// The server's redirects are answers to map back, not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Describe names the readiness check: "GET / on 127.0.0.1:8080" or "tcp 127.0.0.1:8080".
func (o Options) Describe() string {
	addr := net.JoinHostPort(o.Host, strconv.Itoa(o.ReadinessPort))
	if o.ReadinessTCP {
		return "a TCP connection to " + addr
	}
	return "GET " + o.ReadinessPath + " on " + addr
}

// WaitReady retries the readiness check every 10 ms until it passes or ctx ends, as the adapter
// does at init. The last failure is returned with ctx's error, for the sample's reason.
func (o Options) WaitReady(ctx context.Context, c *http.Client, dial Dialer) error {
	addr := net.JoinHostPort(o.Host, strconv.Itoa(o.ReadinessPort))
	url := "http://" + addr + o.ReadinessPath
	var last error
	for {
		last = o.check(ctx, c, dial, addr, url)
		if last == nil {
			return nil
		}
		if o.OnCheck != nil {
			o.OnCheck(last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last readiness check: %v)", ctx.Err(), last)
		case <-time.After(ReadinessInterval):
		}
	}
}

func (o Options) check(ctx context.Context, c *http.Client, dial Dialer, addr, url string) error {
	if o.ReadinessTCP {
		conn, err := dial(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
		}
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if !slices.Contains(o.Healthy, resp.StatusCode) {
		return fmt.Errorf("GET %s answered %d, not a healthy status", o.ReadinessPath, resp.StatusCode)
	}
	return nil
}

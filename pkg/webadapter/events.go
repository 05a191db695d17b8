package webadapter

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Kind is the shape of an event, as lambda_http (the adapter's Rust runtime) tells them apart.
type Kind string

// Event kinds.
const (
	KindAPIGatewayV1 Kind = "apigw-v1" // REST API (and its WebSocket-less proxy integration)
	KindAPIGatewayV2 Kind = "apigw-v2" // HTTP API, function URL
	KindALB          Kind = "alb"
	KindPassThrough  Kind = "pass-through" // anything else: POSTed as it is
)

// Detect tells the event's kind from its fields.
func Detect(event []byte) Kind {
	var probe struct {
		Version        string `json:"version"`
		HTTPMethod     string `json:"httpMethod"`
		RequestContext *struct {
			ELB  json.RawMessage `json:"elb"`
			HTTP json.RawMessage `json:"http"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(event, &probe) != nil || probe.RequestContext == nil {
		return KindPassThrough
	}
	switch rc := probe.RequestContext; {
	case len(rc.ELB) > 0 && probe.HTTPMethod != "":
		return KindALB
	case probe.Version == "2.0" && len(rc.HTTP) > 0:
		return KindAPIGatewayV2
	case probe.HTTPMethod != "":
		return KindAPIGatewayV1
	}
	return KindPassThrough
}

// restRequest is what API Gateway REST (v1) and ALB events have alike: the fields of
// aws-lambda-go's APIGatewayProxyRequest and ALBTargetGroupRequest that make the HTTP request,
// and the request context, kept as it is for x-amzn-request-context.
type restRequest struct {
	HTTPMethod                      string              `json:"httpMethod"`
	Path                            string              `json:"path"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	RequestContext                  json.RawMessage     `json:"requestContext"`
}

// LambdaContext is the invocation's context, sent as the x-amzn-lambda-context header.
type LambdaContext struct {
	RequestID          string `json:"request_id"`
	Deadline           int64  `json:"deadline"`
	InvokedFunctionARN string `json:"invoked_function_arn"`
	XRayTraceID        string `json:"xray_trace_id,omitempty"`
}

// Request is the HTTP request the adapter sends the server for event.
func (o Options) Request(ctx context.Context, event []byte, lc LambdaContext) (*http.Request, Kind, error) {
	kind := Detect(event)
	var (
		method, path, rawQuery string
		header                 = http.Header{}
		body                   []byte
		reqCtx                 any
		err                    error
	)
	switch kind {
	case KindAPIGatewayV1, KindALB:
		var e restRequest
		if err = json.Unmarshal(event, &e); err != nil {
			break
		}
		method, path, reqCtx = e.HTTPMethod, e.Path, e.RequestContext
		rawQuery = query(e.QueryStringParameters, e.MultiValueQueryStringParameters)
		addHeaders(header, e.Headers, e.MultiValueHeaders)
		body, err = decodeBody(e.Body, e.IsBase64Encoded)
	case KindAPIGatewayV2:
		var e events.APIGatewayV2HTTPRequest
		if err = json.Unmarshal(event, &e); err != nil {
			break
		}
		method, path, rawQuery, reqCtx = e.RequestContext.HTTP.Method, e.RawPath, e.RawQueryString, e.RequestContext
		addHeaders(header, e.Headers, nil)
		if len(e.Cookies) > 0 {
			header.Set("Cookie", strings.Join(e.Cookies, "; "))
		}
		body, err = decodeBody(e.Body, e.IsBase64Encoded)
	default:
		method, path, body = http.MethodPost, o.PassThroughPath, event
		header.Set("Content-Type", "application/json")
		reqCtx = nil
	}
	if err != nil {
		return nil, kind, fmt.Errorf("%s event: %w", kind, err)
	}
	if kind != KindPassThrough && o.BasePath != "" {
		path = strings.TrimPrefix(path, o.BasePath)
	}
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	rc, _ := json.Marshal(reqCtx)
	header.Set("x-amzn-request-context", string(rc))
	lcj, _ := json.Marshal(lc)
	header.Set("x-amzn-lambda-context", string(lcj))
	if o.AuthSource != "" {
		if v := header.Values(o.AuthSource); len(v) > 0 {
			header.Del(o.AuthSource)
			header["Authorization"] = v
		}
	}
	u := &url.URL{Scheme: "http", Host: net.JoinHostPort(o.Host, strconv.Itoa(o.Port)), Path: path, RawQuery: rawQuery}
	req, err := http.NewRequestWithContext(ctx, cmp.Or(method, http.MethodGet), u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, kind, fmt.Errorf("%s event: %w", kind, err)
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	header.Del("Host")
	req.Header = header
	return req, kind, nil
}

func addHeaders(h http.Header, single map[string]string, multi map[string][]string) {
	for k, vs := range multi {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range single {
		if _, ok := multi[k]; !ok {
			h.Set(k, v)
		}
	}
}

func query(single map[string]string, multi map[string][]string) string {
	q := url.Values{}
	for k, vs := range multi {
		q[k] = append(q[k], vs...)
	}
	for k, v := range single {
		if _, ok := multi[k]; !ok {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

func decodeBody(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	out, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("isBase64Encoded body: %w", err)
	}
	return out, nil
}

// Response is the Lambda response for the server's answer to an event of kind, or the error the
// adapter reports (a status in AWS_LWA_ERROR_STATUS_CODES).
func (o Options) Response(kind Kind, resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the server's response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("the server's response is larger than Lambda's %d bytes", MaxResponseBytes)
	}
	if slices.Contains(o.ErrorStatus, resp.StatusCode) {
		b, _ := json.Marshal(string(body))
		return nil, fmt.Errorf(`{"statusCode":%d,"body":%s}`, resp.StatusCode, b)
	}
	resp.Header.Del("Transfer-Encoding")
	text := isText(resp.Header)
	encoded := string(body)
	if !text {
		encoded = base64.StdEncoding.EncodeToString(body)
	}
	single := map[string]string{}
	for k := range resp.Header {
		single[strings.ToLower(k)] = strings.Join(resp.Header.Values(k), ",")
	}
	var out any
	switch kind {
	case KindAPIGatewayV1:
		multi := map[string][]string{}
		for k, vs := range resp.Header {
			multi[strings.ToLower(k)] = vs
		}
		out = events.APIGatewayProxyResponse{StatusCode: resp.StatusCode, Headers: single, MultiValueHeaders: multi, Body: encoded, IsBase64Encoded: !text}
	case KindAPIGatewayV2:
		cookies := resp.Header.Values("Set-Cookie")
		delete(single, "set-cookie")
		out = events.APIGatewayV2HTTPResponse{StatusCode: resp.StatusCode, Headers: single, Cookies: cookies, Body: encoded, IsBase64Encoded: !text}
	case KindALB:
		out = events.ALBTargetGroupResponse{StatusCode: resp.StatusCode, StatusDescription: resp.Status, Headers: single, Body: encoded, IsBase64Encoded: !text}
	default:
		if json.Valid(body) {
			return body, nil
		}
		out = string(body)
	}
	return json.Marshal(out)
}

// isText says whether a body goes back as text, as lambda_http decides: no content encoding, and
// a text, JSON, XML or JavaScript content type (or none).
func isText(h http.Header) bool {
	if h.Get("Content-Encoding") != "" {
		return false
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if params["charset"] != "" || strings.HasPrefix(mt, "text/") {
		return true
	}
	for _, s := range []string{"json", "xml", "javascript", "x-www-form-urlencoded"} {
		if strings.Contains(mt, s) {
			return true
		}
	}
	return false
}

package webadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
)

// ErrTypeForward is the error type coldbench's adapter posts when an event could not be
// forwarded to the server or its answer could not be mapped back (the adapter's own Rust error
// would be there on Lambda); ErrTypeStatus when the answer's status is in
// AWS_LWA_ERROR_STATUS_CODES.
const (
	ErrTypeForward = "WebAdapter.ForwardError"
	ErrTypeStatus  = "WebAdapter.ErrorStatusCode"
)

// Run plays the adapter in one execution environment until ctx ends or the Runtime API refuses
// it: the readiness check first (init ends at the /next that follows its pass), then every event
// forwarded to the server and its answer posted back. api reaches the Runtime API at apiAddr, app
// and dial the server.
func (o Options) Run(ctx context.Context, api *http.Client, apiAddr string, app *http.Client, dial Dialer) error {
	if err := o.WaitReady(ctx, app, dial); err != nil {
		return err
	}
	base := "http://" + apiAddr + "/2018-06-01/runtime/invocation/"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
		if err != nil {
			return err
		}
		resp, err := api.Do(req)
		if err != nil {
			return err
		}
		event, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("runtime api /next: %d %v", resp.StatusCode, err)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		deadline, _ := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
		lc := LambdaContext{RequestID: id, Deadline: deadline,
			InvokedFunctionARN: resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"), XRayTraceID: resp.Header.Get("Lambda-Runtime-Trace-Id")}
		out, errType, err := o.forward(ctx, app, event, lc)
		if err := post(ctx, api, base+id, out, errType, err); err != nil {
			return err
		}
	}
}

// forward sends one event to the server and maps its answer.
func (o Options) forward(ctx context.Context, app *http.Client, event []byte, lc LambdaContext) ([]byte, string, error) {
	req, kind, err := o.Request(ctx, event, lc)
	if err != nil {
		return nil, ErrTypeForward, err
	}
	resp, err := app.Do(req)
	if err != nil {
		return nil, ErrTypeForward, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	status := resp.StatusCode
	out, err := o.Response(kind, resp)
	if err != nil {
		if slices.Contains(o.ErrorStatus, status) {
			return nil, ErrTypeStatus, err
		}
		return nil, ErrTypeForward, err
	}
	return out, "", nil
}

// post answers the invocation at url: its response, or the error document.
func post(ctx context.Context, api *http.Client, url string, out []byte, errType string, ferr error) error {
	path, hdr := "/response", ""
	if ferr != nil {
		path, hdr = "/error", errType
		out, _ = json.Marshal(map[string]string{"errorType": errType, "errorMessage": ferr.Error()})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, bytes.NewReader(out))
	if err != nil {
		return err
	}
	if hdr != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", hdr)
	}
	resp, err := api.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("runtime api %s: %d", path, resp.StatusCode)
	}
	return nil
}

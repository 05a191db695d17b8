package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"github.com/coldbench/coldbench/pkg/webadapter"
)

// lambdaAPIAddr is where Lambda serves the Runtime API; a sample with a network of its own gets
// it there too.
const lambdaAPIAddr = "127.0.0.1:9001"

// prepareWeb reads a web function's adapter settings and, when the sample has a user of its own,
// gives it a network namespace of its own with only loopback: the server's port is the sample's
// (no other sample, session or machine reaches it, and it collides with none), and the Runtime
// API is served inside it at Lambda's address. It returns that listener (nil: the caller's).
func (cs *coldStart) prepareWeb(v sampling.Variant) (net.Listener, *results.SampleError) {
	if !v.Web {
		return nil, nil
	}
	o, err := webadapter.Parse(v.Env)
	if err != nil {
		return nil, &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: "web adapter settings: " + err.Error()}
	}
	var last atomic.Value
	o.OnCheck = func(err error) { last.Store(err.Error()) }
	cs.web, cs.webLast = &o, &last
	for _, n := range o.Notes {
		cs.s.Notes = appendOnce(cs.s.Notes, n)
	}
	if !cs.who.Separate || sandbox.Off("netns") {
		cs.s.Notes = appendOnce(cs.s.Notes, "the web server shares this machine's loopback (no sandbox user: no network namespace of its own)")
		return nil, nil
	}
	n, err := newSampleNet()
	if err != nil {
		return nil, setupError("network namespace", err)
	}
	cs.cleanups = append(cs.cleanups, n.close)
	cs.net = n
	if _, err := netnsAddr(net.JoinHostPort(o.Host, "0")); err != nil && !sandbox.Off("netnsdial") {
		return nil, &results.SampleError{Type: results.ErrTypeInvalidEntrypoint, Phase: results.PhaseInit, Reason: err.Error()}
	}
	var ln net.Listener
	if err := n.do(func() { ln, err = net.Listen("tcp", lambdaAPIAddr) }); err != nil {
		return nil, setupError("network namespace", err)
	}
	if err != nil {
		return nil, setupError("listen in the sample's network", err)
	}
	if ob := cs.r.outbound; ob != nil {
		var oln net.Listener
		if nerr := n.do(func() { oln, err = net.Listen("tcp", "127.0.0.1:0") }); nerr != nil || err != nil {
			return nil, setupError("listen in the sample's network", errors.Join(nerr, err))
		}
		go func() { _ = ob.srv.Serve(oln) }()
		cs.cleanups = append(cs.cleanups, func() { _ = oln.Close() })
		cs.outboundURL = "http://" + oln.Addr().String() + "/"
	}
	return ln, nil
}

// adapterWrapper is the Web Adapter layer's exec wrapper: Lambda's runtime execs it, and it
// execs the handler setting's file in the task root (the web server's start script, run.sh).
const adapterWrapper = "/opt/bootstrap"

// adapterWrapped is the program a web function with AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap runs,
// as the adapter's wrapper runs it: $LAMBDA_TASK_ROOT/$_HANDLER ("" without the wrapper).
func (cs *coldStart) adapterWrapped(v sampling.Variant) (string, *results.SampleError) {
	if cs.web == nil || v.Env["AWS_LAMBDA_EXEC_WRAPPER"] != adapterWrapper {
		return "", nil
	}
	rel := filepath.Clean(v.Handler)
	if v.Handler == "" || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", &results.SampleError{Type: results.ErrTypeInvalidEntrypoint, Phase: results.PhaseInit,
			Reason: fmt.Sprintf("AWS_LAMBDA_EXEC_WRAPPER=%s runs the handler setting's file in the task root; handler %q is not a file there", adapterWrapper, v.Handler)}
	}
	return filepath.Join(cs.taskRoot, rel), nil
}

// dial reaches the sample's network: its namespace's, or this machine's. In the namespace the
// socket must be made on the namespace's thread, so no name is looked up there: Go resolves a
// name and races its IPv4 and IPv6 addresses (Happy Eyeballs) in goroutines of their own, on
// other threads, in this machine's network, where AWS_LWA_HOST=localhost (127.0.0.1 and ::1, as
// Docker's /etc/hosts has it) would have the adapter, as root, talk to the machine's loopback
// instead of the sample's server. An address is dialed as it is, localhost as 127.0.0.1.
func (cs *coldStart) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if cs.net == nil {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	d := net.Dialer{FallbackDelay: -1} // one address, dialed on the calling goroutine
	if sandbox.Off("netnsdial") {      // the hostile test's control: the name resolved and raced
		d = net.Dialer{}
	} else {
		a, err := netnsAddr(addr)
		if err != nil {
			return nil, err
		}
		addr = a
	}
	var c net.Conn
	var err error
	if nerr := cs.net.do(func() { c, err = d.DialContext(ctx, network, addr) }); nerr != nil {
		return nil, nerr
	}
	return c, err
}

// netnsAddr is addr with its host as an IP address, which the sample's own network (loopback
// only) can reach without a lookup: an address as it is, localhost (and *.localhost, RFC 6761)
// as 127.0.0.1; any other name is an error naming it.
func netnsAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	switch h := strings.ToLower(strings.TrimSuffix(host, ".")); {
	case net.ParseIP(host) != nil:
		return addr, nil
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	return "", fmt.Errorf("AWS_LWA_HOST %q: a name, which the sample's own network (loopback only) does not resolve: valid values are an address (127.0.0.1, the adapter's default) or localhost", host)
}

// startAdapter plays the Web Adapter for the sample's server: the readiness check, then the
// runtime client that forwards each event (webadapter.Run). It stops with the sample.
func (cs *coldStart) startAdapter(ctx context.Context) {
	if cs.web == nil {
		return
	}
	actx, cancel := context.WithCancel(ctx)
	cs.cleanups = append(cs.cleanups, cancel)
	client := webadapter.Client(cs.dial)
	api := &http.Client{Transport: &http.Transport{DialContext: cs.dial, DisableCompression: true}}
	cs.cleanups = append(cs.cleanups, client.CloseIdleConnections, api.CloseIdleConnections)
	go func() {
		err := cs.web.Run(actx, api, cs.apiAddr, client, cs.dial)
		if err != nil && !errors.Is(err, context.Canceled) {
			cs.webLast.Store("adapter: " + err.Error())
		}
	}()
}

// initWaiting says what an init that timed out was waiting for.
func (cs *coldStart) initWaiting() string {
	var out string
	if cs.web != nil && cs.emu.InitEnd().IsZero() {
		out = "; the server never passed the Web Adapter's readiness check (" + cs.web.Describe() + ")"
		if l, _ := cs.webLast.Load().(string); l != "" {
			out += ": " + l
		}
	}
	if len(cs.extNames) > 0 {
		if w := cs.emu.Waiting(); w != "" {
			out += "; " + w
		}
	}
	return out
}

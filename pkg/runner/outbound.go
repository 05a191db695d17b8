package runner

import (
	"net"
	"net/http"
	"time"
)

// outboundServer stands in for the downstream service a handler calls during its work: a loopback
// endpoint that answers after a fixed delay, so the network wait is part of the invoke as on Lambda
// but costs the same in every runtime.
type outboundServer struct {
	srv *http.Server
	url string
}

func startOutbound(delay time.Duration) (*outboundServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true}`))
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	return &outboundServer{srv: srv, url: "http://" + ln.Addr().String() + "/"}, nil
}

func (o *outboundServer) close() { _ = o.srv.Close() }

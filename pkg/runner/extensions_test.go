package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runtimeapi"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// The extension and web server fixtures, built once when a test needs them.
var fixtures struct {
	once               sync.Once
	dir, ext, web, err string
}

func buildFixtures(t *testing.T) (ext, web string) {
	t.Helper()
	fixtures.once.Do(func() {
		dir, err := os.MkdirTemp("", "runner-fixtures-")
		if err != nil {
			fixtures.err = err.Error()
			return
		}
		fixtures.dir = dir
		for _, f := range []struct{ pkg, out string }{{"./internal/goextension", "ext"}, {"./internal/webserver", "web"}} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, f.out), f.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fixtures.err = fmt.Sprintf("go build %s: %v\n%s", f.pkg, err, out)
				return
			}
		}
		fixtures.ext, fixtures.web = filepath.Join(dir, "ext"), filepath.Join(dir, "web")
	})
	if fixtures.err != "" {
		t.Fatal(fixtures.err)
	}
	return fixtures.ext, fixtures.web
}

// layerZip makes a layer holding the extension fixture as extensions/<name> for each name, and
// the given extra files.
func layerZip(t *testing.T, names []string, files map[string]string) string {
	t.Helper()
	ext, _ := buildFixtures(t)
	dir := t.TempDir()
	bin, err := os.ReadFile(ext)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		_ = os.MkdirAll(filepath.Join(dir, "extensions"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, "extensions", n), bin, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		_ = os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "layer.zip")
	if err := zipInto(dir, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExtensionsStartFirstAndShareInit(t *testing.T) {
	t.Parallel()
	art := need(t, "go")
	layer := layerZip(t, []string{"agent-fast", "agent-slow", "secrets-cache"}, nil)
	r := newTestRunner(t, Config{Event: []byte(`{"hello":"coldbench"}`), WarmInvokes: 1})
	s := r.Sample(context.Background(), sampling.Variant{Name: "ext", Artifact: art, Layers: []string{layer}, KeepOutput: true,
		Env: map[string]string{"EXT_MODE_agent_slow": "slow", "EXT_MODE_secrets_cache": "subscribe"}})
	if s.Error != nil {
		t.Fatalf("Sample() error = %v\n%s", s.Error, s.Output)
	}
	if len(s.Extensions) != 3 || s.Extensions[0].Name != "agent-fast" || s.Extensions[1].Name != "agent-slow" {
		t.Fatalf("Extensions = %+v, want agent-fast, agent-slow, secrets-cache", s.Extensions)
	}
	fast, slow := s.Extensions[0], s.Extensions[1]
	if slow.RegisteredMs < 150 || fast.RegisteredMs >= slow.RegisteredMs || slow.ReadyMs < slow.RegisteredMs {
		t.Errorf("extension times %+v: want agent-slow registered after its 150 ms, after agent-fast", s.Extensions)
	}
	// The runtime starts after the last registration: init holds the slow agent's 150 ms and the
	// runtime's own start.
	if s.InitMs < slow.RegisteredMs || s.InitMs < 150 {
		t.Errorf("InitMs = %.1f, want past agent-slow's registration at %.1f", s.InitMs, slow.RegisteredMs)
	}
	// The INVOKE events reach the extensions; whether one prints its line before the sample ends
	// is a race: the emulator ends an invoke at the runtime's response and does not yet hold it
	// for every extension's next /next as Lambda does (CI once saw agent-fast print nothing
	// while secrets-cache printed twice).
	if !strings.Contains(s.Output, "received INVOKE") {
		t.Errorf("output shows no extension receiving INVOKE:\n%s", s.Output)
	}
	if !hasNote(s, "secrets-cache: telemetry [platform function]") {
		t.Errorf("notes = %q, want the accepted Telemetry API subscription", s.Notes)
	}
	if len(s.WarmMs) != 1 {
		t.Errorf("WarmMs = %v: the extensions' INVOKE events must not hold up the next invoke", s.WarmMs)
	}
}

// An extension that is ready late (its first /event/next after the runtime's /next) makes init
// end at its readiness, as Lambda's Init Duration does.
func TestExtensionReadyLateExtendsInit(t *testing.T) {
	t.Parallel()
	art := need(t, "go")
	layer := layerZip(t, []string{"agent"}, nil)
	r := newTestRunner(t, Config{})
	s := r.Sample(context.Background(), sampling.Variant{Name: "late", Artifact: art, Layers: []string{layer}, Env: map[string]string{"EXT_MODE_agent": "slow-ready"}})
	if s.Error != nil {
		t.Fatalf("Sample() error = %v\n%s", s.Error, s.Output)
	}
	if x := s.Extensions[0]; x.ReadyMs < x.RegisteredMs+120 || s.InitMs < x.ReadyMs-0.01 {
		t.Errorf("init %.1f, extension %+v: want init to end at the extension's late readiness", s.InitMs, x)
	}
}

// A misbehaving extension is one failed sample with its reason (and its output).
func TestMisbehavingExtensionFailsTheSample(t *testing.T) {
	t.Parallel()
	art := need(t, "go")
	layer := layerZip(t, []string{"agent"}, nil)
	for mode, want := range map[string]struct {
		typ, reason, output string
		phase               results.Phase
	}{
		"crash":      {runtimeapi.ErrTypeExtensionCrash, "extension agent exited during init: exit status 2", "missing configuration", results.PhaseInit},
		"init-error": {"Extension.ConfigInvalid", "extension agent reported an init error: no API key", "", results.PhaseInit},
		// The handler hangs, so the extension's crash on its INVOKE event is what ends the invoke.
		"crash-on-invoke": {runtimeapi.ErrTypeExtensionCrash, "extension agent exited during the invocation: exit status 3", "lost its backend", results.PhaseInvoke},
	} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newTestRunner(t, Config{})
			env := map[string]string{"EXT_MODE_agent": mode}
			if mode == "crash-on-invoke" {
				env["TEST_MODE"] = "hang"
			}
			s := r.Sample(context.Background(), sampling.Variant{Name: mode, Artifact: art, Layers: []string{layer}, Env: env})
			if s.Error == nil || s.Error.Type != want.typ || s.Error.Phase != want.phase || !strings.Contains(s.Error.Reason, want.reason) {
				t.Fatalf("Sample() error = %+v, want %s in %s: %s", s.Error, want.typ, want.phase, want.reason)
			}
			if !strings.Contains(s.Output, want.output) {
				t.Errorf("output %q, want it kept with %q", s.Output, want.output)
			}
		})
	}
}

// An extension that registers and never calls next holds init until Lambda's init timeout; the
// reason names it.
func TestExtensionThatNeverCallsNextTimesOutInit(t *testing.T) {
	t.Parallel()
	art := need(t, "go")
	layer := layerZip(t, []string{"agent"}, nil)
	r := newTestRunner(t, Config{InitTimeout: 500 * time.Millisecond})
	s := r.Sample(context.Background(), sampling.Variant{Name: "stuck", Artifact: art, Layers: []string{layer}, Env: map[string]string{"EXT_MODE_agent": "never-next"}})
	if s.Error == nil || s.Error.Type != runtimeapi.ErrTypeTimeout || !strings.Contains(s.Error.Reason, "extension agent registered but never called /extension/event/next") {
		t.Fatalf("Sample() error = %+v", s.Error)
	}
}

func TestWebAdapterReadinessAndForwarding(t *testing.T) {
	t.Parallel()
	_, web := buildFixtures(t)
	art := webZip(t, web)
	r := newTestRunner(t, Config{Event: []byte(`{"version":"2.0","rawPath":"/items","rawQueryString":"","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"body":"{\"size\":3}","isBase64Encoded":false}`), WarmInvokes: 1})
	s := r.Sample(context.Background(), sampling.Variant{Name: "web", Artifact: art, Web: true, Env: map[string]string{"SERVER_DELAY": "200ms"}})
	if s.Error != nil {
		t.Fatalf("Sample() error = %v\n%s", s.Error, s.Output)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal([]byte(s.Response), &resp); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"path":"/items"`) || !strings.Contains(resp.Body, `"size":3`) {
		t.Fatalf("Response = %s (%v), want the HTTP API answer of the server", s.Response, err)
	}
	if s.InitMs < 200 {
		t.Errorf("InitMs = %.1f, want the server's 200 ms before it listens", s.InitMs)
	}
	if len(s.WarmMs) != 1 {
		t.Errorf("WarmMs = %v", s.WarmMs)
	}
}

func TestWebServerThatNeverListensTimesOutWithReason(t *testing.T) {
	t.Parallel()
	_, web := buildFixtures(t)
	r := newTestRunner(t, Config{InitTimeout: 500 * time.Millisecond})
	s := r.Sample(context.Background(), sampling.Variant{Name: "web", Artifact: webZip(t, web), Web: true, Env: map[string]string{"SERVER_DELAY": "1h"}})
	if s.Error == nil || s.Error.Type != runtimeapi.ErrTypeTimeout || !strings.Contains(s.Error.Reason, "never passed the Web Adapter's readiness check (GET / on 127.0.0.1:8080)") {
		t.Fatalf("Sample() error = %+v", s.Error)
	}
}

// The server listens on 0.0.0.0:8080 of its own network: nothing outside the sample reaches it
// (another sample, session, or the machine's network), and two samples at once both get the
// port. With the namespace off (the control) the same server is reachable from the machine.
func TestHostileWebServerIsConfinedToItsNetwork(t *testing.T) {
	_, web := buildFixtures(t)
	art := webZip(t, web)
	port := fmt.Sprint(20000 + os.Getpid()%20000)
	run := func(t *testing.T) (reached, separate bool, s results.Sample) {
		r := newTestRunner(t, Config{Event: []byte(`{"sleep_ms":1500}`)})
		separate = r.cfg.Sandbox.Separate
		done := make(chan results.Sample, 1)
		go func() {
			done <- r.Sample(context.Background(), sampling.Variant{Name: "web", Artifact: art, Web: true, Env: map[string]string{"PORT": port}})
		}()
		for {
			select {
			case s = <-done:
				return reached, separate, s
			case <-time.After(20 * time.Millisecond):
				if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
					c.Close()
					reached = true
				}
			}
		}
	}
	t.Run("confined", func(t *testing.T) {
		reached, separate, s := run(t)
		if s.Error != nil {
			t.Fatalf("Sample() error = %v\n%s", s.Error, s.Output)
		}
		if !separate {
			t.Skip("no sandbox user: the sample shares the machine's network")
		}
		if reached {
			t.Fatal("the sample's server was reachable on the machine's loopback")
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "netns")
		if !sandbox.Off("netns") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		if reached, _, s := run(t); s.Error != nil || !reached {
			t.Fatalf("with the namespace off the server was not reached (%v): the test proves nothing", s.Error)
		}
	})
}

func webZip(t *testing.T, web string) string {
	t.Helper()
	dir := t.TempDir()
	bin, err := os.ReadFile(web)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "web.zip")
	if err := zipInto(dir, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func hasNote(s results.Sample, sub string) bool {
	for _, n := range s.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

package runner

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// dualStackLocalhost has this process resolve localhost to 127.0.0.1 and ::1, as in a Docker
// container (its /etc/hosts has "::1 localhost ip6-localhost"), for the resolver cache's few
// seconds: one thread, in a mount namespace of its own, binds such a hosts file over /etc/hosts
// and looks localhost up there. The machine's /etc/hosts is untouched.
func dualStackLocalhost(t *testing.T) {
	t.Helper()
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n::1 localhost ip6-localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with its mount namespace
		err := unix.Unshare(unix.CLONE_NEWNS)
		if err == nil {
			err = unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
		}
		if err == nil {
			err = unix.Mount(hosts, "/etc/hosts", "", unix.MS_BIND, "")
		}
		if err == nil {
			var addrs []string
			addrs, err = net.DefaultResolver.LookupHost(context.Background(), "localhost")
			if err == nil && len(addrs) < 2 {
				err = os.ErrNotExist
			}
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Skipf("cannot give this process a dual-stack localhost: %v", err)
	}
}

// A web function's AWS_LWA_HOST=localhost: the adapter (coldbench, root) dials the server in the
// sample's own network. Go would resolve localhost to 127.0.0.1 and ::1 and race them from
// goroutines on other threads, whose sockets are in the machine's network: the adapter would
// reach the machine's loopback (here a listener on the port the server was to have), not the
// sample's. The dial resolves nothing in the namespace and dials 127.0.0.1 on its thread.
func TestHostileAdapterDialLeavesTheSampleNetwork(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a network namespace needs root")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	addr := "localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	dial := func(t *testing.T) error {
		n, err := newSampleNet()
		if err != nil {
			t.Fatal(err)
		}
		defer n.close()
		dualStackLocalhost(t)
		c, err := (&coldStart{net: n}).dial(context.Background(), "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	t.Run("protected", func(t *testing.T) {
		if err := dial(t); err == nil || len(accepted) > 0 {
			t.Fatalf("dial %s from the sample's network: err %v, %d connections on the machine's loopback; want refused inside the namespace", addr, err, len(accepted))
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "netnsdial")
		if !sandbox.Off("netnsdial") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		if err := dial(t); err != nil {
			t.Fatalf("with the protection off the dial did not reach the machine's loopback (%v): the test proves nothing", err)
		}
	})
}

func TestNetnsAddr(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:8080": "127.0.0.1:8080", "[::1]:80": "[::1]:80", "localhost:8080": "127.0.0.1:8080",
		"LocalHost.:1": "127.0.0.1:1", "app.localhost:3000": "127.0.0.1:3000", "0.0.0.0:8080": "0.0.0.0:8080"} {
		if got, err := netnsAddr(in); err != nil || got != want {
			t.Errorf("netnsAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := netnsAddr("db.internal:5432"); err == nil || !strings.Contains(err.Error(), `AWS_LWA_HOST "db.internal"`) || !strings.Contains(err.Error(), "valid values") {
		t.Errorf("netnsAddr(a name) error = %v, want it named with the valid values", err)
	}
}

// A host name the sample's own network cannot resolve fails the sample at once, named, rather
// than after init's timeout of readiness checks.
func TestWebHostNameIsRefusedInTheSampleNetwork(t *testing.T) {
	t.Parallel()
	_, web := buildFixtures(t)
	r := newTestRunner(t, Config{})
	if !r.cfg.Sandbox.Separate {
		t.Skip("no sandbox user: the sample shares the machine's network")
	}
	s := r.Sample(context.Background(), sampling.Variant{Name: "web", Artifact: webZip(t, web), Web: true, Env: map[string]string{"AWS_LWA_HOST": "db.internal"}})
	if s.Error == nil || s.Error.Type != results.ErrTypeInvalidEntrypoint || !strings.Contains(s.Error.Reason, `AWS_LWA_HOST "db.internal"`) {
		t.Fatalf("Sample() error = %+v, want the host refused by name", s.Error)
	}
}

// The namespace's thread goes back to coldbench's network namespace when the sample is over and
// lives on. A thread that ended sent the parent-death signal to every child forked from it, also
// those other goroutines forked there before the sample locked it: a build's sandbox helper,
// SIGKILLed mid-compile when a web sample ended beside the build.
func TestSampleNetThreadOutlivesTheSample(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a network namespace needs CAP_SYS_ADMIN")
	}
	home, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	n, err := newSampleNet()
	if err != nil {
		t.Fatal(err)
	}
	var tid int
	var inside string
	if err := n.do(func() { tid = unix.Gettid(); inside, _ = os.Readlink("/proc/thread-self/ns/net") }); err != nil {
		t.Fatal(err)
	}
	n.close()
	if inside == home {
		t.Fatalf("the sample's thread was in coldbench's namespace %s", home)
	}
	task := "/proc/self/task/" + strconv.Itoa(tid)
	var now string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		// the goroutine goes home after close returns
		if now, err = os.Readlink(task + "/ns/net"); err != nil || now == home {
			break
		}
	}
	if err != nil || now != home {
		t.Errorf("after the sample, thread %d: namespace %q (%v), want it alive in coldbench's %s", tid, now, err, home)
	}
}

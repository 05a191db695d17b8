package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// acquire takes a range of sandbox users for one test, or skips where there is no second user.
func acquire(t *testing.T) Identity {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a separate sandbox user needs root")
	}
	id, release, err := Acquire(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = id.KillSlots()
		release()
	})
	return id
}

// confined runs the shell script as id under spec and returns what it printed.
func confined(t *testing.T, spec Spec, script string) (string, error) {
	t.Helper()
	spec.Env = []string{"PATH=/usr/bin:/bin"}
	child, err := spec.Command("/bin/sh", "-c", script)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	child.Cmd.Stdout, child.Cmd.Stderr = &out, &out
	child.Cmd.Dir = "/"
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	err = child.Cmd.Wait()
	return out.String(), err
}

// A confined child runs as its own user, with Landlock where the kernel has it (this machine's
// ABI is logged): it reads the system's trees but not another directory, and writes only its
// own, not /dev/shm or /var/tmp. The same script without Landlock reads and writes all of them,
// so the denials are Landlock's.
func TestConfinedChild(t *testing.T) {
	id := acquire(t)
	t.Logf("Landlock ABI %d", LandlockABI())
	if LandlockABI() == 0 {
		t.Skip("no Landlock on this kernel")
	}
	outside := t.TempDir()
	own := t.TempDir()
	for _, d := range []string{filepath.Dir(outside), outside, filepath.Dir(own)} {
		_ = os.Chmod(d, 0o755)
	}
	if err := os.WriteFile(filepath.Join(outside, "token"), []byte("ghs_readable_by_all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(own, id.UID, id.GID); err != nil {
		t.Fatal(err)
	}
	shm := filepath.Join("/dev/shm", "coldbench-test-"+strconv.Itoa(os.Getpid()))
	t.Cleanup(func() { os.Remove(shm) })
	script := `id -u; cat ` + outside + `/token; echo; echo own > ` + own + `/f && echo wrote-own; echo x > ` + shm + ` && echo wrote-shm; head -c 3 /etc/hostname >/dev/null && echo read-etc`
	for _, tt := range []struct {
		landlock bool
		want     []string
		not      []string
	}{
		{true, []string{strconv.Itoa(id.UID), "wrote-own", "read-etc"}, []string{"ghs_readable_by_all", "wrote-shm"}},
		{false, []string{strconv.Itoa(id.UID), "ghs_readable_by_all", "wrote-own", "wrote-shm"}, nil},
	} {
		_ = os.Remove(shm)
		spec := id.Confine(64, nil, []string{own})
		spec.Landlock = tt.landlock
		out, _ := confined(t, spec, script)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("landlock %v: output lacks %q:\n%s", tt.landlock, w, out)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out, n) {
				t.Errorf("landlock %v: output has %q:\n%s", tt.landlock, n, out)
			}
		}
	}
}

// A process limit of 20 stops a fork loop of the user's at 20 processes; without it the loop
// runs to its end.
func TestProcessLimit(t *testing.T) {
	id := acquire(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	script := `python3 -c '
import os, time
n = 0
for i in range(60):
    try:
        if os.fork() == 0:
            time.sleep(5); os._exit(0)
        n += 1
    except OSError:
        break
print("started", n)
'`
	for _, tt := range []struct {
		nproc uint64
		max   int
	}{{20, 20}, {0, 60}} {
		spec := id.Confine(tt.nproc, nil, nil)
		spec.NProc, spec.Landlock = tt.nproc, false
		out, _ := confined(t, spec, script)
		var n int
		i := strings.Index(out, "started")
		if i < 0 {
			t.Fatalf("nproc %d: %q", tt.nproc, out)
		}
		if _, err := fmt.Sscanf(out[i:], "started %d", &n); err != nil {
			t.Fatalf("nproc %d: %q", tt.nproc, out)
		}
		if tt.nproc > 0 && n >= tt.max || tt.nproc == 0 && n != tt.max {
			t.Errorf("nproc %d: started %d processes", tt.nproc, n)
		}
		if _, err := id.KillAll(); err != nil {
			t.Fatal(err)
		}
	}
}

// Processes that hide from every other mark (a new session, an empty environment, stopped, or
// forking as fast as they can) are all found and killed by their uid.
func TestKillAllFindsHiddenProcesses(t *testing.T) {
	id := acquire(t)
	script := `env -i setsid sleep 300 </dev/null >/dev/null 2>&1 &
setsid sh -c 'kill -STOP $$' </dev/null >/dev/null 2>&1 &
setsid sh -c 'while :; do sleep 300 & done' </dev/null >/dev/null 2>&1 &
sleep 0.3`
	spec := id.Confine(200, nil, nil)
	spec.Landlock = false
	if _, err := confined(t, spec, script); err != nil {
		t.Fatal(err)
	}
	before := len(id.Processes())
	if before < 3 {
		t.Fatalf("%d processes of uid %d after the script, want its daemons", before, id.UID)
	}
	n, err := id.KillAll()
	if err != nil {
		t.Fatal(err)
	}
	if left := id.Processes(); len(left) > 0 {
		t.Errorf("KillAll killed %d, but %d are left: %v", n, len(left), left)
	}
	// The killed orphans were coldbench's to reap (it is their subreaper): no zombie of the
	// user's is left to count against its process limit.
	if n := id.tasks(); n > 0 {
		t.Errorf("%d zombies of uid %d left unreaped", n, id.UID)
	}
}

// Two runs never share a range of users: a second Acquire in the same process, and one in
// another process, each get their own; a released range is free again.
func TestAcquireIsExclusive(t *testing.T) {
	a := acquire(t)
	b, releaseB, err := Acquire(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if b.UID == a.UID || b.UID < a.UID+Slots && a.UID < b.UID+Slots {
		t.Errorf("ranges overlap: %d and %d", a.UID, b.UID)
	}
	releaseB()
	c, releaseC, err := Acquire(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer releaseC()
	if c.UID != b.UID {
		t.Errorf("released range %d not taken again (got %d)", b.UID, c.UID)
	}
	// Another process holding the next range's lock: it is passed over.
	lock := filepath.Join(os.TempDir(), "coldbench-uids-"+strconv.Itoa(c.UID+Slots)+".lock")
	holder := exec.Command("flock", lock, "sleep", "5")
	if err := holder.Start(); err != nil {
		t.Skip("flock(1):", err)
	}
	defer holder.Process.Kill()
	time.Sleep(200 * time.Millisecond)
	d, releaseD, err := Acquire(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer releaseD()
	if d.UID == c.UID+Slots {
		t.Errorf("range %d taken while another process holds its lock", d.UID)
	}
}

// A sample's helper reports why its exec failed (no such file) on the ready pipe, and waits
// for the word before the exec.
func TestHandshake(t *testing.T) {
	id := acquire(t)
	spec := id.Confine(64, nil, nil)
	spec.Handshake, spec.Env = true, []string{"PATH=/usr/bin:/bin"}
	child, err := spec.Command("/nonexistent/bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	if err := child.Ready(); err != nil {
		t.Fatal(err)
	}
	_, err = child.Go()
	var ee *ExecError
	if !errors.As(err, &ee) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Go() = %v, want the exec's ENOENT", err)
	}
	_ = child.Cmd.Wait()
}

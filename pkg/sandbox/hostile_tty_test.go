package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the terminal a developer runs `sudo coldbench run` in.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// A confined child shares coldbench's session, so where coldbench runs on a terminal (a root
// `coldbench run` on a developer's machine or a self-hosted runner's console) /dev/tty is that
// terminal, and Landlock grants it with ioctl rights: TIOCSTI pushes a command into the input of
// the root shell the terminal belongs to, which runs it once coldbench exits.
func TestHostileTTYInjectsIntoRootsShell(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if b, err := os.ReadFile("/proc/sys/dev/tty/legacy_tiocsti"); err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Skip("this kernel refuses TIOCSTI to unprivileged processes")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	master, slave := openPTY(t)
	defer master.Close()
	defer slave.Close()
	// coldbench, started from a shell on that terminal: its session's controlling terminal.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostileTTYColdbench$", "-test.v")
	cmd.Env = append(os.Environ(), "COLDBENCH_TEST_TTY="+slave.Name())
	out, err := cmd.CombinedOutput()
	t.Logf("coldbench's side: %v\n%s", err, out)
	// What the terminal's reader (the root shell) gets next.
	fd := int(slave.Fd()) // once: Fd makes the file blocking again
	_ = syscall.SetNonblock(fd, true)
	time.Sleep(100 * time.Millisecond)
	buf := make([]byte, 256)
	n, _ := syscall.Read(fd, buf)
	if n > 0 && strings.Contains(string(buf[:n]), "pwned-as-root") {
		t.Errorf("a confined child pushed %q into the input of coldbench's terminal", buf[:n])
	}
}

// TestHostileTTYColdbench is coldbench's side of the test above: in a session whose controlling
// terminal is COLDBENCH_TEST_TTY, it starts a confined child as coldbench starts builds.
func TestHostileTTYColdbench(t *testing.T) {
	tty := os.Getenv("COLDBENCH_TEST_TTY")
	if tty == "" {
		t.Skip("run by TestHostileTTYInjectsIntoRootsShell")
	}
	if _, err := unix.Setsid(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(tty, os.O_RDWR, 0) // the session's first terminal: its controlling one
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_ = unix.IoctlSetInt(int(f.Fd()), unix.TIOCSCTTY, 0)
	id := acquire(t)
	out, err := confined(t, id.Confine(64, nil, nil), `/usr/bin/python3 -c '
import fcntl, os, termios
fd = os.open("/dev/tty", os.O_RDWR)
for c in b"echo pwned-as-root\n":
    fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
print("injected")
'`)
	t.Logf("child: %v %s", err, out)
}

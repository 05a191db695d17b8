package sandbox

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
)

// An abstract unix socket has no file and no permission bits: any process of the network
// namespace may connect to it, whatever its uid, unless Landlock's scope (ABI 6) keeps a confined
// process to the sockets of its own domain. A socket root listens on (a daemon of the machine's,
// coldbench's, another variant's process) must be out of a confined child's reach.
func TestHostileAbstractSocketIsOutOfReach(t *testing.T) {
	id := acquire(t)
	if LandlockABI() < 6 {
		t.Skipf("Landlock ABI %d has no scopes", LandlockABI())
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 to connect with")
	}
	name := fmt.Sprintf("coldbench-test-abstract-%d", os.Getpid())
	ln, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("root-daemon-says-hello\n"))
			c.Close()
		}
	}()
	script := `/usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0` + name + `")
    print("connected:", s.recv(100).decode().strip())
except OSError as e:
    print("refused:", e)
'`
	spec := id.Confine(64, nil, nil)
	out, _ := confined(t, spec, script)
	if !strings.Contains(out, "refused") && !strings.Contains(out, "connected") {
		t.Fatalf("the script did not run: %s", out)
	}
	if strings.Contains(out, "connected") {
		t.Errorf("a confined child (uid %d, Landlock on) connected to root's abstract unix socket @%s: %s", id.UID, name, out)
	}
}

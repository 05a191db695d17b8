package runner

import (
	"github.com/coldbench/coldbench/pkg/sandbox"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The counted cold start's totals file lies in the sample's /tmp, the sandbox user's, and root
// reads it while the handler's other processes may still run (before the kill by uid). Whatever
// the handler put in its place must not lead root elsewhere: not a link (to a file only root may
// read), not a fifo (an open that never returns, and a run that never ends).
func TestHostileCountFileLinkIsNotFollowed(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "root-only")
	if err := os.WriteFile(secret, []byte("summary: 4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, countFile+".1234")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	if n, err := readCount(link, sandbox.Identity{}); err == nil {
		t.Fatalf("readCount followed a link the sandbox planted to a root-only file: read %d", n)
	}
}

func TestHostileCountFileFifoDoesNotHang(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, countFile+".1234")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := readCount(fifo, sandbox.Identity{}); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("readCount read a count from a fifo")
		}
	case <-time.After(3 * time.Second):
		// Unblock the open so the test binary can exit.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("readCount blocked on a fifo the sandbox planted as its totals file: root's run hangs")
	}
}

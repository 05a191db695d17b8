package runner

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// sampleNet is a network namespace of the sample's own, with loopback up and nothing else. One
// goroutine, locked to an OS thread that moved into the namespace, does everything that must
// happen there: listening, dialing, and starting the sample's processes (a child inherits its
// forking thread's namespace, and Pdeathsig is tied to that thread, so the thread lives until
// the sample is over). Creating it needs CAP_SYS_ADMIN, which coldbench has when it has sandbox
// users.
type sampleNet struct {
	work chan func()
	ack  chan struct{}
}

func newSampleNet() (*sampleNet, error) {
	n := &sampleNet{work: make(chan func()), ack: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, out of the namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		if err := loopbackUp(); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for f := range n.work {
			f()
			n.ack <- struct{}{}
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return n, nil
}

// errNetClosed is do's error once the namespace's thread has ended.
var errNetClosed = errors.New("the sample's network namespace is closed")

// do runs f in the namespace's thread and waits for it.
func (n *sampleNet) do(f func()) (err error) {
	defer func() {
		if recover() != nil { // sent on the closed work channel
			err = errNetClosed
		}
	}()
	n.work <- f
	<-n.ack
	return nil
}

// close ends the namespace's thread; the namespace goes with its last process and socket.
func (n *sampleNet) close() { close(n.work) }

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("read lo's flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}

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
// users. At the end the thread goes back to coldbench's namespace and lives on: the thread may
// have forked other goroutines' children before it was locked (a build's sandbox helper), and a
// thread that ends sends their parent-death signal — a build killed mid-compile ("signal:
// killed"), seen when builds and web samples ran at once. Only if it cannot go back does it end.
type sampleNet struct {
	work chan func()
	ack  chan struct{}
}

func newSampleNet() (*sampleNet, error) {
	n := &sampleNet{work: make(chan func()), ack: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // unlocked only once the thread is back in coldbench's namespace
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open this thread's network namespace: %w", err)
			runtime.UnlockOSThread()
			return
		}
		defer unix.Close(home)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			runtime.UnlockOSThread()
			return
		}
		// Back home, or never unlocked: a thread left in the namespace ends with this goroutine.
		defer func() {
			if unix.Setns(home, unix.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			}
		}()
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

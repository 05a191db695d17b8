package runner

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// MeasureFloor times the least any harness could measure as init for the bootstrap at path: fork
// and exec it, accept its connection and read its first request line, with no HTTP server, no
// cgroup, no task root and no page-cache eviction. Comparing it with the runner's own init for the
// same bootstrap, in the same run, shows what the runner's machinery adds to every number it reports.
func MeasureFloor(ctx context.Context, path string, n int) ([]float64, error) {
	out := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		d, err := floorOnce(path)
		if err != nil {
			return out, fmt.Errorf("floor sample %d: %w", i, err)
		}
		out = append(out, ms(d))
	}
	return out, nil
}

func floorOnce(path string) (time.Duration, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	env := []string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(), "PATH=/usr/bin:/bin"}
	t0 := time.Now()
	pid, err := syscall.ForkExec(path, []string{path}, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 0, err
	}
	defer func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}()
	_ = ln.SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	var got []byte
	for !bytes.Contains(got, []byte("\r\n\r\n")) {
		k, err := conn.Read(buf)
		if err != nil {
			return 0, err
		}
		got = append(got, buf[:k]...)
	}
	return time.Since(t0), nil
}

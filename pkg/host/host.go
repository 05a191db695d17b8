// Package host describes the machine a run is measured on, so numbers from different machines
// are never confused.
package host

import (
	"os"
	goruntime "runtime"
	"strings"
	"syscall"

	"github.com/coldbench/coldbench/pkg/results"
)

// Arch is this machine's architecture in Lambda's terms.
func Arch() string {
	if goruntime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// Describe reads the CPU model, core count and kernel. timedArch is the architecture whose
// builds are timed.
func Describe(timedArch string) results.Environment {
	e := results.Environment{Cores: goruntime.NumCPU(), Arch: timedArch}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		e.Kernel = charsToString(u.Release[:])
	}
	return e
}

func charsToString[T int8 | uint8](cs []T) string {
	b := make([]byte, 0, len(cs))
	for _, c := range cs {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

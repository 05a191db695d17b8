package host

import (
	"runtime"
	"testing"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	e := Describe("arm64")
	if e.Arch != "arm64" || e.Cores != runtime.NumCPU() || e.Kernel == "" {
		t.Errorf("Describe(arm64) = %+v, want arch arm64, %d cores and a kernel release", e, runtime.NumCPU())
	}
	if a := Arch(); a != "arm64" && a != "x86_64" {
		t.Errorf("Arch() = %q, want arm64 or x86_64", a)
	}
}

package runner

import (
	"context"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// BenchmarkFloorVsRunner prints, from one run, the raw fork/exec/connect floor for a static C
// bootstrap, the runner's measured init for the same bootstrap with the page cache left warm (the
// same conditions as the floor), their ratio, cold samples per second, and the init with the page
// cache evicted (the default, as on Lambda). The runner runs as it does in a real run: as root,
// the bootstrap as the sandbox user with a tmpfs /tmp; COLDBENCH_BENCH_SANDBOX=off measures it
// without the separation, for the cost of it:
//
//	go test -run '^$' -bench FloorVsRunner -benchtime 400x ./pkg/runner
func BenchmarkFloorVsRunner(b *testing.B) {
	art, ok := artifacts["c"]
	if !ok {
		b.Skip("static C bootstrap not built (needs gcc with static libc)")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	if out, err := exec.Command("unzip", "-o", "-q", art, "-d", dir).CombinedOutput(); err != nil {
		b.Skipf("unzip: %v %s", err, out)
	}
	if _, err := os.Stat(bin); err != nil {
		b.Fatal(err)
	}
	id, release, err := sandbox.Acquire(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	if os.Getenv("COLDBENCH_BENCH_SANDBOX") == "off" {
		id = sandbox.Identity{}
	}
	work := testenv.SharedTempDir(b)
	r, err := New(Config{WorkDir: work, NoEvict: true, Sandbox: id})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.Logf("sandbox: %s; /tmp bounded: %v", r.Limits().Sandbox, r.Limits().Ephemeral)
	cold, err := New(Config{WorkDir: work, Sandbox: id}) // page cache evicted before every sample, as by default
	if err != nil {
		b.Fatal(err)
	}
	defer cold.Close()
	ctx := context.Background()
	var floor, init, evicted []float64
	var busy time.Duration
	// Alternate blocks of floor and runner samples, so drift falls on both alike.
	for done := 0; done < b.N; done += 10 {
		k := min(10, b.N-done)
		f, err := MeasureFloor(ctx, bin, k)
		if err != nil {
			b.Fatal(err)
		}
		floor = append(floor, f...)
		started := time.Now()
		warm, err := sampling.NewScheduler(r, 1).Run(ctx, []sampling.Variant{{Name: "c", Artifact: art}}, k)
		if err != nil {
			b.Fatal(err)
		}
		busy += time.Since(started)
		for _, s := range warm {
			if s.Error != nil {
				b.Fatal(s.Error)
			}
			init = append(init, s.InitMs)
		}
		evictedRun, err := sampling.NewScheduler(cold, 1).Run(ctx, []sampling.Variant{{Name: "c", Artifact: art}}, k)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range evictedRun {
			evicted = append(evicted, s.InitMs)
		}
	}
	fm, im := median(floor), median(init)
	b.ReportMetric(fm, "floor-ms")
	b.ReportMetric(im, "init-ms")
	b.ReportMetric(im/fm, "ratio")
	b.ReportMetric(median(evicted), "evicted-init-ms")
	b.ReportMetric(float64(b.N)/busy.Seconds(), "samples/s")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

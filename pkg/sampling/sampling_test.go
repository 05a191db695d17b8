package sampling

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
)

// recorder is a Sampler that records the order it was asked in and can cancel the run.
type recorder struct {
	order  []string
	cancel func()
	after  int
}

func (r *recorder) Sample(ctx context.Context, v Variant) results.Sample {
	r.order = append(r.order, v.Name)
	if r.cancel != nil && len(r.order) == r.after {
		r.cancel()
	}
	return results.Sample{InitMs: 1}
}

func (r *recorder) Limits() results.Limits { return results.Limits{Cgroup: "none"} }

func TestRunInterleavesRoundsAndNumbers(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	sc := NewScheduler(rec, 7)
	vs := []Variant{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	var progress []int
	sc.Progress = func(done, total int, _ results.Sample) { progress = append(progress, done*100+total) }
	first, err := sc.Run(context.Background(), vs, 4)
	if err != nil {
		t.Fatal(err)
	}
	second, err := sc.Run(context.Background(), vs, 2)
	if err != nil {
		t.Fatal(err)
	}
	all := append(first, second...)
	if len(all) != 18 {
		t.Fatalf("Run took %d samples, want 18", len(all))
	}
	orders := map[string]bool{}
	for round := 0; round < 6; round++ {
		seen := map[string]bool{}
		key := ""
		for k := 0; k < 3; k++ {
			s := all[round*3+k]
			if s.Index != round || s.Seq != round*3+k {
				t.Errorf("sample %d: Index %d, Seq %d; want %d, %d", round*3+k, s.Index, s.Seq, round, round*3+k)
			}
			seen[s.Variant] = true
			key += s.Variant
		}
		if len(seen) != 3 {
			t.Errorf("round %d sampled %v, want each variant once", round, seen)
		}
		orders[key] = true
	}
	if len(orders) < 2 {
		t.Errorf("every round had the same order %v: want a random order per round", orders)
	}
	if len(progress) != 18 || progress[11] != 1212 || progress[12] != 106 {
		t.Errorf("progress calls = %v, want done/total per Run", progress)
	}
	again, _ := NewScheduler(&recorder{}, 7).Run(context.Background(), vs, 4)
	for i := range again {
		if again[i].Variant != first[i].Variant {
			t.Fatalf("same seed, different order at %d: %s vs %s", i, again[i].Variant, first[i].Variant)
		}
	}
}

func TestRunStopsOnCancelKeepingSamples(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{cancel: cancel, after: 4}
	got, err := NewScheduler(rec, 1).Run(ctx, []Variant{{Name: "a"}, {Name: "b"}}, 10)
	if err != context.Canceled || len(got) != 4 {
		t.Errorf("Run(canceled after 4) = %d samples, %v; want 4, context.Canceled", len(got), err)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		vs   []Variant
		n    int
		want string
	}{
		{[]Variant{{Name: "a"}}, 0, "samples 0: need at least 1"},
		{[]Variant{{Name: "a"}, {Name: "a"}}, 1, `variant name "a": names must be unique`},
		{[]Variant{{Name: ""}}, 1, `variant name "": names must be unique and not empty`},
	} {
		_, err := NewScheduler(&recorder{}, 1).Run(context.Background(), tt.vs, tt.n)
		if err == nil || !contains(err.Error(), tt.want) {
			t.Errorf("Run(%v, %d) error = %v, want %q", tt.vs, tt.n, err, tt.want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// countingSampler counts each variant's samples and fails them as fail says.
type countingSampler struct {
	n    map[string]int
	fail func(v string, n int) *results.SampleError
}

func (c *countingSampler) Sample(ctx context.Context, v Variant) results.Sample {
	c.n[v.Name]++
	if v.Name == "hangs" {
		time.Sleep(2 * time.Millisecond) // a timeout: each failure costs time
	}
	if e := c.fail(v.Name, c.n[v.Name]); e != nil {
		return results.Sample{Error: e}
	}
	return results.Sample{InitMs: 1}
}

func (c *countingSampler) Limits() results.Limits { return results.Limits{} }

// A variant whose first samples all fail the same way is not sampled on; one that fails in
// different ways, or only at times, is.
func TestFailFast(t *testing.T) {
	t.Parallel()
	timeout := &results.SampleError{Type: "Sandbox.Timedout", Phase: results.PhaseInvoke, Reason: "10s"}
	c := &countingSampler{n: map[string]int{}, fail: func(v string, n int) *results.SampleError {
		switch {
		case v == "hangs":
			return timeout
		case v == "mixed" && n == 2:
			return &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit}
		case v == "mixed" || v == "flaky" && n%2 == 0:
			return timeout
		case v == "crashes":
			return &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit, Reason: "exit status 2"}
		}
		return nil
	}}
	sc := NewScheduler(c, 1)
	sc.FailFastWall = 5 * time.Millisecond // three 2 ms "timeouts" cost more than that
	vs := []Variant{{Name: "ok"}, {Name: "hangs", InitSamples: 1}, {Name: "mixed"}, {Name: "flaky"}, {Name: "crashes"}}
	got, err := sc.Run(context.Background(), vs, 12)
	if err != nil {
		t.Fatal(err)
	}
	// Costly identical failures stop after FailFast; cheap ones (crashes) only after FailFastMax.
	want := map[string]int{"ok": 12, "hangs": FailFast, "mixed": 12, "flaky": 12, "crashes": FailFastMax}
	for v, n := range want {
		if c.n[v] != n {
			t.Errorf("%s sampled %d times, want %d", v, c.n[v], n)
		}
	}
	if len(got) != 12*3+FailFast+FailFastMax || len(sc.Stopped) != 2 || !strings.Contains(sc.Stopped["hangs"], "first 3 samples all failed with Sandbox.Timedout in invoke (10s)") ||
		!strings.Contains(sc.Stopped["crashes"], "first 10 samples all failed with Runtime.ExitError in init") {
		t.Errorf("%d samples, stopped %v", len(got), sc.Stopped)
	}
	// Later runs (the looks of an adaptive run) keep it stopped; when all are, nothing is sampled.
	c.fail = func(string, int) *results.SampleError { return timeout }
	sc2 := NewScheduler(c, 2)
	for range 8 {
		if _, err := sc2.Run(context.Background(), []Variant{{Name: "a"}, {Name: "b"}}, 2); err != nil {
			t.Fatal(err)
		}
	}
	if c.n["a"] != FailFastMax || c.n["b"] != FailFastMax {
		t.Errorf("sampled a %d and b %d times after both were stopped, want %d", c.n["a"], c.n["b"], FailFastMax)
	}
}

// Whatever a Sampler returns, the scheduler stores a handler's error type as one token and its
// message and notes as one line each, and says why it stopped on one line too.
func TestRunCleansHandlerStrings(t *testing.T) {
	t.Parallel()
	attack := "X\n::set-output name=verdict::none\n::notice::pwned"
	c := &countingSampler{n: map[string]int{}, fail: func(v string, n int) *results.SampleError {
		return &results.SampleError{Type: attack, Phase: results.PhaseInit, Reason: "@octocat\n::error::x"}
	}}
	sc := NewScheduler(c, 1)
	got, err := sc.Run(context.Background(), []Variant{{Name: "head"}}, FailFastMax)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.Error.Type != "X_set-output_name_verdict_none_notice_pwned" || s.Error.Reason != "@octocat ::error::x" {
			t.Errorf("sample error %+v, want the type as one token and the reason as one line", s.Error)
		}
	}
	if why := sc.Stopped["head"]; strings.ContainsAny(why, "\r\n") || why == "" {
		t.Errorf("Stopped = %q, want one line", why)
	}
}

// initOnlyRecorder records whether each sample it was asked for was init-only.
type initOnlyRecorder struct{ full, initOnly map[string]int }

func (r *initOnlyRecorder) Sample(_ context.Context, v Variant) results.Sample {
	if v.InitOnly {
		r.initOnly[v.Name]++
	} else {
		r.full[v.Name]++
	}
	return results.Sample{InitMs: 1}
}

func (r *initOnlyRecorder) Limits() results.Limits { return results.Limits{Cgroup: "none"} }

// A variant with FullSamples takes that many full cold starts over all of a scheduler's Runs,
// then an init-only one each round in their place; the others are unchanged.
func TestFullSamplesThenInitOnly(t *testing.T) {
	t.Parallel()
	rec := &initOnlyRecorder{full: map[string]int{}, initOnly: map[string]int{}}
	sc := NewScheduler(rec, 3)
	vs := []Variant{{Name: "head", InitSamples: 2}, {Name: "ref", FullSamples: 3}}
	var got []results.Sample
	for range 2 { // two blocks of 4 rounds
		s, err := sc.Run(context.Background(), vs, 4)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s...)
	}
	if rec.full["head"] != 8 || rec.initOnly["head"] != 16 || rec.full["ref"] != 3 || rec.initOnly["ref"] != 5 {
		t.Errorf("full %v, init-only %v; want head 8 and 16, ref 3 and 5", rec.full, rec.initOnly)
	}
	refInitOnly := 0
	for _, s := range got {
		if s.Variant == "ref" && s.InitOnly {
			refInitOnly++
		}
	}
	if refInitOnly != 5 {
		t.Errorf("%d of ref's samples are marked init-only, want 5", refInitOnly)
	}
}

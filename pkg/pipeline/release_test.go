package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// taggedRepo is fakeRepo with releases: tags names each tagged revision's tag, and the
// candidate (HEAD) may carry one of its own.
type taggedRepo struct {
	*fakeRepo
	tags  []string // oldest first; each is also a revision of fakeRepo
	own   string   // HEAD's own tag, never its previous release
	asked []string
}

func (r *taggedRepo) PreviousTag(ctx context.Context, root, rev string) (string, error) {
	r.asked = append(r.asked, rev)
	for i := len(r.tags) - 1; i >= 0; i-- {
		if r.tags[i] != r.own {
			return r.tags[i], nil
		}
	}
	return "", fmt.Errorf("no tag reachable from %s other than its own", rev)
}

// noisySampler plays a shared runner: every cold start is lognormal around its variant's init
// (6% spread), and the machine's speed wanders by ±25% over the run, which interleaved rounds
// share.
type noisySampler struct {
	mu     sync.Mutex
	initMs map[string]float64
	rng    *rand.Rand
	n      int
	// slower is this runner's speed against another's (1.15: every start 15% slower).
	slower float64
}

func (s *noisySampler) Sample(ctx context.Context, v sampling.Variant) results.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	speed := (1 + 0.25*math.Sin(float64(s.n)/40)) * cmp.Or(s.slower, 1)
	init := s.initMs[v.Name] * speed * math.Exp(0.06*s.rng.NormFloat64())
	return results.Sample{InitMs: init, DurationMs: 100 * speed, ColdMs: init + 100*speed, MaxMemoryMB: 20}
}

func (s *noisySampler) Limits() results.Limits { return results.Limits{Cgroup: "none"} }

// A release gate with base previous-tag builds the release before the candidate (not the
// candidate's own tag) and samples it interleaved with the candidate in the same run: +10% in
// init is caught, an unchanged release passes, and budgets are checked in the same run.
func TestReleaseGatePreviousTag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change float64
		want   results.Verdict
	}{
		{"+10% init", 1.10, results.Regression},
		{"unchanged", 1.00, results.NoChange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			repo := &taggedRepo{fakeRepo: w.repo, tags: []string{"v1.0.0", "v1.1.0", "v1.2.0"}, own: "v1.2.0"}
			repo.revs = map[string][]string{"v1.0.0": {"fn/main.go"}, "v1.1.0": {"fn/main.go"}, "v1.2.0": {"fn/main.go"}}
			w.p.Repo = repo
			sampler := &noisySampler{initMs: map[string]float64{"base": 40, "head": 40 * tc.change}, rng: rand.New(rand.NewPCG(7, 1))}
			w.p.Samplers = samplersOfT{sampler}
			w.p.Config.Base, w.p.Config.Adaptive, w.p.Config.InitSamples, w.p.Config.MaxSamples = "previous-tag", true, 4, 300
			w.p.Config.MaxTime = 0
			w.p.Config.Budgets = nil
			res := w.execute(t)
			if !slices.Equal(repo.asked, []string{"HEAD"}) || !slices.Equal(repo.checkouts, []string{"v1.1.0"}) {
				t.Fatalf("asked the previous tag of %v, checked out %v; want HEAD's, v1.1.0 (not its own v1.2.0)", repo.asked, repo.checkouts)
			}
			if res.Config.BaseRef != "v1.1.0" || !strings.Contains(w.log.String(), "the previous release v1.1.0") {
				t.Errorf("base ref %q, log:\n%s", res.Config.BaseRef, w.log)
			}
			init := res.Comparison(results.MetricInit)
			if res.Verdict != tc.want || init == nil || !init.Paired {
				t.Errorf("verdict %s (init %+v), want %s, paired", res.Verdict, init, tc.want)
			}
		})
	}
}

// samplersOfT starts s for every run.
type samplersOfT struct{ s sampling.Sampler }

func (f samplersOfT) New(ctx context.Context, spec SamplerSpec) (sampling.Sampler, func(), error) {
	return f.s, func() {}, nil
}

// Without a release before the candidate the gate is a clear input error.
func TestReleaseGateNoPreviousTag(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Repo = &taggedRepo{fakeRepo: w.repo, tags: []string{"v1.0.0"}, own: "v1.0.0"}
	w.p.Config.Base = "previous-tag"
	_, err := w.p.Execute(context.Background())
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "base previous-tag: no tag reachable") {
		t.Errorf("Execute = %v, want an input error naming previous-tag", err)
	}
}

// A release gate on a stored baseline: the refresh stored main with the references beside it;
// the candidate runs on a runner 15% slower. Unchanged, the references' drift is taken out and
// it passes (without references in the stored run it fails: the control); +20% in init is still
// caught.
func TestStoredBaselineCorrectedByTheReferences(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	refs := map[string]float64{"go": 10, "rust": 3.4}
	withRefs := []string{"go", "rust"}
	run := func(head, slower float64, base string, seed uint64) *results.Results {
		w := newWorld(t)
		ms := map[string]float64{"head": head}
		for k, v := range refs {
			ms[k] = v
		}
		w.p.Samplers = samplersOfT{&noisySampler{initMs: ms, rng: rand.New(rand.NewPCG(seed, 2)), slower: slower}}
		w.p.Config.References, w.p.Config.Adaptive, w.p.Config.Samples = withRefs, false, 60
		if base == "" {
			w.p.Config.Base, w.p.Config.Store = "none", store
		} else {
			w.p.Config.Base, w.p.Config.Baseline = "", base
		}
		return w.execute(t)
	}
	run(40, 1, "", 1)
	for _, tc := range []struct {
		name string
		head float64
		want results.Verdict
	}{{"unchanged", 40, results.NoChange}, {"+20% init", 48, results.Regression}} {
		res := run(tc.head, 1.15, store, 3)
		init := res.Comparison(results.MetricInit)
		warned := slices.ContainsFunc(res.Warnings, func(w results.Warning) bool {
			return strings.Contains(w.Message, "estimated from the references measured in both")
		})
		if res.Verdict != tc.want || init == nil || !warned || res.Variant(results.RoleBaselineReference) == nil {
			t.Errorf("%s on a 15%% slower runner: verdict %s (init %+v), drift warned %v; want %s, corrected", tc.name, res.Verdict, init, warned, tc.want)
		}
	}
	// The control: the same unchanged candidate against a history stored without references.
	store, withRefs = t.TempDir(), nil
	run(40, 1, "", 1)
	if res := run(40, 1.15, store, 3); res.Verdict != results.Regression {
		t.Errorf("unchanged, uncorrected: verdict %s, want the runner's 15%% read as a regression", res.Verdict)
	}
}

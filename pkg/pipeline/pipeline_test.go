package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// fakeBuilder builds nothing: it records each request, rejects one the real builder would
// (no source directory, no output directory, an arch it cannot build for) and fails the
// variants named in fail.
type fakeBuilder struct {
	mu    sync.Mutex
	built []string // variant-arch, in call order
	fail  map[string]bool
	t     *testing.T
	// hold, when it has the variant's name, is waited on before that variant builds.
	hold map[string]chan struct{}
}

func (b *fakeBuilder) Build(ctx context.Context, req build.Request, reference bool) (*results.Artifact, error) {
	if h, ok := b.hold[strings.TrimSuffix(req.Name, "-"+req.Arch)]; ok {
		<-h
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, err := os.Stat(req.Dir); err != nil || !st.IsDir() {
		b.t.Errorf("Build(%s): source %s is not a directory", req.Name, req.Dir)
	}
	if req.OutDir == "" || (req.Arch != build.ArchARM64 && req.Arch != build.ArchX8664) {
		b.t.Errorf("Build(%s): OutDir %q, Arch %q; want both set, arm64 or x86_64", req.Name, req.OutDir, req.Arch)
	}
	if reference != slices.Equal(req.GoFlags, build.ReferenceGoFlags) {
		b.t.Errorf("Build(%s, reference %v): GoFlags %q", req.Name, reference, req.GoFlags)
	}
	b.built = append(b.built, req.Name)
	name := strings.TrimSuffix(req.Name, "-"+req.Arch)
	if b.fail[name] {
		return nil, fmt.Errorf("build %s: exit status 1", name)
	}
	return &results.Artifact{Path: filepath.Join(req.OutDir, "bootstrap"), Runtime: req.Runtime, Method: "fake", ZipBytes: 1000}, nil
}

func (b *fakeBuilder) names() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, n := range b.built {
		n, _, _ = strings.Cut(n, "-")
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// fakeSampler plays handlers whose init takes initMs[name] with a little deterministic noise;
// after cancelAfter samples (when set) it cancels the run.
type fakeSampler struct {
	mu          sync.Mutex
	initMs      map[string]float64
	fail        map[string]bool
	taken       map[string]int
	cancelAfter int
	cancel      context.CancelFunc
	n           int
}

func (s *fakeSampler) Sample(ctx context.Context, v sampling.Variant) results.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.taken[v.Name]++
	if s.cancelAfter > 0 && s.n == s.cancelAfter {
		s.cancel()
	}
	if s.fail[v.Name] {
		return results.Sample{Error: &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit, Reason: "exit status 2"}}
	}
	ms, ok := s.initMs[v.Name]
	if !ok {
		ms = 50
	}
	noise := float64((s.n*7919)%13) / 13 // 0..1 ms, the same for every variant's sequence
	return results.Sample{InitMs: ms + noise, DurationMs: 1, MaxMemoryMB: 20}
}

func (s *fakeSampler) Limits() results.Limits { return results.Limits{Cgroup: "none"} }

type fakeSamplers struct {
	s      *fakeSampler
	specs  []SamplerSpec
	closed int
}

func (f *fakeSamplers) New(ctx context.Context, spec SamplerSpec) (sampling.Sampler, func(), error) {
	f.specs = append(f.specs, spec)
	return f.s, func() { f.closed++ }, nil
}

// fakeRepo is a repository whose revisions hold the listed files: Checkout writes them to a
// worktree; a revision it does not hold does not resolve.
type fakeRepo struct {
	root      string
	revs      map[string][]string // rev → files at it
	dirty     bool
	checkouts []string
	removed   int
}

func (r *fakeRepo) Root(ctx context.Context, dir string) (string, error) {
	if r.root == "" || !strings.HasPrefix(dir+"/", r.root+"/") {
		return "", fmt.Errorf("%s: not a git repository", dir)
	}
	return r.root, nil
}

func (r *fakeRepo) Resolve(ctx context.Context, root, rev string) (string, error) {
	if rev == "HEAD" {
		return strings.Repeat("a", 40), nil
	}
	if _, ok := r.revs[rev]; !ok {
		return "", fmt.Errorf("unknown revision %q", rev)
	}
	return rev, nil
}

func (r *fakeRepo) Dirty(ctx context.Context, root, path string) (bool, error) { return r.dirty, nil }
func (r *fakeRepo) DefaultBranch(ctx context.Context, root string) (string, error) {
	return "main", nil
}
func (r *fakeRepo) MergeBase(ctx context.Context, root, a, b string) (string, error) {
	for rev := range r.revs {
		return rev, nil
	}
	return "", errors.New("no merge base")
}

func (r *fakeRepo) Checkout(ctx context.Context, root, rev string) (string, func(), error) {
	files, ok := r.revs[rev]
	if !ok {
		return "", nil, fmt.Errorf("checkout %s: unknown revision", rev)
	}
	wt, err := os.MkdirTemp("", "fake-worktree-")
	if err != nil {
		return "", nil, err
	}
	for _, f := range files {
		p := filepath.Join(wt, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", nil, err
		}
		if err := os.WriteFile(p, []byte("package main\n"), 0o644); err != nil {
			return "", nil, err
		}
	}
	r.checkouts = append(r.checkouts, rev)
	return wt, func() { r.removed++; os.RemoveAll(wt) }, nil
}

// fakeSandbox is a separate sandbox that records its life: acquired, sealed, ended, released,
// in that order; at the end two processes were still running and /tmp/x was left.
type fakeSandbox struct{ events []string }

func (s *fakeSandbox) Acquire() (sandbox.Identity, func(), error) {
	s.events = append(s.events, "acquire")
	return sandbox.Identity{UID: 64990, GID: 64990, Separate: true}, func() { s.events = append(s.events, "release") }, nil
}

func (s *fakeSandbox) Seal(dirs []string) (func(), []string, bool) {
	s.events = append(s.events, "seal")
	return func() { s.events = append(s.events, "unseal") }, dirs, false
}

func (s *fakeSandbox) End(id sandbox.Identity) (int, []string, error) {
	s.events = append(s.events, "end")
	return 2, []string{"/tmp/x"}, nil
}

// fakeClock moves a millisecond each time it is read.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// world is one pipeline with every seam a fake, and a repository at root with head's handler in
// fn/ and base at revision "b" (which holds it too unless a test says otherwise).
type world struct {
	p       *Pipeline
	builder *fakeBuilder
	sampler *fakeSampler
	samp    *fakeSamplers
	repo    *fakeRepo
	box     *fakeSandbox
	log     *strings.Builder
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "fn"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Handler, cfg.Runtime, cfg.Base = filepath.Join(root, "fn"), build.RuntimeGo, "b"
	cfg.References, cfg.CacheDir = nil, t.TempDir()
	cfg.Samples, cfg.MaxSamples, cfg.InitSamples = 5, 200, 0
	w := &world{
		builder: &fakeBuilder{fail: map[string]bool{}, t: t},
		sampler: &fakeSampler{initMs: map[string]float64{}, fail: map[string]bool{}, taken: map[string]int{}},
		repo:    &fakeRepo{root: root, revs: map[string][]string{"b": {"fn/main.go"}}},
		box:     &fakeSandbox{},
		log:     &strings.Builder{},
	}
	w.samp = &fakeSamplers{s: w.sampler}
	var mu sync.Mutex
	w.p = &Pipeline{
		Config: cfg, Dir: root, Getenv: func(string) string { return "" }, Version: "test",
		Logf: func(f string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(w.log, f+"\n", a...)
		},
		Progress: &strings.Builder{},
		Builder:  w.builder, Samplers: w.samp, Repo: w.repo, Sandbox: w.box,
		Clock: &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)},
		BaseSettings: func(ctx context.Context, root, wt, sha, headPath string) (config.Config, error) {
			c := cfg
			c.Handler = headPath
			return c, nil
		},
		ReferenceSources: func(runtimes []string) (string, error) {
			dir := t.TempDir()
			for _, rt := range runtimes {
				if err := os.MkdirAll(filepath.Join(dir, rt), 0o755); err != nil {
					return "", err
				}
			}
			return dir, nil
		},
	}
	return w
}

func (w *world) execute(t *testing.T) *results.Results {
	t.Helper()
	res, err := w.p.Execute(context.Background())
	if err != nil {
		t.Fatalf("Execute: %v\nlog:\n%s", err, w.log)
	}
	return res
}

// The steps run in order: plan, build, sample, analyze; head and base are built, sampled
// interleaved and compared, and base's worktree is removed at the end.
func TestPipelineOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Config.Adaptive = false
	res := w.execute(t)
	if got := w.builder.names(); !slices.Equal(got, []string{"head", "base"}) {
		t.Errorf("built %v, want head then base", got)
	}
	if len(w.samp.specs) != 1 || len(w.samp.specs[0].Variants) != 2 || w.samp.closed != 1 {
		t.Errorf("samplers: %d started, %d closed; want one for head and base, closed", len(w.samp.specs), w.samp.closed)
	}
	// 5 timed rounds, then (after them, never among them) Go's traced init starts.
	if len(res.Samples) != 10 || w.sampler.taken["head"] != 5+TraceSamples || w.sampler.taken["base"] != 5+TraceSamples {
		t.Errorf("%d samples, taken %v; want 5 timed of each and %d traced", len(res.Samples), w.sampler.taken, TraceSamples)
	}
	if len(res.InitTraces) != 2*TraceSamples {
		t.Errorf("%d init traces, want %d", len(res.InitTraces), 2*TraceSamples)
	}
	if !slices.Equal(w.repo.checkouts, []string{"b"}) || w.repo.removed != 1 {
		t.Errorf("checkouts %v, removed %d; want base's worktree made and removed", w.repo.checkouts, w.repo.removed)
	}
	if res.Verdict == "" || res.Verdict == results.NotCompared {
		t.Errorf("verdict %q, want head compared with base", res.Verdict)
	}
	for _, ph := range []string{"plan", "build", "sample", "analyze"} {
		if _, ok := res.Phases[ph]; !ok {
			t.Errorf("phases %v: no %s", res.Phases, ph)
		}
	}
	if res.Config.BaseRef != "b" || res.Config.HeadRef != strings.Repeat("a", 40) {
		t.Errorf("refs head %q base %q", res.Config.HeadRef, res.Config.BaseRef)
	}
}

// A head that does not build stops the run there: nothing else is built or sampled, and the
// failure is recorded in the results, not returned.
func TestPipelineHeadFailsToBuild(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Config.References = []string{"go", "rust"}
	w.builder.fail["head"] = true
	res := w.execute(t)
	if got := w.builder.names(); !slices.Equal(got, []string{"head"}) {
		t.Errorf("built %v, want head alone", got)
	}
	if len(w.samp.specs) != 0 || len(res.Samples) != 0 {
		t.Errorf("%d samplers started, %d samples; want none", len(w.samp.specs), len(res.Samples))
	}
	if h := res.Variant(results.RoleHead); h == nil || !strings.Contains(h.BuildError, "exit status 1") {
		t.Errorf("head = %+v, want its build error recorded", h)
	}
	if !strings.Contains(w.log.String(), "the head did not build") {
		t.Errorf("log does not say why nothing else ran:\n%s", w.log)
	}
}

// A handler that does not exist at the base revision is base's failure to build, recorded; head
// is still built and sampled, and there is nothing to compare.
func TestPipelineBaseMissingAtBaseRev(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.repo.revs["b"] = []string{"other/main.go"}
	res := w.execute(t)
	b := res.Variant(results.RoleBase)
	if b == nil || !strings.Contains(b.BuildError, "does not exist at base") {
		t.Fatalf("base = %+v, want 'does not exist at base'", b)
	}
	if got := w.builder.names(); !slices.Equal(got, []string{"head"}) {
		t.Errorf("built %v, want head alone", got)
	}
	if w.sampler.taken["base"] != 0 || w.sampler.taken["head"] == 0 {
		t.Errorf("taken %v, want head's alone", w.sampler.taken)
	}
	if res.Verdict != results.NotCompared {
		t.Errorf("verdict %q, want %q", res.Verdict, results.NotCompared)
	}
	if !strings.Contains(w.log.String(), "nothing to compare, so a fixed 5 rounds") {
		t.Errorf("log does not say samples auto fell back to a fixed count:\n%s", w.log)
	}
}

// A base revision that does not resolve is bad input, returned before anything is built.
func TestPipelineUnknownBase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Config.Base = "nope"
	_, err := w.p.Execute(context.Background())
	if !IsInput(err) || !strings.Contains(err.Error(), `unknown revision "nope"`) {
		t.Errorf("Execute = %v, want an input error naming the revision", err)
	}
	if len(w.builder.names()) != 0 {
		t.Errorf("built %v, want nothing", w.builder.names())
	}
	if !slices.Equal(w.box.events, []string{"acquire", "seal", "unseal", "end", "release"}) {
		t.Errorf("sandbox %v: want it released (and ended) after a failed plan too", w.box.events)
	}
}

// A cancel during sampling keeps what was measured, with the error; the sampler is closed and
// the sandbox ended and released all the same, and no traced starts are taken.
func TestPipelineCancelKeepsSamples(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.sampler.cancelAfter, w.sampler.cancel = 7, cancel
	res, err := w.p.Execute(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute = %v, want context.Canceled", err)
	}
	if res == nil || len(res.Samples) != 7 {
		t.Fatalf("results %v, want the 7 samples taken before the cancel", res)
	}
	if w.samp.closed != 1 {
		t.Errorf("sampler closed %d times, want 1", w.samp.closed)
	}
	if !slices.Equal(w.box.events, []string{"acquire", "seal", "unseal", "end", "release"}) {
		t.Errorf("sandbox %v", w.box.events)
	}
	if len(res.InitTraces) != 0 || strings.Contains(w.log.String(), "traced init") {
		t.Errorf("traced after a cancel: %v", res.InitTraces)
	}
}

// The references are planned from their sources, one each, built as references (the fake
// builder checks the flags) and sampled with head and base, each variant and arch in a sandbox
// slot of its own.
func TestPipelineReferencesPlanned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Config.Adaptive = false
	w.p.Config.References = []string{"go", "node-hello"}
	res := w.execute(t)
	if got := w.builder.names(); !slices.Equal(got, []string{"head", "base", "go", "node"}) {
		t.Errorf("built %v, want head, base, go, node-hello", got)
	}
	var names []string
	uids := map[int]string{}
	for _, v := range w.samp.specs[0].Variants {
		names = append(names, v.Name)
		if o, dup := uids[v.Identity.UID]; dup {
			t.Errorf("%s and %s share uid %d", v.Name, o, v.Identity.UID)
		}
		uids[v.Identity.UID] = v.Name
	}
	if !slices.Equal(names, []string{"head", "base", "go", "node-hello"}) {
		t.Errorf("sampled %v", names)
	}
	if r := res.Variant(results.RoleReference); r == nil || r.Handler != "work" {
		t.Errorf("first reference %+v, want go's work handler", r)
	}
	for _, v := range res.Variants {
		if v.Name == "node-hello" && (v.Runtime != build.RuntimeNode || v.Handler != "index.hello") {
			t.Errorf("node-hello = runtime %q handler %q, want %q index.hello", v.Runtime, v.Handler, build.RuntimeNode)
		}
	}
}

// Beside a head and base a reference takes ReferenceFullSamples full cold starts, then an
// init-only one a round; head and base take a full one every round.
func TestPipelineReferencesFewFullSamples(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Config.Adaptive = false
	w.p.Config.Samples = 8
	w.p.Config.References = []string{"go"}
	res := w.execute(t)
	full, initOnly := map[string]int{}, map[string]int{}
	for _, s := range res.Samples {
		if s.InitOnly {
			initOnly[s.Variant]++
		} else {
			full[s.Variant]++
		}
	}
	if full["go"] != ReferenceFullSamples || initOnly["go"] != 8-ReferenceFullSamples || full["head"] != 8 || full["base"] != 8 {
		t.Errorf("full %v, init-only %v; want go %d and %d, head and base 8 full", full, initOnly, ReferenceFullSamples, 8-ReferenceFullSamples)
	}
	if res.Config.ReferenceFullSamples != ReferenceFullSamples {
		t.Errorf("config records %d full reference samples, want %d", res.Config.ReferenceFullSamples, ReferenceFullSamples)
	}
	if r := res.Variant(results.RoleReference); r.Summary.InitMs == nil || r.Summary.InitMs.N != 8 || r.Summary.ColdMs == nil || r.Summary.ColdMs.N != ReferenceFullSamples {
		t.Errorf("reference summaries: init %+v, cold %+v; want init of every round, cold of the full ones", r.Summary.InitMs, r.Summary.ColdMs)
	}
}

// A run of the references alone shows a first table of the quick references while the slow
// one (Rust) still builds; the run's own samples are all taken after every build, in plan order.
func TestPipelinePreviewWhileSlowReferenceBuilds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.p.Config.Handler, w.p.Config.Base = "", ""
	w.p.Config.Adaptive = false
	w.p.Config.Samples = 20
	w.p.Config.References = []string{"go", "rust", "deno"}
	release := make(chan struct{})
	w.builder.hold = map[string]chan struct{}{"rust": release}
	var shown *results.Results
	var pending []string
	w.p.Preview = func(res *results.Results, p []string) {
		shown, pending = res, p
		close(release) // rust builds once the first table is out: the preview took its rounds
	}
	res := w.execute(t)
	if shown == nil {
		t.Fatal("no first table")
	}
	count := func(r *results.Results) map[string]int {
		n := map[string]int{}
		for _, s := range r.Samples {
			n[s.Variant]++
		}
		return n
	}
	if got := count(shown); got["go"] != PreviewRounds || got["deno"] != PreviewRounds || got["rust"] != 0 || !slices.Equal(pending, []string{"rust"}) {
		t.Errorf("first table: samples %v, pending %v; want %d of go and deno, none of rust (pending)", got, pending, PreviewRounds)
	}
	if len(shown.Variants) != 2 || shown.Variants[0].Summary.InitMs == nil {
		t.Errorf("first table's variants %+v, want go and deno summarised", shown.Variants)
	}
	if got := count(res); got["go"] != 20 || got["rust"] != 20 || got["deno"] != 20 {
		t.Errorf("run's samples %v, want 20 of each (the preview's are not among them)", got)
	}
	var names []string
	for _, v := range res.Variants {
		names = append(names, v.Name)
	}
	if !slices.Equal(names, []string{"go", "rust", "deno"}) {
		t.Errorf("variants %v, want plan order", names)
	}
	if !strings.Contains(w.log.String(), "built 3/3 variants (rust") {
		t.Errorf("log lacks the build progress:\n%s", w.log)
	}
}

// The sandbox is acquired before anything runs, sealed, ended and released; what End reports is
// in the results' limits.
func TestPipelineSandboxLifecycle(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.execute(t)
	if !slices.Equal(w.box.events, []string{"acquire", "seal", "unseal", "end", "release"}) {
		t.Errorf("sandbox events %v", w.box.events)
	}
	notes := strings.Join(res.Environment.Limits.Notes, "\n")
	for _, want := range []string{"2 process(es) of the sandbox's users", "removed what sandboxed code left in shared directories: /tmp/x", "without Landlock"} {
		if !strings.Contains(notes, want) {
			t.Errorf("limits notes %q: no %q", notes, want)
		}
	}
	if w.samp.specs[0].Sandbox.UID != 64990 {
		t.Errorf("sampler's sandbox %+v, want the acquired one", w.samp.specs[0].Sandbox)
	}
}

// samples: auto stops at the first look that settles the verdict, records its looks, and falls
// back to a fixed count when there is nothing to compare.
func TestPipelineAdaptiveStopping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		head, base float64
		fail       string
		want       results.Verdict
		maxRounds  int
	}{
		{"regression", 80, 50, "", results.Regression, 30},
		{"no change", 50, 50, "", "", 200},
		{"base never starts", 50, 50, "base", results.NotCompared, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.sampler.initMs["head"], w.sampler.initMs["base"] = tc.head, tc.base
			if tc.fail != "" {
				w.sampler.fail[tc.fail] = true
			}
			res := w.execute(t)
			if tc.want != "" && res.Verdict != tc.want {
				t.Errorf("verdict %q, want %q\n%s", res.Verdict, tc.want, w.log)
			}
			if !res.Config.Adaptive || res.Config.Looks < 1 || res.Config.Samples != res.Config.Looks*config.AdaptiveBlock {
				t.Errorf("adaptive %v, looks %d, samples %d: want whole blocks of %d", res.Config.Adaptive, res.Config.Looks, res.Config.Samples, config.AdaptiveBlock)
			}
			if res.Config.Samples > tc.maxRounds || res.Config.Samples == 200 {
				t.Errorf("%d rounds, want it stopped by %d, before max-samples", res.Config.Samples, tc.maxRounds)
			}
		})
	}
}

// --store adds the run to the history, and a later --baseline run takes the stored run as its
// base: no worktree, no base build, head compared with what was stored. An empty store is no
// error: nothing is compared.
func TestPipelineStoreThenBaseline(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	first := newWorld(t)
	first.p.Config.Base, first.p.Config.Store, first.p.Config.Adaptive, first.p.Config.Samples = "none", store, false, 20
	first.sampler.initMs["head"] = 50
	if first.execute(t); !strings.Contains(first.log.String(), "stored results in") {
		t.Fatalf("first run not stored:\n%s", first.log)
	}
	second := newWorld(t)
	second.p.Config.Base, second.p.Config.Baseline, second.p.Config.Adaptive, second.p.Config.Samples = "", store, false, 20
	second.sampler.initMs["head"] = 100
	res := second.execute(t)
	if len(second.repo.checkouts) != 0 || !slices.Equal(second.builder.names(), []string{"head"}) {
		t.Errorf("checkouts %v, built %v; want head alone, no worktree", second.repo.checkouts, second.builder.names())
	}
	if res.Config.BaselineRun == "" || res.Verdict != results.Regression {
		t.Errorf("baseline %q, verdict %q; want the stored run as base and head's doubling caught\n%s", res.Config.BaselineRun, res.Verdict, second.log)
	}
	empty := newWorld(t)
	empty.p.Config.Base, empty.p.Config.Baseline = "", t.TempDir()
	if res := empty.execute(t); res.Verdict == results.Regression || res.Config.BaselineRun != "" {
		t.Errorf("empty store: verdict %q, baseline %q; want nothing compared", res.Verdict, res.Config.BaselineRun)
	}
}

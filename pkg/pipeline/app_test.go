package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sam"
)

// appRepo is a fakeRepo whose base revision "b" holds real files (a template among them), and
// which lists what the work tree changed against it.
type appRepo struct {
	*fakeRepo
	base    map[string]string // path → content at "b"
	changed []string
	diffs   int
}

func (r *appRepo) Checkout(ctx context.Context, root, rev string) (string, func(), error) {
	if rev != "b" {
		return "", nil, fmt.Errorf("checkout %s: unknown revision", rev)
	}
	wt, err := os.MkdirTemp("", "fake-worktree-")
	if err != nil {
		return "", nil, err
	}
	for p, content := range r.base {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(wt, p)), 0o755); err != nil {
			return "", nil, err
		}
		if err := os.WriteFile(filepath.Join(wt, p), []byte(content), 0o644); err != nil {
			return "", nil, err
		}
	}
	r.checkouts = append(r.checkouts, rev)
	return wt, func() { r.removed++; os.RemoveAll(wt) }, nil
}

func (r *appRepo) Changed(ctx context.Context, root, rev string) ([]string, error) {
	r.diffs++
	if rev != "b" {
		return nil, fmt.Errorf("diff against unknown revision %q", rev)
	}
	return r.changed, nil
}

// listingBuilder is a fakeBuilder that says function B's build also reads internal/shared (as go
// list -deps would) and refuses to list from anything but the function's own directory.
type listingBuilder struct {
	*fakeBuilder
	listed []string
}

func (b *listingBuilder) Inputs(ctx context.Context, req build.Request) ([]build.Input, error) {
	b.listed = append(b.listed, req.Name)
	if _, err := os.Stat(req.Dir); err != nil {
		return nil, err
	}
	if filepath.Base(req.Dir) == "b" {
		return []build.Input{{Path: "internal/shared", Package: true, Why: "package internal/shared of the module, which it imports (go list -deps)"}}, nil
	}
	return nil, nil
}

const appTemplate = `Resources:
%s`

func templateOf(fns ...string) string {
	var b strings.Builder
	for _, f := range fns {
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: functions/%s\n      Runtime: provided.al2023\n      Handler: bootstrap\n", strings.ToUpper(f), f)
	}
	return fmt.Sprintf(appTemplate, b.String())
}

// newAppWorld is a world whose work tree holds a template of functions A, B and C (C new) and
// whose base holds A, B and D (D gone from head).
func newAppWorld(t *testing.T, choice string) (*world, *appRepo, *listingBuilder) {
	t.Helper()
	w := newWorld(t)
	root := w.repo.root
	for _, f := range []string{"a", "b", "c"} {
		if err := os.MkdirAll(filepath.Join(root, "functions", f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := filepath.Join(root, "template.yaml")
	if err := os.WriteFile(tmpl, []byte(templateOf("a", "b", "c")), 0o644); err != nil {
		t.Fatal(err)
	}
	fns, err := sam.Read(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	repo := &appRepo{fakeRepo: w.repo, base: map[string]string{
		"template.yaml": templateOf("a", "b", "d"), "functions/a/main.go": "package main\n", "functions/b/main.go": "package main\n",
		"functions/d/main.go": "package main\n",
	}}
	lb := &listingBuilder{fakeBuilder: w.builder}
	w.p.Repo, w.p.Builder = repo, lb
	w.p.Config.Handler, w.p.Config.Function = "", choice
	w.p.Config.References = []string{"go"}
	w.p.App = &App{Template: tmpl, Functions: fns, Read: func(path string) ([]sam.Function, error) { return sam.Read(path) },
		Head: func(name string) (config.Config, error) {
			c := w.p.Config.ForFunction(name)
			c.Handler = filepath.Join(root, "functions", strings.ToLower(name))
			return c, nil
		},
		Base: func(ctx context.Context, root, wt, sha, name string) (config.Config, error) {
			c := w.p.Config.ForFunction(name)
			c.Handler = filepath.Join(wt, "functions", strings.ToLower(name))
			return c, nil
		},
	}
	return w, repo, lb
}

// function: all measures every function of head's template in one run: one sampler, the
// references sampled once a round for the whole run, each function's head and base in the same
// rounds, each function stopped by its own sequential rule,
// the new one measured alone, the gone one reported; the run's verdict is the worst.
func TestAppAllInOneRun(t *testing.T) {
	t.Parallel()
	w, repo, _ := newAppWorld(t, config.FunctionsAll)
	w.sampler.initMs["A:head"], w.sampler.initMs["A:base"] = 90, 50
	res := w.execute(t)

	if len(w.samp.specs) != 1 {
		t.Fatalf("%d samplers started, want one for the whole run", len(w.samp.specs))
	}
	if len(repo.checkouts) != 1 || repo.removed != 1 {
		t.Errorf("base checked out %d times (removed %d), want once for every function", len(repo.checkouts), repo.removed)
	}
	status := map[string]results.FunctionStatus{}
	for _, f := range res.Functions {
		status[f.Name] = f.Status
	}
	want := map[string]results.FunctionStatus{"A": results.FunctionMeasured, "B": results.FunctionMeasured, "C": results.FunctionNew, "D": results.FunctionGone}
	if fmt.Sprint(status) != fmt.Sprint(want) {
		t.Fatalf("functions %v, want %v", status, want)
	}
	a, b := res.FunctionByName("A"), res.FunctionByName("B")
	if a.Verdict != results.Regression || b.Verdict == results.Regression || res.Verdict != results.Regression {
		t.Errorf("verdicts A %s, B %s, run %s; want A's regression the run's", a.Verdict, b.Verdict, res.Verdict)
	}
	// B (a tie, equivalent at the first look) leaves the rounds while A goes on to its regression.
	if b.Samples >= a.Samples || a.Stop != "settled" || b.Stop != "settled" {
		t.Errorf("A sampled %d rounds (stop %s), B %d (stop %s): want each to leave the rounds once settled", a.Samples, a.Stop, b.Samples, b.Stop)
	}
	// The references: one full sample a round for the whole run, as many as the longest function's rounds.
	rounds := map[string]map[int]bool{}
	for _, s := range res.Samples {
		if rounds[s.Variant] == nil {
			rounds[s.Variant] = map[int]bool{}
		}
		rounds[s.Variant][s.Index] = true
	}
	if got := len(res.SamplesOf("go")); got != res.Config.Samples || got != max(a.Samples, b.Samples) {
		t.Errorf("the reference has %d samples in a run of %d rounds (A %d, B %d): want one a round, once for all functions", got, res.Config.Samples, a.Samples, b.Samples)
	}
	for _, fn := range []string{"A", "B"} {
		h, bs := rounds[fn+":head"], rounds[fn+":base"]
		if len(h) == 0 || fmt.Sprint(h) != fmt.Sprint(bs) {
			t.Errorf("%s: head in rounds %v, base in %v: want the same rounds", fn, h, bs)
		}
		for i := range h {
			if !rounds["go"][i] {
				t.Errorf("%s sampled in round %d without the references", fn, i)
			}
		}
	}
	if c := res.FunctionByName("C"); c.Base != "" || len(res.SamplesOf("C:head")) == 0 || c.Verdict != results.Unavailable {
		t.Errorf("new function C: base %q, %d head samples, verdict %s; want its head measured alone", c.Base, len(res.SamplesOf("C:head")), c.Verdict)
	}
	// The heads run as head's sandbox user, the bases as base's, the references as their own:
	// no head shares a user with a base or a reference.
	uids := map[int]results.Role{}
	for _, v := range res.Variants {
		id := w.p.identity(v.Name, build.ArchARM64)
		if other, ok := uids[id.UID]; ok && (other != v.Role || v.Role == results.RoleReference) {
			t.Errorf("%s (%s) shares sandbox uid %d with a %s", v.Name, v.Role, id.UID, other)
		}
		uids[id.UID] = v.Role
		if want := w.p.identity(string(v.Role), build.ArchARM64); v.Role != results.RoleReference && id != want {
			t.Errorf("%s runs as uid %d, want %s's %d", v.Name, id.UID, v.Role, want.UID)
		}
	}
	// The view of one function is a run of it alone.
	v := res.Function("A")
	if v.Variant(results.RoleHead) == nil || v.Variant(results.RoleBase) == nil || v.Verdict != results.Regression || len(v.SamplesOf("head")) != a.Samples*(1+res.Config.InitSamples) {
		t.Errorf("view of A: head %v base %v verdict %s, %d head samples", v.Variant(results.RoleHead), v.Variant(results.RoleBase), v.Verdict, len(v.SamplesOf("head")))
	}
}

// function: changed picks the functions the diff reaches (a file under CodeUri; a package its
// build reads, as its toolchain lists it) and skips the others, each with its reason.
func TestAppChangedPicksByDiff(t *testing.T) {
	t.Parallel()
	w, repo, lb := newAppWorld(t, config.FunctionsChanged)
	repo.changed = []string{"internal/shared/db.go", "README.md"}
	res := w.execute(t)
	if repo.diffs != 1 {
		t.Errorf("diffed %d times, want once", repo.diffs)
	}
	a, b := res.FunctionByName("A"), res.FunctionByName("B")
	if a.Status != results.FunctionSkipped || !strings.Contains(a.Reason, "none of the 2 changed files") || !strings.Contains(a.Reason, "CodeUri functions/a") {
		t.Errorf("A: %s (%s), want skipped, saying what it is built from", a.Status, a.Reason)
	}
	if b.Status != results.FunctionMeasured || !strings.Contains(b.Reason, "internal/shared/db.go changed: package internal/shared") {
		t.Errorf("B: %s (%s), want measured for the package it imports", b.Status, b.Reason)
	}
	if len(res.SamplesOf("A:head")) != 0 || len(res.SamplesOf("B:head")) == 0 {
		t.Errorf("A sampled %d times, B %d: want only the picked one", len(res.SamplesOf("A:head")), len(res.SamplesOf("B:head")))
	}
	if !slices.Contains(lb.listed, "inputs-B") {
		t.Errorf("inputs listed for %v, want B's", lb.listed)
	}
	// Control: picked by CodeUri alone (no toolchain asked what the build reads), a regression
	// the pull request puts in a shared package goes unmeasured.
	wc, repoc, _ := newAppWorld(t, config.FunctionsChanged)
	repoc.changed = repo.changed
	wc.p.Builder = wc.builder // a Builder that cannot list inputs
	if b := wc.execute(t).FunctionByName("B"); b.Status != results.FunctionSkipped {
		t.Errorf("control: B %s by CodeUri alone; the shared package's change should have gone unseen", b.Status)
	}

	// A file under A's CodeUri picks A; a change to its template definition does too.
	w2, repo2, _ := newAppWorld(t, config.FunctionsChanged)
	repo2.changed = []string{"functions/a/main.go"}
	repo2.base["template.yaml"] = strings.Replace(templateOf("a", "b", "d"), "functions/b\n      Runtime: provided.al2023\n", "functions/b\n      Runtime: provided.al2023\n      MemorySize: 512\n", 1)
	res = w2.execute(t)
	a, b = res.FunctionByName("A"), res.FunctionByName("B")
	if a.Status != results.FunctionMeasured || !strings.Contains(a.Reason, "functions/a/main.go changed: under its CodeUri") {
		t.Errorf("A: %s (%s), want measured for its own file", a.Status, a.Reason)
	}
	if b.Status != results.FunctionMeasured || !strings.Contains(b.Reason, "definition in template.yaml changed (MemorySize)") {
		t.Errorf("B: %s (%s), want measured for its changed definition", b.Status, b.Reason)
	}
}

// A function whose head does not build is that function's failure, not the run's: the others
// are built and measured.
func TestAppOneHeadFailsToBuild(t *testing.T) {
	t.Parallel()
	w, _, _ := newAppWorld(t, "A,B")
	w.builder.fail["A:head"] = true
	res := w.execute(t)
	if len(res.Functions) != 2 {
		t.Fatalf("functions %+v, want A and B", res.Functions)
	}
	if len(res.SamplesOf("B:head")) == 0 || len(res.SamplesOf("A:head")) != 0 || len(res.SamplesOf("A:base")) != 0 {
		t.Errorf("samples A:head %d, A:base %d, B:head %d; want B measured, A not", len(res.SamplesOf("A:head")), len(res.SamplesOf("A:base")), len(res.SamplesOf("B:head")))
	}
	if v := res.Function("A"); v.Verdict != results.Unavailable {
		t.Errorf("A's verdict %s, want unavailable (its head failed to build)", v.Verdict)
	}
}

// A bad name in function lists the valid ones.
func TestAppUnknownFunction(t *testing.T) {
	t.Parallel()
	w, _, _ := newAppWorld(t, "A,Nope")
	_, err := w.p.Execute(context.Background())
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "Nope is not in template template.yaml; valid values are all, changed or any of A, B, C") {
		t.Fatalf("Execute() error %v, want bad input naming the valid functions", err)
	}
}

// rootBuilder records the tree each build may read.
type rootBuilder struct {
	*fakeBuilder
	roots map[string]string
}

func (b *rootBuilder) Build(ctx context.Context, req build.Request, reference bool) (*results.Artifact, error) {
	b.mu.Lock()
	b.roots[req.Name] = req.Root
	b.mu.Unlock()
	return b.fakeBuilder.Build(ctx, req, reference)
}

// Outside a git repository (an unpacked tarball) a handler below its go.mod is built with the
// package root as the tree its build reads.
func TestPlainDirectoryPackageRoot(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	testFile := func(p, c string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testFile("go.mod", "module example.com/x\n")
	testFile("functions/get/main.go", "package main\n")
	w.repo.root = "" // not a git repository
	rb := &rootBuilder{fakeBuilder: w.builder, roots: map[string]string{}}
	w.p.Builder, w.p.Dir = rb, dir
	w.p.Config.Handler, w.p.Config.Base = filepath.Join(dir, "functions", "get"), ""
	w.execute(t)
	if got := rb.roots["head-"+build.ArchARM64]; got != dir {
		t.Errorf("head's build reads %q, want the package root %s (its go.mod)", got, dir)
	}
}

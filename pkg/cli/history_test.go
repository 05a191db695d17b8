package cli

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/baseline"
	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/results"
)

// storeHistory adds commits from..to (1-based) of a handler "fn" to the store: head's init
// level(c) ms, the references go and rust beside it, all on a runner whose speed jumps by 15%
// every few runs, with 1.5% of noise in each median.
func storeHistory(t *testing.T, dir string, from, to int, level func(c int) float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(from), 3))
	for c := from; c <= to; c++ {
		speed := 1.0
		if c%7 < 3 {
			speed = 1.15
		}
		r := &results.Results{SchemaVersion: 1, CreatedAt: time.Date(2026, 1, 1, 4, 17, 0, 0, time.UTC).AddDate(0, 0, c),
			Config: results.RunConfig{HeadRef: fmt.Sprintf("%07x%033d", c*0x10001, c), ThresholdPct: 5}}
		for _, v := range []struct {
			name string
			role results.Role
			ms   float64
		}{{"head", results.RoleHead, level(c)}, {"go", results.RoleReference, 10}, {"rust", results.RoleReference, 3.4}} {
			init := v.ms * speed * math.Exp(0.015*rng.NormFloat64())
			variant := results.Variant{Name: v.name, Role: v.role}
			variant.Summary.Set(results.MetricInit, &results.Summary{N: 100, P50: init})
			variant.Summary.Set(results.MetricCold, &results.Summary{N: 100, P50: init + 135*speed})
			r.Variants = append(r.Variants, variant)
		}
		if _, err := (baseline.Store{Dir: dir}).Save(r, "fn"); err != nil {
			t.Fatal(err)
		}
	}
}

// The scheduled refresh's history step: the change point is printed, drawn (HTML with SVG, a
// lone SVG, Mermaid for the job summary) and gets its issue; when a later change reverts it,
// the issue is closed.
func TestHistoryChangePointsAndIssues(t *testing.T) {
	t.Parallel()
	const repository, token = "Codertocat/Hello-World", "ghs_history"
	gh := fakegithub.New(t, repository, token)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	step := func(c int) float64 {
		if c >= 21 {
			return 46
		}
		return 40
	}
	storeHistory(t, store, 1, 40, step)
	env, out, errb := testEnv(dir)
	vars := map[string]string{"GITHUB_TOKEN": token, "GITHUB_API_URL": gh.APIURL(), "GITHUB_REPOSITORY": repository}
	env.Getenv = func(k string) string { return vars[k] }
	args := []string{"history", "--handler", "fn", "--issues", "--html", "h.html", "--svg", "h.svg", "--markdown", "summary.md", "store"}
	if code := Main(context.Background(), args, env); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if s := out.String(); !strings.Contains(s, "head init_ms over 40 commits (drift-corrected by go, rust): 1 change point(s)") ||
		!strings.Contains(s, "head cold_ms over 40 commits (drift-corrected by go, rust): no change point") || !strings.Contains(s, "issues: 1 opened") {
		t.Errorf("stdout:\n%s", s)
	}
	issues := gh.Issues()
	if len(issues) != 1 || issues[0].State != "open" || !strings.Contains(issues[0].Title, "fn init_ms +15.") || !strings.Contains(issues[0].Body, "xychart-beta") ||
		!strings.Contains(issues[0].Body, "/compare/") || !issues[0].HasLabel("coldbench-change") {
		t.Fatalf("issues %+v, want one open for the +15%% init change", issues)
	}
	for file, want := range map[string]string{"h.html": "<svg", "h.svg": "change point", "summary.md": "xychart-beta"} {
		if b, err := os.ReadFile(filepath.Join(dir, file)); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v, want %q in it", file, err, want)
		}
	}
	// The change is reverted from commit 41 on; twenty commits later the refresh closes it.
	storeHistory(t, store, 41, 60, func(c int) float64 { return 40 })
	out.Reset()
	if code := Main(context.Background(), []string{"history", "--handler", "fn", "--issues", "store"}, env); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	issues = gh.Issues()
	if len(issues) != 1 || issues[0].State != "closed" {
		t.Fatalf("after the revert: issues %+v\n%s", issues, out)
	}
	if cs := gh.Comments(issues[0].Number); len(cs) != 1 || !strings.Contains(cs[0].Body, "Reverted") {
		t.Errorf("closing comment %+v", cs)
	}
	// Without a token, --issues is a clear input error.
	env.Getenv = func(string) string { return "" }
	if code := Main(context.Background(), []string{"history", "--issues", "store"}, env); code != ExitBadInput || !strings.Contains(errb.String(), "no token in $GITHUB_TOKEN") {
		t.Errorf("--issues without a token: exit %d, %s", code, errb)
	}
}

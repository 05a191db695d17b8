package publish

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
)

// One issue per change point, through the refresh's life: opened once, edited as the estimate
// sharpens (its commit moving by one keeps the issue), closed when reverted, left closed once a
// maintainer closed it, closed when labelled accepted, closed when the change is no longer
// found; another handler's issues and other people's issues are never touched.
func TestSyncChangeIssuesLifecycle(t *testing.T) {
	t.Parallel()
	p, gh, _ := newPub(t)
	ctx := context.Background()
	const label = "coldbench-change"
	// Another handler's change issue, which fn/a's syncs must leave alone.
	other, err := p.SyncChangeIssues(ctx, label, "fn/b", []ChangeIssue{{Key: "fn/b init_ms c9", Title: "fn/b init +20%", Body: "b"}})
	if err != nil || len(other.Opened) != 1 {
		t.Fatalf("fn/b sync = %v, %v", other, err)
	}
	a := ChangeIssue{Key: "fn/a init_ms c31", Title: "fn/a: init +14.0% at c31", Body: "first estimate"}
	s1, err := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{a})
	if err != nil || len(s1.Opened) != 1 {
		t.Fatalf("first sync = %v, %v; want one issue opened", s1, err)
	}
	n := s1.Opened[0]
	// The next refresh: the same change, its commit now one later, a sharper estimate.
	a2 := ChangeIssue{Key: "fn/a init_ms c32", Aliases: []string{"fn/a init_ms c31", "fn/a init_ms c33"}, Title: "fn/a: init +15.1% at c32", Body: "sharper"}
	s2, err := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{a2})
	if err != nil || !slices.Equal(s2.Updated, []int{n}) || len(s2.Opened) != 0 {
		t.Fatalf("second sync = %v, %v; want issue %d updated, none opened", s2, err, n)
	}
	if s3, _ := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{a2}); !slices.Equal(s3.Unchanged, []int{n}) {
		t.Errorf("third sync (nothing new) = %v, want it unchanged", s3)
	}
	issue := func(n int) fakegithub.Issue {
		for _, is := range gh.Issues() {
			if is.Number == n {
				return is
			}
		}
		t.Fatalf("no issue %d", n)
		return fakegithub.Issue{}
	}
	if is := issue(n); is.Title != a2.Title || !strings.Contains(is.Body, ChangeMarker("fn/a init_ms c32")) || !is.HasLabel(label) || is.State != "open" {
		t.Errorf("issue %d = %+v", n, is)
	}
	// Reverted later: closed with the reason.
	a2.Resolved = "Reverted at c50: init is back to 40.1 ms."
	s4, err := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{a2})
	if err != nil || !slices.Equal(s4.Closed, []int{n}) {
		t.Fatalf("revert sync = %v, %v; want %d closed", s4, err, n)
	}
	if is := issue(n); is.State != "closed" || is.StateReason != "completed" {
		t.Errorf("reverted issue = %+v", is)
	}
	if cs := gh.Comments(n); len(cs) != 1 || cs[0].Body != a2.Resolved {
		t.Errorf("comments on %d = %+v, want the reason", n, cs)
	}
	// A closed issue stays closed, and a reverted change that never had an issue gets none.
	a2.Resolved = ""
	if s5, _ := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{a2, {Key: "fn/a cold_ms c40", Title: "t", Body: "b", Resolved: "reverted"}}); len(s5.Opened)+len(s5.Updated)+len(s5.Closed) != 0 {
		t.Errorf("sync after close = %v, want nothing done", s5)
	}
	// A new change; a maintainer labels it accepted; the refresh closes it.
	b := ChangeIssue{Key: "fn/a init_ms c70", Title: "fn/a: init +30%", Body: "new"}
	s6, _ := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{b})
	m := s6.Opened[0]
	gh.EditIssue(m, func(is *fakegithub.Issue) { is.Labels = append(is.Labels, fakegithub.Label{Name: AcceptedLabel}) })
	if s7, _ := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{b}); !slices.Equal(s7.Accepted, []int{m}) || issue(m).State != "closed" {
		t.Errorf("sync after accept = %v, issue %+v; want it closed", s7, issue(m))
	}
	// A change no longer found: its open issue is closed as not planned; fn/b's stays open.
	c := ChangeIssue{Key: "fn/a cold_ms c80", Title: "fn/a: cold +8%", Body: "c"}
	s8, _ := p.SyncChangeIssues(ctx, label, "fn/a", []ChangeIssue{c})
	s9, err := p.SyncChangeIssues(ctx, label, "fn/a", nil)
	if err != nil || !slices.Equal(s9.Closed, s8.Opened) || issue(s8.Opened[0]).StateReason != "not_planned" {
		t.Errorf("sync with the change gone = %v, %v; want %v closed as not planned", s9, err, s8.Opened)
	}
	if is := issue(other.Opened[0]); is.State != "open" {
		t.Errorf("fn/b's issue = %+v, want it left open", is)
	}
}

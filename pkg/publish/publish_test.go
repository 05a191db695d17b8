package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
)

const sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

func newPub(t *testing.T) (*Publisher, *fakegithub.Server, *[]time.Duration) {
	t.Helper()
	gh := fakegithub.New(t, "Codertocat/Hello-World", "ghs_test")
	p, err := New(http.DefaultClient, gh.APIURL(), "ghs_test", "Codertocat/Hello-World")
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	p.Retry.Sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	return p, gh, &slept
}

func TestStickyCommentIsUpdatedNotDuplicated(t *testing.T) {
	t.Parallel()
	p, gh, _ := newPub(t)
	ctx := context.Background()
	// Other people's comments fill two pages before ours appears.
	for i := 0; i < 150; i++ {
		gh.AddComment(2, fakegithub.Comment{ID: int64(i + 1), Body: fmt.Sprintf("comment %d", i)})
	}
	marker := Marker("fn/api")
	id1, created, err := p.UpsertComment(ctx, 2, marker, "first")
	if err != nil || !created {
		t.Fatalf("UpsertComment() = %d, %v, %v, want a new comment", id1, created, err)
	}
	id2, created, err := p.UpsertComment(ctx, 2, marker, "second")
	if err != nil || created || id2 != id1 {
		t.Fatalf("UpsertComment() again = %d, %v, %v, want the same comment edited", id2, created, err)
	}
	var ours []string
	for _, c := range gh.Comments(2) {
		if strings.Contains(c.Body, marker) {
			ours = append(ours, c.Body)
		}
	}
	if len(ours) != 1 || ours[0] != marker+"\nsecond" {
		t.Errorf("sticky comments = %q, want exactly one with the second body", ours)
	}
	// Another handler gets its own comment.
	if _, created, _ := p.UpsertComment(ctx, 2, Marker("fn/other"), "x"); !created {
		t.Error("a second handler's comment replaced the first one's")
	}
	if got := gh.Count("GET", "/issues/2/comments"); got < 4 {
		t.Errorf("listed comments %d times, want paging through 2 pages per search", got)
	}
}

func TestCheckRunLifecycle(t *testing.T) {
	t.Parallel()
	p, gh, _ := newPub(t)
	ctx := context.Background()
	id, err := p.StartCheck(ctx, "coldbench", sha, "Measuring cold starts")
	if err != nil {
		t.Fatal(err)
	}
	if c := gh.Checks()[0]; c.Status != "in_progress" || c.HeadSHA != sha {
		t.Errorf("started check = %+v", c)
	}
	long := strings.Repeat("x", 70000)
	if _, err := p.CompleteCheck(ctx, id, "coldbench", sha, ConclusionFailure, "Cold start +12% — regression", long); err != nil {
		t.Fatal(err)
	}
	c := gh.Checks()[0]
	if len(gh.Checks()) != 1 || c.Status != "completed" || c.Conclusion != "failure" || len(c.Summary) > MaxCheckSummary || c.Updates != 1 {
		t.Errorf("completed check = %+v (summary %d chars)", c, len(c.Summary))
	}
	// Completing without a start creates the run completed (coldbench publish).
	if _, err := p.CompleteCheck(ctx, 0, "coldbench", sha, ConclusionSuccess, "ok", "fine"); err != nil || len(gh.Checks()) != 2 || gh.Checks()[1].Status != "completed" {
		t.Errorf("CompleteCheck(0) = %v, checks %+v", err, gh.Checks())
	}
	if err := p.SetStatus(ctx, sha, StatusFailure, "coldbench", strings.Repeat("d", 200)); err != nil || gh.Statuses()[0].State != "failure" {
		t.Errorf("SetStatus() = %v, %+v", err, gh.Statuses())
	}
}

func TestRetriesServerErrorsAndSecondaryLimits(t *testing.T) {
	t.Parallel()
	p, gh, slept := newPub(t)
	gh.FailNext("POST comments", http.StatusBadGateway)
	_, created, err := p.UpsertComment(context.Background(), 2, Marker("x"), "body")
	if err != nil || !created || len(gh.Comments(2)) != 1 || gh.Count("POST", "/issues/2/comments") != 2 {
		t.Fatalf("after a 502: err %v, comments %d, posts %d; want one retry and one comment", err, len(gh.Comments(2)), gh.Count("POST", "/issues/2/comments"))
	}
	// A secondary rate limit with Retry-After: 1. go-github itself refuses to send until then, so
	// this wait is real.
	p.Retry.Sleep = func(ctx context.Context, d time.Duration) error { *slept = append(*slept, d); return sleepCtx(ctx, d) }
	gh.FailNext("POST check-runs", fakegithub.RateLimited)
	if _, err := p.StartCheck(context.Background(), "coldbench", sha, "t"); err != nil {
		t.Fatal(err)
	}
	if len(*slept) != 2 || (*slept)[1] < time.Second {
		t.Errorf("slept %v, want a backoff after the 502 and at least the 1 s Retry-After", *slept)
	}
	p.Retry.Sleep = func(ctx context.Context, d time.Duration) error { return nil }
	gh.FailNext("POST statuses", 500, 500, 500, 500, 500)
	err = p.SetStatus(context.Background(), sha, StatusSuccess, "coldbench", "ok")
	if err == nil || !strings.Contains(err.Error(), "create commit status") {
		t.Errorf("SetStatus after 5 failures = %v, want the error after the last attempt", err)
	}
}

func TestReadOnlyTokenIsForbidden(t *testing.T) {
	t.Parallel()
	p, gh, slept := newPub(t)
	gh.Forbid = true
	_, _, err := p.UpsertComment(context.Background(), 2, Marker("x"), "body")
	if !IsForbidden(err) || len(*slept) != 0 {
		t.Errorf("UpsertComment with a read-only token: err %v (forbidden %v), retries %d; want forbidden, no retry", err, IsForbidden(err), len(*slept))
	}
	if IsForbidden(errors.New("boom")) {
		t.Error("IsForbidden(plain error) = true")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := New(nil, "", "t", "no-slash"); err == nil || !strings.Contains(err.Error(), "want owner/name") {
		t.Errorf("New(bad repo) = %v", err)
	}
	if _, err := New(nil, "", "", "a/b"); err == nil || !strings.Contains(err.Error(), "github-token") {
		t.Errorf("New(no token) = %v", err)
	}
}

// A function name from the pull request's template cannot end the marker's HTML comment early
// (and show what follows, or hide the rest of the comment); one replacement of "--" could.
func TestMarkerStaysAComment(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"fn/api", "x --->@octocat<img src=x>", "a\n-->b", "---->", "a--!>b"} {
		m := Marker(name)
		inner := strings.TrimSuffix(strings.TrimPrefix(m, "<!--"), "-->")
		if strings.Contains(inner, "--") || strings.ContainsAny(inner, "<>@\n") || !strings.HasPrefix(m, "<!-- coldbench:sticky handler=") {
			t.Errorf("Marker(%q) = %q: the comment ends before its end", name, m)
		}
	}
	if old := strings.ReplaceAll("x --->", "--", "-"); !strings.Contains(old, "-->") {
		t.Fatalf("one replacement gives %q: the attack does not work on it, so this test proves nothing", old)
	}
}

// Each conclusion has its commit status; one coldbench does not use is an error, not a pass.
func TestConclusionStatus(t *testing.T) {
	t.Parallel()
	for c, want := range map[Conclusion]StatusState{
		ConclusionSuccess: StatusSuccess, ConclusionNeutral: StatusSuccess, ConclusionFailure: StatusFailure,
		"": StatusError, "cancelled": StatusError,
	} {
		if got := c.Status(); got != want {
			t.Errorf("Conclusion(%q).Status() = %q, want %q", c, got, want)
		}
	}
}

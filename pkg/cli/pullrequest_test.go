package cli

import (
	"encoding/json"
	"testing"

	"github.com/sethvargo/go-githubactions"
)

// The pull request is read with go-github's event type: number, both SHAs, and whether the head
// is a fork's; an event that is not a pull request's gives none.
func TestPullRequestOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event string
		want  pullRequest
	}{
		{`{"pull_request": {"number": 7, "head": {"sha": "h1", "repo": {"full_name": "me/fork"}}, "base": {"sha": "b1", "repo": {"full_name": "org/repo"}}}}`,
			pullRequest{number: 7, headSHA: "h1", baseSHA: "b1", fork: true}},
		{`{"pull_request": {"number": 8, "head": {"sha": "h2", "repo": {"full_name": "org/repo"}}, "base": {"sha": "b2", "repo": {"full_name": "org/repo"}}}}`,
			pullRequest{number: 8, headSHA: "h2", baseSHA: "b2"}},
		{`{"pull_request": {"number": 9, "head": {"sha": "h3", "repo": null}, "base": {"sha": "b3"}}}`,
			pullRequest{number: 9, headSHA: "h3", baseSHA: "b3"}}, // a deleted fork: unknown, not a fork
		{`{"ref": "refs/heads/main", "after": "abc"}`, pullRequest{}},
		{`{"pull_request": "not an object"}`, pullRequest{}},
	}
	for _, tc := range tests {
		var ev map[string]any
		if err := json.Unmarshal([]byte(tc.event), &ev); err != nil {
			t.Fatal(err)
		}
		if got := pullRequestOf(ev); got != tc.want {
			t.Errorf("pullRequestOf(%s) = %+v, want %+v", tc.event, got, tc.want)
		}
	}
}

// A head slot's owner is the repository and pull request (a push to it keeps its caches, another
// pull request, of this repository or another, gets empty ones), else the repository and ref.
func TestActionSlotOwner(t *testing.T) {
	t.Parallel()
	owner := func(repo string, pr int, ref string) string {
		return actionOptions{repository: repo, pr: pullRequest{number: pr, headSHA: "h" + ref}, gh: &githubactions.GitHubContext{Ref: ref}}.slotOwner()
	}
	if a, b := owner("org/repo", 7, "refs/pull/7/merge"), owner("org/repo", 7, "refs/pull/7/head"); a != b {
		t.Errorf("one pull request, two owners: %q, %q", a, b)
	}
	all := []string{owner("org/repo", 7, ""), owner("org/repo", 8, ""), owner("me/fork", 7, ""),
		owner("org/repo", 0, "refs/heads/main"), owner("org/repo", 0, "refs/heads/dev"), owner("org/other", 0, "refs/heads/main")}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a == b {
				t.Errorf("two runs' heads share the owner %q: %q", a, all)
			}
		}
	}
}

// Only a push's or a schedule's commit is vouched for as the repository's own code.
func TestActionTrustedHead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		event string
		pr    int
		want  string
	}{{"push", 0, "c1"}, {"schedule", 0, "c1"}, {"pull_request", 7, ""}, {"pull_request_target", 7, ""}, {"workflow_dispatch", 0, ""}, {"issue_comment", 0, ""}} {
		o := actionOptions{pr: pullRequest{number: tc.pr}, gh: &githubactions.GitHubContext{EventName: tc.event, SHA: "c1"}}
		if got := o.trustedHead(); got != tc.want {
			t.Errorf("%s: trusted head %q, want %q", tc.event, got, tc.want)
		}
	}
}

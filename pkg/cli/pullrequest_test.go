package cli

import (
	"encoding/json"
	"testing"
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

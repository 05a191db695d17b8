// Package publish puts results where pull-request authors look: one sticky comment per pull
// request and handler, one check run per run, and a commit status where checks are not allowed.
// It talks to GitHub through go-github and retries what GitHub asks to be retried.
package publish

import (
	"context"
	"errors"
	"fmt"
	"github.com/coldbench/coldbench/pkg/report"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/google/go-github/v60/github"
)

// Publisher posts to one repository.
type Publisher struct {
	client      *github.Client
	owner, repo string
	// Retry governs retries of 5xx answers and rate limits.
	Retry Retry
}

// Retry is a backoff policy: Attempts tries in all, waiting Base, 2*Base, 4*Base... between them,
// or what GitHub's Retry-After asks for, whichever is longer, but never more than Max.
type Retry struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
	// Sleep waits; tests replace it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetry waits 1 s, 2 s, 4 s, 8 s between five attempts, up to a minute for a Retry-After.
var DefaultRetry = Retry{Attempts: 5, Base: time.Second, Max: time.Minute, Sleep: sleepCtx}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New returns a Publisher for repository ("owner/name") on the API at apiURL (GITHUB_API_URL,
// e.g. https://api.github.com or https://ghe.example.com/api/v3).
func New(httpClient *http.Client, apiURL, token, repository string) (*Publisher, error) {
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("repository %q: want owner/name", repository)
	}
	if token == "" {
		return nil, errors.New("no GitHub token: set the github-token input (the workflow's GITHUB_TOKEN by default)")
	}
	c := github.NewClient(httpClient).WithAuthToken(token)
	if apiURL != "" {
		u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
		if err != nil {
			return nil, fmt.Errorf("GitHub API URL %q: %w", apiURL, err)
		}
		c.BaseURL = u
	}
	c.UserAgent = "coldbench"
	return &Publisher{client: c, owner: owner, repo: repo, Retry: DefaultRetry}, nil
}

// Marker is the hidden HTML comment that makes a comment coldbench's sticky one for a handler.
// The handler may be a function's name from the pull request's template: it is kept on one line
// with no "--" (which could end the comment: "--->" loses only one dash to a single
// replacement), and no '<', '>' or '@' (each becomes '_').
func Marker(handler string) string {
	if handler == "" {
		handler = "references"
	}
	handler = strings.Map(func(c rune) rune {
		switch {
		case c == '<' || c == '>' || c == '@' || unicode.IsControl(c) || unicode.Is(unicode.Cf, c) || unicode.IsSpace(c) && c != ' ':
			return '_'
		}
		return c
	}, handler)
	for strings.Contains(handler, "--") {
		handler = strings.ReplaceAll(handler, "--", "-")
	}
	return fmt.Sprintf("<!-- coldbench:sticky handler=%s -->", handler)
}

// FindComment returns the pull request's comment carrying marker, or nil. It pages through every
// comment: a busy pull request has more than one page.
//
// GitHub API docs: https://docs.github.com/rest/issues/comments#list-issue-comments
func (p *Publisher) FindComment(ctx context.Context, pr int, marker string) (*github.IssueComment, error) {
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var comments []*github.IssueComment
		var resp *github.Response
		err := p.do(ctx, "list comments", func() (*github.Response, error) {
			var err error
			comments, resp, err = p.client.Issues.ListComments(ctx, p.owner, p.repo, pr, opt)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range comments {
			if strings.Contains(c.GetBody(), marker) {
				return c, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}

// UpsertComment edits the pull request's sticky comment in place, or creates it. The body gets
// the marker; created reports whether a new comment was made.
//
// GitHub API docs: https://docs.github.com/rest/issues/comments#create-an-issue-comment
// and https://docs.github.com/rest/issues/comments#update-an-issue-comment
func (p *Publisher) UpsertComment(ctx context.Context, pr int, marker, body string) (id int64, created bool, err error) {
	existing, err := p.FindComment(ctx, pr, marker)
	if err != nil {
		return 0, false, err
	}
	full := marker + "\n" + body
	if existing != nil {
		err = p.do(ctx, "update comment", func() (*github.Response, error) {
			_, resp, err := p.client.Issues.EditComment(ctx, p.owner, p.repo, existing.GetID(), &github.IssueComment{Body: github.String(full)})
			return resp, err
		})
		return existing.GetID(), false, err
	}
	var c *github.IssueComment
	err = p.do(ctx, "create comment", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		c, resp, err = p.client.Issues.CreateComment(ctx, p.owner, p.repo, pr, &github.IssueComment{Body: github.String(full)})
		return resp, err
	})
	if err != nil {
		return 0, false, err
	}
	return c.GetID(), true, nil
}

// StartCheck creates a check run in progress on sha and returns its id.
//
// GitHub API docs: https://docs.github.com/rest/checks/runs#create-a-check-run
func (p *Publisher) StartCheck(ctx context.Context, name, sha, title string) (int64, error) {
	var run *github.CheckRun
	err := p.do(ctx, "create check run", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		run, resp, err = p.client.Checks.CreateCheckRun(ctx, p.owner, p.repo, github.CreateCheckRunOptions{
			Name:      name,
			HeadSHA:   sha,
			Status:    github.String("in_progress"),
			StartedAt: &github.Timestamp{Time: time.Now()},
			Output:    &github.CheckRunOutput{Title: github.String(title), Summary: github.String("Building and sampling cold starts…")},
		})
		return resp, err
	})
	if err != nil {
		return 0, err
	}
	return run.GetID(), nil
}

// Conclusion is a check run's conclusion.
//
// GitHub API docs: https://docs.github.com/rest/checks/runs#update-a-check-run
type Conclusion string

// Check run conclusions coldbench uses.
const (
	ConclusionSuccess Conclusion = "success"
	ConclusionFailure Conclusion = "failure"
	ConclusionNeutral Conclusion = "neutral"
)

// StatusState is a commit status's state.
//
// GitHub API docs: https://docs.github.com/rest/commits/statuses#create-a-commit-status
type StatusState string

// The commit status states.
const (
	StatusSuccess StatusState = "success"
	StatusFailure StatusState = "failure"
	StatusError   StatusState = "error"
)

// Status is the commit status that stands for c where check runs are forbidden: a neutral
// check passes as a status does (statuses have no neutral). A conclusion coldbench does not
// use is an error, never a silent pass.
func (c Conclusion) Status() StatusState {
	switch c {
	case ConclusionSuccess, ConclusionNeutral:
		return StatusSuccess
	case ConclusionFailure:
		return StatusFailure
	}
	return StatusError
}

// MaxCheckSummary is GitHub's limit for a check run's output.summary.
const MaxCheckSummary = 65535

// CompleteCheck completes check run id with its conclusion and Markdown summary; with id 0 it
// creates the run already completed (the run was never started, e.g. `coldbench publish`).
//
// GitHub API docs: https://docs.github.com/rest/checks/runs#update-a-check-run
func (p *Publisher) CompleteCheck(ctx context.Context, id int64, name, sha string, conclusion Conclusion, title, summary string) (int64, error) {
	summary = report.Shorten(summary, MaxCheckSummary, "\n\n_…truncated; see the results JSON._")
	out := &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary)}
	now := &github.Timestamp{Time: time.Now()}
	if id == 0 {
		var run *github.CheckRun
		err := p.do(ctx, "create check run", func() (*github.Response, error) {
			var resp *github.Response
			var err error
			run, resp, err = p.client.Checks.CreateCheckRun(ctx, p.owner, p.repo, github.CreateCheckRunOptions{
				Name: name, HeadSHA: sha, Status: github.String("completed"), Conclusion: github.String(string(conclusion)),
				CompletedAt: now, Output: out,
			})
			return resp, err
		})
		if err != nil {
			return 0, err
		}
		return run.GetID(), nil
	}
	err := p.do(ctx, "complete check run", func() (*github.Response, error) {
		_, resp, err := p.client.Checks.UpdateCheckRun(ctx, p.owner, p.repo, id, github.UpdateCheckRunOptions{
			Name: name, Status: github.String("completed"), Conclusion: github.String(string(conclusion)), CompletedAt: now, Output: out,
		})
		return resp, err
	})
	return id, err
}

// SetStatus sets a commit status, the fallback where a token may not create check runs.
//
// GitHub API docs: https://docs.github.com/rest/commits/statuses#create-a-commit-status
func (p *Publisher) SetStatus(ctx context.Context, sha string, state StatusState, statusContext, description string) error {
	description = report.Shorten(description, 140, "...")
	return p.do(ctx, "create commit status", func() (*github.Response, error) {
		_, resp, err := p.client.Repositories.CreateStatus(ctx, p.owner, p.repo, sha, &github.RepoStatus{
			State: github.String(string(state)), Context: github.String(statusContext), Description: github.String(description),
		})
		return resp, err
	})
}

// IsForbidden reports whether err means the token may not do this (a fork's read-only token,
// missing permissions): a reason to skip publishing, not to fail the benchmark.
func IsForbidden(err error) bool {
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil {
		switch ge.Response.StatusCode {
		case http.StatusForbidden, http.StatusUnauthorized:
			return true
		case http.StatusNotFound:
			// GitHub answers 404 instead of 403 where revealing the resource would leak it.
			return strings.Contains(ge.Message, "Not Found")
		}
	}
	return false
}

// do runs op, retrying 5xx answers, secondary rate limits and exhausted primary rate limits with
// backoff, honouring Retry-After. Other errors return at once, wrapped with what was being done.
func (p *Publisher) do(ctx context.Context, what string, op func() (*github.Response, error)) error {
	r := p.Retry
	if r.Attempts < 1 {
		r.Attempts = 1
	}
	if r.Sleep == nil {
		r.Sleep = sleepCtx
	}
	wait := r.Base
	var err error
	for attempt := 1; ; attempt++ {
		var resp *github.Response
		resp, err = op()
		if err == nil {
			return nil
		}
		after, retry := retryable(resp, err)
		if !retry || attempt >= r.Attempts {
			break
		}
		d := max(wait, after)
		if r.Max > 0 && d > r.Max {
			d = r.Max
		}
		if serr := r.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("%s: %w", what, serr)
		}
		wait *= 2
	}
	return fmt.Errorf("%s: %w", what, err)
}

func retryable(resp *github.Response, err error) (time.Duration, bool) {
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		return abuse.GetRetryAfter(), true
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return time.Until(rl.Rate.Reset.Time), true
	}
	if resp != nil && resp.StatusCode >= 500 {
		return retryAfter(resp.Header.Get("Retry-After")), true
	}
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode >= 500 {
		return retryAfter(ge.Response.Header.Get("Retry-After")), true
	}
	return 0, false
}

func retryAfter(h string) time.Duration {
	var secs int
	if _, err := fmt.Sscanf(h, "%d", &secs); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}

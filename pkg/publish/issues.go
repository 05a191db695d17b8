package publish

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// The scheduled refresh keeps one issue per change point of a handler's history: opened when the
// change is first found, edited as later runs sharpen its estimate, closed when the change is
// reverted or when it is no longer found, and left closed once a maintainer accepts it (closes it,
// or labels it AcceptedLabel). Each issue carries a hidden marker with its change's key.

// AcceptedLabel is the label a maintainer puts on a change point's issue to accept the change:
// the refresh closes it and never reopens it.
const AcceptedLabel = "accepted"

// ChangeIssue is the issue one change point should have.
type ChangeIssue struct {
	// Key names the change ("handlers/go init_ms <first commit at the new level>"); Aliases are
	// the keys the same change had when the history was shorter (its commit a point or two
	// away), so a change whose estimate moved keeps its issue.
	Key     string
	Aliases []string
	Title   string
	Body    string
	// Resolved, when set, says why the change is over (reverted at a later commit): its issue
	// is closed with it as the last comment, and none is opened.
	Resolved string
}

// IssueSync is what SyncChangeIssues did, by issue number.
type IssueSync struct {
	Opened, Updated, Unchanged, Closed, Accepted []int
}

// ChangeMarker is the hidden comment that ties an issue to a change point's key.
func ChangeMarker(key string) string {
	return "<!-- coldbench:change key=" + markerSafe(key) + " -->"
}

var reChangeMarker = regexp.MustCompile(`<!-- coldbench:change key=(.*?) -->`)

func markerSafe(s string) string {
	s = strings.Map(func(c rune) rune {
		if c == '<' || c == '>' || c == '\n' || c == '\r' {
			return '_'
		}
		return c
	}, s)
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	return s
}

// SyncChangeIssues makes the repository's issues labelled label match want for the changes whose
// keys start with scope (one handler's): a new change gets an issue, a known one is edited when
// its text changed, a resolved one is closed with its reason, an accepted one (labelled
// AcceptedLabel) is closed, and an open issue whose change is no longer found is closed saying
// so. A closed issue is never reopened.
//
// GitHub API docs: https://docs.github.com/rest/issues/issues#list-repository-issues,
// https://docs.github.com/rest/issues/issues#create-an-issue,
// https://docs.github.com/rest/issues/issues#update-an-issue and
// https://docs.github.com/rest/issues/comments#create-an-issue-comment
func (p *Publisher) SyncChangeIssues(ctx context.Context, label, scope string, want []ChangeIssue) (IssueSync, error) {
	var sync IssueSync
	existing, err := p.changeIssues(ctx, label)
	if err != nil {
		return sync, err
	}
	matched := map[int]bool{}
	find := func(ci ChangeIssue) *github.Issue {
		var found *github.Issue
		for _, k := range append([]string{ci.Key}, ci.Aliases...) {
			for _, is := range existing[markerSafe(k)] {
				if matched[is.GetNumber()] {
					continue
				}
				if found == nil || is.GetState() == "open" && found.GetState() != "open" {
					found = is
				}
			}
			if found != nil {
				return found
			}
		}
		return nil
	}
	for _, ci := range want {
		is := find(ci)
		body := ChangeMarker(ci.Key) + "\n" + ci.Body
		switch {
		case is == nil && ci.Resolved != "":
			// Reverted before an issue was ever opened: nothing to say.
		case is == nil:
			var created *github.Issue
			err := p.do(ctx, "create issue", func() (*github.Response, error) {
				var resp *github.Response
				var err error
				created, resp, err = p.client.Issues.Create(ctx, p.owner, p.repo, &github.IssueRequest{
					Title: github.String(ci.Title), Body: github.String(body), Labels: &[]string{label}})
				return resp, err
			})
			if err != nil {
				return sync, err
			}
			matched[created.GetNumber()] = true
			sync.Opened = append(sync.Opened, created.GetNumber())
		case is.GetState() != "open":
			matched[is.GetNumber()] = true // closed by a maintainer or by us: stays closed
		case hasLabel(is, AcceptedLabel):
			matched[is.GetNumber()] = true
			if err := p.closeIssue(ctx, is.GetNumber(), "Accepted (labelled `"+AcceptedLabel+"`): coldbench will not reopen this.", "completed"); err != nil {
				return sync, err
			}
			sync.Accepted = append(sync.Accepted, is.GetNumber())
		case ci.Resolved != "":
			matched[is.GetNumber()] = true
			if err := p.closeIssue(ctx, is.GetNumber(), ci.Resolved, "completed"); err != nil {
				return sync, err
			}
			sync.Closed = append(sync.Closed, is.GetNumber())
		case is.GetBody() != body || is.GetTitle() != ci.Title:
			matched[is.GetNumber()] = true
			err := p.do(ctx, "update issue", func() (*github.Response, error) {
				_, resp, err := p.client.Issues.Edit(ctx, p.owner, p.repo, is.GetNumber(), &github.IssueRequest{
					Title: github.String(ci.Title), Body: github.String(body)})
				return resp, err
			})
			if err != nil {
				return sync, err
			}
			sync.Updated = append(sync.Updated, is.GetNumber())
		default:
			matched[is.GetNumber()] = true
			sync.Unchanged = append(sync.Unchanged, is.GetNumber())
		}
	}
	// Open issues of this scope whose change point is gone.
	var stale []int
	for key, list := range existing {
		if !strings.HasPrefix(key, markerSafe(scope)+" ") {
			continue
		}
		for _, is := range list {
			if is.GetState() == "open" && !matched[is.GetNumber()] {
				stale = append(stale, is.GetNumber())
			}
		}
	}
	slices.Sort(stale)
	for _, n := range stale {
		if err := p.closeIssue(ctx, n, "This change point is no longer found in the history (the later runs put the level back, or it was noise that more runs averaged out).", "not_planned"); err != nil {
			return sync, err
		}
		sync.Closed = append(sync.Closed, n)
	}
	return sync, nil
}

// changeIssues lists every issue labelled label (open and closed, every page) by its marker key.
func (p *Publisher) changeIssues(ctx context.Context, label string) (map[string][]*github.Issue, error) {
	out := map[string][]*github.Issue{}
	opt := &github.IssueListByRepoOptions{State: "all", Labels: []string{label}, ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.Issue
		var resp *github.Response
		err := p.do(ctx, "list issues", func() (*github.Response, error) {
			var err error
			page, resp, err = p.client.Issues.ListByRepo(ctx, p.owner, p.repo, opt)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, is := range page {
			if m := reChangeMarker.FindStringSubmatch(is.GetBody()); m != nil && !is.IsPullRequest() {
				out[m[1]] = append(out[m[1]], is)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// closeIssue comments why and closes the issue with reason (completed or not_planned).
func (p *Publisher) closeIssue(ctx context.Context, number int, why, reason string) error {
	err := p.do(ctx, "comment on issue", func() (*github.Response, error) {
		_, resp, err := p.client.Issues.CreateComment(ctx, p.owner, p.repo, number, &github.IssueComment{Body: github.String(why)})
		return resp, err
	})
	if err != nil {
		return err
	}
	return p.do(ctx, "close issue", func() (*github.Response, error) {
		_, resp, err := p.client.Issues.Edit(ctx, p.owner, p.repo, number, &github.IssueRequest{
			State: github.String("closed"), StateReason: github.String(reason)})
		return resp, err
	})
}

func hasLabel(is *github.Issue, label string) bool {
	return slices.ContainsFunc(is.Labels, func(l *github.Label) bool { return l.GetName() == label })
}

// String says what the sync did in a line.
func (s IssueSync) String() string {
	return fmt.Sprintf("issues: %d opened %v, %d updated %v, %d unchanged, %d closed %v, %d accepted %v",
		len(s.Opened), s.Opened, len(s.Updated), s.Updated, len(s.Unchanged), len(s.Closed), s.Closed, len(s.Accepted), s.Accepted)
}

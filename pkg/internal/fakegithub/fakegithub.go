// Package fakegithub is a stateful stand-in for the parts of GitHub's REST API coldbench uses:
// issue comments, check runs, commit statuses and issues (issues.go). It rejects what GitHub would reject (wrong
// method, missing auth, malformed or incomplete bodies) and fails the test on any route it does not
// know, so a test passes only when the real go-github client sends what GitHub expects.
package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Prefix is the API's path prefix, as on GitHub Enterprise (/api/v3): a client that ignores the
// base URL's path hits unknown routes.
const Prefix = "/api/v3"

// Comment is a stored issue comment.
type Comment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// CheckRun is a stored check run.
type CheckRun struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	HeadSHA    string `json:"head_sha"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion,omitempty"`
	Title      string `json:"-"`
	Summary    string `json:"-"`
	Updates    int    `json:"-"`
}

// Status is a stored commit status.
type Status struct {
	SHA, State, Context, Description string
}

// Server is the fake API.
type Server struct {
	*httptest.Server
	t     testing.TB
	Token string
	Repo  string // owner/name

	mu       sync.Mutex
	nextID   int64
	comments map[int][]*Comment // by issue number
	issues   []*Issue
	checks   []*CheckRun
	statuses []Status
	requests []string // "METHOD path" in order
	// failures queued per route key ("POST comments"): status codes to answer before succeeding.
	failures map[string][]int
	// Forbid makes every write answer 403 as GitHub does for a fork's read-only token.
	Forbid bool
	// ForbidChecks makes check-run writes answer 403 (a token without checks: write).
	ForbidChecks bool
}

// New starts a fake for repo ("owner/name") that accepts token.
func New(t testing.TB, repo, token string) *Server {
	s := &Server{t: t, Token: token, Repo: repo, comments: map[int][]*Comment{}, failures: map[string][]int{}, nextID: 1000}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL is the API base URL to hand to clients (GITHUB_API_URL).
func (s *Server) APIURL() string { return s.Server.URL + Prefix }

// RateLimited, queued with FailNext, answers 403 as GitHub does for a secondary rate limit
// (with Retry-After: 1); a plain 403 is "Resource not accessible by integration", which no
// retry helps.
const RateLimited = 1403

// Comments returns copies of the comments on an issue, oldest first.
func (s *Server) Comments(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Comment, 0, len(s.comments[issue]))
	for _, c := range s.comments[issue] {
		out = append(out, *c)
	}
	return out
}

// AddComment stores a comment written by someone else, as if it had been posted.
func (s *Server) AddComment(issue int, c Comment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.comments[issue] = append(s.comments[issue], &c)
}

// Checks returns copies of the check runs, in creation order.
func (s *Server) Checks() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRun, 0, len(s.checks))
	for _, c := range s.checks {
		out = append(out, *c)
	}
	return out
}

// Statuses returns the commit statuses set, in order.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses)
}

// Requests returns "METHOD path" of every request, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// FailNext makes the next requests to route answer with the given statuses, in order
// (RateLimited for a secondary rate limit).
func (s *Server) FailNext(route string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[route] = append(s.failures[route], statuses...)
}

// Count returns how many requests matched "METHOD path-suffix".
func (s *Server) Count(method, suffix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if strings.HasPrefix(r, method+" ") && strings.HasSuffix(r, suffix) {
			n++
		}
	}
	return n
}

var (
	reComments     = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$`)
	reComment      = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$`)
	reCheckRuns    = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/check-runs$`)
	reCheckRun     = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/check-runs/(\d+)$`)
	reIssues       = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues$`)
	reIssue        = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)$`)
	reStatuses     = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/statuses/([0-9a-f]{40})$`)
	validStatus    = map[string]bool{"queued": true, "in_progress": true, "completed": true}
	validConclude  = map[string]bool{"success": true, "failure": true, "neutral": true, "cancelled": true, "skipped": true, "timed_out": true, "action_required": true}
	validStatusSet = map[string]bool{"error": true, "failure": true, "pending": true, "success": true}
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	path, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		s.unknown(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	if r.Method != http.MethodGet && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.t.Errorf("fakegithub: %s %s without a JSON content type", r.Method, path)
	}
	route, repo, id := s.route(r.Method, path)
	if route == "" {
		s.unknown(w, r)
		return
	}
	if repo != s.Repo {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	s.mu.Lock()
	if q := s.failures[route]; len(q) > 0 {
		status := q[0]
		s.failures[route] = q[1:]
		s.mu.Unlock()
		switch status {
		case RateLimited:
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
		case http.StatusForbidden:
			writeJSON(w, status, map[string]string{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"})
		default:
			writeJSON(w, status, map[string]string{"message": "Server Error"})
		}
		return
	}
	forbid := s.Forbid && r.Method != http.MethodGet || s.ForbidChecks && strings.Contains(route, "check")
	s.mu.Unlock()
	if forbid {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest"})
		return
	}
	switch route {
	case "GET comments":
		s.listComments(w, r, int(id))
	case "POST comments":
		s.createComment(w, r, int(id))
	case "PATCH comment":
		s.editComment(w, r, id)
	case "POST check-runs":
		s.createCheck(w, r)
	case "PATCH check-run":
		s.updateCheck(w, r, id)
	case "POST statuses":
		s.createStatus(w, r, path[strings.LastIndex(path, "/")+1:])
	default:
		s.serveIssues(w, r, route, int(id))
	}
}

func (s *Server) route(method, path string) (route, repo string, id int64) {
	type pat struct {
		re     *regexp.Regexp
		name   string
		method []string
	}
	for _, p := range []pat{
		{reComments, "comments", []string{"GET", "POST"}},
		{reComment, "comment", []string{"PATCH"}},
		{reCheckRuns, "check-runs", []string{"POST"}},
		{reCheckRun, "check-run", []string{"PATCH"}},
		{reStatuses, "statuses", []string{"POST"}},
		{reIssues, "issues", []string{"GET", "POST"}},
		{reIssue, "issue", []string{"GET", "PATCH"}},
	} {
		m := p.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		for _, allowed := range p.method {
			if method == allowed {
				if len(m) > 2 {
					id, _ = strconv.ParseInt(m[2], 10, 64)
				}
				return method + " " + p.name, m[1], id
			}
		}
		return "", "", 0
	}
	return "", "", 0
}

func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	s.t.Errorf("fakegithub: unexpected request %s %s", r.Method, r.URL.Path)
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

// decode reads a JSON body strictly; a field GitHub does not know is a client bug.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.t.Errorf("fakegithub: %s %s: bad body: %v", r.Method, r.URL.Path, err)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return false
	}
	return true
}

func (s *Server) invalid(w http.ResponseWriter, r *http.Request, msg string) {
	s.t.Errorf("fakegithub: %s %s: %s", r.Method, r.URL.Path, msg)
	writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Validation Failed: " + msg})
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, issue int) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page <= 0 {
		page = 1
	}
	s.mu.Lock()
	all := s.comments[issue]
	from, to := min((page-1)*per, len(all)), min(page*per, len(all))
	out := append([]*Comment(nil), all[from:to]...)
	if to < len(all) {
		next := *r.URL
		q := next.Query()
		q.Set("page", strconv.Itoa(page+1))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, s.Server.URL, next.RequestURI()))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, issue int) {
	var body struct {
		Body string `json:"body"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	if body.Body == "" {
		s.invalid(w, r, "body is missing")
		return
	}
	if len(body.Body) > 65536 {
		s.invalid(w, r, "body is too long (maximum is 65536 characters)")
		return
	}
	s.mu.Lock()
	s.nextID++
	c := &Comment{ID: s.nextID, Body: body.Body}
	s.comments[issue] = append(s.comments[issue], c)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request, id int64) {
	var body struct {
		Body string `json:"body"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	if body.Body == "" || len(body.Body) > 65536 {
		s.invalid(w, r, "body is missing or too long")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range s.comments {
		for _, c := range cs {
			if c.ID == id {
				c.Body = body.Body
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

type checkBody struct {
	Name        *string `json:"name"`
	HeadSHA     *string `json:"head_sha"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title   *string `json:"title"`
		Summary *string `json:"summary"`
		Text    *string `json:"text"`
	} `json:"output"`
}

func (s *Server) checkOutput(w http.ResponseWriter, r *http.Request, b checkBody) bool {
	if b.Status != nil && !validStatus[*b.Status] {
		s.invalid(w, r, "status "+*b.Status)
		return false
	}
	if b.Conclusion != nil && !validConclude[*b.Conclusion] {
		s.invalid(w, r, "conclusion "+*b.Conclusion)
		return false
	}
	if b.Status != nil && *b.Status == "completed" && b.Conclusion == nil {
		s.invalid(w, r, "conclusion is required when status is completed")
		return false
	}
	if b.Output != nil {
		if b.Output.Title == nil || b.Output.Summary == nil {
			s.invalid(w, r, "output needs title and summary")
			return false
		}
		if len(*b.Output.Summary) > 65535 {
			s.invalid(w, r, "output.summary is too long (maximum is 65535 characters)")
			return false
		}
	}
	return true
}

func (s *Server) createCheck(w http.ResponseWriter, r *http.Request) {
	var b checkBody
	if !s.decode(w, r, &b) || !s.checkOutput(w, r, b) {
		return
	}
	if b.Name == nil || *b.Name == "" || b.HeadSHA == nil || len(*b.HeadSHA) != 40 {
		s.invalid(w, r, "name and a 40-character head_sha are required")
		return
	}
	s.mu.Lock()
	s.nextID++
	c := &CheckRun{ID: s.nextID, Name: *b.Name, HeadSHA: *b.HeadSHA, Status: "queued"}
	applyCheck(c, b)
	s.checks = append(s.checks, c)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) updateCheck(w http.ResponseWriter, r *http.Request, id int64) {
	var b checkBody
	if !s.decode(w, r, &b) || !s.checkOutput(w, r, b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.checks {
		if c.ID == id {
			applyCheck(c, b)
			c.Updates++
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func applyCheck(c *CheckRun, b checkBody) {
	if b.Name != nil {
		c.Name = *b.Name
	}
	if b.Status != nil {
		c.Status = *b.Status
	}
	if b.Conclusion != nil {
		c.Conclusion = *b.Conclusion
		c.Status = "completed"
	}
	if b.Output != nil {
		c.Title, c.Summary = *b.Output.Title, *b.Output.Summary
	}
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, sha string) {
	var b struct {
		State       string `json:"state"`
		Context     string `json:"context"`
		Description string `json:"description"`
		TargetURL   string `json:"target_url"`
	}
	if !s.decode(w, r, &b) {
		return
	}
	if !validStatusSet[b.State] || len(b.Description) > 140 {
		s.invalid(w, r, "state must be error, failure, pending or success; description at most 140 characters")
		return
	}
	s.mu.Lock()
	s.statuses = append(s.statuses, Status{SHA: sha, State: b.State, Context: b.Context, Description: b.Description})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

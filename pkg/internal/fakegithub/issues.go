package fakegithub

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Issue is a stored issue.
type Issue struct {
	Number      int       `json:"number"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	State       string    `json:"state"`
	StateReason string    `json:"state_reason,omitempty"`
	Labels      []Label   `json:"labels"`
	HTMLURL     string    `json:"html_url"`
	CreatedAt   time.Time `json:"created_at"`
	Updates     int       `json:"-"`
}

// Label is an issue's label, as GitHub returns it.
type Label struct {
	Name string `json:"name"`
}

// HasLabel reports whether the issue carries label.
func (i Issue) HasLabel(label string) bool {
	return slices.ContainsFunc(i.Labels, func(l Label) bool { return l.Name == label })
}

// Issues returns copies of the issues, by number.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, i := range s.issues {
		c := *i
		c.Labels = slices.Clone(i.Labels)
		out = append(out, c)
	}
	return out
}

// EditIssue changes an issue as a maintainer would on the website (close it, label it).
func (s *Server) EditIssue(number int, edit func(*Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.issues {
		if i.Number == number {
			edit(i)
		}
	}
}

var (
	validIssueState  = map[string]bool{"open": true, "closed": true}
	validStateReason = map[string]bool{"completed": true, "not_planned": true, "reopened": true}
)

type issueBody struct {
	Title       *string   `json:"title"`
	Body        *string   `json:"body"`
	State       *string   `json:"state"`
	StateReason *string   `json:"state_reason"`
	Labels      *[]string `json:"labels"`
	Assignees   *[]string `json:"assignees"`
	Milestone   *int      `json:"milestone"`
}

func (s *Server) serveIssues(w http.ResponseWriter, r *http.Request, route string, number int) {
	switch route {
	case "GET issues":
		s.listIssues(w, r)
	case "POST issues":
		s.createIssue(w, r)
	case "GET issue", "PATCH issue":
		s.mu.Lock()
		var found *Issue
		for _, i := range s.issues {
			if i.Number == number {
				found = i
			}
		}
		s.mu.Unlock()
		if found == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		if route == "PATCH issue" {
			s.editIssue(w, r, found)
			return
		}
		s.mu.Lock()
		c := *found
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, c)
	default:
		s.unknown(w, r)
	}
}

// listIssues answers GET /repos/{owner}/{repo}/issues: state (open, closed, all; default open),
// labels (comma-separated, all of them), per_page and page, with a Link header to the next page.
func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		s.invalid(w, r, "state must be open, closed or all")
		return
	}
	var labels []string
	if l := q.Get("labels"); l != "" {
		labels = strings.Split(l, ",")
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	s.mu.Lock()
	var all []Issue
	for _, i := range s.issues {
		if state != "all" && i.State != state {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && i.HasLabel(strings.TrimSpace(l))
		}
		if ok {
			all = append(all, *i)
		}
	}
	s.mu.Unlock()
	// GitHub lists the newest first.
	slices.Reverse(all)
	from, to := min((page-1)*per, len(all)), min(page*per, len(all))
	if to < len(all) {
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		w.Header().Set("Link", `<`+s.Server.URL+next.RequestURI()+`>; rel="next"`)
	}
	out := all[from:to]
	if out == nil {
		out = []Issue{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request) {
	var b issueBody
	if !s.decode(w, r, &b) {
		return
	}
	if b.Title == nil || *b.Title == "" {
		s.invalid(w, r, "title is missing")
		return
	}
	if b.Body != nil && len(*b.Body) > 65536 {
		s.invalid(w, r, "body is too long (maximum is 65536 characters)")
		return
	}
	if b.State != nil || b.StateReason != nil {
		s.invalid(w, r, "an issue is created open: state is not a field of create")
		return
	}
	s.mu.Lock()
	i := &Issue{Number: len(s.issues) + 1, Title: *b.Title, State: "open", CreatedAt: time.Now().UTC()}
	i.HTMLURL = "https://github.com/" + s.Repo + "/issues/" + strconv.Itoa(i.Number)
	s.mu.Unlock()
	if !s.applyIssue(w, r, i, b) {
		return
	}
	s.mu.Lock()
	s.issues = append(s.issues, i)
	c := *i
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) editIssue(w http.ResponseWriter, r *http.Request, i *Issue) {
	var b issueBody
	if !s.decode(w, r, &b) {
		return
	}
	if b.Title != nil && *b.Title == "" {
		s.invalid(w, r, "title cannot be empty")
		return
	}
	if b.State != nil && !validIssueState[*b.State] {
		s.invalid(w, r, "state must be open or closed")
		return
	}
	if b.StateReason != nil && !validStateReason[*b.StateReason] {
		s.invalid(w, r, "state_reason must be completed, not_planned or reopened")
		return
	}
	if !s.applyIssue(w, r, i, b) {
		return
	}
	s.mu.Lock()
	i.Updates++
	c := *i
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) applyIssue(w http.ResponseWriter, r *http.Request, i *Issue, b issueBody) bool {
	if b.Body != nil && len(*b.Body) > 65536 {
		s.invalid(w, r, "body is too long (maximum is 65536 characters)")
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Title != nil {
		i.Title = *b.Title
	}
	if b.Body != nil {
		i.Body = *b.Body
	}
	if b.State != nil {
		i.State = *b.State
		if *b.State == "open" {
			i.StateReason = ""
		}
	}
	if b.StateReason != nil {
		i.StateReason = *b.StateReason
	}
	if b.Labels != nil {
		i.Labels = nil
		for _, l := range *b.Labels {
			i.Labels = append(i.Labels, Label{Name: l})
		}
	}
	return true
}

package cli

import (
	"context"
	"github.com/coldbench/coldbench/pkg/results"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/publish"
)

const headSHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

func minimalResults(verdict results.Verdict) *results.Results {
	return &results.Results{SchemaVersion: 1, Verdict: verdict,
		GitHub: &results.GitHubContext{Repository: repository, PullRequest: 2, HeadSHA: headSHA, Handler: "fn"}}
}

// on-change posts only when the verdict is news, but keeps an existing comment current.
func TestPublishOnChange(t *testing.T) {
	t.Parallel()
	gh := fakegithub.New(t, repository, token)
	pub, err := publish.New(http.DefaultClient, gh.APIURL(), token, repository)
	if err != nil {
		t.Fatal(err)
	}
	opts := publishOptions{comment: "on-change", checkName: "coldbench", failOnRegression: true}
	ctx := context.Background()
	publishResults(ctx, pub, minimalResults(results.NoChange), opts, 0, true)
	if len(gh.Comments(2)) != 0 || len(gh.Checks()) != 1 || gh.Checks()[0].Conclusion != "success" {
		t.Fatalf("no change: %d comments, checks %+v; want no comment and a successful check", len(gh.Comments(2)), gh.Checks())
	}
	publishResults(ctx, pub, minimalResults(results.Regression), opts, 0, true)
	if len(gh.Comments(2)) != 1 || gh.Checks()[1].Conclusion != "failure" {
		t.Fatalf("regression: %d comments, check %+v", len(gh.Comments(2)), gh.Checks()[1])
	}
	regressionBody := gh.Comments(2)[0].Body
	publishResults(ctx, pub, minimalResults(results.NoChange), opts, 0, true)
	if len(gh.Comments(2)) != 1 || gh.Comments(2)[0].Body == regressionBody || !strings.Contains(gh.Comments(2)[0].Body, "Cold start: none") {
		t.Errorf("back to no change: the existing comment was not updated: %q", gh.Comments(2)[0].Body)
	}
	if gh.Count("PATCH", "") != 1 {
		t.Errorf("%d comment edits, want 1", gh.Count("PATCH", ""))
	}
}

// `coldbench publish` posts a results file from a second workflow, with the context it carries.
func TestPublishCommand(t *testing.T) {
	t.Parallel()
	gh := fakegithub.New(t, repository, token)
	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "results.json"))
	_ = results.WriteJSON(f, minimalResults(results.Improvement))
	f.Close()
	env, out, errb := testEnv(dir)
	vars := map[string]string{"GITHUB_TOKEN": token, "GITHUB_API_URL": gh.APIURL()}
	env.Getenv = func(k string) string { return vars[k] }
	if code := Main(context.Background(), []string{"publish", "results.json"}, env); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if len(gh.Comments(2)) != 1 || len(gh.Checks()) != 1 || gh.Checks()[0].HeadSHA != headSHA || gh.Checks()[0].Conclusion != "success" {
		t.Errorf("publish: comments %d, checks %+v", len(gh.Comments(2)), gh.Checks())
	}
	if !strings.Contains(out.String(), "Cold start") {
		t.Errorf("stdout %q", out)
	}
	env.Getenv = func(string) string { return "" }
	if code := Main(context.Background(), []string{"publish", "results.json"}, env); code != ExitBadInput || !strings.Contains(errb.String(), "no token in $GITHUB_TOKEN") {
		t.Errorf("publish without a token: exit %d, %s", code, errb)
	}
}

// A base that could not be measured is news under on-change too, and concludes neutral.
func TestPublishNotCompared(t *testing.T) {
	t.Parallel()
	gh := fakegithub.New(t, repository, token)
	pub, err := publish.New(http.DefaultClient, gh.APIURL(), token, repository)
	if err != nil {
		t.Fatal(err)
	}
	opts := publishOptions{comment: "on-change", checkName: "coldbench", failOnRegression: true}
	publishResults(context.Background(), pub, minimalResults(results.NotCompared), opts, 0, true)
	if len(gh.Comments(2)) != 1 || len(gh.Checks()) != 1 || gh.Checks()[0].Conclusion != "neutral" {
		t.Errorf("not compared: %d comments, checks %+v; want a comment and a neutral check", len(gh.Comments(2)), gh.Checks())
	}
}

// `coldbench publish` reads a results file that a pull request's run wrote, so all of it is the
// pull request's: its handler name, run address and verdict reach the comment and the log inert.
func TestPublishHostileResults(t *testing.T) {
	t.Parallel()
	gh := fakegithub.New(t, repository, token)
	dir := t.TempDir()
	r := minimalResults("none\n::set-output name=verdict::none\n##[add-mask]x")
	r.GitHub.Handler = "fn --->\n@octocat <img src=x> [click](https://evil.example)"
	r.GitHub.RunURL = "https://github.com/x/y/actions/runs/1) @octocat ![i](https://evil.example/p.png"
	f, _ := os.Create(filepath.Join(dir, "results.json"))
	_ = results.WriteJSON(f, r)
	f.Close()
	env, out, errb := testEnv(dir)
	vars := map[string]string{"GITHUB_TOKEN": token, "GITHUB_API_URL": gh.APIURL()}
	env.Getenv = func(k string) string { return vars[k] }
	if code := Main(context.Background(), []string{"publish", "results.json"}, env); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if c := runnerCommands(out.String() + "\n" + errb.String()); len(c) > 0 {
		t.Errorf("the log runs %v:\n%s%s", c, out, errb)
	}
	if len(runnerCommands(string(r.Verdict))) == 0 {
		t.Fatal("the verdict holds no command the runner would run: this test proves nothing")
	}
	if len(gh.Comments(2)) != 1 {
		t.Fatalf("%d comments, want 1", len(gh.Comments(2)))
	}
	body := gh.Comments(2)[0].Body
	marker, shown, _ := strings.Cut(body, "\n") // the marker is an HTML comment: not shown
	if !strings.HasPrefix(marker, "<!-- coldbench:sticky handler=") || strings.Count(body, "-->") != 1 {
		t.Errorf("the marker %q does not hold the whole name until its one end", marker)
	}
	for _, bad := range []string{"@octocat", "<img", "--->"} {
		if strings.Contains(body, bad) {
			t.Errorf("comment holds %q:\n%s", bad, body)
		}
	}
	for _, l := range linesOutsideFences(shown) {
		if strings.HasPrefix(strings.TrimSpace(l), "::") || strings.Contains(l, "##[") {
			t.Errorf("outside code, the comment's line %q reads as a workflow command", l)
		}
	}
	if l := regexp.MustCompile(`(^|[^\\])\]\(`).FindString(shown); l != "" {
		t.Errorf("comment links from a name or address (%q):\n%s", l, body)
	}
}

package cli

import (
	"context"
	"github.com/coldbench/coldbench/pkg/results"
	"net/http"
	"os"
	"path/filepath"
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

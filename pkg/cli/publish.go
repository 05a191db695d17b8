package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/publish"
	"github.com/coldbench/coldbench/pkg/report"
)

// publishCmd posts a results file to its pull request: the second half of the fork-safe pattern,
// run by a workflow_run workflow that has a writable token but never runs the fork's code.
func publishCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	comment := fs.String("comment", "always", "post the sticky comment: always, on-change, never")
	checkName := fs.String("check-name", "coldbench", "name of the check run")
	failOn := fs.Bool("fail-on-regression", true, "conclude the check as failure on a regression")
	repo := fs.String("repo", "", "owner/name (default: from the results, else GITHUB_REPOSITORY)")
	pr := fs.Int("pr", 0, "pull request number (default: from the results)")
	sha := fs.String("sha", "", "commit for the check run (default: from the results)")
	tokenEnv := fs.String("token-env", "GITHUB_TOKEN", "environment variable holding the token")
	if done, err := parseFlags(fs, args, env, "\nArguments: RESULTS.json\n"); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	var problems []string
	if fs.NArg() != 1 {
		problems = append(problems, "want exactly one results file: coldbench publish [flags] results.json")
	}
	if !slices.Contains(commentModes, *comment) {
		problems = append(problems, fmt.Sprintf("--comment %q: valid values are %s", *comment, strings.Join(commentModes, ", ")))
	}
	token := env.Getenv(*tokenEnv)
	if token == "" {
		problems = append(problems, fmt.Sprintf("no token in $%s (pass the workflow's GITHUB_TOKEN with pull-requests: write and checks: write)", *tokenEnv))
	}
	if len(problems) > 0 {
		return badInput(errors.New(strings.Join(problems, "; ")))
	}
	res, err := results.ReadFile(resolve(env.Dir, fs.Arg(0)))
	if err != nil {
		return badInput(err)
	}
	gh := res.GitHub
	if gh == nil {
		gh = &results.GitHubContext{}
	}
	if *repo != "" {
		gh.Repository = *repo
	} else if gh.Repository == "" {
		gh.Repository = env.Getenv("GITHUB_REPOSITORY")
	}
	if *pr != 0 {
		gh.PullRequest = *pr
	}
	if *sha != "" {
		gh.HeadSHA = *sha
	}
	res.GitHub = gh
	if gh.PullRequest == 0 && gh.HeadSHA == "" {
		return badInput(errors.New("the results name no pull request or commit: pass --pr and --sha"))
	}
	pub, err := publish.New(&http.Client{Timeout: 30 * time.Second}, cmp.Or(env.Getenv("GITHUB_API_URL"), "https://api.github.com"), token, gh.Repository)
	if err != nil {
		return badInput(err)
	}
	opts := publishOptions{comment: *comment, checkName: *checkName, failOnRegression: *failOn}
	// The results file comes from a pull request's run: what it says is printed LogSafe.
	for _, w := range publishResults(ctx, pub, res, opts, 0, true) {
		fmt.Fprint(env.Stderr, report.LogSafe("warning: "+w+"\n"))
	}
	fmt.Fprint(env.Stdout, report.LogSafe(report.Headline(res)+"\n"))
	return nil
}

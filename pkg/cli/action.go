package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/coldbench/coldbench/pkg/baseline"
	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/git"
	"github.com/coldbench/coldbench/pkg/publish"
	"github.com/coldbench/coldbench/pkg/report"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// actionOnlyInputs are action.yml's inputs that are no setting of config.Settings: actionCmd
// reads them itself. Every other input is a setting's (its Input).
var actionOnlyInputs = []string{"github-token", "comment", "fail-on-regression", "check-name", "config"}

// Comment modes.
var commentModes = []string{"always", "on-change", "never"}

// publishOptions say how results are posted.
type publishOptions struct {
	comment          string
	checkName        string
	failOnRegression bool
}

// actionOptions is everything the action's inputs and event say, validated.
type actionOptions struct {
	cfg          config.Config
	handlerInput string // the handler as the user wrote it, for titles and markers
	publish      publishOptions
	token        string
	workspace    string
	repository   string
	headSHA      string
	pr           pullRequest
	gh           *githubactions.GitHubContext
}

// actionCmd is the container's entry point: it reads the inputs and the event, runs the benchmark,
// and posts one sticky comment and one check run. Posting never fails the benchmark: a read-only
// token (a fork's pull request) gets one warning, and the summary and results JSON are still written.
func actionCmd(ctx context.Context, args []string, env Env) error {
	gha := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
	opts, err := parseAction(ctx, gha, env)
	if err != nil {
		return withCode(ExitBadInput, err)
	}
	return runAction(ctx, gha, opts, env)
}

// parseAction reads the inputs and the event; every bad input is reported at once, as an
// annotation each.
func parseAction(ctx context.Context, gha *githubactions.Action, env Env) (actionOptions, error) {
	var o actionOptions
	o.token = gha.GetInput("github-token")
	if o.token != "" {
		gha.AddMask(o.token)
	}
	// Read once, kept in memory only: no child process coldbench starts inherits it, whatever
	// environment it is given. (Its initial copy in /proc/PID/environ is out of the sandbox's
	// reach: another user, and coldbench is non-dumpable.)
	if env.Unsetenv != nil {
		for _, k := range []string{"INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN"} {
			env.Unsetenv(k)
		}
	}
	o.gh, _ = gha.Context() // numeric fields that fail to parse are not ones coldbench uses
	o.workspace = cmp.Or(o.gh.Workspace, env.Dir)

	// The pull request, from the event: number, head, base, and whether it comes from a fork.
	o.pr = pullRequestOf(o.gh.Event)
	given := actionGiven(gha)
	// The workspace is the pull request's checkout: its coldbench.yml gives the head's function
	// settings only, the base revision's its judge settings (loadSettings).
	name := cmp.Or(gha.GetInput("config"), "coldbench.yml")
	cfg, problems := loadSettings(ctx, loadSpec{dir: o.workspace, config: name, explicit: name != "coldbench.yml", configName: "input config",
		given: given, action: true, prBase: o.pr.baseSHA})
	var ps []string
	o.publish, ps = publishInputs(gha)
	problems = append(problems, ps...)
	if _, err := os.Stat(resolve(o.workspace, cfg.Event)); err == nil && cfg.Event != "" {
		cfg.Event = resolve(o.workspace, cfg.Event)
	}
	o.handlerInput = cfg.Handler
	cfg.Handler = resolve(o.workspace, cfg.Handler)
	if ps := settleFunction(&cfg, o.workspace, "input template: "); len(ps) > 0 {
		problems = append(problems, ps...)
	} else if o.handlerInput == "" && cfg.Handler != "" {
		o.handlerInput = cfg.Function // titles and the comment's marker name the function
	}
	defaultFunctions(&cfg, o.pr.number > 0)
	if o.handlerInput == "" && cfg.Handler == "" {
		wholeHandler(&cfg, o.workspace)
	}
	if o.handlerInput == "" && cfg.SeveralFunctions() {
		o.handlerInput = relTo(o.workspace, cfg.Template) // one comment for the whole app
	}
	for _, v := range cfg.SecretLooking() {
		gha.AddMask(v) // the function's own secrets (the template's too) stay out of the log
	}
	cfg.Store, cfg.Baseline = resolve(o.workspace, cfg.Store), resolve(o.workspace, cfg.Baseline)
	if err := placeCacheDir(ctx, &cfg, o.workspace, env); err != nil {
		problems = append(problems, "input cache-dir: "+err.Error())
	}
	cfg.Quiet = false
	if err := cfg.Validate(func(f string) string { return "input " + inputName(f) }, build.Vocabulary()); err != nil {
		problems = append(problems, asProblems(err)...)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			gha.Errorf("%s", p)
		}
		return o, badInput(problems)
	}

	o.repository, o.headSHA = o.gh.Repository, o.gh.SHA
	if o.pr.number > 0 {
		o.headSHA = o.pr.headSHA
	}
	if err := o.pickBase(ctx, gha, &cfg); err != nil {
		return o, err
	}
	o.cfg = cfg
	return o, nil
}

// actionGiven are the settings given as action inputs.
func actionGiven(gha *githubactions.Action) []config.Given {
	var given []config.Given
	for _, st := range config.Settings {
		if st.Input == "" {
			continue
		}
		if v := gha.GetInput(st.Input); v != "" {
			given = append(given, config.Given{Key: st.Name, Text: v, Name: "input " + st.Input})
		}
	}
	return given
}

// publishInputs reads how to publish: the comment mode, the check's name, whether a regression
// fails the check; with the problems of their values.
func publishInputs(gha *githubactions.Action) (publishOptions, []string) {
	var problems []string
	o := publishOptions{comment: cmp.Or(gha.GetInput("comment"), "always"), checkName: cmp.Or(gha.GetInput("check-name"), "coldbench"), failOnRegression: true}
	if !slices.Contains(commentModes, o.comment) {
		problems = append(problems, fmt.Sprintf("input comment %q: valid values are %s", o.comment, strings.Join(commentModes, ", ")))
	}
	if v := gha.GetInput("fail-on-regression"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("input fail-on-regression %q: valid values are true, false", v))
		}
		o.failOnRegression = b
	}
	return o, problems
}

// placeCacheDir settles the cache dir and refuses one the pull request could have committed.
// The default cache is outside the checkout: in the container's home, which is the runner's
// runner.temp/_github_home, where actions/cache can restore it and the pull request cannot
// commit to it.
func placeCacheDir(ctx context.Context, cfg *config.Config, workspace string, env Env) error {
	switch {
	case cfg.CacheDir == "" && sandbox.Off("cachedir"): // the hostile tests' control: the old default
		cfg.CacheDir = ".coldbench/cache"
	case cfg.CacheDir == "" && env.Getenv("HOME") != "":
		cfg.CacheDir = filepath.Join(env.Getenv("HOME"), ".cache", "coldbench")
	}
	cfg.CacheDir = resolve(workspace, cfg.CacheDir)
	return trustedCacheDir(ctx, workspace, cfg.CacheDir)
}

// pickBase makes base, where no base or baseline was given, the merge-base of what was checked
// out (the PR head, or GitHub's merge commit whose first parent is the base) and the pull
// request's base: exactly the change the PR brings. A push or a schedule has no base.
func (o *actionOptions) pickBase(ctx context.Context, gha *githubactions.Action, cfg *config.Config) error {
	app := cfg.Handler == "" && cfg.SeveralFunctions()
	if cfg.Handler == "" && !app || cfg.Base != "" || cfg.Baseline != "" {
		return nil
	}
	if o.pr.baseSHA == "" {
		cfg.Base = "none" // no base unless base-ref names one
		return nil
	}
	at := cfg.Handler
	if app {
		at = cfg.Template
	}
	root, err := git.RepoRoot(ctx, dirOf(at))
	if err != nil {
		return badInput(fmt.Errorf("input handler %q: %w", o.handlerInput, err))
	}
	mb, err := git.MergeBase(ctx, root, "HEAD", o.pr.baseSHA)
	if err != nil {
		gha.Errorf("%v", err)
		return badInput(err)
	}
	cfg.Base = mb
	return nil
}

// runAction runs the benchmark, writes the outputs and the job summary, and publishes.
func runAction(ctx context.Context, gha *githubactions.Action, o actionOptions, env Env) error {
	pub := o.publisher(gha)
	var checkID int64
	checksAllowed := pub != nil && o.headSHA != ""
	if checksAllowed {
		id, err := pub.StartCheck(ctx, o.publish.checkName, o.headSHA, "Measuring cold starts")
		switch {
		case err == nil:
			checkID = id
		case publish.IsForbidden(err):
			checksAllowed = false
			gha.Warningf("cannot create check runs (%v): falling back to a commit status; grant checks: write to the job", firstLine(err.Error()))
		default:
			gha.Warningf("could not start the check run: %v", err)
		}
	}

	// Builds, samples and the report print what the pull request's code wrote: with the runner's
	// commands paused (see stopCommands), and coldbench's own issued only between pauses.
	logw := &stopCommands{w: env.Stdout}
	defer logw.resume()
	penv := env
	penv.Stdout, penv.Stderr = logw, logw
	p, err := withApp(newPipeline(o.cfg, penv, logw), o.cfg, o.workspace)
	var res *results.Results
	if err == nil {
		// $COLDBENCH_SLOT_OWNER, as for the CLI: the workflow's word (as its inputs are), for a
		// runner that names its jobs' owners itself, and for the tests, whose many repositories
		// would otherwise each start from empty caches.
		p.SlotOwner, p.TrustedHead = cmp.Or(env.Getenv("COLDBENCH_SLOT_OWNER"), o.slotOwner()), o.trustedHead()
		res, err = runPipeline(ctx, p)
	}
	logw.resume()
	if err != nil {
		if res != nil {
			// Cancelled while sampling: the files hold what was measured (and, on Lambda, paid for).
			werr := outputDir(o.workspace)
			if werr == nil {
				werr = writeOutputs(res, actionFiles(o), env)
			}
			if werr != nil {
				gha.Warningf("could not write the partial results: %v", werr)
			}
		}
		if checkID != 0 {
			_, _ = pub.CompleteCheck(ctx, checkID, o.publish.checkName, o.headSHA, publish.ConclusionFailure, "coldbench failed", report.Fence(err.Error()))
		}
		gha.Errorf("%v", err)
		return withCode(ExitFailure, err)
	}
	res.GitHub = &results.GitHubContext{Repository: o.repository, PullRequest: o.pr.number, HeadSHA: o.headSHA, Event: o.gh.EventName, Handler: o.handlerInput}
	if o.gh.ServerURL != "" && o.gh.RunID != 0 {
		res.GitHub.RunURL = fmt.Sprintf("%s/%s/actions/runs/%d", o.gh.ServerURL, o.repository, o.gh.RunID)
	}
	if err := o.writeFiles(gha, res, env); err != nil {
		return failure(err)
	}
	if pub != nil {
		t := env.Now()
		for _, w := range publishResults(ctx, pub, res, o.publish, checkID, checksAllowed) {
			gha.Warningf("%s", w)
		}
		// The results file was written before posting; it gets the publish time too.
		res.Phases["publish"] = float64(env.Now().Sub(t).Microseconds()) / 1000
		if err := writeOutputs(res, actionFiles(o), env); err != nil {
			gha.Warningf("could not rewrite the results with the publish time: %v", err)
		}
	}
	report.WriteText(logw, res, report.TextOptions{})
	logw.resume()
	code := exitCode(res)
	if code == ExitRegression && !o.publish.failOnRegression && !results.BudgetsExceeded(res.Budgets) {
		code = ExitOK
	}
	return exit(code)
}

// slotOwner is whose code the head builds run, for the sandbox's caches
// (pipeline.Pipeline.SlotOwner): the repository and pull request, so that a push to the pull
// request keeps its warm caches and no other pull request reads them; for a push, a schedule or a
// dispatch, the repository and the ref (a branch's own pushes share caches, another branch's do
// not).
func (o actionOptions) slotOwner() string {
	if o.pr.number > 0 {
		return fmt.Sprintf("pull request %s#%d", o.repository, o.pr.number)
	}
	ref := ""
	if o.gh != nil {
		ref = o.gh.Ref
	}
	return fmt.Sprintf("%s %s", o.repository, cmp.Or(ref, o.headSHA))
}

// trustedHead is the commit a push or a schedule runs on (GITHUB_SHA): the repository's own code,
// as trusted as base (pipeline.Pipeline.TrustedHead). Nothing for any other event: a pull
// request's, and a comment's or a dispatch's, whose workflow may check out anyone's code.
func (o actionOptions) trustedHead() string {
	if o.gh == nil || o.pr.number > 0 || o.gh.EventName != "push" && o.gh.EventName != "schedule" {
		return ""
	}
	return o.gh.SHA
}

// actionFiles is the configuration with the action's output files, in the workspace.
func actionFiles(o actionOptions) config.Config {
	outDir := filepath.Join(o.workspace, ".coldbench")
	cfg := o.cfg
	cfg.JSON, cfg.Markdown = filepath.Join(outDir, "results.json"), filepath.Join(outDir, "report.md")
	cfg.HTML = filepath.Join(outDir, "report.html")
	return cfg
}

// publisher is the GitHub client to post with, or nil where nothing may be posted (no token, a
// fork's read-only token), with a warning saying why.
func (o actionOptions) publisher(gha *githubactions.Action) *publish.Publisher {
	switch {
	case o.token == "":
		gha.Warningf("no github-token: results go to the job summary and outputs only")
		return nil
	case o.pr.fork:
		gha.Warningf("pull request from a fork: its token is read-only, so no comment or check is posted here; the job summary and results JSON are written, and `coldbench publish` can post them from a workflow_run workflow (see the README)")
		return nil
	}
	pub, err := publish.New(&http.Client{Timeout: 30 * time.Second}, o.gh.APIURL, o.token, o.repository)
	if err != nil {
		gha.Warningf("not publishing: %v", err)
		return nil
	}
	return pub
}

// writeFiles writes the results, reports, job summary, outputs and annotations: always, whether
// or not anything may be posted. Files go to the workspace, named relative to it, so a later
// step (upload-artifact) sees the same path on the runner that the container wrote.
func (o actionOptions) writeFiles(gha *githubactions.Action, res *results.Results, env Env) error {
	if err := outputDir(o.workspace); err != nil {
		return err
	}
	if err := writeOutputs(res, actionFiles(o), env); err != nil {
		return err
	}
	gha.AddStepSummary(report.Markdown(res, report.MarkdownOptions{Title: title(o.handlerInput)}))
	if ss := storedTrend(o.cfg, o.workspace); len(ss) > 0 {
		gha.AddStepSummary(historyMarkdown(baseline.Key(storeRel(o.cfg, o.workspace)), ss))
	}
	gha.SetOutput("verdict", string(res.Verdict))
	gha.SetOutput("regression", strconv.FormatBool(res.Verdict == results.Regression))
	gha.SetOutput("results-json", ".coldbench/results.json")
	gha.SetOutput("report-markdown", ".coldbench/report.md")
	headline := report.Headline(res)
	switch res.Verdict {
	case results.Regression:
		gha.Errorf("%s", headline)
	case results.Inconclusive, results.NotCompared:
		gha.Warningf("%s", headline)
	default:
		gha.Noticef("%s", headline)
	}
	for _, w := range res.Warnings {
		gha.Warningf("%s", w.Message)
	}
	for _, f := range res.Functions { // a run of several functions: each one's own
		for _, w := range f.Warnings {
			gha.Warningf("%s: %s", results.CleanLine(f.Name, 100), w.Message)
		}
	}
	for _, b := range res.Budgets {
		metric := b.Metric
		if b.Function != "" {
			metric = results.CleanLine(b.Function, 100) + " " + metric
		}
		switch b.Verdict {
		case results.BudgetExceeded:
			gha.Errorf("budget %s exceeded: head %.1f, limit %.1f", metric, b.Value, b.Budget)
		case results.BudgetUncertain:
			gha.Warningf("budget %s: head %.1f is over the limit %.1f, but within the noise (95%% interval %.1f…%.1f)", metric, b.Value, b.Budget, b.CILow, b.CIHigh)
		}
	}
	return nil
}

// publishResults posts the comment and completes (or creates) the check run, falling back to a
// commit status where checks are forbidden. It returns warnings; it never fails the run.
func publishResults(ctx context.Context, pub *publish.Publisher, res *results.Results, opts publishOptions, checkID int64, checksAllowed bool) []string {
	var warnings []string
	gh := res.GitHub
	headline := report.Headline(res)
	conclusion := conclusionOf(res, opts.failOnRegression)
	if gh.HeadSHA != "" {
		if checksAllowed {
			md := report.Markdown(res, report.MarkdownOptions{Title: title(gh.Handler), Limit: publish.MaxCheckSummary})
			if _, err := pub.CompleteCheck(ctx, checkID, opts.checkName, gh.HeadSHA, conclusion, trimTitle(headline), md); err != nil {
				if publish.IsForbidden(err) {
					checksAllowed = false
				} else {
					warnings = append(warnings, "could not complete the check run: "+err.Error())
				}
			}
		}
		if !checksAllowed {
			if err := pub.SetStatus(ctx, gh.HeadSHA, conclusion.Status(), opts.checkName, headline); err != nil {
				warnings = append(warnings, "could not set a commit status either: "+firstLine(err.Error()))
			}
		}
	}
	if gh.PullRequest == 0 || opts.comment == "never" {
		return warnings
	}
	marker := publish.Marker(gh.Handler)
	// A base that could not be measured is news too: the pull request may be what broke it.
	if opts.comment == "on-change" && res.Verdict != results.Regression && res.Verdict != results.Improvement && res.Verdict != results.NotCompared {
		// Only update a comment that exists, so an old regression comment does not go stale.
		existing, err := pub.FindComment(ctx, gh.PullRequest, marker)
		if err != nil || existing == nil {
			if err != nil && !publish.IsForbidden(err) {
				warnings = append(warnings, "could not look for the comment: "+err.Error())
			}
			return warnings
		}
	}
	body := report.Markdown(res, report.MarkdownOptions{Title: title(gh.Handler), Limit: report.MaxCommentChars - len(marker) - 1})
	if runURL.MatchString(gh.RunURL) {
		footer := fmt.Sprintf("\n<sub>[workflow run](%s) · coldbench %s</sub>\n", gh.RunURL, Version)
		if len(body)+len(footer)+len(marker)+1 <= report.MaxCommentChars {
			body += footer
		}
	}
	if _, _, err := pub.UpsertComment(ctx, gh.PullRequest, marker, body); err != nil {
		if publish.IsForbidden(err) {
			warnings = append(warnings, "the token may not comment on this pull request (grant pull-requests: write); the report is in the job summary")
		} else {
			warnings = append(warnings, "could not post the comment: "+err.Error())
		}
	}
	return warnings
}

// runURL is what a workflow run's address looks like: the results file (which `coldbench publish`
// reads from a pull request's run) may hold anything else, and the footer links it.
var runURL = regexp.MustCompile(`^https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/actions/runs/[0-9]+$`)

// conclusionOf maps the verdict to a check conclusion.
func conclusionOf(res *results.Results, failOnRegression bool) publish.Conclusion {
	if len(res.Functions) > 0 {
		return worstConclusion(res, failOnRegression)
	}
	if exitCode(res) == ExitFailure {
		return publish.ConclusionFailure
	}
	if results.BudgetsExceeded(res.Budgets) {
		return publish.ConclusionFailure // a budget is a gate the user set explicitly
	}
	switch res.Verdict {
	case results.Regression:
		if failOnRegression {
			return publish.ConclusionFailure
		}
		return publish.ConclusionNeutral
	case results.NoChange, results.Improvement:
		return publish.ConclusionSuccess
	case results.NotCompared:
		// Nothing is known about the change: neither a pass nor a failure (a pull request that
		// breaks base must not pass by it; a base broken on main must not block every PR).
		return publish.ConclusionNeutral
	}
	return publish.ConclusionNeutral
}

type pullRequest struct {
	number           int
	headSHA, baseSHA string
	fork             bool
}

// pullRequestOf reads the pull request from a pull_request or pull_request_target event (the
// action's context holds it decoded; go-github's type reads it again).
func pullRequestOf(event map[string]any) pullRequest {
	raw, err := json.Marshal(event)
	if err != nil {
		return pullRequest{}
	}
	var ev github.PullRequestEvent
	if err := json.Unmarshal(raw, &ev); err != nil || ev.PullRequest == nil {
		return pullRequest{}
	}
	pr := ev.PullRequest
	out := pullRequest{number: pr.GetNumber(), headSHA: pr.GetHead().GetSHA(), baseSHA: pr.GetBase().GetSHA()}
	headRepo, baseRepo := pr.GetHead().GetRepo().GetFullName(), pr.GetBase().GetRepo().GetFullName()
	out.fork = headRepo != "" && baseRepo != "" && headRepo != baseRepo
	return out
}

// inputName is the action input of a setting (its own name when the action has none).
func inputName(field string) string {
	if s, ok := config.Lookup(field); ok && s.Input != "" {
		return s.Input
	}
	return field
}

func title(handler string) string {
	if handler == "" {
		return "coldbench"
	}
	return "coldbench · " + handler
}

// trimTitle keeps a check run title readable (GitHub shows one line).
func trimTitle(s string) string { return report.Shorten(s, 200, "...") }

// outputDir makes the workspace's .coldbench a directory of its own: the checkout is the pull
// request's, and a .coldbench it committed as a link (to .git, or anywhere) is removed, not
// written through.
func outputDir(workspace string) error {
	if sandbox.Off("saferoot") { // the hostile tests' control: the old, trusting mkdir
		return os.MkdirAll(filepath.Join(workspace, ".coldbench"), 0o755)
	}
	root, err := os.OpenRoot(workspace)
	if err != nil {
		return err
	}
	defer root.Close()
	if st, err := root.Lstat(".coldbench"); err == nil && !st.IsDir() {
		if err := root.Remove(".coldbench"); err != nil {
			return fmt.Errorf("remove the workspace's .coldbench (not a directory): %w", err)
		}
	}
	if err := root.Mkdir(".coldbench", 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

// trustedCacheDir refuses a cache dir inside the checkout that the pull request could have
// filled: one reached through a link, or holding files the repository tracks (a committed Go
// env file or a cargo config would be a build setting of the PR's, applied to base's build too).
// A cache dir outside the checkout is the workflow's own.
func trustedCacheDir(ctx context.Context, workspace, dir string) error {
	rel, err := filepath.Rel(workspace, dir)
	if dir == "" || err != nil || rel == ".." || strings.HasPrefix(rel, "../") || sandbox.Off("cachedir") {
		return nil
	}
	for p := workspace; rel != "."; {
		first, rest, _ := strings.Cut(rel, string(filepath.Separator))
		p = filepath.Join(p, first)
		if st, err := os.Lstat(p); err == nil && st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a link in the checkout: the cache must be a directory the pull request cannot choose", p)
		}
		if rest == "" {
			break
		}
		rel = rest
	}
	root, err := git.RepoRoot(ctx, workspace)
	if err != nil {
		return nil // not a checkout: nothing was committed to it
	}
	files, err := git.Tracked(ctx, root, dir)
	if err != nil {
		return err
	}
	if len(files) > 0 {
		return fmt.Errorf("%s holds %d file(s) the repository tracks (%s): a pull request could plant caches there; keep the cache outside the checkout (the default, $HOME/.cache/coldbench) or out of git", dir, len(files), files[0])
	}
	return nil
}

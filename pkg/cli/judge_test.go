package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
)

// The pull requests of these tests make the handler's init about twice as slow (a 0.1 s sleep
// becomes 0.2 s, some +90% of init) and try to get away with it through their own coldbench.yml.
const baseSleep, headSleep = "0.1", "0.2"

// actionResults reads the results the action wrote to the workspace.
func actionResults(t *testing.T, dir string, run actionRun) *results.Results {
	t.Helper()
	res, err := results.ReadFile(filepath.Join(dir, ".coldbench", "results.json"))
	if err != nil {
		t.Fatalf("exit %d, no results: %v\nstdout:\n%s\nstderr:\n%s", run.code, err, run.stdout, run.stderr)
	}
	return res
}

// stickyComment is the action's one comment on the pull request.
func stickyComment(t *testing.T, gh *fakegithub.Server) string {
	t.Helper()
	for _, c := range gh.Comments(2) {
		if strings.Contains(c.Body, "<!-- coldbench:sticky handler=fn -->") {
			return c.Body
		}
	}
	t.Fatal("no sticky comment")
	return ""
}

// A pull request cannot pass its regression by raising the threshold in its own coldbench.yml:
// the judge settings are the base revision's. The comment says what the head would change, and
// that it applies once merged. The control gives the same threshold as an input (the workflow's
// own word) and passes: so the file's threshold would have let the regression through had it
// been applied.
func TestActionHeadCannotRaiseItsOwnThreshold(t *testing.T) {
	t.Parallel()
	dir, event := repoWithPRSleeps(t, baseSleep, headSleep, map[string]string{"coldbench.yml": "threshold: 999\n"})
	gh := fakegithub.New(t, repository, token)

	run := runActionT(t, gh, dir, event, nil)
	res := actionResults(t, dir, run)
	if run.code != ExitRegression || res.Verdict != results.Regression || res.Config.ThresholdPct != 5 {
		t.Fatalf("head's threshold: 999: exit %d, verdict %s at threshold %v; want the regression caught at base's 5%%\n%s", run.code, res.Verdict, res.Config.ThresholdPct, run.stderr)
	}
	want := "threshold: (not set) → 999): this run used the base revision's, and the change applies once it is merged"
	if body := stickyComment(t, gh); !strings.Contains(body, want) {
		t.Errorf("the comment does not say what the head's coldbench.yml changes (%q):\n%s", want, body)
	}
	if c := res.Config.SettingChanges; len(c) != 1 || c[0] != (results.SettingChange{Key: "threshold", Head: "999"}) {
		t.Errorf("setting changes = %+v, want threshold → 999 alone", c)
	}

	control := runActionT(t, gh, dir, event, map[string]string{"threshold": "999"})
	res = actionResults(t, dir, control)
	if control.code != ExitOK || res.Verdict != results.NoChange {
		t.Fatalf("threshold 999 as an input: exit %d, verdict %s; want it applied (none, exit 0), or the test proves nothing\n%s", control.code, res.Verdict, control.stderr)
	}
}

// The head's own build command and environment are the head's: they neither build nor configure
// base. The head's build: rewrites the bootstrap it builds so that base's would sleep 1 s (on the
// head's own it matches nothing), and its env: sets a variable; base is built by coldbench from
// base's tree and runs without it, and the regression is caught. The control gives the same
// build and env as inputs, which apply to both sides: base is sabotaged, and the head "improves".
func TestActionHeadBuildAndEnvStayTheHeads(t *testing.T) {
	t.Parallel()
	build := `sed 's/^sleep ` + baseSleep + `$/sleep 1/' bootstrap > "$ARTIFACTS_DIR/bootstrap" && chmod 755 "$ARTIFACTS_DIR/bootstrap"`
	yml := "build: |\n  " + build + "\nenv:\n  FROM_HEAD: planted\nmemory: 1024\n"
	dir, event := repoWithPRSleeps(t, baseSleep, headSleep, map[string]string{"coldbench.yml": yml})
	gh := fakegithub.New(t, repository, token)

	run := runActionT(t, gh, dir, event, nil)
	res := actionResults(t, dir, run)
	head, base := res.Variant(results.RoleHead), res.Variant(results.RoleBase)
	if head == nil || base == nil || head.Deploy == nil || base.Deploy == nil {
		t.Fatalf("exit %d: want head and base built\n%s", run.code, run.stderr)
	}
	if !strings.HasPrefix(head.Deploy.Method, "your build command: sed") || base.Deploy.Method != "ready-made bootstrap, packaged as is" {
		t.Errorf("build methods: head %q, base %q; want the head's command for head and base's own packaging for base", head.Deploy.Method, base.Deploy.Method)
	}
	checkEnv := func(how, variant string, want bool, memory string) {
		t.Helper()
		for _, s := range res.SamplesOf(variant) {
			if s.InitOnly || s.Error != nil {
				continue
			}
			if got := strings.Contains(s.Response, "FROM_HEAD=planted"); got != want {
				t.Errorf("%s: %s's environment has FROM_HEAD: %v, want %v (%s)", how, variant, got, want, s.Response)
			}
			if !strings.Contains(s.Response, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+memory+";") {
				t.Errorf("%s: %s's memory is not its own revision's %s MB (%s)", how, variant, memory, s.Response)
			}
			return
		}
		t.Errorf("%s: no full sample of %s", how, variant)
	}
	checkEnv("head's env:", "head", true, "1024")
	checkEnv("head's env:", "base", false, "1769")
	if !hasWarning(res, "memory 1769 → 1024 MB") {
		t.Errorf("no note that head's and base's memory differ: %v", res.Warnings)
	}
	if run.code != ExitRegression || res.Verdict != results.Regression {
		t.Errorf("head's build: and env: exit %d, verdict %s; want the regression caught\n%s", run.code, res.Verdict, run.stderr)
	}

	control := runActionT(t, gh, dir, event, map[string]string{"build": build, "env": "FROM_HEAD=planted"})
	res = actionResults(t, dir, control)
	checkEnv("env input", "base", true, "1769")
	if res.Verdict != results.Improvement || control.code != ExitOK {
		t.Errorf("the same build as an input: exit %d, verdict %s; want base sabotaged (an improvement), or the test proves nothing\n%s", control.code, res.Verdict, control.stderr)
	}
}

// Where root writes and whom coldbench sends its AWS credentials to are never the repository's
// words: the head's coldbench.yml naming an endpoint of its own (and an output file) is refused
// before anything is built, and the endpoint hears nothing. The control passes the same endpoint
// as a flag: coldbench signs its requests for it with the job's credentials, so the key would
// have sent them to the pull request's server.
func TestHeadCannotChooseTheAWSEndpointOrOutputs(t *testing.T) {
	var mu sync.Mutex
	var heard []string
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		heard = append(heard, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, `{"message":"no"}`, http.StatusForbidden)
	}))
	defer attacker.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDJOBSECRET")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	yml := "mode: aws\naws-role-arn: arn:aws:iam::000000000000:role/x\naws-endpoint: " + attacker.URL + "\njson: /tmp/coldbench-owned.json\n"
	dir, event := repoWithPRSleeps(t, baseSleep, headSleep, map[string]string{"coldbench.yml": yml})
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-aws-credentials"))
	gh := fakegithub.New(t, repository, token)

	run := runActionT(t, gh, dir, event, nil)
	for _, want := range []string{"coldbench.yml: aws-endpoint is not settable from coldbench.yml: pass --aws-endpoint", "coldbench.yml: json is not settable from coldbench.yml: pass --json"} {
		if !strings.Contains(run.stdout, "::error::"+want) {
			t.Errorf("no error annotation %q:\n%s", want, run.stdout)
		}
	}
	if run.code != ExitBadInput || len(heard) != 0 || len(gh.Requests()) != 0 {
		t.Fatalf("head's aws-endpoint: exit %d, the endpoint heard %d requests, GitHub %d; want exit 2 and nothing sent", run.code, len(heard), len(gh.Requests()))
	}

	// Protection off: the same endpoint as the caller's own flag is used, with the job's key.
	env, _, _ := testEnv(dir)
	Main(context.Background(), []string{"run", "--config", "/dev/null", "--mode", "aws", "--aws-role-arn", "arn:aws:iam::000000000000:role/x", "--aws-endpoint", attacker.URL,
		"--handler", "fn", "--base", "none", "--samples", "2", "--references", "none", "--quiet"}, env)
	mu.Lock()
	defer mu.Unlock()
	if len(heard) == 0 || !strings.Contains(heard[0], "Credential=AKIDJOBSECRET/") {
		t.Errorf("the endpoint as a flag heard %q; want a request signed with the job's key, or the test proves nothing", heard)
	}
}

// Without a base revision the work tree's coldbench.yml is the only one, and its judge settings
// apply (a developer's own file); with one, they are the base's.
func TestRunJudgeSettingsWithAndWithoutABase(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPRSleeps(t, "0", "0", map[string]string{"coldbench.yml": "threshold: 30\nalpha: 0.05\n"})
	for _, tt := range []struct {
		base      string
		threshold float64
		changes   int
	}{
		{"none", 30, 0},
		{"master", 5, 2},
	} {
		code, res, log := runIn(t, dir, "--handler", "fn", "--base", tt.base, "--samples", "2", "--init-samples", "0")
		if res == nil || res.Config.ThresholdPct != tt.threshold || len(res.Config.SettingChanges) != tt.changes {
			t.Errorf("--base %s: exit %d, config %+v; want threshold %v and %d changes noted\n%s", tt.base, code, res, tt.threshold, tt.changes, log)
		}
	}
}

// A coldbench.yml outside the repository is the caller's own, and its judge settings apply; one
// that the pull request commits as a link to a file outside is still the repository's file, and
// its judge settings are the base's. (Deciding on the link's target would make the head's file
// the trusted one.)
func TestHeadsConfigLinkedOutIsStillTheHeads(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "evil.yml")
	testenv.Write(t, filepath.Dir(outside), "evil.yml", "threshold: 30\n")
	dir, _ := repoWithPRSleeps(t, "0", "0.01", nil)
	git := gitIn(t, dir)
	if err := os.Symlink(outside, filepath.Join(dir, "coldbench.yml")); err != nil {
		t.Fatal(err)
	}
	git("add", "coldbench.yml")
	git("commit", "-qm", "a link out")
	for _, tt := range []struct {
		args      []string
		threshold float64
	}{
		{nil, 5},                            // the repository's coldbench.yml, a link: base's settings
		{[]string{"--config", outside}, 30}, // the caller's own file, named by a flag
	} {
		args := append([]string{"--handler", "fn", "--base", "master", "--samples", "2", "--init-samples", "0"}, tt.args...)
		code, res, log := runIn(t, dir, args...)
		if res == nil || res.Config.ThresholdPct != tt.threshold {
			t.Errorf("%v: exit %d, results %v; want threshold %v\n%s", tt.args, code, res != nil, tt.threshold, log)
		}
	}
}

// The event is a judge setting: an event file of the repository is read as the trusted revision
// has it, whatever the pull request's work tree holds in its place.
func TestEventFileIsTheTrustedRevisions(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	dir := t.TempDir()
	git := gitIn(t, dir)
	git("init", "-q", "-b", "master")
	testenv.Write(t, dir, "events/get.json", `{"rawPath": "/"}`)
	git("add", ".")
	git("commit", "-qm", "base")
	testenv.Write(t, dir, "events/get.json", `{"rawPath": "/slow-for-base-only"}`)
	ctx := context.Background()
	root, sha := dir, strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	outside := filepath.Join(t.TempDir(), "mine.json")
	testenv.Write(t, filepath.Dir(outside), "mine.json", `{}`)
	for _, tt := range []struct{ event, want string }{
		{"events/get.json", `{"rawPath": "/"}`},
		{filepath.Join(dir, "events", "get.json"), `{"rawPath": "/"}`},
		{"apigw-v2", "apigw-v2"},
		{`{"inline": true}`, `{"inline": true}`},
		{outside, outside},
		{"events/new.json", "events/new.json"},
	} {
		if got := trustedEvent(ctx, root, sha, dir, tt.event); got != tt.want {
			t.Errorf("trustedEvent(%q) = %q, want %q", tt.event, got, tt.want)
		}
	}
}

// A pull request that deletes coldbench.yml is still judged by base's, and the change is noted;
// a bad judge value in the head's file is reported now, though it applies only once merged.
func TestHeadDeletingOrBreakingTheJudgeSettings(t *testing.T) {
	t.Parallel()
	dir, _ := repoWithPRSleeps(t, "0", "0.01", nil)
	git := gitIn(t, dir)
	git("checkout", "-q", "master")
	testenv.Write(t, dir, "coldbench.yml", "threshold: 30\n")
	git("add", ".")
	git("commit", "-qm", "settings")
	git("checkout", "-q", "changes")
	git("rebase", "-q", "master")
	git("rm", "-q", "coldbench.yml")
	git("commit", "-qm", "no settings")
	code, res, log := runIn(t, dir, "--handler", "fn", "--base", "master", "--samples", "2", "--init-samples", "0")
	if res == nil || res.Config.ThresholdPct != 30 || len(res.Config.SettingChanges) != 1 || res.Config.SettingChanges[0] != (results.SettingChange{Key: "threshold", Base: "30"}) {
		t.Errorf("head without coldbench.yml: exit %d, results %+v; want base's threshold 30 and the deletion noted\n%s", code, res, log)
	}
	testenv.Write(t, dir, "coldbench.yml", "threshold: lots\n")
	code, _, log = runIn(t, dir, "--handler", "fn", "--base", "master", "--samples", "2", "--init-samples", "0")
	if code != ExitBadInput || !strings.Contains(log, `coldbench.yml: threshold: "lots": invalid syntax`) {
		t.Errorf("head's threshold: lots: exit %d, want 2 and the value named\n%s", code, log)
	}
}

// Base's own files are confined to base's tree as the head's are to the work tree: a path base's
// coldbench.yml gives that leads out of base's worktree (through a link committed there) is
// refused for base, and nothing is read through it.
func TestBaseSidePathsStayInsideBasesTree(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "credentials")
	testenv.Write(t, filepath.Dir(secret), "credentials", "DB_PASSWORD=leaked\n")
	dir, _ := repoWithPRSleeps(t, "0", "0.01", nil)
	git := gitIn(t, dir)
	git("checkout", "-q", "master")
	if err := os.Symlink(secret, filepath.Join(dir, "env.txt")); err != nil {
		t.Fatal(err)
	}
	testenv.Write(t, dir, "coldbench.yml", "env-file: env.txt\n")
	git("add", ".")
	git("commit", "-qm", "base reads its env through a link")
	git("checkout", "-q", "changes")
	code, res, log := runIn(t, dir, "--handler", "fn", "--base", "master", "--samples", "2", "--init-samples", "0")
	base := res.Variant(results.RoleBase)
	if base == nil || !strings.Contains(base.BuildError, "leads outside the repository") || strings.Contains(log, "leaked") {
		t.Errorf("base's env-file through a link out of its tree: exit %d, base %+v; want it refused for base, nothing read\n%s", code, base, log)
	}
	for _, s := range res.SamplesOf("head") {
		if strings.Contains(s.Response, "leaked") {
			t.Errorf("head's sample saw base's secret: %s", s.Response)
		}
	}
}

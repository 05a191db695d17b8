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
}

// hostileRepo makes a checkout in the runner's layout: base and head commits, the checkout owned
// by the runner's user with world-readable files, and actions/checkout's persisted token in
// .git/config. It returns the workspace and the pull request's event file.
func hostileRepo(t *testing.T, base, head side) (dir, event string) {
	t.Helper()
	testenv.Tool(t, "git")
	testenv.Tool(t, "curl")
	dir = filepath.Join(t.TempDir(), "workspace")
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
	event = filepath.Join(t.TempDir(), "event.json")
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
		"COLDBENCH_TESTHOOK_OFF": off,
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := vars[k]; ok || strings.HasPrefix(k, "INPUT_") {
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
				r := actionHostileIn(t, files, run.bin, run.off, dir, event, map[string]string{"samples": "auto"}, extraPath)
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

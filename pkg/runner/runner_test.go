package runner

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// Artifacts built once for every test: a real aws-lambda-go handler, the tutorial's shell+curl
// custom runtime, and a static C runtime.
var artifacts = map[string]string{}

func TestMain(m *testing.M) {
	sandbox.Init()
	dir, err := os.MkdirTemp("", "runner-test-")
	if err != nil {
		panic(err)
	}
	err = buildArtifacts(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "building test handlers:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildArtifacts(dir string) error {
	goDir := filepath.Join(dir, "go")
	if err := os.MkdirAll(goDir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(goDir, "bootstrap"), "./internal/gohandler")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	if err := zipInto(goDir, filepath.Join(dir, "go.zip")); err != nil {
		return err
	}
	artifacts["go"] = filepath.Join(dir, "go.zip")
	if err := zipInto("testdata/shell", filepath.Join(dir, "shell.zip")); err != nil {
		return err
	}
	artifacts["shell"] = filepath.Join(dir, "shell.zip")

	// The floor benchmark's bootstrap: static, tiny (musl: 30 KB; glibc: 700 KB), no runtime library.
	for _, cc := range [][]string{{"musl-gcc", "-static", "-Os", "-s"}, {"gcc", "-static", "-Os", "-s"}} {
		if _, err := exec.LookPath(cc[0]); err != nil {
			continue
		}
		cDir := filepath.Join(dir, "c")
		_ = os.MkdirAll(cDir, 0o755)
		args := append(cc[1:], "-o", filepath.Join(cDir, "bootstrap"), "testdata/cboot/bootstrap.c")
		if out, err := exec.Command(cc[0], args...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "static C bootstrap not built with %s: %v\n%s", cc[0], err, out)
			continue
		}
		if err := zipInto(cDir, filepath.Join(dir, "c.zip")); err != nil {
			return err
		}
		artifacts["c"] = filepath.Join(dir, "c.zip")
		break
	}
	// A zip whose bootstrap lost its exec bit, and one without a bootstrap.
	noExec := filepath.Join(dir, "noexec")
	_ = os.MkdirAll(noExec, 0o755)
	_ = os.WriteFile(filepath.Join(noExec, "bootstrap"), []byte("#!/bin/sh\n"), 0o644)
	if err := zipInto(noExec, filepath.Join(dir, "noexec.zip")); err != nil {
		return err
	}
	artifacts["noexec"] = filepath.Join(dir, "noexec.zip")
	empty := filepath.Join(dir, "empty")
	_ = os.MkdirAll(empty, 0o755)
	_ = os.WriteFile(filepath.Join(empty, "handler.py"), []byte("print(1)\n"), 0o644)
	if err := zipInto(empty, filepath.Join(dir, "empty.zip")); err != nil {
		return err
	}
	artifacts["empty"] = filepath.Join(dir, "empty.zip")
	return nil
}

func zipInto(dir, out string) error {
	_, _, err := build.ZipDir(dir, out)
	return err
}

func need(t *testing.T, art string, tools ...string) string {
	t.Helper()
	p, ok := artifacts[art]
	if !ok {
		testenv.Missing(t, "test artifact "+art+" could not be built on this machine (see the test log)")
	}
	for _, tool := range tools {
		testenv.Tool(t, tool)
	}
	return p
}

func newTestRunner(t *testing.T, cfg Config) *Runner {
	t.Helper()
	if cfg.WorkDir == "" {
		cfg.WorkDir = testenv.SharedTempDir(t)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Sandbox == (sandbox.Identity{}) {
		// Users of its own for each runner, as each run has: the tests run in parallel (and
		// beside other coldbench processes), and a sample ends by killing every process of its
		// user.
		id, release, err := sandbox.Acquire(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
		cfg.Sandbox = id
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		// Nothing of any sample may remain in the work dir.
		entries, _ := os.ReadDir(cfg.WorkDir)
		if len(entries) != 0 {
			t.Errorf("work dir not cleaned: %d entries left", len(entries))
		}
	})
	return r
}

func TestServesRealRuntimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, art string
		tools     []string
		want      string
	}{
		{"aws-lambda-go", "go", nil, `"ok":true`},
		{"shell+curl tutorial runtime", "shell", []string{"bash", "curl"}, `"echo":{"hello":"coldbench"}`},
		{"static C runtime", "c", nil, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			art := need(t, tt.art, tt.tools...)
			r := newTestRunner(t, Config{Event: []byte(`{"hello":"coldbench"}`), WarmInvokes: 2})
			s := r.Sample(context.Background(), sampling.Variant{Name: tt.name, Artifact: art})
			if s.Error != nil {
				t.Fatalf("Sample() error = %v\noutput:\n%s", s.Error, s.Output)
			}
			if !strings.Contains(s.Response, tt.want) {
				t.Errorf("Sample().Response = %q, want it to contain %q", s.Response, tt.want)
			}
			if s.InitMs <= 0 || s.DurationMs <= 0 || s.ColdMs < s.InitMs+s.DurationMs*0.99 {
				t.Errorf("Sample() init=%v duration=%v cold=%v: want init, duration > 0 and cold >= init+duration", s.InitMs, s.DurationMs, s.ColdMs)
			}
			if len(s.WarmMs) != 2 {
				t.Errorf("Sample().WarmMs = %v, want 2 warm invokes", s.WarmMs)
			}
			if s.MaxMemoryMB <= 0 {
				t.Errorf("Sample().MaxMemoryMB = %v, want > 0", s.MaxMemoryMB)
			}
		})
	}
}

// Init Duration ends at the first /next, so a runtime that sleeps 200 ms before asking for its
// first event reports at least 200 ms (AWS's RIE would report ~0 here).
func TestInitIncludesTimeBeforeFirstNext(t *testing.T) {
	t.Parallel()
	for _, art := range []string{"go", "shell"} {
		t.Run(art, func(t *testing.T) {
			t.Parallel()
			p := need(t, art, "bash", "curl")
			r := newTestRunner(t, Config{})
			s := r.Sample(context.Background(), sampling.Variant{Name: art, Artifact: p, Env: map[string]string{"TEST_MODE": "sleep-init"}})
			if s.Error != nil {
				t.Fatalf("Sample() error = %v\n%s", s.Error, s.Output)
			}
			if s.InitMs < 200 || s.InitMs > 200+2000 {
				t.Errorf("Sample().InitMs = %.1f, want 200 ms plus the process start", s.InitMs)
			}
		})
	}
}

func TestMisbehavingHandlersAreFailedSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		art, mode  string
		wantType   string
		phase      results.Phase
		wantReason string
		needCgroup bool
	}{
		{"go", "panic-init", "Runtime.ExitError", "init", "exit status 2", false},
		{"go", "exit-init", "Runtime.ExitError", "init", "exit status 3", false},
		{"go", "hang-init", "Sandbox.Timedout", "init", "within 1s", false},
		{"go", "oom-init", "Runtime.OutOfMemory", "init", "128 MB limit", true},
		{"go", "error", "errorString", "invoke", "handler failed on purpose", false},
		{"go", "hang", "Sandbox.Timedout", "invoke", "timed out after 1.00 seconds", false},
		{"go", "exit-invoke", "Runtime.ExitError", "invoke", "exit status 4", false},
		{"go", "big", "Function.ResponseSizeTooLarge", "invoke", "exceeded maximum", false},
		{"shell", "init-error", "Runtime.ConfigError", "init", "missing configuration", false},
		{"shell", "error", "HandlerError", "invoke", "shell handler failed", false},
		{"shell", "big", "Function.ResponseSizeTooLarge", "invoke", "exceeded maximum", false},
		{"shell", "bad-id", "Sandbox.Timedout", "invoke", "unknown request id", false},
		{"noexec", "", "Runtime.InvalidEntrypoint", "init", "not executable", false},
		{"empty", "", "Runtime.InvalidEntrypoint", "init", "no bootstrap", false},
	}
	for _, tt := range tests {
		t.Run(tt.art+"/"+tt.mode, func(t *testing.T) {
			t.Parallel()
			p := need(t, tt.art, "bash", "curl")
			// A full vCPU, so a busy machine does not turn slow starts into timeouts; 128 MB only
			// where the limit is the point. Only the hanging cases get short timeouts.
			cfg := Config{InitTimeout: 20 * time.Second, Timeout: 20 * time.Second}
			if tt.needCgroup {
				cfg.MemoryMB = 128
			}
			switch tt.mode {
			case "hang-init":
				cfg.InitTimeout = time.Second
			case "hang", "bad-id":
				cfg.Timeout = time.Second
			}
			r := newTestRunner(t, cfg)
			if tt.needCgroup && !r.Limits().Memory {
				testenv.Missing(t, "a writable memory cgroup: "+strings.Join(r.Limits().Notes, "; "))
			}
			s := r.Sample(context.Background(), sampling.Variant{Name: tt.mode, Artifact: p, Env: map[string]string{"TEST_MODE": tt.mode}})
			if s.Error == nil {
				t.Fatalf("Sample(%s) succeeded, want %s", tt.mode, tt.wantType)
			}
			if s.Error.Type != tt.wantType || s.Error.Phase != tt.phase || !strings.Contains(s.Error.Reason, tt.wantReason) {
				t.Errorf("Sample(%s).Error = %+v, want type %s, phase %s, reason containing %q\noutput:\n%s",
					tt.mode, s.Error, tt.wantType, tt.phase, tt.wantReason, s.Output)
			}
			if tt.phase == "invoke" && s.InitMs <= 0 {
				t.Errorf("Sample(%s).InitMs = %v: an invoke failure keeps its measured init", tt.mode, s.InitMs)
			}
		})
	}
}

// Output floods are drained and bounded; leftover children are killed and noted; neither fails the
// sample, as neither fails a Lambda invocation.
func TestFloodAndLeftoverChildren(t *testing.T) {
	t.Parallel()
	p := need(t, "go")
	r := newTestRunner(t, Config{OutputLimit: 16 << 10})
	s := r.Sample(context.Background(), sampling.Variant{Name: "flood", Artifact: p, Env: map[string]string{"TEST_MODE": "flood"}})
	if s.Error != nil || s.OutputBytes < 10<<20 || len(s.Notes) == 0 || !strings.Contains(s.Notes[0], "bytes to stdout/stderr") {
		t.Errorf("flood: error=%v output_bytes=%d notes=%q, want success, >10 MB counted and a note", s.Error, s.OutputBytes, s.Notes)
	}
	// An escaped process is found through the cgroup, or without one (GitHub's containers) by its
	// inherited Runtime API address; either way it is noted and killed.
	noCgroup := newTestRunner(t, Config{})
	noCgroup.cg = cgroupSetup{}
	for _, rr := range []*Runner{r, noCgroup} {
		s = rr.Sample(context.Background(), sampling.Variant{Name: "orphan", Artifact: p, Env: map[string]string{"TEST_MODE": "orphan"}})
		if s.Error != nil || !strings.Contains(strings.Join(s.Notes, " "), "left 1 process") {
			t.Errorf("orphan (cgroup %q): error=%v notes=%q, want success with a note about 1 leftover process", rr.cg.version, s.Error, s.Notes)
		}
	}
	if n := countProcesses([]string{"sleep", "300"}, r, noCgroup); n != 0 {
		t.Errorf("%d leftover 'sleep 300' processes still running", n)
	}
}

// countProcesses counts the live processes whose command line holds args; with runners given,
// only those of the runners' sandbox users (the tests run in parallel: another test's handler
// may be running the same command right now).
func countProcesses(args []string, of ...*Runner) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	want := strings.Join(args, "\x00")
	separate := false
	for _, r := range of {
		separate = separate || r.cfg.Sandbox.Separate
	}
	mine := func(name string) bool {
		if !separate { // no users of their own (not root): every such process counts
			return true
		}
		st, err := os.Stat(filepath.Join("/proc", name))
		if err != nil {
			return false
		}
		uid := int(st.Sys().(*syscall.Stat_t).Uid)
		for _, r := range of {
			if r.cfg.Sandbox.Separate && uid >= r.cfg.Sandbox.UID && uid < r.cfg.Sandbox.UID+sandbox.Slots {
				return true
			}
		}
		return false
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), want) && mine(e.Name()) {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(st), ") Z ") {
				n++
			}
		}
	}
	return n
}

// The handler sees Lambda's environment and nothing of the runner's: no token, no credentials.
func TestEnvironmentIsLambdasOnly(t *testing.T) {
	p := need(t, "go")
	t.Setenv("GITHUB_TOKEN", "ghs_supersecret")
	t.Setenv("INPUT_GITHUB-TOKEN", "ghs_supersecret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "awssecret")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	r := newTestRunner(t, Config{})
	s := r.Sample(context.Background(), sampling.Variant{Name: "env", Artifact: p, Env: map[string]string{"TEST_MODE": "env"}})
	if s.Error != nil {
		t.Fatal(s.Error)
	}
	var resp struct{ Env []string }
	if err := json.Unmarshal([]byte(s.Response), &resp); err != nil {
		t.Fatalf("response %q: %v", s.Response, err)
	}
	allowed := map[string]bool{"TEST_MODE": true, "_X_AMZN_TRACE_ID": true} // the second is set by aws-lambda-go itself
	for _, k := range strings.Fields("AWS_LAMBDA_RUNTIME_API _HANDLER LAMBDA_TASK_ROOT AWS_LAMBDA_FUNCTION_NAME AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_LAMBDA_FUNCTION_VERSION AWS_REGION AWS_DEFAULT_REGION AWS_LAMBDA_LOG_GROUP_NAME AWS_LAMBDA_LOG_STREAM_NAME AWS_LAMBDA_INITIALIZATION_TYPE TZ LANG PATH LD_LIBRARY_PATH TMPDIR NO_COLOR TERM") {
		allowed[k] = true // NO_COLOR and TERM=dumb: plain output, the function's env may say otherwise
	}
	got := map[string]bool{}
	for _, kv := range resp.Env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = true
		if !allowed[k] {
			t.Errorf("handler saw %s, which is not part of Lambda's environment", k)
		}
		if strings.Contains(v, "secret") || strings.Contains(v, "AKIA") {
			t.Errorf("handler saw a secret in %s", k)
		}
	}
	for k := range allowed {
		if !got[k] && k != "_X_AMZN_TRACE_ID" {
			t.Errorf("handler did not get %s", k)
		}
	}
}

// The runner is a sampling.Sampler: the scheduler's rounds run real processes, and a variant
// whose artifact cannot be read is a failed sample of its own, not a stopped run.
func TestSchedulerRunsRealSamples(t *testing.T) {
	t.Parallel()
	p := need(t, "go")
	r := newTestRunner(t, Config{})
	variants := []sampling.Variant{{Name: "a", Artifact: p}, {Name: "b", Artifact: p}, {Name: "missing", Artifact: "/nonexistent.zip"}}
	got, err := sampling.NewScheduler(r, 42).Run(context.Background(), variants, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 {
		t.Fatalf("Run() gave %d samples, want 9", len(got))
	}
	for _, s := range got {
		switch {
		case s.Variant == "missing" && (s.Error == nil || s.Error.Type != results.ErrTypeSetup || !strings.Contains(s.Error.Reason, "read artifact")):
			t.Errorf("missing artifact: Error = %v, want %s reading the artifact", s.Error, results.ErrTypeSetup)
		case s.Variant != "missing" && (s.Error != nil || !(s.InitMs > 0)):
			t.Errorf("variant %s: init %v ms, error %v; want a clean sample", s.Variant, s.InitMs, s.Error)
		}
	}
}

func TestNewRejectsMemoryOutsideLambdasRange(t *testing.T) {
	t.Parallel()
	for _, m := range []int{64, 10241} {
		if _, err := New(Config{MemoryMB: m}); err == nil || !strings.Contains(err.Error(), "128 to 10240") {
			t.Errorf("New(MemoryMB: %d) error = %v, want one naming the valid range", m, err)
		}
	}
}

// After crashing, hanging, flooding and forking handlers, no process runs from a task root and
// no task root is left (newTestRunner's cleanup checks the work dir).
func TestNothingLeaks(t *testing.T) {
	t.Parallel()
	p := need(t, "go")
	work := testenv.SharedTempDir(t)
	r := newTestRunner(t, Config{WorkDir: work, InitTimeout: 2 * time.Second, Timeout: time.Second})
	before := processesUnder(work)
	for _, mode := range []string{"orphan", "hang", "hang-init", "exit-invoke", "panic-init", "flood", ""} {
		r.Sample(context.Background(), sampling.Variant{Name: mode, Artifact: p, Env: map[string]string{"TEST_MODE": mode}})
	}
	if after := processesUnder(work); after != before || after != 0 {
		t.Errorf("%d processes run from the work dir after the samples (%d before)", after, before)
	}
}

// processesUnder counts live processes whose working directory is under dir.
func processesUnder(dir string) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err == nil && strings.HasPrefix(cwd, dir) {
			n++
		}
	}
	return n
}

// A package that tries to write outside its task root is a failed sample with the reason, and
// nothing is written outside.
func TestHostileZipIsAFailedSample(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	p := filepath.Join(base, "hostile.zip")
	writeZip(t, p, []zipEntry{{"up", os.ModeSymlink | 0o777, base}, {"up/planted", 0o755, "#!/bin/sh\n"}, {"bootstrap", 0o755, "#!/bin/sh\n"}})
	r := newTestRunner(t, Config{})
	s := r.Sample(context.Background(), sampling.Variant{Name: "hostile", Artifact: p})
	if s.Error == nil || s.Error.Type != results.ErrTypeSetup || !strings.Contains(s.Error.Reason, `zip entry "up/planted"`) {
		t.Errorf("Sample(hostile zip).Error = %v, want a setup error naming the entry", s.Error)
	}
	if _, err := os.Lstat(filepath.Join(base, "planted")); err == nil {
		t.Error("the zip wrote a file outside its task root")
	}
}

// /tmp holds the function's ephemeral storage and no more: past it the handler gets ENOSPC.
func TestTmpIsBoundedAtEphemeralStorage(t *testing.T) {
	t.Parallel()
	p := need(t, "shell", "bash", "curl")
	small := newTestRunner(t, Config{EphemeralMB: 2})
	if !small.Limits().Ephemeral {
		testenv.Missing(t, "a tmpfs for /tmp (root with CAP_SYS_ADMIN)")
	}
	s := small.Sample(context.Background(), sampling.Variant{Name: "fill", Artifact: p, Env: map[string]string{"TEST_MODE": "fill-tmp"}})
	if s.Error == nil || s.Error.Type != "TmpFull" {
		t.Errorf("3 MB into a 2 MB /tmp: error %v, want the handler's own TmpFull", s.Error)
	}
	s = newTestRunner(t, Config{}).Sample(context.Background(), sampling.Variant{Name: "fill", Artifact: p, Env: map[string]string{"TEST_MODE": "fill-tmp"}})
	if s.Error != nil || !strings.Contains(s.Response, "3000000") {
		t.Errorf("3 MB into a 512 MB /tmp: error %v, response %q; want it written", s.Error, s.Response)
	}
}

func TestProxyErrorNote(t *testing.T) {
	t.Parallel()
	for resp, want := range map[string]string{
		`{"statusCode":404,"body":"not found"}`: "answered statusCode 404",
		`{"statusCode":502}`:                    "answered statusCode 502",
		`{"statusCode":200,"body":"ok"}`:        "",
		`{"statusCode":"404"}`:                  "",
		`"plain"`:                               "",
		`{"ok":true}`:                           "",
	} {
		if got := proxyErrorNote([]byte(resp)); want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("proxyErrorNote(%s) = %q, want %q", resp, got, want)
		}
	}
}

// The counters of a process are read from /proc and move the way its work does.
func TestReadCounters(t *testing.T) {
	t.Parallel()
	c := readCounters(os.Getpid())
	if c == nil || c.CPUMs <= 0 || c.MinorFaults <= 0 || c.Threads < 1 || c.OpenFiles < 3 || c.ReadCalls <= 0 {
		t.Fatalf("readCounters(self) = %+v", c)
	}
	// Fresh pages of its own (the Go heap may hand back pages other tests already touched).
	mem, err := syscall.Mmap(-1, 0, 4<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1 // touch: a fault a page
	}
	after := readCounters(os.Getpid())
	if after.MinorFaults <= c.MinorFaults || after.CPUMs < c.CPUMs {
		t.Errorf("after touching 4 MB: faults %d → %d, cpu %.3f → %.3f ms", c.MinorFaults, after.MinorFaults, c.CPUMs, after.CPUMs)
	}
	if readCounters(1<<30) != nil {
		t.Error("readCounters(no such pid) is not nil")
	}
}

// A counted cold start runs the bootstrap under valgrind and counts its init's instructions:
// the same binary gives nearly the same count, init work adds its instructions, and a runtime
// that ignores SIGTERM (so valgrind writes nothing) is a sample with a note, not a hang.
func TestCountsInitInstructions(t *testing.T) {
	testenv.Tool(t, "valgrind")
	p := need(t, "go")
	valgrind, _ := exec.LookPath("valgrind")
	r := newTestRunner(t, Config{Valgrind: valgrind})
	count := func(mode string) (int64, results.Sample) {
		s := r.Sample(context.Background(), sampling.Variant{Name: mode, Artifact: p, InitOnly: true, CountInstructions: true,
			Env: map[string]string{"TEST_MODE": mode}})
		if !s.InitOK() || s.Counters == nil {
			t.Fatalf("%s: counted sample %+v", mode, s)
		}
		return s.Counters.Instructions, s
	}
	a, _ := count("plain")
	b, _ := count("plain")
	work, _ := count("work-init")
	t.Logf("init instructions: plain %d and %d, work-init %d", a, b, work)
	if a <= 0 || b <= 0 || work-max(a, b) < 40_000_000 || max(a, b)-min(a, b) > (work-max(a, b))/10 {
		t.Errorf("plain %d and %d, work-init %d: want the 20M-iteration loop's instructions far beyond plain's spread", a, b, work)
	}
	countExitWait = 3 * time.Second
	t.Cleanup(func() { countExitWait = 30 * time.Second })
	n, s := count("ignore-term-init")
	if n != 0 || len(s.Notes) == 0 || !strings.Contains(s.Notes[0], "did not exit within 3s of SIGTERM") {
		t.Errorf("a runtime that ignores SIGTERM: count %d, notes %q; want none, and why", n, s.Notes)
	}
	if n := processesUnder(r.cfg.WorkDir); n > 0 {
		t.Errorf("%d processes still run from the task roots", n)
	}
}

// A variant's own function configuration (head's and base's each from its own revision) wins
// over the runner's, which the references keep: its memory is the one the handler is told, and
// its timeout the one its invoke is cut at.
func TestVariantsOwnMemoryAndTimeout(t *testing.T) {
	t.Parallel()
	goArt, shell := need(t, "go"), need(t, "shell", "bash", "curl")
	r := newTestRunner(t, Config{})
	s := r.Sample(context.Background(), sampling.Variant{Name: "mem", Artifact: goArt, Env: map[string]string{"TEST_MODE": "env"}, MemoryMB: 512})
	if s.Error != nil || !strings.Contains(s.Response, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512") {
		t.Errorf("variant of 512 MB: error %v, response %.200q; want AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", s.Error, s.Response)
	}
	s = r.Sample(context.Background(), sampling.Variant{Name: "run", Artifact: goArt, Env: map[string]string{"TEST_MODE": "env"}})
	if s.Error != nil || !strings.Contains(s.Response, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769") {
		t.Errorf("variant without its own memory: error %v, response %.200q; want the runner's 1769", s.Error, s.Response)
	}
	s = r.Sample(context.Background(), sampling.Variant{Name: "slow", Artifact: shell, Env: map[string]string{"TEST_MODE": "bad-id"}, Timeout: time.Second})
	if s.Error == nil || !strings.Contains(s.Error.Reason, "Task timed out after 1.00 seconds") {
		t.Errorf("variant with a 1 s timeout on a 5 s runner: error %v, want its own timeout", s.Error)
	}
}

// The task root is laid out once a run and shared by the variant's samples, so a handler must
// not be able to change it for the next sample (a head that rewrote its own slow file after the
// first sample would hide its regression): a file the package makes world-writable and the
// directories stay as laid out. Landlock keeps the task root read-only, and the modes do where
// Landlock is missing; with both off the attack works.
func TestTaskRootCannotBeChangedForTheNextSample(t *testing.T) {
	p := filepath.Join(t.TempDir(), "poison.zip")
	writeZip(t, p, []zipEntry{
		{"bootstrap", 0o755, "#!/bin/sh\necho poisoned >> \"$LAMBDA_TASK_ROOT/state\"\n: > \"$LAMBDA_TASK_ROOT/planted\"\nexit 1\n"},
		{"state", 0o666, "as built\n"},
	})
	attack := func(t *testing.T) (state string, planted bool) {
		r := newTestRunner(t, Config{InitTimeout: 2 * time.Second})
		if !r.cfg.Sandbox.Separate {
			t.Skip("no sandbox user: the handler runs as coldbench's own user")
		}
		for range 2 {
			if s := r.Sample(context.Background(), sampling.Variant{Name: "poison", Artifact: p}); s.Error == nil {
				t.Fatalf("the handler exits before /next: want a failed sample")
			}
		}
		root := r.roots[p]
		b, _ := os.ReadFile(filepath.Join(root, "state"))
		_, err := os.Lstat(filepath.Join(root, "planted"))
		return string(b), err == nil
	}
	t.Run("protected", func(t *testing.T) {
		if state, planted := attack(t); state != "as built\n" || planted {
			t.Errorf("after two samples the task root's state is %q and planted %v: a sample changed it for the next", state, planted)
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "landlock,taskroot")
		if !sandbox.Off("taskroot") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		if state, _ := attack(t); !strings.Contains(state, "poisoned") {
			t.Errorf("with Landlock and the task root's modes off the state is %q: the test proves nothing", state)
		}
	})
}

type zipEntry struct {
	name string
	mode os.FileMode
	data string // a link's target for a link
}

// writeZip writes a zip of entries, with their modes, at path.
func writeZip(t *testing.T, path string, entries []zipEntry) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write([]byte(e.data))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// Package runner takes cold-start samples of Lambda handlers on this machine: every sample is a
// fresh bootstrap process in a fresh task root unpacked from the handler's zip, talking to its own
// Runtime API emulator, with Lambda's environment and nothing of the runner's.
package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coldbench/coldbench/pkg/runtimeapi"
)

// Defaults follow Lambda where Lambda has a number.
const (
	DefaultMemoryMB    = 1769 // one full vCPU, so CPU-bound init is not throttled below a core
	DefaultInitTimeout = 10 * time.Second
	DefaultTimeout     = 30 * time.Second
	DefaultOutputLimit = 64 << 10
	MinMemoryMB        = 128
	MaxMemoryMB        = 10240
)

// Error types coldbench adds where Lambda has none.
const (
	// ErrTypeSetup: the sample could not be prepared (disk full, cgroup refused). Not the handler's fault.
	ErrTypeSetup = "Coldbench.SetupError"
	// ErrTypeInvalidEntrypoint is Lambda's own type for a bootstrap that is missing or not executable.
	ErrTypeInvalidEntrypoint = "Runtime.InvalidEntrypoint"
)

// Variant is one handler to sample.
type Variant struct {
	// Name identifies the variant in results; unique within a run.
	Name string
	// Artifact is the Lambda deployment zip, with an executable bootstrap at its root.
	Artifact string
	// Env is the handler's own configuration (Lambda's function environment variables).
	Env map[string]string
	// Handler is the value of _HANDLER; "bootstrap" when empty.
	Handler string
}

// Config holds the settings shared by every sample of a run. Zero values take the defaults.
type Config struct {
	MemoryMB    int
	InitTimeout time.Duration
	Timeout     time.Duration // per invoke, from the event's delivery
	WarmInvokes int
	Event       []byte // "{}" when nil
	// NoEvict keeps the task root in the page cache (a warm-disk start, which Lambda never has).
	NoEvict     bool
	OutputLimit int
	// WorkDir holds the per-sample task roots; os.TempDir() when empty.
	WorkDir string
	Region  string
	Seed    uint64
	// OutboundDelay > 0 serves COLDBENCH_OUTBOUND_URL on loopback with this delay, for handlers
	// that make an outbound call as part of their work.
	OutboundDelay time.Duration
	// Progress, when set, is called after every sample.
	Progress func(done, total int, s Sample)
}

// SampleError says why a sample failed, in Lambda's terms.
type SampleError struct {
	Type   string `json:"type"`
	Phase  string `json:"phase"` // "setup", "init" or "invoke"
	Reason string `json:"reason"`
}

func (e *SampleError) Error() string { return e.Type + " (" + e.Phase + "): " + e.Reason }

// Sample is one cold start. Times are milliseconds. A failed sample keeps whatever it measured
// before it failed: an invoke failure still has a valid init.
type Sample struct {
	Variant     string       `json:"variant"`
	Index       int          `json:"index"` // n-th sample of its variant
	Seq         int          `json:"seq"`   // position in the run's order
	InitMs      float64      `json:"init_ms"`
	DurationMs  float64      `json:"duration_ms"`
	ColdMs      float64      `json:"cold_ms"`
	MaxMemoryMB float64      `json:"max_memory_mb"`
	WarmMs      []float64    `json:"warm_ms,omitempty"`
	Response    string       `json:"response,omitempty"` // first invoke's response (bounded)
	Error       *SampleError `json:"error,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
	OutputBytes int64        `json:"output_bytes"`
	Output      string       `json:"output,omitempty"` // kept for failed samples only
}

// InitOK reports whether the sample's init was measured.
func (s Sample) InitOK() bool { return s.Error == nil || s.Error.Phase == "invoke" }

// OK reports whether the sample completed init and its first invoke.
func (s Sample) OK() bool { return s.Error == nil }

// Result is a whole run: what could be enforced, the order's seed, every sample in run order.
type Result struct {
	Limits   Limits    `json:"limits"`
	Seed     uint64    `json:"seed"`
	MemoryMB int       `json:"memory_mb"`
	Samples  []Sample  `json:"samples"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// Runner samples variants. Create it with New and Close it after use.
type Runner struct {
	cfg      Config
	cg       cgroupSetup
	limits   Limits
	outbound *outboundServer
	prefix   string
	// The sampling order's stream and the counts so far: consecutive Runs (blocks of an adaptive
	// run) continue the same randomized order and numbering.
	rng          *mrand.Rand
	rounds, seqs int
}

// sampleSeq numbers samples process-wide, so cgroups of concurrent runners never collide.
var sampleSeq atomic.Int64

// New probes what this machine lets the runner enforce and starts the outbound endpoint.
func New(cfg Config) (*Runner, error) {
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = DefaultMemoryMB
	}
	if cfg.MemoryMB < MinMemoryMB || cfg.MemoryMB > MaxMemoryMB {
		return nil, fmt.Errorf("memory %d MB: Lambda allows %d to %d MB", cfg.MemoryMB, MinMemoryMB, MaxMemoryMB)
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.OutputLimit == 0 {
		cfg.OutputLimit = DefaultOutputLimit
	}
	if cfg.Event == nil {
		cfg.Event = []byte("{}")
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	r := &Runner{cfg: cfg, prefix: fmt.Sprintf("coldbench-%d-", os.Getpid()), rng: mrand.New(mrand.NewPCG(cfg.Seed, 0x636f6c64))}
	r.cg = probeCgroups(r.prefix)
	r.limits = Limits{
		Cgroup:            "none",
		MemorySource:      "vmhwm",
		PageCacheEviction: !cfg.NoEvict,
		Notes:             r.cg.notes,
	}
	if r.cg.version != "" {
		r.limits.Cgroup = r.cg.version
		r.limits.Memory = true
		r.limits.MemorySource = "cgroup"
		r.limits.CPU = r.cg.cpuOK
	}
	if r.limits.CPU {
		r.limits.CPUShare = math.Round(float64(cfg.MemoryMB)/mbPerVCPU*1000) / 1000
	}
	if r.limits.Cgroup == "v1" {
	}
	if !r.limits.Memory {
		r.limits.Notes = append(r.limits.Notes, "max memory is the bootstrap process's peak RSS (VmHWM), not its whole process tree")
	}
	if cfg.NoEvict {
		r.limits.Notes = append(r.limits.Notes, "page cache eviction is off: code is read from a warm cache, faster than Lambda")
	}
	if cfg.OutboundDelay > 0 {
		ob, err := startOutbound(cfg.OutboundDelay)
		if err != nil {
			return nil, fmt.Errorf("start outbound endpoint: %w", err)
		}
		r.outbound = ob
	}
	return r, nil
}

// Limits says what this runner enforces.
func (r *Runner) Limits() Limits { return r.limits }

// OutboundURL is the loopback URL handlers reach as COLDBENCH_OUTBOUND_URL ("" when off).
func (r *Runner) OutboundURL() string {
	if r.outbound == nil {
		return ""
	}
	return r.outbound.url
}

// Close stops the outbound endpoint.
func (r *Runner) Close() {
	if r.outbound != nil {
		r.outbound.close()
	}
}

// Run samples every variant n times, in randomized round-robin blocks: each round takes one sample
// of every variant, in a fresh random order, so drift on a busy machine falls on all variants alike.
// A failed sample is recorded and the run goes on; only ctx's end stops it early, and what was
// measured until then is returned with ctx's error. A further Run continues the numbering (Index,
// Seq) and the random order where the last one stopped.
func (r *Runner) Run(ctx context.Context, variants []Variant, n int) (*Result, error) {
	if n < 1 {
		return nil, fmt.Errorf("samples %d: need at least 1", n)
	}
	seen := map[string]bool{}
	for _, v := range variants {
		if v.Name == "" || seen[v.Name] {
			return nil, fmt.Errorf("variant name %q: names must be unique and not empty", v.Name)
		}
		seen[v.Name] = true
	}
	arts := make([]*artifact, len(variants))
	artErrs := make([]error, len(variants))
	for i, v := range variants {
		arts[i], artErrs[i] = loadArtifact(v.Artifact)
	}
	res := &Result{Limits: r.limits, Seed: r.cfg.Seed, MemoryMB: r.cfg.MemoryMB, Started: time.Now()}
	total := n * len(variants)
	defer func() { r.rounds += n }()
	for round := 0; round < n; round++ {
		for _, i := range r.rng.Perm(len(variants)) {
			if err := ctx.Err(); err != nil {
				res.Finished = time.Now()
				return res, err
			}
			var s Sample
			if artErrs[i] != nil {
				s = Sample{Variant: variants[i].Name, Error: &SampleError{Type: ErrTypeSetup, Phase: "setup",
					Reason: "read artifact: " + artErrs[i].Error()}}
			} else {
				s = r.sample(ctx, variants[i], arts[i])
			}
			s.Index, s.Seq = r.rounds+round, r.seqs
			r.seqs++
			res.Samples = append(res.Samples, s)
			if r.cfg.Progress != nil {
				r.cfg.Progress(len(res.Samples), total, s)
			}
		}
	}
	res.Finished = time.Now()
	return res, nil
}

// Sample takes one cold sample of v.
func (r *Runner) Sample(ctx context.Context, v Variant) Sample {
	a, err := loadArtifact(v.Artifact)
	if err != nil {
		return Sample{Variant: v.Name, Error: &SampleError{Type: ErrTypeSetup, Phase: "setup", Reason: "read artifact: " + err.Error()}}
	}
	return r.sample(ctx, v, a)
}

type invokeResult struct {
	out runtimeapi.Outcome
	err error
}

func (r *Runner) sample(ctx context.Context, v Variant, art *artifact) (s Sample) {
	s.Variant = v.Name
	id := r.prefix + strconv.FormatInt(sampleSeq.Add(1), 10)
	setupFail := func(what string, err error) Sample {
		s.Error = &SampleError{Type: ErrTypeSetup, Phase: "setup", Reason: what + ": " + err.Error()}
		return s
	}

	root, err := os.MkdirTemp(r.cfg.WorkDir, id+"-")
	if err != nil {
		return setupFail("create task root", err)
	}
	defer os.RemoveAll(root)
	taskRoot, tmpDir := filepath.Join(root, "task"), filepath.Join(root, "tmp")
	if err := os.Mkdir(tmpDir, 0o1777); err != nil {
		return setupFail("create tmp", err)
	}
	if err := art.writeTaskRoot(taskRoot, !r.cfg.NoEvict); err != nil {
		return setupFail("write task root", err)
	}
	cg, err := r.cg.newSample(id, r.cfg.MemoryMB)
	if err != nil {
		return setupFail("cgroup", err)
	}
	defer cg.remove()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return setupFail("listen", err)
	}
	emu := runtimeapi.New()
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: r.cfg.InitTimeout}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	defer emu.Shutdown()

	pr, pw, err := os.Pipe()
	if err != nil {
		return setupFail("pipe", err)
	}
	bootstrap := filepath.Join(taskRoot, "bootstrap")
	apiAddr := ln.Addr().String()
	env := r.lambdaEnv(v, apiAddr, taskRoot, tmpDir)
	newCmd := func() *exec.Cmd {
		cmd := &exec.Cmd{
			Path:   bootstrap,
			Args:   []string{bootstrap},
			Dir:    taskRoot,
			Env:    env,
			Stdout: pw,
			Stderr: pw,
			SysProcAttr: &syscall.SysProcAttr{
				Setpgid:   true,
				Pdeathsig: syscall.SIGKILL,
			},
		}
		if cg != nil && cg.fd >= 0 {
			cmd.SysProcAttr.UseCgroupFD = true
			cmd.SysProcAttr.CgroupFD = cg.fd
		}
		return cmd
	}

	// The first event waits in the queue before the process starts, as an on-demand cold start's
	// event does: the first /next returns it at once.
	invCtx, cancelInv := context.WithCancel(ctx)
	defer cancelInv()
	first := make(chan invokeResult, 1)
	go func() {
		out, err := emu.Invoke(invCtx, r.invocation())
		first <- invokeResult{out, err}
	}()

	start := time.Now()
	cmd, held, err := startInCgroup(newCmd, cg)
	// Time zero of Lambda's Init Duration, less what the bootstrap spent held stopped by us.
	t0 := start.Add(held)
	pw.Close()
	if err != nil {
		pr.Close()
		s.Error = &SampleError{Type: ErrTypeInvalidEntrypoint, Phase: "init", Reason: startReason(err)}
		return s
	}
	pid := cmd.Process.Pid
	out := newCapture(pr, r.cfg.OutputLimit)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()

	// Everything below ends by killing the process group and the cgroup, then reaping.
	defer func() {
		leftovers := r.leftovers(cg, pid, apiAddr)
		hwm := peakRSS(pid) // while it still runs: rusage would include the runner's own pages
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
		cg.killAll() // whatever escaped the process group
		for _, p := range leftovers {
			_ = syscall.Kill(p, syscall.SIGKILL) // escapees found without a cgroup
		}
		if len(leftovers) > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("left %d process(es) running after its invocations; killed", len(leftovers)))
		}
		r.finish(&s, cg, hwm, out)
	}()

	initTimer := time.NewTimer(r.cfg.InitTimeout)
	defer initTimer.Stop()
	select {
	case <-emu.InitDone():
	case <-exited:
		// A runtime may post /init/error and exit at once; give the API its last word.
		select {
		case <-emu.InitDone():
		case <-time.After(20 * time.Millisecond):
		}
	case <-initTimer.C:
	case <-ctx.Done():
		s.Error = &SampleError{Type: ErrTypeSetup, Phase: "init", Reason: "run canceled"}
		return s
	}
	if doc := emu.InitError(); doc != nil {
		s.Error = &SampleError{Type: orDefault(doc.ErrorType, runtimeapi.ErrTypeInitError), Phase: "init",
			Reason: "runtime reported an init error: " + oneLine(doc.ErrorMessage)}
		return s
	}
	initEnd := emu.InitEnd()
	if initEnd.IsZero() {
		select {
		case <-exited:
			s.Error = &SampleError{Type: runtimeapi.ErrTypeExit, Phase: "init",
				Reason: "runtime exited before its first /next: " + cmd.ProcessState.String()}
		default:
			s.Error = &SampleError{Type: runtimeapi.ErrTypeTimeout, Phase: "init",
				Reason: fmt.Sprintf("init did not reach /next within %s", r.cfg.InitTimeout)}
		}
		return s
	}
	s.InitMs = ms(initEnd.Sub(t0))

	deadline := time.NewTimer(time.Until(initEnd.Add(r.cfg.Timeout)))
	defer deadline.Stop()
	var res invokeResult
	select {
	case res = <-first:
	case <-exited:
		select {
		case res = <-first:
		case <-time.After(20 * time.Millisecond):
			s.Error = &SampleError{Type: runtimeapi.ErrTypeExit, Phase: "invoke",
				Reason: "runtime exited during the invocation: " + cmd.ProcessState.String()}
			return s
		}
	case <-deadline.C:
		s.Error = &SampleError{Type: runtimeapi.ErrTypeTimeout, Phase: "invoke",
			Reason: fmt.Sprintf("Task timed out after %.2f seconds", r.cfg.Timeout.Seconds())}
		if pe := emu.ProtocolErrors(); len(pe) > 0 {
			// A runtime that answered with the wrong request id waits forever; say why.
			s.Error.Reason += "; the Runtime API refused: " + oneLine(strings.Join(pe, "; "))
		}
		return s
	case <-ctx.Done():
		s.Error = &SampleError{Type: ErrTypeSetup, Phase: "invoke", Reason: "run canceled"}
		return s
	}
	if res.err != nil {
		s.Error = &SampleError{Type: runtimeapi.ErrTypeUnknown, Phase: "invoke", Reason: res.err.Error()}
		return s
	}
	s.DurationMs = ms(res.out.Completed.Sub(res.out.Delivered))
	s.ColdMs = ms(res.out.Completed.Sub(t0))
	if res.out.Err != nil {
		s.Error = &SampleError{Type: res.out.Err.ErrorType, Phase: "invoke", Reason: oneLine(res.out.Err.ErrorMessage)}
		return s
	}
	s.Response = truncate(string(res.out.Response), 1024)

	for k := 0; k < r.cfg.WarmInvokes; k++ {
		wctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		wout, err := emu.Invoke(wctx, r.invocation())
		cancel()
		if err != nil || wout.Err != nil {
			reason := "timed out"
			if err == nil {
				reason = wout.Err.ErrorType + ": " + oneLine(wout.Err.ErrorMessage)
			}
			s.Notes = append(s.Notes, fmt.Sprintf("warm invoke %d failed: %s", k+1, reason))
			break
		}
		s.WarmMs = append(s.WarmMs, ms(wout.Completed.Sub(wout.Delivered)))
	}
	return s
}

// finish reads memory, turns a kill by the OOM killer into Lambda's error type, and keeps the
// output of failed samples.
func (r *Runner) finish(s *Sample, cg *sampleCgroup, hwm int64, out *capture) {
	if peak := cg.peakBytes(); peak > 0 {
		s.MaxMemoryMB = mb(peak)
	} else if hwm > 0 {
		s.MaxMemoryMB = mb(hwm)
	}
	if cg.oomKills() > 0 && s.Error != nil && s.Error.Type != ErrTypeSetup {
		s.Error.Reason = fmt.Sprintf("killed by the OOM killer at the %d MB limit (%s)", r.cfg.MemoryMB, s.Error.Reason)
		s.Error.Type = runtimeapi.ErrTypeOutOfMemory
	}
	// An escaped grandchild could hold the pipe open; never wait on it for long.
	select {
	case <-out.done:
	case <-time.After(time.Second):
	}
	text, total := out.text()
	s.OutputBytes = total
	if s.Error != nil {
		s.Output = text
	}
	if total > int64(r.cfg.OutputLimit) {
		s.Notes = append(s.Notes, fmt.Sprintf("wrote %d bytes to stdout/stderr; the first and last %d KiB are kept", total, r.cfg.OutputLimit>>10))
	}
}

// leftovers lists the processes that escaped the bootstrap's process group (setsid, daemons)
// and still run once its invocations are done. Children in the group are part of the runtime (a
// shell runtime's curl waiting on /next) and end with it. Escapees are found through the cgroup,
// or without one by the sample's own Runtime API address in their environment, which every
// descendant inherits and no other process has.
func (r *Runner) leftovers(cg *sampleCgroup, pid int, apiAddr string) []int {
	var cands []int
	if cg != nil {
		cands = cg.pids()
	} else {
		cands = withEnv("AWS_LAMBDA_RUNTIME_API=" + apiAddr)
	}
	var out []int
	for _, p := range cands {
		if p != pid && pgidOf(p) != pid {
			out = append(out, p)
		}
	}
	return out
}

// withEnv lists the processes whose environment holds the entry kv.
func withEnv(kv string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte(kv + "\x00")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && (bytes.HasPrefix(b, want) || bytes.Contains(b, append([]byte{0}, want...))) {
			out = append(out, p)
		}
	}
	return out
}

// pgidOf reads a process's group from /proc (-1 if it is gone).
func pgidOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 3 {
		return -1
	}
	g, _ := strconv.Atoi(f[2])
	return g
}

// peakRSS is the process's resident-set high-water mark from /proc (0 if it is gone): the memory
// figure where no cgroup accounts for the whole tree.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (r *Runner) invocation() runtimeapi.Invocation {
	return runtimeapi.Invocation{
		RequestID:   newRequestID(),
		Payload:     r.cfg.Event,
		Timeout:     r.cfg.Timeout,
		FunctionARN: "arn:aws:lambda:" + r.cfg.Region + ":000000000000:function:coldbench",
		TraceID:     "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + newRequestID()[:24] + ";Sampled=0",
	}
}

// lambdaEnv is the bootstrap's whole environment: Lambda's reserved variables, the variant's own,
// and nothing inherited from the runner (no tokens, no credentials, no CI variables).
func (r *Runner) lambdaEnv(v Variant, apiAddr, taskRoot, tmpDir string) []string {
	name := FunctionName(v.Name, 64)
	handler := v.Handler
	if handler == "" {
		handler = "bootstrap"
	}
	env := map[string]string{}
	for k, val := range v.Env {
		env[k] = val
	}
	if r.outbound != nil {
		env["COLDBENCH_OUTBOUND_URL"] = r.outbound.url
	}
	// Reserved variables last: a handler's configuration cannot override them, as on Lambda.
	for k, val := range map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          apiAddr,
		"_HANDLER":                        handler,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(r.cfg.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_REGION":                      r.cfg.Region,
		"AWS_DEFAULT_REGION":              r.cfg.Region,
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + newRequestID()[:32],
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin:/opt/bin",
		"LD_LIBRARY_PATH":                 "/lib64:/usr/lib64:" + taskRoot + ":" + taskRoot + "/lib:/opt/lib",
		// Lambda's only writable place is /tmp; each sample gets a fresh one.
		"TMPDIR": tmpDir,
	} {
		env[k] = val
	}
	out := make([]string, 0, len(env))
	for k, val := range env {
		out = append(out, k+"="+val)
	}
	sort.Strings(out)
	return out
}

// FunctionName turns s into a valid Lambda function name of at most max characters: letters,
// digits, hyphens and underscores.
func FunctionName(s string, max int) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}

func startReason(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no bootstrap file at the root of the artifact"
	case errors.Is(err, os.ErrPermission):
		return "bootstrap is not executable (the zip entry lacks its exec bit)"
	case errors.Is(err, syscall.ENOEXEC):
		return "bootstrap is not a program this machine can run (wrong architecture, or a script without #!)"
	}
	return "start bootstrap: " + err.Error()
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(bytes int64) float64 { return math.Round(float64(bytes)/(1<<20)*10) / 10 }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, 300)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

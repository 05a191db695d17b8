// Package runner takes cold-start samples of Lambda handlers on this machine: every sample is a
// fresh bootstrap process in a fresh task root unpacked from the handler's zip, talking to its own
// Runtime API emulator, with Lambda's environment and nothing of the runner's. It implements
// sampling.Sampler; the order of samples is the scheduler's business.
package runner

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/lambdazip"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runtimeapi"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"github.com/coldbench/coldbench/pkg/webadapter"
)

// Defaults follow Lambda where Lambda has a number.
const (
	DefaultInitTimeout = 10 * time.Second
	DefaultOutputLimit = 64 << 10
)

// Config holds the settings shared by every sample of a run. Zero values take the defaults.
type Config struct {
	MemoryMB    int           // config.DefaultMemoryMB when zero
	InitTimeout time.Duration // Lambda's 10 s
	Timeout     time.Duration // per invoke, from the event's delivery
	WarmInvokes int
	Event       []byte // "{}" when nil
	// NoEvict keeps the task root in the page cache (a warm-disk start, which Lambda never has).
	NoEvict     bool
	OutputLimit int
	// WorkDir holds the per-sample task roots; os.TempDir() when empty.
	WorkDir string
	Region  string
	// OutboundDelay > 0 serves COLDBENCH_OUTBOUND_URL on loopback with this delay, for handlers
	// that make an outbound call as part of their work.
	OutboundDelay time.Duration
	// Sandbox is who the handler runs as (a separate unprivileged user when coldbench is root).
	Sandbox sandbox.Identity
	// InitCPU is the init phase's CPU: InitCPULambda (default) or InitCPUMemory.
	InitCPU string
	// EphemeralMB bounds the sample's /tmp (Lambda's ephemeral storage); 512 when zero.
	EphemeralMB int
	// Valgrind is valgrind's path, for cold starts that count init's instructions
	// (sampling.Variant.CountInstructions); "" when it is not installed.
	Valgrind string
}

// Init-phase CPU models.
const (
	// InitCPULambda: Lambda does not throttle init by memory size (lambda-perf's real-Lambda
	// medians are flat from 128 to 1024 MB), so init runs at a full vCPU, or the memory's share
	// where that is more; the invoke gets the memory's share (1,769 MB = 1 vCPU).
	InitCPULambda = "lambda"
	// InitCPUMemory: the memory's share from the first instruction (coldbench before 2026-11).
	InitCPUMemory = "memory"
)

// Runner samples variants. Create it with New and Close it after use.
type Runner struct {
	cfg      Config
	cg       cgroupSetup
	limits   results.Limits
	outbound *outboundServer
	prefix   string
	// Artifacts are decompressed once per run and laid out once per run as a task root that no
	// handler can change (taskRoot), dropped from the page cache before every sample.
	mu    sync.Mutex
	arts  map[string]*lambdazip.Package
	roots map[string]string // an artifact's task root, by the artifact's path
}

// sampleSeq numbers samples process-wide, so cgroups of concurrent runners never collide.
var sampleSeq atomic.Int64

// New probes what this machine lets the runner enforce and starts the outbound endpoint.
func New(cfg Config) (*Runner, error) {
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = config.DefaultMemoryMB
	}
	if cfg.MemoryMB < config.MinMemoryMB || cfg.MemoryMB > config.MaxMemoryMB {
		return nil, fmt.Errorf("memory %d MB: Lambda allows %d to %d MB", cfg.MemoryMB, config.MinMemoryMB, config.MaxMemoryMB)
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = config.DefaultTimeout
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
	if cfg.InitCPU == "" {
		cfg.InitCPU = InitCPULambda
	}
	if cfg.InitCPU != InitCPULambda && cfg.InitCPU != InitCPUMemory {
		return nil, fmt.Errorf("init CPU %q: valid values are %s, %s", cfg.InitCPU, InitCPULambda, InitCPUMemory)
	}
	if cfg.EphemeralMB == 0 {
		cfg.EphemeralMB = config.DefaultEphemeralMB
	}
	if err := cfg.Sandbox.Reachable(cfg.WorkDir); err != nil {
		return nil, fmt.Errorf("work dir %s: the handler could not reach its task root: %w", cfg.WorkDir, err)
	}
	r := &Runner{cfg: cfg, prefix: fmt.Sprintf("coldbench-%d-", os.Getpid()), arts: map[string]*lambdazip.Package{}, roots: map[string]string{}}
	r.cg = probeCgroups(r.prefix)
	if sandbox.Off("cgroup") { // the hostile tests' control: a machine whose cgroups cannot be written
		r.cg = cgroupSetup{notes: []string{"cgroups off (test hook)"}}
	}
	r.limits = results.Limits{
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
		r.limits.InitCPU = cfg.InitCPU
		if cfg.InitCPU == InitCPULambda {
			r.limits.InitCPUShare = math.Round(float64(r.initCPUMB(cfg.MemoryMB))/mbPerVCPU*1000) / 1000
		} else {
			r.limits.InitCPUShare = r.limits.CPUShare
		}
	}
	r.limits.Sandbox = cfg.Sandbox.Describe()
	if cfg.Sandbox.Separate {
		r.limits.Landlock = sandbox.DescribeLandlock(sandbox.LandlockOn())
		r.limits.Pids = handlerProcs
	}
	r.limits.EphemeralMB, r.limits.Ephemeral = cfg.EphemeralMB, canMountTmpfs()
	if !r.limits.Ephemeral {
		r.limits.Notes = append(r.limits.Notes, fmt.Sprintf("/tmp is not bounded at %d MB: mounting a tmpfs needs root (CAP_SYS_ADMIN)", cfg.EphemeralMB))
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

// initCPUMB is the memory size whose CPU share the init phase gets, for a function of memoryMB.
func (r *Runner) initCPUMB(memoryMB int) int {
	if r.cfg.InitCPU == InitCPUMemory {
		return memoryMB
	}
	return max(memoryMB, mbPerVCPU)
}

// Limits says what this runner enforces.
func (r *Runner) Limits() results.Limits { return r.limits }

// OutboundURL is the loopback URL handlers reach as COLDBENCH_OUTBOUND_URL ("" when off).
func (r *Runner) OutboundURL() string {
	if r.outbound == nil {
		return ""
	}
	return r.outbound.url
}

// Close stops the outbound endpoint and removes the task roots.
func (r *Runner) Close() {
	if r.outbound != nil {
		r.outbound.close()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for path, dir := range r.roots {
		_ = os.RemoveAll(filepath.Dir(dir))
		delete(r.roots, path)
	}
}

// Sample takes one cold sample of v: prepare a task root, a cgroup and an emulator; start the
// bootstrap; wait for its first /next (init) and its first response (the invoke); then any warm
// invokes. However it ends, the process tree is killed and reaped, and its /tmp removed.
func (r *Runner) Sample(ctx context.Context, v sampling.Variant) (s results.Sample) {
	cs := &coldStart{r: r, s: results.Sample{Variant: v.Name}, memoryMB: cmp.Or(v.MemoryMB, r.cfg.MemoryMB),
		timeout: cmp.Or(v.Timeout, r.cfg.Timeout), ephemeralMB: cmp.Or(v.EphemeralMB, r.cfg.EphemeralMB)}
	defer func() {
		cs.cleanup()
		s = cs.s // with what stop recorded: memory, output, an OOM kill
	}()
	cs.who = r.cfg.Sandbox
	if v.Identity.Separate {
		cs.who = v.Identity
	}
	art, err := r.artifact(v.Artifact)
	if err != nil {
		return cs.fail(results.ErrTypeSetup, results.PhaseSetup, "read artifact: "+err.Error())
	}
	if e := cs.prepare(art, v); e != nil {
		return cs.failWith(e)
	}
	if e := cs.start(ctx, v); e != nil {
		return cs.failWith(e)
	}
	defer cs.stop()
	if e := cs.awaitInit(ctx); e != nil {
		return cs.failWith(e)
	}
	if v.InitOnly {
		return cs.s // init is what was wanted; stop kills the runtime mid-invoke
	}
	if e := cs.awaitFirstInvoke(ctx); e != nil {
		return cs.failWith(e)
	}
	cs.warm(ctx)
	return cs.s
}

// artifact decompresses the zip at path once per run.
func (r *Runner) artifact(path string) (*lambdazip.Package, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.arts[path]; ok {
		return a, nil
	}
	a, err := lambdazip.Read(path)
	if err != nil {
		return nil, err
	}
	r.arts[path] = a
	return a, nil
}

// taskRoot is the task root of the artifact at path: laid out once per run (with its pages
// written back, so that dropping them before a sample needs no write), root's files that no
// one else may write, in directories only root may change. A sample's handler runs as another
// user and so can change nothing in it for the next sample, as Lambda's /var/task is
// read-only; what a sample may write is its own /tmp. Writing the task root afresh for every
// sample instead cost 150 ms a sample for a 50 MB zip (Bun's reference), ~15 s of a six-runtime
// run's 90 s of sampling.
func (r *Runner) taskRoot(path string, art *lambdazip.Package) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if dir, ok := r.roots[path]; ok {
		return dir, nil
	}
	root, err := os.MkdirTemp(r.cfg.WorkDir, r.prefix+"task-")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "task")
	if err = os.Chmod(root, 0o755); err == nil {
		err = art.ExtractReadOnly(dir, !r.cfg.NoEvict)
	}
	if err == nil && sandbox.Off("taskroot") { // the tests' control: the package's own modes
		var tr *os.Root
		if tr, err = os.OpenRoot(dir); err == nil {
			for _, e := range art.Entries {
				if e.Mode.IsRegular() {
					err = errors.Join(err, tr.Chmod(e.Name, e.Mode.Perm()))
				}
			}
			tr.Close()
		}
	}
	if err != nil {
		_ = os.RemoveAll(root)
		return "", err
	}
	r.roots[path] = dir
	return dir, nil
}

type invokeResult struct {
	out runtimeapi.Outcome
	err error
}

// coldStart is one sample in progress: what it set up, what it started, what it measured. The
// sample is kept in s even when a step fails, since a failed sample keeps what it measured.
type coldStart struct {
	r        *Runner
	s        results.Sample
	cleanups []func() // undone in reverse order

	id, taskRoot, tmpDir string
	who                  sandbox.Identity // the variant's sandbox user
	target               int              // the bootstrap's pid, when a helper started it
	keepOutput           bool             // a traced sample: its output is the trace
	counting             bool             // an instruction-counted sample: the bootstrap runs under valgrind
	cg                   *sampleCgroup
	emu                  *runtimeapi.Server
	apiAddr              string
	// The layers (extensions.go) and the Web Adapter coldbench plays (web.go).
	optDir   string
	extNames []string
	exts     []*extProc
	extDone  chan struct{} // closed when the first extension exits
	net      *sampleNet    // the sample's own network namespace (a web function's), or nil
	web      *webadapter.Options
	webLast  *atomic.Value // the adapter's last readiness failure (a string)
	// outboundURL is the outbound endpoint in the sample's own network ("" when it has none).
	outboundURL string

	cmd    *exec.Cmd
	pid    int
	t0     time.Time // time zero of Lambda's Init Duration
	out    *capture
	exited chan struct{}
	first  chan invokeResult
	initAt time.Time
	// The variant's function configuration: its own, or the run's.
	memoryMB, ephemeralMB int
	timeout               time.Duration
}

func (cs *coldStart) fail(typ string, phase results.Phase, reason string) results.Sample {
	return cs.failWith(&results.SampleError{Type: typ, Phase: phase, Reason: reason})
}

func (cs *coldStart) failWith(e *results.SampleError) results.Sample {
	cs.s.Error = e
	return cs.s
}

func setupError(what string, err error) *results.SampleError {
	return &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseSetup, Reason: what + ": " + err.Error()}
}

func (cs *coldStart) cleanup() {
	for i := len(cs.cleanups) - 1; i >= 0; i-- {
		cs.cleanups[i]()
	}
}

// prepare drops the variant's task root from the page cache (laying it out from the zip the
// first time), gives the sample a fresh /tmp, creates its cgroup, and starts its own Runtime API
// emulator on loopback.
func (cs *coldStart) prepare(art *lambdazip.Package, v sampling.Variant) *results.SampleError {
	r := cs.r
	cs.id = r.prefix + strconv.FormatInt(sampleSeq.Add(1), 10)
	root, err := os.MkdirTemp(r.cfg.WorkDir, cs.id+"-")
	if err != nil {
		return setupError("create task root", err)
	}
	cs.cleanups = append(cs.cleanups, func() { os.RemoveAll(root) })
	// The sandbox user may read the task root (as Lambda's runtime user reads /var/task) and
	// write only its own /tmp.
	if err := os.Chmod(root, 0o755); err != nil {
		return setupError("create task root", err)
	}
	cs.tmpDir = filepath.Join(root, "tmp")
	if err := r.makeTmp(cs); err != nil {
		return setupError("create tmp", err)
	}
	if cs.taskRoot, err = r.taskRoot(v.Artifact, art); err != nil {
		return setupError("write task root", err)
	}
	if !r.cfg.NoEvict {
		if err := lambdazip.Evict(cs.taskRoot); err != nil {
			return setupError("evict task root", err)
		}
	}
	if e := cs.prepareLayers(root, v); e != nil {
		return e
	}
	if cs.cg, err = r.cg.newSample(cs.id, cs.memoryMB, r.initCPUMB(cs.memoryMB)); err != nil {
		return setupError("cgroup", err)
	}
	cs.cleanups = append(cs.cleanups, cs.cg.remove)

	ln, e := cs.prepareWeb(v)
	if e != nil {
		return e
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return setupError("listen", err)
		}
	}
	cs.emu = runtimeapi.New(runtimeapi.WithExtensions(cs.extNames, r.functionInfo(v)))
	srv := &http.Server{Handler: cs.emu, ReadHeaderTimeout: r.cfg.InitTimeout}
	go func() { _ = srv.Serve(ln) }()
	cs.cleanups = append(cs.cleanups, func() { _ = srv.Close() }, cs.emu.Shutdown)
	cs.apiAddr = ln.Addr().String()
	return nil
}

// makeTmp creates the sample's /tmp: the sandbox user's, bounded at the ephemeral storage size
// by a tmpfs where coldbench may mount one, so writing past it is the handler's ENOSPC.
func (r *Runner) makeTmp(cs *coldStart) error {
	mode, tmpfsMode := os.FileMode(0o1777), "1777"
	if cs.who.Separate {
		mode, tmpfsMode = 0o700, "700"
	}
	if err := os.Mkdir(cs.tmpDir, mode); err != nil {
		return err
	}
	if err := os.Chmod(cs.tmpDir, mode); err != nil { // past the umask
		return err
	}
	if err := cs.who.Own(cs.tmpDir); err != nil {
		return err
	}
	if !r.limits.Ephemeral {
		return nil
	}
	opts := fmt.Sprintf("size=%dm,mode=%s,uid=%d,gid=%d", cs.ephemeralMB, tmpfsMode, cs.who.UID, cs.who.GID)
	if err := unix.Mount("tmpfs", cs.tmpDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount a %d MB tmpfs: %w", cs.ephemeralMB, err)
	}
	cs.cleanups = append(cs.cleanups, func() { _ = unix.Unmount(cs.tmpDir, unix.MNT_DETACH) })
	return nil
}

// start queues the first event and starts the bootstrap in its own process group and cgroup.
// The event waits in the queue before the process starts, as an on-demand cold start's event
// does: the first /next returns it at once.
func (cs *coldStart) start(ctx context.Context, v sampling.Variant) *results.SampleError {
	r := cs.r
	pr, pw, err := os.Pipe()
	if err != nil {
		return setupError("pipe", err)
	}
	cs.keepOutput, cs.counting = v.KeepOutput, v.CountInstructions
	bootstrap := filepath.Join(cs.taskRoot, "bootstrap")
	if v.RuntimeDir != "" {
		bootstrap = filepath.Join(v.RuntimeDir, "bootstrap") // a managed runtime's, as /var/runtime/bootstrap
	}
	if b, e := cs.adapterWrapped(v); e != nil {
		return e
	} else if b != "" {
		bootstrap = b
	}
	args := []string{bootstrap}
	if cs.counting {
		if r.cfg.Valgrind == "" {
			return setupError("count instructions", errors.New("valgrind is not installed"))
		}
		args = countArgs(r.cfg.Valgrind, cs.tmpDir, bootstrap)
	}
	env := r.lambdaEnv(v, cs.apiAddr, cs.taskRoot, cs.tmpDir)
	env = cs.sampleEnv(env)

	invCtx, cancelInv := context.WithCancel(ctx)
	cs.cleanups = append(cs.cleanups, cancelInv)
	cs.first = make(chan invokeResult, 1)
	if !cs.counting { // a counted init's /next is held: nothing runs after init to count
		go func() {
			out, err := cs.emu.Invoke(invCtx, r.invocation())
			cs.first <- invokeResult{out, err}
		}()
	}

	// External extensions start first; the runtime once they have registered (extensions.go).
	cs.out = newCapture(pr, r.cfg.OutputLimit)
	if e := cs.startExtensions(ctx, env, pw, v.RuntimeDir); e != nil {
		pw.Close()
		cs.killExtensions()
		if _, err := cs.who.KillAll(); err != nil {
			cs.s.Notes = append(cs.s.Notes, "could not kill every process of the sandbox user: "+err.Error())
		}
		cs.r.finish(&cs.s, cs.cg, 0, cs.out, true, cs.memoryMB)
		return e
	}
	cmd, pid, t0, err := cs.spawn(args, env, pw, v.RuntimeDir)
	pw.Close()
	if err != nil {
		cs.killExtensions()
		return &results.SampleError{Type: results.ErrTypeInvalidEntrypoint, Phase: results.PhaseInit, Reason: startReason(err)}
	}
	if cs.t0.IsZero() {
		cs.t0 = t0 // without extensions, Init Duration starts with the bootstrap
	}
	cs.target = pid
	cs.cmd, cs.pid = cmd, cmd.Process.Pid
	if cs.target != 0 {
		cs.pid = cs.target // the helper's child; the helper (cmd) waits for it and shares its group
	}
	cs.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); sandbox.Forget(cmd.Process.Pid); close(cs.exited) }()
	cs.startAdapter(ctx)
	return nil
}

// stop kills the process group, the cgroup and any escapee, reaps the bootstrap, and records
// memory, an OOM kill and the output.
func (cs *coldStart) stop() {
	group := cs.cmd.Process.Pid // the bootstrap's process group (or its helper's)
	// What escaped the group (setsid, daemons) while the invocations ran: with a user of the
	// variant's own, every process of that user outside the group; without one, what the
	// cgroup or the Runtime API address in the environment finds.
	var leftovers []int
	escaped := 0
	if cs.who.Separate {
		for _, p := range cs.who.Processes() {
			if g := pgidOf(p); g != -1 && g != group && !cs.extGroup(g) { // -1: gone meanwhile
				escaped++
			}
		}
	} else {
		for _, p := range cs.r.leftovers(cs.cg, group, cs.apiAddr) {
			if !cs.extGroup(pgidOf(p)) {
				leftovers = append(leftovers, p)
			}
		}
		escaped = len(leftovers)
	}
	hwm := peakRSS(cs.pid) // while it still runs: rusage would include the runner's own pages
	if cs.counting && cs.s.InitOK() && cs.s.Counters != nil {
		n, err := cs.endCount()
		cs.s.Counters.Instructions = n
		if err != nil {
			cs.s.Notes = append(cs.s.Notes, "no instruction count: "+err.Error())
		}
	}
	_ = syscall.Kill(-group, syscall.SIGKILL)
	cs.killExtensions()
	<-cs.exited
	cs.cg.killAll() // whatever escaped the process group
	for _, p := range leftovers {
		_ = syscall.Kill(p, syscall.SIGKILL) // escapees found without a user of their own
	}
	// Everything else of the variant's user (a daemon started with env -i, setsid and a new
	// session, where no cgroup could hold it) ends here too: killed by uid, from inside the uid,
	// with no pid to be reused in between.
	if _, err := cs.who.KillAll(); err != nil {
		cs.s.Notes = append(cs.s.Notes, "could not kill every process of the sandbox user: "+err.Error())
	}
	if escaped > 0 {
		cs.s.Notes = append(cs.s.Notes, fmt.Sprintf("left %d process(es) running after its invocations; killed", escaped))
	}
	cs.r.finish(&cs.s, cs.cg, hwm, cs.out, cs.keepOutput, cs.memoryMB)
}

// awaitInit waits for the end of init: the first /next, an /init/error, an exit, or Lambda's
// init timeout.
func (cs *coldStart) awaitInit(ctx context.Context) *results.SampleError {
	r := cs.r
	timeout := r.cfg.InitTimeout
	if cs.counting {
		timeout = countInitTimeout
	}
	initTimer := time.NewTimer(timeout)
	defer initTimer.Stop()
	select {
	case <-cs.emu.InitDone():
	case <-cs.exited:
		// A runtime may post /init/error and exit at once; give the API its last word.
		select {
		case <-cs.emu.InitDone():
		case <-time.After(20 * time.Millisecond):
		}
	case <-initTimer.C:
	case <-cs.extDone: // nil without extensions
		if e := cs.extCrash(); e != nil {
			return e
		}
	case <-ctx.Done():
		return &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseInit, Reason: "run canceled"}
	}
	cs.recordExtensions()
	if cs.emu.FailedExtension() != "" {
		return cs.extInitError()
	}
	if doc := cs.emu.InitError(); doc != nil {
		return &results.SampleError{Type: cmp.Or(doc.ErrorType, runtimeapi.ErrTypeInitError), Phase: results.PhaseInit,
			Reason: "runtime reported an init error: " + oneLine(doc.ErrorMessage)}
	}
	cs.initAt = cs.emu.InitEnd()
	if cs.initAt.IsZero() {
		select {
		case <-cs.exited:
			return &results.SampleError{Type: runtimeapi.ErrTypeExit, Phase: results.PhaseInit,
				Reason: "runtime exited before its first /next: " + cs.cmd.ProcessState.String()}
		default:
			return &results.SampleError{Type: runtimeapi.ErrTypeTimeout, Phase: results.PhaseInit,
				Reason: fmt.Sprintf("init did not reach /next within %s", timeout) + cs.initWaiting()}
		}
	}
	cs.s.InitMs = ms(cs.initAt.Sub(cs.t0))
	cs.s.Counters = readCounters(cs.pid)
	// Init is over: from here the runtime gets the memory's CPU share, as an invoke does on Lambda.
	if r.initCPUMB(cs.memoryMB) != cs.memoryMB {
		if err := cs.cg.setCPU(cs.memoryMB); err != nil {
			return setupError("set the invoke's CPU share", err)
		}
	}
	return nil
}

// awaitFirstInvoke waits for the runtime's /response or /error to the first event, within the
// function's timeout.
func (cs *coldStart) awaitFirstInvoke(ctx context.Context) *results.SampleError {
	deadline := time.NewTimer(time.Until(cs.initAt.Add(cs.timeout)))
	defer deadline.Stop()
	var res invokeResult
	select {
	case res = <-cs.first:
	case <-cs.exited:
		select {
		case res = <-cs.first:
		case <-time.After(20 * time.Millisecond):
			return &results.SampleError{Type: runtimeapi.ErrTypeExit, Phase: results.PhaseInvoke,
				Reason: "runtime exited during the invocation: " + cs.cmd.ProcessState.String()}
		}
	case <-cs.extDone: // nil without extensions
		// Lambda fails the invocation when an extension crashes in it, and resets the environment.
		for _, x := range cs.exts {
			select {
			case <-x.exited:
				return &results.SampleError{Type: runtimeapi.ErrTypeExtensionCrash, Phase: results.PhaseInvoke,
					Reason: fmt.Sprintf("extension %s exited during the invocation: %s", x.name, x.cmd.ProcessState.String())}
			default:
			}
		}
	case <-deadline.C:
		e := &results.SampleError{Type: runtimeapi.ErrTypeTimeout, Phase: results.PhaseInvoke,
			Reason: fmt.Sprintf("Task timed out after %.2f seconds", cs.timeout.Seconds())}
		if pe := cs.emu.ProtocolErrors(); len(pe) > 0 {
			// A runtime that answered with the wrong request id waits forever; say why.
			e.Reason += "; the Runtime API refused: " + oneLine(strings.Join(pe, "; "))
		}
		return e
	case <-ctx.Done():
		return &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseInvoke, Reason: "run canceled"}
	}
	if res.err != nil {
		return &results.SampleError{Type: runtimeapi.ErrTypeUnknown, Phase: results.PhaseInvoke, Reason: res.err.Error()}
	}
	cs.s.DurationMs = ms(res.out.Completed.Sub(res.out.Delivered))
	cs.s.ColdMs = ms(res.out.Completed.Sub(cs.t0))
	if res.out.Err != nil {
		return &results.SampleError{Type: res.out.Err.ErrorType, Phase: results.PhaseInvoke, Reason: oneLine(res.out.Err.ErrorMessage)}
	}
	cs.s.Response = truncate(string(res.out.Response), 1024)
	if n := proxyErrorNote(res.out.Response); n != "" {
		cs.s.Notes = append(cs.s.Notes, n)
	}
	return nil
}

// proxyErrorNote notes an API Gateway or ALB style answer with an error status: the handler ran,
// but most likely on an event it did not expect (a route it does not have), so what was timed may
// not be the path users hit.
func proxyErrorNote(response []byte) string {
	var r struct {
		StatusCode *int `json:"statusCode"`
	}
	if json.Unmarshal(response, &r) != nil || r.StatusCode == nil || *r.StatusCode < 400 {
		return ""
	}
	return fmt.Sprintf("answered statusCode %d: the event may not be one the handler serves (give --event: a preset such as apigw-v2, or your own JSON)", *r.StatusCode)
}

// warm sends the warm invokes; a failed one is a note, and ends them.
func (cs *coldStart) warm(ctx context.Context) {
	r := cs.r
	for k := 0; k < r.cfg.WarmInvokes; k++ {
		wctx, cancel := context.WithTimeout(ctx, cs.timeout)
		wout, err := cs.emu.Invoke(wctx, r.invocation())
		cancel()
		if err != nil || wout.Err != nil {
			reason := "timed out"
			if err == nil {
				reason = wout.Err.ErrorType + ": " + oneLine(wout.Err.ErrorMessage)
			}
			cs.s.Notes = append(cs.s.Notes, fmt.Sprintf("warm invoke %d failed: %s", k+1, reason))
			return
		}
		cs.s.WarmMs = append(cs.s.WarmMs, ms(wout.Completed.Sub(wout.Delivered)))
	}
}

// finish reads memory, turns a kill by the OOM killer into Lambda's error type, and keeps the
// output of failed samples.
func (r *Runner) finish(s *results.Sample, cg *sampleCgroup, hwm int64, out *capture, keep bool, memoryMB int) {
	if peak := cg.peakBytes(); peak > 0 {
		s.MaxMemoryMB = mb(peak)
	} else if hwm > 0 {
		s.MaxMemoryMB = mb(hwm)
	}
	if cg.oomKills() > 0 && s.Error != nil && s.Error.Type != results.ErrTypeSetup {
		s.Error.Reason = fmt.Sprintf("killed by the OOM killer at the %d MB limit (%s)", memoryMB, s.Error.Reason)
		s.Error.Type = runtimeapi.ErrTypeOutOfMemory
	}
	// An escaped grandchild could hold the pipe open; never wait on it for long.
	select {
	case <-out.done:
	case <-time.After(time.Second):
	}
	text, total := out.text()
	s.OutputBytes = total
	if s.Error != nil || keep {
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
func (r *Runner) lambdaEnv(v sampling.Variant, apiAddr, taskRoot, tmpDir string) []string {
	name := config.FunctionName(v.Name, 64)
	handler := v.Handler
	if handler == "" {
		handler = "bootstrap"
	}
	// Plain output unless the function's configuration says otherwise: colour codes make the
	// output kept for failures unreadable, and nothing of Lambda's is a terminal.
	env := map[string]string{"NO_COLOR": "1", "TERM": "dumb"}
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
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cmp.Or(v.MemoryMB, r.cfg.MemoryMB)),
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
	if v.RuntimeDir != "" {
		env["LAMBDA_RUNTIME_DIR"] = v.RuntimeDir
		env["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + v.LambdaRuntime
	}
	out := make([]string, 0, len(env))
	for k, val := range env {
		out = append(out, k+"="+val)
	}
	sort.Strings(out)
	return out
}

// spawn starts one process of the sample (the bootstrap or an extension) in its own process
// group and the sample's cgroup, confined when the sample has a user of its own, and returns
// when it runs: its command, its pid (the helper's child when confined) and time zero of its
// start (what it was held stopped by coldbench not counted).
func (cs *coldStart) spawn(args, env []string, out *os.File, runtimeDir string) (*exec.Cmd, int, time.Time, error) {
	var (
		cmd *exec.Cmd
		pid int
		t0  time.Time
		err error
	)
	start := func() {
		if cs.who.Separate {
			cmd, pid, t0, err = cs.startConfined(args, env, out, runtimeDir)
			return
		}
		newCmd := func() *exec.Cmd {
			cmd := &exec.Cmd{
				Path:   args[0],
				Args:   args,
				Dir:    cs.taskRoot,
				Env:    env,
				Stdout: out,
				Stderr: out,
				SysProcAttr: &syscall.SysProcAttr{
					Setpgid:    true,
					Pdeathsig:  syscall.SIGKILL,
					Credential: cs.who.Credential(),
				},
			}
			if cs.cg != nil && cs.cg.fd >= 0 {
				cmd.SysProcAttr.UseCgroupFD = true
				cmd.SysProcAttr.CgroupFD = cs.cg.fd
			}
			return cmd
		}
		begin := time.Now()
		var held time.Duration
		cmd, held, err = startInCgroup(newCmd, cs.cg)
		// Time zero of Lambda's Init Duration, less what the bootstrap spent held stopped by us.
		t0 = begin.Add(held)
		if err == nil {
			pid = cmd.Process.Pid
		}
	}
	if cs.net != nil {
		// Started from the sample's network namespace, by the thread that stays there.
		if nerr := cs.net.do(start); nerr != nil {
			return nil, 0, time.Time{}, nerr
		}
	} else {
		start()
	}
	return cmd, pid, t0, err
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

// handlerProcs bounds a handler's processes and threads, as Lambda does (1,024 per execution
// environment).
const handlerProcs = 1024

// startConfined starts the bootstrap through the sandbox's helper: it drops to the variant's
// user, takes Lambda's process limit and Landlock, and waits. The process joins the sample's
// cgroup while it waits, and Init Duration's clock starts when it is told to go on to exec the
// bootstrap: neither the helper's own start nor its confinement is counted.
func (cs *coldStart) startConfined(args, env []string, out *os.File, runtimeDir string) (*exec.Cmd, int, time.Time, error) {
	exe := []string{cs.taskRoot}
	if runtimeDir != "" {
		exe = append(exe, runtimeDir)
	}
	if cs.optDir != "" {
		exe = append(exe, cs.optDir) // the layers, read and executed as /opt is
	}
	spec := cs.who.Confine(handlerProcs, exe, []string{cs.tmpDir})
	spec.Handshake, spec.Env = true, env
	child, err := spec.Command(args[0], args[1:]...)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	child.Cmd.Dir, child.Cmd.Stdout, child.Cmd.Stderr = cs.taskRoot, out, out
	child.Cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL} // no terminal of coldbench's
	if err := child.Start(); err != nil {
		return nil, 0, time.Time{}, err
	}
	cmd := child.Cmd
	fail := func(err error) (*exec.Cmd, int, time.Time, error) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		sandbox.Forget(cmd.Process.Pid)
		return nil, 0, time.Time{}, err
	}
	if err := child.Ready(); err != nil {
		return fail(err)
	}
	start := time.Now()
	pid, err := child.Go() // cloned and executed, stopped before its first instruction
	if err != nil {
		return fail(err)
	}
	if cs.cg != nil {
		if err := cs.cg.join(pid); err != nil {
			return fail(fmt.Errorf("join the sample's cgroup: %w", err))
		}
	}
	held, err := child.Release()
	if err != nil {
		return fail(err)
	}
	// Time zero of Lambda's Init Duration: the clone and the execve count, as they do for a
	// bootstrap coldbench starts itself; the time it was held stopped is coldbench's.
	return cmd, pid, start.Add(held), nil
}

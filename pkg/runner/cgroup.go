package runner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Lambda gives a function one full vCPU at 1,769 MB and CPU in proportion to memory below and
// above that (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
const mbPerVCPU = 1769

const cfsPeriodUS = 100000

// cgroupSetup locates where this process may create per-sample cgroups. It is probed once per run.
type cgroupSetup struct {
	version string // "v1", "v2", ""
	memDir  string // v1 memory hierarchy dir, or the v2 dir
	cpuDir  string // v1 cpu hierarchy dir ("" when unavailable); unused for v2
	cpuOK   bool
	notes   []string
}

type cgroupMount struct {
	point, root string
	v2          bool
	controllers map[string]bool
}

// probeCgroups finds a writable cgroup hierarchy: v2 if its memory controller can be delegated
// to children of our own cgroup, else v1's memory and cpu hierarchies.
func probeCgroups(prefix string) cgroupSetup {
	mounts, err := readCgroupMounts()
	if err != nil {
		return cgroupSetup{notes: []string{"cgroups: " + err.Error()}}
	}
	own, err := readOwnCgroups()
	if err != nil {
		return cgroupSetup{notes: []string{"cgroups: " + err.Error()}}
	}
	var notes []string
	for _, m := range mounts {
		if !m.v2 {
			continue
		}
		dir := filepath.Join(m.point, strings.TrimPrefix(own[""], m.root))
		if s, ok := tryV2(dir, prefix); ok {
			return s
		} else {
			notes = append(notes, s.notes...)
		}
	}
	var memDir, cpuDir string
	for _, m := range mounts {
		if m.v2 {
			continue
		}
		if m.controllers["memory"] && memDir == "" {
			memDir = filepath.Join(m.point, strings.TrimPrefix(own["memory"], m.root))
		}
		if m.controllers["cpu"] && cpuDir == "" {
			cpuDir = filepath.Join(m.point, strings.TrimPrefix(own["cpu"], m.root))
		}
	}
	if memDir != "" && writableDir(memDir, prefix) {
		s := cgroupSetup{version: "v1", memDir: memDir, notes: notes}
		if cpuDir != "" && writableDir(cpuDir, prefix) {
			s.cpuDir, s.cpuOK = cpuDir, true
		} else {
			s.notes = append(s.notes, "cgroup v1 cpu hierarchy is not writable: CPU share not enforced")
		}
		return s
	}
	if len(notes) == 0 {
		notes = append(notes, "no writable cgroup hierarchy (read-only cgroupfs, or not root): memory and CPU limits not enforced")
	}
	return cgroupSetup{notes: notes}
}

func tryV2(dir, prefix string) (cgroupSetup, bool) {
	probe := filepath.Join(dir, prefix+"probe")
	if err := os.Mkdir(probe, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return cgroupSetup{notes: []string{"cgroup v2 at " + dir + " is not writable: " + err.Error()}}, false
	}
	defer os.Remove(probe)
	has := func(f string) bool { _, err := os.Stat(filepath.Join(probe, f)); return err == nil }
	if !has("memory.max") {
		// Delegate the controllers to our children; the kernel refuses (EBUSY) when our own cgroup
		// holds processes and is not the root, the "no internal processes" rule.
		_ = os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory +cpu"), 0)
	}
	if !has("memory.max") {
		return cgroupSetup{notes: []string{"cgroup v2 at " + dir + " has no memory controller for its children"}}, false
	}
	return cgroupSetup{version: "v2", memDir: dir, cpuOK: has("cpu.max")}, true
}

func writableDir(dir, prefix string) bool {
	probe := filepath.Join(dir, prefix+"probe")
	if err := os.Mkdir(probe, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return false
	}
	_ = os.Remove(probe)
	return true
}

func readCgroupMounts() ([]cgroupMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []cgroupMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 36 35 0:30 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		m := cgroupMount{root: pf[3], point: pf[4], controllers: map[string]bool{}}
		if strings.Split(pf[5], ",")[0] == "ro" {
			continue // a container's read-only cgroupfs: nothing can be enforced through it
		}
		switch qf[0] {
		case "cgroup2":
			m.v2 = true
		case "cgroup":
			for _, o := range strings.Split(qf[2], ",") {
				m.controllers[o] = true
			}
		default:
			continue
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// readOwnCgroups maps controller ("" for v2) to this process's cgroup path.
func readOwnCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}

// sampleCgroup is the cgroup of one cold sample.
type sampleCgroup struct {
	setup  cgroupSetup
	memDir string
	cpuDir string
	fd     int // v2 directory fd for CLONE_INTO_CGROUP, -1 otherwise
}

// cpuQuota is the CFS quota (per cfsPeriodUS) of memoryMB's CPU share.
func cpuQuota(memoryMB int) int {
	return max(cfsPeriodUS*memoryMB/mbPerVCPU, 1000) // the kernel's minimum quota is 1 ms
}

// newSample creates the sample's cgroup with a memory limit of memoryMB and a CPU quota of
// cpuMB's share (the init phase's level; setCPU changes it for the invoke).
func (s cgroupSetup) newSample(name string, memoryMB, cpuMB int) (*sampleCgroup, error) {
	cg := &sampleCgroup{setup: s, fd: -1}
	limit := strconv.FormatInt(int64(memoryMB)<<20, 10)
	quota := cpuQuota(cpuMB)
	switch s.version {
	case "v2":
		cg.memDir = filepath.Join(s.memDir, name)
		if err := os.Mkdir(cg.memDir, 0o755); err != nil {
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		if err := writeFile(cg.memDir, "memory.max", limit); err != nil {
			cg.remove()
			return nil, err
		}
		_ = writeFile(cg.memDir, "memory.swap.max", "0")
		if s.cpuOK {
			if err := writeFile(cg.memDir, "cpu.max", fmt.Sprintf("%d %d", quota, cfsPeriodUS)); err != nil {
				cg.remove()
				return nil, err
			}
		}
		fd, err := syscall.Open(cg.memDir, syscall.O_DIRECTORY|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			cg.remove()
			return nil, fmt.Errorf("open cgroup: %w", err)
		}
		cg.fd = fd
	case "v1":
		cg.memDir = filepath.Join(s.memDir, name)
		if err := os.Mkdir(cg.memDir, 0o755); err != nil {
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		if err := writeFile(cg.memDir, "memory.limit_in_bytes", limit); err != nil {
			cg.remove()
			return nil, err
		}
		_ = writeFile(cg.memDir, "memory.memsw.limit_in_bytes", limit)
		if s.cpuOK {
			cg.cpuDir = filepath.Join(s.cpuDir, name)
			if err := os.Mkdir(cg.cpuDir, 0o755); err != nil {
				cg.cpuDir = ""
				cg.remove()
				return nil, fmt.Errorf("create cpu cgroup: %w", err)
			}
			if err := writeFile(cg.cpuDir, "cpu.cfs_quota_us", strconv.Itoa(quota)); err != nil {
				cg.remove()
				return nil, err
			}
		}
	default:
		return nil, nil
	}
	return cg, nil
}

// startInCgroup starts cmd inside cg. In cgroup v2 the process is born in it (CLONE_INTO_CGROUP,
// set up by newSample). Cgroup v1 cannot do that, and charges made before a process joins stay
// behind, so the bootstrap is started traced: the kernel stops it right after execve, before its
// first instruction; it joins the cgroup and is let go. Its code pages are read after that, so
// they are charged to the sample as on Lambda. Where tracing is not allowed it joins just after
// the start instead, and the (small) early charges stay with the runner.
//
// held is how long the bootstrap was held stopped: harness time, not the bootstrap's, which the
// caller takes off the measured init (the stop and the cgroup writes cost ~0.3 ms).
//
// A start that fails with ETXTBSY is retried: a file another goroutine just wrote can still be
// open for writing in a sibling's fork for an instant (golang.org/issue/22315).
func startInCgroup(newCmd func() *exec.Cmd, cg *sampleCgroup) (cmd *exec.Cmd, held time.Duration, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		cmd, held, err = startOnce(newCmd(), cg)
		if !errors.Is(err, syscall.ETXTBSY) {
			return cmd, held, err
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
	return nil, 0, err
}

func startOnce(cmd *exec.Cmd, cg *sampleCgroup) (*exec.Cmd, time.Duration, error) {
	if cg == nil || cg.setup.version != "v1" {
		return cmd, 0, cmd.Start()
	}
	// The tracer is the thread that forked: every ptrace call must come from it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd.SysProcAttr.Ptrace = true
	if err := cmd.Start(); err != nil {
		if !errors.Is(err, syscall.EPERM) {
			return cmd, 0, err
		}
		// Tracing refused (seccomp, yama): join right after the start instead.
		cmd = &exec.Cmd{Path: cmd.Path, Args: cmd.Args, Dir: cmd.Dir, Env: cmd.Env, Stdout: cmd.Stdout, Stderr: cmd.Stderr, SysProcAttr: cmd.SysProcAttr}
		cmd.SysProcAttr.Ptrace = false
		if err := cmd.Start(); err != nil {
			return cmd, 0, err
		}
		_ = cg.join(cmd.Process.Pid)
		return cmd, 0, nil
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil || !ws.Stopped() {
		_ = cmd.Process.Kill()
		return cmd, 0, fmt.Errorf("bootstrap did not stop after exec: %v", err)
	}
	stopped := time.Now()
	joinErr := cg.join(pid)
	if err := syscall.PtraceDetach(pid); err != nil {
		_ = cmd.Process.Kill()
		return cmd, 0, fmt.Errorf("release traced bootstrap: %w", err)
	}
	return cmd, time.Since(stopped), joinErr
}

// setCPU sets the CPU quota to memoryMB's share (no-op without a CPU controller).
func (cg *sampleCgroup) setCPU(memoryMB int) error {
	switch {
	case cg == nil || !cg.setup.cpuOK:
		return nil
	case cg.setup.version == "v2":
		return writeFile(cg.memDir, "cpu.max", fmt.Sprintf("%d %d", cpuQuota(memoryMB), cfsPeriodUS))
	case cg.cpuDir != "":
		return writeFile(cg.cpuDir, "cpu.cfs_quota_us", strconv.Itoa(cpuQuota(memoryMB)))
	}
	return nil
}

// join moves pid into the cgroup's v1 hierarchies.
func (cg *sampleCgroup) join(pid int) error {
	p := strconv.Itoa(pid)
	if err := writeFile(cg.memDir, "cgroup.procs", p); err != nil {
		return err
	}
	if cg.cpuDir != "" {
		return writeFile(cg.cpuDir, "cgroup.procs", p)
	}
	return nil
}

// peakBytes is the cgroup's memory high-water mark (0 when unknown).
func (cg *sampleCgroup) peakBytes() int64 {
	if cg == nil {
		return 0
	}
	name := "memory.max_usage_in_bytes"
	if cg.setup.version == "v2" {
		name = "memory.peak"
	}
	b, err := os.ReadFile(filepath.Join(cg.memDir, name))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// oomKills counts processes the kernel's OOM killer ended inside the cgroup.
func (cg *sampleCgroup) oomKills() int {
	if cg == nil {
		return 0
	}
	file := "memory.oom_control"
	if cg.setup.version == "v2" {
		file = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(cg.memDir, file))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == "oom_kill" {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// pids lists the processes still in the cgroup, never the runner itself.
func (cg *sampleCgroup) pids() []int {
	if cg == nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(cg.memDir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil && n != os.Getpid() {
			out = append(out, n)
		}
	}
	return out
}

// killAll kills every process in the cgroup, including ones that left the process group.
func (cg *sampleCgroup) killAll() {
	if cg == nil {
		return
	}
	if cg.setup.version == "v2" && writeFile(cg.memDir, "cgroup.kill", "1") == nil {
		return
	}
	for i := 0; i < 50; i++ {
		pids := cg.pids()
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(time.Millisecond)
	}
}

// remove deletes the cgroup directories; it waits briefly for killed processes to leave.
func (cg *sampleCgroup) remove() {
	if cg == nil {
		return
	}
	if cg.fd >= 0 {
		_ = syscall.Close(cg.fd)
		cg.fd = -1
	}
	for _, d := range []string{cg.memDir, cg.cpuDir} {
		if d == "" {
			continue
		}
		for i := 0; i < 200; i++ {
			if err := syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func writeFile(dir, name, value string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

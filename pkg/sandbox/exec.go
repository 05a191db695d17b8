package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/landlock-lsm/go-landlock/landlock"
	"golang.org/x/sys/unix"
)

// Untrusted code is started through coldbench's own binary: the child starts as root, drops to
// the variant's uid with no groups, takes a process limit, confines itself with Landlock, and
// only then executes the build step or the bootstrap. Go's os/exec has no hook between fork and
// exec, so this helper is that hook; it runs no code of the pull request's before it is confined.
//
// A sample's helper also waits for coldbench's word before the exec (Spec.Handshake), so that
// the helper's own start is not counted in Init Duration and the process joins its cgroup
// before the bootstrap's first instruction.

// helperArg marks a helper invocation: argv is [self, helperArg, target, args...]; the spec
// (with the target's environment) comes on fd 3, so that neither is visible in /proc to other
// users, and the helper itself starts with an empty environment: nothing the pull request
// configured (LD_PRELOAD, GODEBUG) reaches it while it is still root.
const helperArg = "__coldbench-sandbox-exec"

// killArg marks the helper that kills every process of its own uid.
const killArg = "__coldbench-sandbox-kill"

// Spec is what a confined child runs under.
type Spec struct {
	UID, GID int
	// NProc bounds the processes and threads of the uid (RLIMIT_NPROC); 0 leaves it alone.
	NProc uint64
	// Landlock confines the child's file access to the paths below; off where the kernel has no
	// Landlock (LandlockABI says which).
	Landlock bool
	// Exec are the trees the child may read and execute, Write those it may also write, Devices
	// the device files it may read, write and ioctl (/dev/null...), beyond the System ones.
	Exec, Write, Devices []string
	// Handshake: report ready on fd 4, wait for a byte on fd 5, then exec.
	Handshake bool
	// Env is the target's whole environment.
	Env []string
}

// Init must be the first call of main (and of TestMain in packages that start sandboxed
// processes): in a helper invocation it confines the process and executes the target, never
// returning; otherwise it returns at once.
func Init() {
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case helperArg:
		err := helper(os.Args[2:])
		fmt.Fprintf(os.Stderr, "coldbench sandbox: %v\n", err)
		os.Exit(127)
	case killArg:
		os.Exit(killUID(os.Args[2:]))
	}
}

// Child is a confined command before and after it starts.
type Child struct {
	Cmd        *exec.Cmd
	lines      *bufio.Reader // the helper's answers
	spec       []byte
	specW      *os.File
	ready, goW *os.File
	handshake  bool
}

// Command prepares name with args under spec; set the Cmd's Dir, Stdout, Stderr and
// SysProcAttr fields (not Env, Path, Args or ExtraFiles) before Start. A SysProcAttr set there
// must keep Setsid.
func (s Spec) Command(name string, args ...string) (*Child, error) {
	self, err := selfPath()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	c := &Child{spec: b, handshake: s.Handshake}
	// A session of its own (and so a process group of its own): no controlling terminal, so no
	// /dev/tty of coldbench's for untrusted code to read or push input into (TIOCSTI).
	c.Cmd = &exec.Cmd{Path: self, Args: append([]string{self, helperArg, name}, args...), Env: []string{},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true}}
	return c, nil
}

// Start starts the helper and hands it the spec.
func (c *Child) Start() error {
	specR, specW, err := os.Pipe()
	if err != nil {
		return err
	}
	files := []*os.File{specR}
	var readyW, goR *os.File
	if c.handshake {
		var r, w *os.File
		if r, readyW, err = os.Pipe(); err != nil {
			return err
		}
		c.ready = r
		if goR, w, err = os.Pipe(); err != nil {
			return err
		}
		c.goW = w
		files = append(files, readyW, goR)
	}
	c.Cmd.ExtraFiles = files
	reaper.mu.Lock()
	err = c.Cmd.Start()
	if err == nil {
		register(c.Cmd.Process.Pid)
	}
	reaper.mu.Unlock()
	for _, f := range files {
		f.Close() // the child's copies
	}
	if err != nil {
		specW.Close()
		c.closeHandshake()
		return err
	}
	go func() { _, _ = specW.Write(c.spec); specW.Close() }()
	return nil
}

// Ready waits until the helper is confined and about to exec (handshake only); an error is
// the helper's own (it could not drop privileges or confine itself).
func (c *Child) Ready() error {
	if !c.handshake {
		return nil
	}
	c.lines = bufio.NewReader(io.LimitReader(c.ready, 8192))
	b, err := c.lines.ReadByte()
	switch {
	case err == nil && b == 'R':
		return nil
	case err == nil && b == 'E':
		msg, _ := io.ReadAll(c.lines)
		return fmt.Errorf("sandbox: %s", msg)
	}
	return errors.New("sandbox: the helper exited before it was ready")
}

// ExecError is the helper's exec of its target failing (no such file, not executable, not a
// program for this machine), with the errno the kernel gave.
type ExecError struct {
	Path string
	Err  syscall.Errno
}

func (e *ExecError) Error() string { return "exec " + e.Path + ": " + e.Err.Error() }
func (e *ExecError) Unwrap() error { return e.Err }

// Go lets a ready helper start its target, and returns the target's pid once it has executed
// and stopped, before its first instruction (a sample's bootstrap is the helper's child: see
// forkTarget). Put it in its cgroup, then Release it.
func (c *Child) Go() (int, error) {
	if !c.handshake {
		return c.Cmd.Process.Pid, nil
	}
	if _, err := c.goW.Write([]byte{'G'}); err != nil {
		c.closeHandshake()
		return 0, err
	}
	n, err := c.answer('P')
	if err != nil {
		c.closeHandshake()
	}
	return n, err
}

// Release lets the stopped target run, and returns how long it was held stopped (coldbench's
// time, not the handler's).
func (c *Child) Release() (time.Duration, error) {
	if !c.handshake {
		return 0, nil
	}
	defer c.closeHandshake()
	if _, err := c.goW.Write([]byte{'D'}); err != nil {
		return 0, err
	}
	ns, err := c.answer('H')
	return time.Duration(ns), err
}

// answer reads the helper's next line, "<kind><number>", or its exec's errno ("X<errno>").
func (c *Child) answer(kind byte) (int, error) {
	line, _ := c.lines.ReadString('\n')
	var n int
	if _, err := fmt.Sscanf(line, "X%d", &n); err == nil {
		return 0, &ExecError{Path: c.Cmd.Args[2], Err: syscall.Errno(n)}
	}
	if _, err := fmt.Sscanf(line, string(kind)+"%d", &n); err != nil {
		return 0, fmt.Errorf("sandbox: the helper did not start %s (%q)", c.Cmd.Args[2], line)
	}
	return n, nil
}

func (c *Child) closeHandshake() {
	for _, f := range []*os.File{c.ready, c.goW} {
		if f != nil {
			f.Close()
		}
	}
}

// selfPath is coldbench's own executable, resolved once.
func selfPath() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("sandbox helper: %w", err)
	}
	return filepath.EvalSymlinks(p)
}

// helper is the child's side: confine, drop, wait for the word, exec.
func helper(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: target [args]")
	}
	specR := os.NewFile(3, "spec")
	b, err := io.ReadAll(specR)
	specR.Close()
	if err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	target, argv := args[0], args
	// Credentials and Landlock are per thread until every thread has them; the exec below runs on
	// this one.
	runtime.LockOSThread()
	var ready, wait *os.File
	if s.Handshake {
		ready, wait = os.NewFile(4, "ready"), os.NewFile(5, "go")
	}
	fail := func(err error) error {
		if s.Handshake {
			fmt.Fprintf(ready, "E%v", err)
		}
		return err
	}
	if !filepath.IsAbs(target) {
		p, err := lookPath(target, s.Env)
		if err != nil {
			return fail(err)
		}
		target = p
	}
	// No setuid program can give the untrusted code another uid (or root) back.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail(fmt.Errorf("no_new_privs: %w", err))
	}
	if s.NProc > 0 {
		lim := unix.Rlimit{Cur: s.NProc, Max: s.NProc}
		if err := unix.Setrlimit(unix.RLIMIT_NPROC, &lim); err != nil {
			return fail(fmt.Errorf("process limit: %w", err))
		}
	}
	if os.Geteuid() == 0 && s.UID > 0 {
		if err := syscall.Setgroups([]int{}); err != nil {
			return fail(fmt.Errorf("drop groups: %w", err))
		}
		if err := syscall.Setresgid(s.GID, s.GID, s.GID); err != nil {
			return fail(fmt.Errorf("setgid %d: %w", s.GID, err))
		}
		if err := syscall.Setresuid(s.UID, s.UID, s.UID); err != nil {
			return fail(fmt.Errorf("setuid %d: %w", s.UID, err))
		}
		// A change of credentials clears the parent-death signal: set it again.
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
			return fail(fmt.Errorf("parent-death signal: %w", err))
		}
	}
	if s.Landlock {
		if err := s.restrict(); err != nil {
			return fail(fmt.Errorf("landlock: %w", err))
		}
	}
	if s.Handshake {
		if _, err := ready.Write([]byte{'R'}); err != nil {
			return err
		}
		var b [1]byte
		if n, _ := wait.Read(b[:]); n != 1 {
			os.Exit(0) // coldbench gave up on this start
		}
		closeOnExec()
		os.Exit(forkTarget(ready, wait, target, argv, s.Env))
	}
	closeOnExec()
	return syscall.Exec(target, argv, s.Env)
}

// closeOnExec marks every descriptor above stderr close-on-exec: the target gets its standard
// streams and nothing else of the helper's (the pipes to coldbench included).
func closeOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// forkTarget starts a sample's bootstrap as the helper's child and waits for it. An execve
// from the helper itself would first have to end the helper's other threads (Go's runtime has
// several), which took half a millisecond of every Init Duration here; a child cloned the way
// os/exec clones one (vfork-like, one thread) execs at once. The child starts traced, so the
// kernel stops it right after its execve: its pid goes to coldbench, which moves it (and not the
// helper, whose pages are not the handler's) into the sample's cgroup and says go on ('D'); the
// helper then lets it run and tells how long it was held. The helper exits as the child did.
func forkTarget(ready, wait *os.File, target string, argv, env []string) int {
	pid, err := syscall.ForkExec(target, argv, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2},
		Sys: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL}})
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.EINVAL
		}
		fmt.Fprintf(ready, "X%d\n", int(errno))
		return 127
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil || !ws.Stopped() {
		fmt.Fprintf(ready, "X%d\n", int(syscall.ECHILD))
		return 127
	}
	stopped := time.Now()
	fmt.Fprintf(ready, "P%d\n", pid)
	var b [1]byte
	if n, _ := wait.Read(b[:]); n != 1 {
		_ = syscall.Kill(pid, syscall.SIGKILL) // coldbench gave up on this start
		return 127
	}
	held := time.Since(stopped)
	if err := syscall.PtraceDetach(pid); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		fmt.Fprintf(ready, "X%d\n", int(syscall.ESRCH))
		return 127
	}
	fmt.Fprintf(ready, "H%d\n", held.Nanoseconds())
	ready.Close()
	wait.Close()
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if ws.Signaled() {
		signal.Reset(ws.Signal())
		_ = syscall.Kill(os.Getpid(), ws.Signal())
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// lookPath finds name on the PATH of env (the target's, not the helper's empty one).
func lookPath(name string, env []string) (string, error) {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found on PATH %s", name, path)
}

// SystemExec are the trees every confined process may read and execute: the system's programs,
// libraries and configuration, and the kernel's views of itself. Not /home, /root, /tmp,
// /var/tmp, /dev/shm, /run or a workspace: what is not listed is out of reach.
var SystemExec = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc", "/sys", "/run/systemd/resolve"}

// SystemDevices are the device files every confined process may use.
var SystemDevices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}

// restrict confines this thread (and what it executes) to the spec's paths.
func (s Spec) restrict() error {
	var rules []landlock.Rule
	ro := existing(append(append([]string{}, SystemExec...), s.Exec...))
	if len(ro) > 0 {
		rules = append(rules, landlock.RODirs(ro...))
	}
	if rw := existing(s.Write); len(rw) > 0 {
		rules = append(rules, landlock.RWDirs(rw...).WithRefer())
	}
	if dev := existing(append(append([]string{}, SystemDevices...), s.Devices...)); len(dev) > 0 {
		rules = append(rules, landlock.RWFiles(dev...).WithIoctlDev())
	}
	rules = append(rules, landlock.ROFiles("/dev").IgnoreIfMissing())
	// File access and the scopes (ABI 6: no abstract unix socket and no signal outside the
	// child's own domain; an abstract socket has no file for the rules to close), not the
	// network: builds download modules and handlers make outbound calls. One ruleset: a second
	// one for the scopes alone would deny what no layer of its handles but "refer", which every
	// ruleset denies unless it grants it (hard links and renames across directories: rustc's
	// rmeta files failed with EXDEV).
	cfg := landlock.Config{HandledAccessFS: landlock.V11.HandledAccessFS, Scoped: landlock.V11.Scoped}
	return cfg.BestEffort().Restrict(rules...)
}

// existing keeps the paths that exist, as directories or files (Landlock needs an open fd).
func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// LandlockABI is the kernel's Landlock ABI version, 0 where it has none (or it is disabled).
func LandlockABI() int {
	v, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if e != 0 {
		return 0
	}
	return int(v)
}

// DescribeLandlock says how far file access is confined, for the results' limits.
func DescribeLandlock(on bool) string {
	abi := LandlockABI()
	switch {
	case on && abi > 0:
		return fmt.Sprintf("ABI %d: builds and handlers may read only the system's trees, their toolchains and their own files, and write only their own directories (not the workspace, /tmp, /var/tmp or /dev/shm)", abi)
	case abi > 0:
		return fmt.Sprintf("ABI %d available, not applied (coldbench is not root: builds and handlers run as its own user)", abi)
	}
	return "unavailable: this kernel has no Landlock (or it is off); the workspace and the runner's files are closed to other users for the run instead, and what sandboxed code writes to shared places is removed after it"
}

// killUID becomes the uid in args (started as root: the helper need not be executable by that
// user) and sends SIGKILL to every process it may then signal (every process of that uid), until
// none is left: kill(-1) goes through the whole process table at once, so a process that forks as
// fast as it can cannot outrun it for long.
func killUID(args []string) int {
	var uid int
	if len(args) != 1 {
		return 2
	}
	if _, err := fmt.Sscanf(args[0], "%d", &uid); err != nil || uid <= 0 {
		return 2
	}
	runtime.LockOSThread()
	if os.Geteuid() == 0 {
		if syscall.Setgroups([]int{}) != nil || syscall.Setresgid(uid, uid, uid) != nil || syscall.Setresuid(uid, uid, uid) != nil {
			return 2
		}
	}
	for i := 0; i < 100; i++ {
		if err := syscall.Kill(-1, syscall.SIGKILL); errors.Is(err, syscall.ESRCH) {
			return 0
		}
		// Zombies answer kill too; once only they are left, the count is zero.
		if len(processesOf(os.Getuid(), os.Getpid())) == 0 {
			return 0
		}
	}
	return 1
}

// processesOf lists the live (not zombie) processes of uid, but except. A process's /proc
// directory belongs to its effective uid, one stat a process (a run checks after every sample):
// sandboxed processes run with no_new_privs, so no setuid program gives one another euid than
// its real uid.
func processesOf(uid, except int) []int {
	var out []int
	for _, pid := range pidsOf(uid) {
		if pid == except {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 0 && (f[0] != "Z" && f[0] != "X" || liveThread(strconv.Itoa(pid))) {
			out = append(out, pid)
		}
	}
	return out
}

// pidsOf lists the processes (zombies too) whose /proc directory uid owns.
func pidsOf(uid int) []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil
	}
	var out []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && int(st.Uid) == uid {
			out = append(out, pid)
		}
	}
	return out
}

// dead reports whether a /proc status says zombie (or dead).
func dead(status string) bool {
	return strings.Contains(status, "State:\tZ") || strings.Contains(status, "State:\tX")
}

// liveThread reports whether a process whose leader is a zombie still has a running thread: a
// leader that left with exit(2), not exit_group(2), is a zombie while its other threads run on.
func liveThread(pid string) bool {
	if Off("zombies") { // the hostile tests' control: a zombie leader counted as dead
		return false
	}
	tasks, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		return false
	}
	for _, t := range tasks {
		if t.Name() == pid {
			continue
		}
		if b, err := os.ReadFile("/proc/" + pid + "/task/" + t.Name() + "/status"); err == nil && !dead(string(b)) {
			return true
		}
	}
	return false
}

// Processes lists the live processes of the identity's uid.
func (id Identity) Processes() []int {
	if !id.Separate {
		return nil
	}
	return processesOf(id.UID, os.Getpid())
}

// KillAll kills every process of the identity's uid and returns how many there were. It is
// what makes "nothing of a build or a sample outlives it" true whatever the processes did to
// hide (setsid, a new process group, env -i, a stopped or forking process): it runs as that uid
// and kills everything that uid may signal. Without a separate uid there is no such boundary,
// and nothing is done.
func (id Identity) KillAll() (int, error) {
	if !id.Separate || Off("killuid") {
		return 0, nil
	}
	left := id.Processes()
	if len(left) == 0 {
		return 0, nil
	}
	self, err := selfPath()
	if err != nil {
		return len(left), err
	}
	for try := 0; try < 3; try++ {
		cmd := exec.Command(self, killArg, fmt.Sprint(id.UID))
		cmd.Env = []string{}
		out, err := runRegistered(cmd)
		for i := 0; i < 40 && id.tasks() > 0; i++ { // the dead, until they are reaped
			reapOrphans()
			time.Sleep(5 * time.Millisecond)
		}
		if err != nil {
			err = fmt.Errorf("kill the processes of uid %d: %v %s", id.UID, err, out)
			if try == 2 {
				return len(left), err
			}
		}
		if len(id.Processes()) == 0 {
			return len(left), nil
		}
	}
	return len(left), fmt.Errorf("processes of uid %d survived SIGKILL: %v", id.UID, id.Processes())
}

// KillSlots kills every process of every slot of the sandbox (the end of a run: nothing of any
// variant outlives it), and returns how many there were.
func (id Identity) KillSlots() (int, error) {
	if !id.Separate {
		return 0, nil
	}
	var n int
	var errs []error
	for slot := 0; slot < Slots; slot++ {
		k, err := id.Slot(slot).KillAll()
		n += k
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// SharedDirs are the world-writable places every process of the machine shares. Landlock keeps
// sandboxed code from writing them; without it, what sandbox users leave there is removed after
// the run (RemoveLeftovers).
var SharedDirs = []string{"/tmp", "/var/tmp", "/dev/shm"}

// RemoveLeftovers removes what the sandbox's users own at the top of SharedDirs, and returns
// the paths it removed.
func (id Identity) RemoveLeftovers() []string {
	if !id.Separate || Off("leftovers") {
		return nil
	}
	var removed []string
	for _, dir := range SharedDirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				continue
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if !ok || int(st.Uid) < id.UID || int(st.Uid) >= id.UID+Slots {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if os.RemoveAll(p) == nil {
				removed = append(removed, p)
			}
		}
	}
	return removed
}

// Seal closes the directories in dirs to other users (it takes their "other" permission bits)
// until restore is called: the fallback where Landlock cannot keep sandboxed code out of the
// workspace (whose .git/config holds the job's token) and the runner's files. The directories'
// owners (the runner's user) keep their access; only users that are neither owner nor group,
// such as the sandbox's, lose it.
func Seal(dirs []string) (restore func(), sealed []string) {
	type was struct {
		path string
		mode os.FileMode
	}
	var done []was
	if Off("seal") {
		dirs = nil
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		st, err := os.Lstat(d)
		if err != nil || !st.IsDir() || st.Mode().Perm()&0o007 == 0 {
			continue
		}
		if os.Chmod(d, st.Mode().Perm()&^0o007) == nil {
			done = append(done, was{d, st.Mode().Perm()})
			sealed = append(sealed, d)
			sealedModes.Store(filepath.Clean(d), st.Mode().Perm())
		}
	}
	return func() {
		for _, w := range done {
			_ = os.Chmod(w.path, w.mode)
			sealedModes.Delete(filepath.Clean(w.path))
		}
	}, sealed
}

// sealedModes are the modes the sealed directories had.
var sealedModes sync.Map

// Unsealed is the permission path had before Seal closed it (perm itself when it was not
// sealed): what the sandbox user could see there, for coldbench's own checks on a copy.
func Unsealed(path string, perm os.FileMode) os.FileMode {
	if m, ok := sealedModes.Load(filepath.Clean(path)); ok {
		return m.(os.FileMode)
	}
	return perm
}

// Orphans. A sandboxed process's children outlive it when it is killed; the kernel gives them
// to the nearest "subreaper" or to PID 1, which must reap them once they die, or they stay
// zombies, counted against their user's process limit. In the action's container coldbench *is*
// PID 1, and elsewhere PID 1 may be slow to reap (or a supervisor that never does), so coldbench
// makes itself the subreaper of what it starts and reaps the dead orphans of its sandbox users
// itself: only those (a child that os/exec waits for, started by Child or KillAll, is registered
// and left alone).
var reaper = struct {
	once   sync.Once
	mu     sync.Mutex // held while a registered child starts, and while orphans are reaped
	direct map[int]bool
	ranges map[int]bool // first uids of the ranges this process holds
}{direct: map[int]bool{}, ranges: map[int]bool{}}

// startReaping makes coldbench a subreaper and reaps its sandbox users' orphans every 250 ms.
func startReaping() {
	reaper.once.Do(func() {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
		go func() {
			for range time.Tick(250 * time.Millisecond) {
				reapOrphans()
			}
		}()
	})
}

// register records a child that os/exec will wait for (call with reaper.mu held).
func register(pid int) { reaper.direct[pid] = true }

// Forget is called once a registered child has been waited for.
func Forget(pid int) {
	reaper.mu.Lock()
	delete(reaper.direct, pid)
	reaper.mu.Unlock()
}

// reapOrphans reaps the dead children of coldbench's that belong to its sandbox users and that
// nothing waits for.
func reapOrphans() {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if len(reaper.ranges) == 0 {
		return
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || reaper.direct[pid] {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 2 || f[0] != "Z" || f[1] != strconv.Itoa(self) {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name(), &st) != nil || !inRanges(int(st.Uid)) {
			continue
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	}
}

// inRanges reports whether uid is one of the held ranges' (call with reaper.mu held).
func inRanges(uid int) bool {
	for first := range reaper.ranges {
		if uid >= first && uid < first+Slots {
			return true
		}
	}
	return false
}

// runRegistered runs cmd to its end as a registered child, returning its output.
func runRegistered(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	reaper.mu.Lock()
	err := cmd.Start()
	if err == nil {
		register(cmd.Process.Pid)
	}
	reaper.mu.Unlock()
	if err != nil {
		return nil, err
	}
	err = cmd.Wait()
	Forget(cmd.Process.Pid)
	return out.Bytes(), err
}

// tasks counts the processes of the identity's uid, zombies included (what its process limit
// counts) among coldbench's own children.
func (id Identity) tasks() int { return len(pidsOf(id.UID)) }

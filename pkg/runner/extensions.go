package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/runtimeapi"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/sandbox"
	"github.com/coldbench/coldbench/pkg/webadapter"
)

// Layers are laid out as the task root is: a fresh directory of the sample's, written from the
// layers' zips in order (a later layer's file replaces an earlier one's, as on Lambda), readable
// and executable by the sandbox user and no one's to write. The handler finds it where Lambda's
// runtimes look in /opt (PATH, LD_LIBRARY_PATH, NODE_PATH, PYTHONPATH) and as COLDBENCH_OPT;
// an absolute /opt in the handler's own code is the machine's /opt, not the layers.

// prepareLayers writes the sample's opt directory and lists its external extensions.
func (cs *coldStart) prepareLayers(root string, v sampling.Variant) *results.SampleError {
	if len(v.Layers) == 0 {
		return nil
	}
	cs.optDir = filepath.Join(root, "opt")
	for _, l := range v.Layers {
		art, err := cs.r.artifact(l)
		if err != nil {
			return setupError("read layer "+filepath.Base(l), err)
		}
		if err := art.ExtractOver(cs.optDir, !cs.r.cfg.NoEvict); err != nil {
			return setupError("write layer "+filepath.Base(l), err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(cs.optDir, "extensions"))
	if err != nil && !os.IsNotExist(err) {
		return setupError("read the layers' extensions", err)
	}
	for _, e := range entries { // sorted by name
		st, err := os.Lstat(filepath.Join(cs.optDir, "extensions", e.Name()))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			continue // Lambda starts the executable files of /opt/extensions
		}
		if v.Web && e.Name() == webadapter.ExtensionName {
			cs.s.Notes = appendOnce(cs.s.Notes, "the layers' lambda-adapter extension is not run: coldbench plays the Web Adapter")
			continue
		}
		cs.extNames = append(cs.extNames, e.Name())
	}
	return nil
}

func appendOnce(notes []string, n string) []string {
	if slices.Contains(notes, n) {
		return notes
	}
	return append(notes, n)
}

// sampleEnv points the runtimes' /opt paths at the sample's layers, and the outbound endpoint at
// the sample's network when it has one of its own.
func (cs *coldStart) sampleEnv(env []string) []string {
	add := map[string]string{}
	if cs.outboundURL != "" {
		add["COLDBENCH_OUTBOUND_URL"] = cs.outboundURL
	}
	if opt := cs.optDir; opt != "" {
		add["PATH"] = "/usr/local/bin:/usr/bin:/bin:" + opt + "/bin"
		add["LD_LIBRARY_PATH"] = "/lib64:/usr/lib64:" + cs.taskRoot + ":" + cs.taskRoot + "/lib:" + opt + "/lib"
		add["NODE_PATH"] = opt + "/nodejs/node24/node_modules:" + opt + "/nodejs/node_modules:" + cs.taskRoot
		add["PYTHONPATH"] = opt + "/python/lib/python3.11/site-packages:" + opt + "/python"
		add["COLDBENCH_OPT"] = opt
	}
	if len(add) == 0 {
		return env
	}
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := add[k]; ok {
			out = append(out, k+"="+v)
			delete(add, k)
			continue
		}
		out = append(out, kv)
	}
	for k, v := range add {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// extProc is one running external extension.
type extProc struct {
	name   string
	cmd    *exec.Cmd
	pid    int
	exited chan struct{}
}

// startExtensions starts the layers' external extensions, each in its own process group in the
// sample's cgroup and confinement, and waits until every one has registered (Lambda starts the
// runtime after the extensions' registration). Init Duration starts with the first of them.
func (cs *coldStart) startExtensions(ctx context.Context, env []string, out *os.File, runtimeDir string) *results.SampleError {
	if len(cs.extNames) == 0 {
		return nil
	}
	cs.extDone = make(chan struct{})
	var once sync.Once
	for _, name := range cs.extNames {
		path := filepath.Join(cs.optDir, "extensions", name)
		cmd, pid, t0, err := cs.spawn([]string{path}, env, out, runtimeDir)
		if err != nil {
			return &results.SampleError{Type: runtimeapi.ErrTypeExtensionCrash, Phase: results.PhaseInit,
				Reason: "extension " + name + ": " + strings.TrimPrefix(startReason(err), "start bootstrap: ")}
		}
		if cs.t0.IsZero() {
			cs.t0 = t0
		}
		x := &extProc{name: name, cmd: cmd, pid: pid, exited: make(chan struct{})}
		go func() {
			_ = cmd.Wait()
			sandbox.Forget(cmd.Process.Pid)
			close(x.exited)
			once.Do(func() { close(cs.extDone) })
		}()
		cs.exts = append(cs.exts, x)
	}
	timer := time.NewTimer(cs.r.cfg.InitTimeout)
	defer timer.Stop()
	for {
		select {
		case <-cs.emu.ExtensionsRegistered():
			return nil
		case <-cs.emu.InitDone(): // an extension's init or exit error
			return cs.extInitError()
		case <-timer.C:
			return &results.SampleError{Type: runtimeapi.ErrTypeTimeout, Phase: results.PhaseInit,
				Reason: fmt.Sprintf("init did not end within %s: %s", cs.r.cfg.InitTimeout, cs.emu.Waiting())}
		case <-ctx.Done():
			return &results.SampleError{Type: results.ErrTypeSetup, Phase: results.PhaseInit, Reason: "run canceled"}
		case <-cs.extDone:
			if e := cs.extCrash(); e != nil {
				return e
			}
		}
	}
}

// extCrash is the failure of an extension that exited during init (nil when none has).
func (cs *coldStart) extCrash() *results.SampleError {
	for _, x := range cs.exts {
		select {
		case <-x.exited:
			// It may have posted an error before exiting; give the API its last word.
			select {
			case <-cs.emu.InitDone():
				if e := cs.extInitError(); e != nil {
					return e
				}
			case <-time.After(20 * time.Millisecond):
			}
			return &results.SampleError{Type: runtimeapi.ErrTypeExtensionCrash, Phase: results.PhaseInit,
				Reason: fmt.Sprintf("extension %s exited during init: %s", x.name, x.cmd.ProcessState.String())}
		default:
		}
	}
	return nil
}

func (cs *coldStart) extInitError() *results.SampleError {
	doc := cs.emu.InitError()
	if doc == nil {
		return nil
	}
	return &results.SampleError{Type: doc.ErrorType, Phase: results.PhaseInit, Reason: oneLine(doc.ErrorMessage)}
}

// recordExtensions puts each extension's part of init in the sample: when it registered and
// when it was ready (its first /event/next), from Init Duration's time zero.
func (cs *coldStart) recordExtensions() {
	for _, t := range cs.emu.Extensions() {
		e := results.ExtensionInit{Name: t.Name}
		if !t.Registered.IsZero() {
			e.RegisteredMs = ms(t.Registered.Sub(cs.t0))
		}
		if !t.Ready.IsZero() {
			e.ReadyMs = ms(t.Ready.Sub(cs.t0))
		}
		cs.s.Extensions = append(cs.s.Extensions, e)
	}
	for _, sub := range cs.emu.Subscriptions() {
		cs.s.Notes = appendOnce(cs.s.Notes, "subscription accepted, nothing delivered (coldbench emulates no Telemetry or Logs stream): "+sub)
	}
}

// killExtensions ends the extensions' process groups and reaps them.
func (cs *coldStart) killExtensions() {
	for _, x := range cs.exts {
		_ = syscall.Kill(-x.cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, x := range cs.exts {
		select {
		case <-x.exited:
		case <-time.After(time.Second):
		}
	}
}

// extGroup reports whether g is one of the extensions' process groups.
func (cs *coldStart) extGroup(g int) bool {
	for _, x := range cs.exts {
		if x.cmd.Process.Pid == g {
			return true
		}
	}
	return false
}

// functionInfo is what an extension is told at registration.
func (r *Runner) functionInfo(v sampling.Variant) runtimeapi.FunctionInfo {
	return runtimeapi.FunctionInfo{Name: config.FunctionName(v.Name, 64), Version: "$LATEST", Handler: v.Handler}
}

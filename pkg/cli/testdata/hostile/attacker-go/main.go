// A hostile handler, as a pull request could write one: before its first /next it tries every
// way out of its sandbox that matters to coldbench: the secrets in every process's environment,
// coldbench's memory, tracing and signalling coldbench, and overwriting the results coldbench
// is about to publish. It answers every invocation with what it found, and fails the invocation
// when anything got out.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

const canary = "CANARY"

type findings struct {
	Leaks  []string `json:"leaks"`
	Denied []string `json:"denied"`
}

func (f *findings) try(what string, err error) {
	if err == nil {
		f.Leaks = append(f.Leaks, what+": allowed")
	} else {
		f.Denied = append(f.Denied, what+": "+err.Error())
	}
}

// attack runs every attempt against the process ppid (coldbench) and every process it can see.
func attack(ppid int) findings {
	var f findings
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		b, err := os.ReadFile(p + "/environ")
		if err == nil && bytes.Contains(b, []byte(canary)) {
			f.Leaks = append(f.Leaks, p+"/environ holds a secret")
		}
	}
	pid := strconv.Itoa(ppid)
	_, err := os.ReadFile("/proc/" + pid + "/environ")
	f.try("read coldbench's environ", err)
	if mem, err := os.Open("/proc/" + pid + "/mem"); err != nil {
		f.try("open coldbench's memory", err)
	} else {
		_, err := mem.ReadAt(make([]byte, 16), 0x400000)
		if err == nil {
			f.Leaks = append(f.Leaks, "read coldbench's memory")
		} else {
			f.Denied = append(f.Denied, "read coldbench's memory: "+err.Error())
		}
		mem.Close()
	}
	f.try("ptrace coldbench", ptraceAttach(ppid))
	// Signal 0 checks exactly the permission a real signal needs, without ending the run.
	f.try("signal coldbench", syscall.Kill(ppid, 0))
	// The results path is on coldbench's command line.
	cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
	args := strings.Split(string(cmdline), "\x00")
	for i, a := range args {
		if a == "--json" && i+1 < len(args) {
			out, err := os.OpenFile(args[i+1], os.O_WRONLY|os.O_CREATE, 0o644)
			if err == nil {
				out.Close()
			}
			f.try("write the results file "+args[i+1], err)
			tmp, err := os.CreateTemp(filepath.Dir(args[i+1]), "planted-")
			if err == nil {
				tmp.Close()
			}
			f.try("create a file beside the results", err)
		}
	}
	return f
}

// ptraceAttach attaches to pid and lets it go at once (from the same thread, as ptrace wants).
func ptraceAttach(pid int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := syscall.PtraceAttach(pid); err != nil {
		return err
	}
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WALL, nil)
	_ = syscall.PtraceDetach(pid)
	return nil
}

// coldbench is the nearest ancestor that is not this user's: the bootstrap's parent is the
// sandbox's own helper (the same user), and coldbench is above it.
func coldbench() int {
	pid := os.Getppid()
	for pid > 1 {
		st, err := os.Stat("/proc/" + strconv.Itoa(pid))
		if err != nil {
			break
		}
		if s, ok := st.Sys().(*syscall.Stat_t); ok && int(s.Uid) != os.Getuid() {
			return pid
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			break
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 2 {
			break
		}
		pid, _ = strconv.Atoi(f[1])
	}
	return os.Getppid()
}

func main() {
	if os.Getenv("ATTACKER_SELFTEST") != "" { // the test's control: run as coldbench's own user
		ppid, _ := strconv.Atoi(os.Getenv("ATTACKER_SELFTEST"))
		json.NewEncoder(os.Stdout).Encode(attack(ppid))
		return
	}
	f := attack(coldbench())
	report, _ := json.Marshal(f)
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		path, body := "/response", report
		if len(f.Leaks) > 0 {
			path = "/error"
			body, _ = json.Marshal(map[string]string{"errorType": "Sandbox.Escaped", "errorMessage": fmt.Sprint(f.Leaks)})
		}
		r, err := http.Post(api+id+path, "application/json", bytes.NewReader(body))
		if err == nil {
			r.Body.Close()
		}
	}
}

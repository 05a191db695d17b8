package runner

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// clockTick is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux that Lambda and
// GitHub's runners use.
const clockTick = 100

// readCounters reads what process pid has done so far from /proc: CPU time (its threads' schedstat
// in ns, user/sys in ticks), page faults, context switches, read I/O, open files. Nil when the
// process is gone or /proc is unreadable.
func readCounters(pid int) *results.Counters {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return nil
	}
	// The fields after the command name, which may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	f := strings.Fields(string(stat[i+1:]))
	num := func(k int) int64 { // k is the field's number in proc(5), counted from 1
		if k-3 < 0 || k-3 >= len(f) {
			return 0
		}
		n, _ := strconv.ParseInt(f[k-3], 10, 64)
		return n
	}
	c := &results.Counters{
		MinorFaults: num(10), MajorFaults: num(12),
		UserMs: float64(num(14)) * 1000 / clockTick, SysMs: float64(num(15)) * 1000 / clockTick,
		Threads: num(20),
	}
	tasks, _ := os.ReadDir(filepath.Join(dir, "task"))
	var ns int64
	for _, t := range tasks {
		if b, err := os.ReadFile(filepath.Join(dir, "task", t.Name(), "schedstat")); err == nil {
			if fs := strings.Fields(string(b)); len(fs) > 0 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				ns += n
			}
		}
		vol, invol := switches(filepath.Join(dir, "task", t.Name(), "status"))
		c.VoluntarySwitches += vol
		c.InvoluntarySwitches += invol
	}
	c.CPUMs = float64(ns) / 1e6
	if b, err := os.ReadFile(filepath.Join(dir, "io")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "rchar":
				c.ReadBytes = n
			case "syscr":
				c.ReadCalls = n
			case "read_bytes":
				c.DiskReadBytes = n
			}
		}
	}
	if fds, err := os.ReadDir(filepath.Join(dir, "fd")); err == nil {
		c.OpenFiles = int64(len(fds))
	}
	return c
}

// switches reads a task's voluntary and involuntary context switches from its status file.
func switches(path string) (vol, invol int64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "voluntary_ctxt_switches":
			vol = n
		case "nonvoluntary_ctxt_switches":
			invol = n
		}
	}
	return vol, invol
}

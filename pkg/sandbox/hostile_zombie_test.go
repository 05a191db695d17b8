package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zombieLeader is a process whose leader thread has exited (SYS_exit, not exit_group) while
// another of its threads runs on: /proc/PID/status then says "State: Z (zombie)" though the
// process is alive, and it answers every signal.
const zombieLeader = `setsid /usr/bin/python3 -c '
import ctypes, os, threading, time
def work():
    while True:
        time.sleep(0.05)
threading.Thread(target=work).start()
time.sleep(0.2)
ctypes.CDLL(None).syscall(60 if os.uname().machine == "x86_64" else 93, 0)
' </dev/null >/dev/null 2>&1 &
sleep 1; echo started`

// liveThreads lists the threads of uid that are not zombies, looking into every process's
// task directory (a zombie leader's other threads are there).
func liveThreads(uid int) []string {
	var out []string
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*")
	for _, task := range tasks {
		b, err := os.ReadFile(task + "/status")
		if err != nil {
			continue
		}
		st := string(b)
		if strings.Contains(st, fmt.Sprintf("\nUid:\t%d\t", uid)) && !strings.Contains(st, "State:\tZ") && !strings.Contains(st, "State:\tX") {
			out = append(out, task)
		}
	}
	return out
}

// A build or a handler leaves a process whose leader thread is a zombie and whose other thread
// runs: the kill by uid must kill it too (it keeps the variant's code running into the next
// sample, another variant's, or past the run).
func TestHostileZombieLeaderSurvivesKillAll(t *testing.T) {
	id := acquire(t)
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	out, _ := confined(t, id.Confine(64, nil, nil), zombieLeader)
	if !strings.Contains(out, "started") {
		t.Fatalf("script: %s", out)
	}
	if len(liveThreads(id.UID)) == 0 {
		t.Fatal("the attack did not start: no live thread of the sandbox user")
	}
	t.Logf("before the kill: processes %v, live threads %v", id.Processes(), liveThreads(id.UID))
	n, err := id.KillAll()
	time.Sleep(100 * time.Millisecond)
	if left := liveThreads(id.UID); len(left) > 0 {
		t.Errorf("KillAll = %d, %v; threads of uid %d still running: %v", n, err, id.UID, left)
	}
}

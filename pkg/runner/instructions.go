package runner

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Instruction counts: a counted cold start runs its bootstrap under valgrind's cachegrind (the
// instruction count alone, no cache simulation), following the exec of a managed runtime's
// bootstrap script into the runtime. The first /next is held, not answered, so the runtime waits
// in a read and the count stops with init; then the runtime is sent SIGTERM, on which valgrind
// writes its totals. The same binary and inputs give the same count (or nearly: a runtime's own
// threads, a GC, make it vary a little), whatever else the machine is doing.
const (
	// countInitTimeout bounds a counted init: valgrind runs code 20 to 1000 times slower (a
	// Node.js init: 10 s on an idle core, 50 s on a busy one).
	countInitTimeout = 5 * time.Minute
	countFile        = "coldbench.cachegrind"
)

// countExitWait is how long a counted runtime gets to die of SIGTERM (valgrind then writes its
// totals) before it is killed without them.
var countExitWait = 30 * time.Second

// countArgs is the command line that runs bootstrap under cachegrind, writing its totals into
// the sample's /tmp (the sandbox user's one writable place) as countFile.PID.
func countArgs(valgrind, tmpDir, bootstrap string) []string {
	return []string{valgrind, "-q", "--tool=cachegrind", "--cache-sim=no", "--branch-sim=no", "--trace-children=yes",
		"--cachegrind-out-file=" + filepath.Join(tmpDir, countFile+".%p"), bootstrap}
}

// endCount sends the counted runtime SIGTERM and waits for valgrind to write its totals; then
// reads the instruction count of the bootstrap process (and what it exec'd) from them.
func (cs *coldStart) endCount() (int64, error) {
	_ = syscall.Kill(cs.pid, syscall.SIGTERM)
	select {
	case <-cs.exited:
	case <-time.After(countExitWait):
		return 0, fmt.Errorf("the runtime did not exit within %s of SIGTERM, so valgrind wrote no count", countExitWait)
	}
	return readCount(filepath.Join(cs.tmpDir, countFile+"."+strconv.Itoa(cs.pid)))
}

// readCount reads the total instruction count ("summary: N") from a cachegrind output file. The
// file is in the sandbox user's /tmp, and the handler's other processes may still run: a link
// in its place is not followed, a fifo not waited on, anything but a regular file refused.
func readCount(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, fmt.Errorf("valgrind wrote no count: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file", filepath.Base(path))
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "summary:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%s: bad summary line %q", filepath.Base(path), sc.Text())
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s: no summary line (valgrind was cut off)", filepath.Base(path))
}

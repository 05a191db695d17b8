// Command gohandler is a real aws-lambda-go handler whose behaviour is chosen by TEST_MODE, so the
// runner's tests can make it succeed and misbehave in every way the runner must survive.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

var mode = os.Getenv("TEST_MODE")

var hog [][]byte

// sum keeps work-init's loop from being optimized away.
var sum uint64

func init() {
	switch mode {
	case "sleep-init":
		time.Sleep(200 * time.Millisecond)
	case "panic-init":
		panic("boom during init")
	case "exit-init":
		os.Exit(3)
	case "hang-init":
		time.Sleep(time.Hour)
	case "work-init": // 20 million iterations of init work: tens of millions of instructions
		for i := uint64(0); i < 20_000_000; i++ {
			sum += i ^ sum>>3
		}
	case "ignore-term-init":
		signal.Ignore(syscall.SIGTERM)
	case "oom-init":
		for {
			b := make([]byte, 8<<20)
			for i := range b {
				b[i] = 1
			}
			hog = append(hog, b)
		}
	}
}

func handle(ctx context.Context, event map[string]any) (map[string]any, error) {
	switch mode {
	case "error":
		return nil, errors.New("handler failed on purpose")
	case "hang":
		time.Sleep(time.Hour)
	case "exit-invoke":
		os.Exit(4)
	case "big":
		return map[string]any{"blob": strings.Repeat("x", 7<<20)}, nil
	case "flood":
		line := strings.Repeat("flood ", 1000) + "\n"
		for i := 0; i < 3000; i++ { // ~18 MB
			fmt.Fprint(os.Stdout, line)
		}
	case "orphan":
		// Escapes the process group, as a daemonizing helper does.
		cmd := exec.Command("/bin/sleep", "300")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
	case "env":
		env := os.Environ()
		sort.Strings(env)
		return map[string]any{"env": env}, nil
	}
	return map[string]any{"ok": true, "event": event}, nil
}

func main() { lambda.Start(handle) }

// Command coldbench measures AWS Lambda cold starts of a handler against its base branch and
// reference runtimes, and reports whether a change made them worse. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/coldbench/coldbench/pkg/cli"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

func main() {
	sandbox.Init() // a sandbox helper runs no further than this
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}

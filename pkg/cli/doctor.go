package cli

import (
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/host"
	"io"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/runner"
)

// doctorCmd shows what this machine can build and enforce, and how to get what is missing.
func doctorCmd(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 {
		return badInput(fmt.Errorf("doctor takes no arguments, got %q", args[0]))
	}
	writeTools(ctx, env.Stdout, build.Tools{Getenv: env.Getenv}.Resolve())
	r, err := runner.New(runner.Config{})
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer r.Close()
	l := r.Limits()
	fmt.Fprintf(env.Stdout, "\ncgroup %s: memory limit %s, CPU share %s, memory from %s, page cache eviction %s\n",
		l.Cgroup, enforcedWord(l.Memory), enforcedWord(l.CPU), l.MemorySource, enforcedWord(l.PageCacheEviction))
	for _, n := range l.Notes {
		fmt.Fprintf(env.Stdout, "  note: %s\n", n)
	}
	return nil
}

// writeTools writes a row for every tool of every runtime (build.AllTools) as t finds it, and
// for the host's tools: its version, or how to install it.
func writeTools(ctx context.Context, w io.Writer, t build.Tools) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "host arch\t%s\t\n", host.Arch())
	row := func(name, path string, versionArgs []string, how string) {
		if path == "" {
			fmt.Fprintf(tw, "%s\tmissing\t%s\n", name, how)
			return
		}
		v := "found"
		if versionArgs != nil {
			cmd := exec.CommandContext(ctx, path, versionArgs...)
			cmd.Dir = "/" // no go.mod or rust-toolchain.toml of a checkout picks another toolchain
			if out, err := cmd.Output(); err == nil {
				v, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, v, path)
	}
	for _, tool := range build.AllTools() {
		row(tool.Name, tool.Path(t), tool.VersionArgs, tool.How)
	}
	q, _ := exec.LookPath("qemu-aarch64-static")
	row("qemu-aarch64", q, []string{"--version"}, "optional: apt-get install qemu-user-static (arm64 smoke checks)")
	tw.Flush()
}

func enforcedWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

package cli

import (
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/host"
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
	t := build.Tools{}.Resolve()
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
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
	row("go", t.Go, []string{"version"}, "install Go")
	row("cargo", t.Cargo, []string{"--version"}, "install Rust (rustup)")
	row("aarch64 rustc", t.CrossRustc, []string{"--version"}, "apt-get install rustc-web cargo-web libstd-rust-web-dev:arm64 (scripts/setup.sh)")
	row("aarch64 linker", t.CrossLinker, []string{"--version"}, "apt-get install gcc-aarch64-linux-gnu")
	row("deno", t.Deno, []string{"--version"}, "scripts/setup.sh (npm install deno)")
	row("deno arm64", t.DenoARM64, nil, "scripts/setup.sh (npm pack @deno/linux-arm64-glibc)")
	row("denort", t.Denort, nil, "optional: set DENORT_BIN for deno compile")
	q, _ := exec.LookPath("qemu-aarch64-static")
	row("qemu-aarch64", q, []string{"--version"}, "optional: apt-get install qemu-user-static (arm64 smoke checks)")
	tw.Flush()
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

func enforcedWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coldbench/coldbench/pkg/baseline"
	"github.com/coldbench/coldbench/pkg/git"
)

// storeCmd keeps a results history (a --store directory that is a worktree of a data branch)
// within its size limit and pushes it: every handler's history over the limit has its oldest
// runs compacted (samples dropped, summaries kept, never a run deleted), then the additions are
// committed and pushed, rebased and pushed again when another refresh pushed first.
func storeCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	limit := fs.String("limit", "50MB", "size limit of each handler's history (KB, MB or GB) past which its oldest runs are compacted")
	push := fs.Bool("push", false, "commit the store (a git worktree) and push it to --remote's --branch")
	remote := fs.String("remote", "origin", "with --push: the remote")
	branch := fs.String("branch", "coldbench-data", "with --push: the data branch")
	message := fs.String("message", "coldbench: add results", "with --push: the commit message")
	attempts := fs.Int("attempts", 6, "with --push: pushes to try when another writer pushed first")
	if done, err := parseFlags(fs, args, env, "\nArguments: STORE_DIR\n"); err != nil {
		return withCode(ExitBadInput, err)
	} else if done {
		return nil
	}
	var problems []string
	if fs.NArg() != 1 {
		problems = append(problems, "want the store directory: coldbench store [--limit 50MB] [--push] DIR")
	}
	max, err := parseSize(*limit)
	if err != nil {
		problems = append(problems, fmt.Sprintf("--limit %q: %v", *limit, err))
	}
	if *attempts < 1 {
		problems = append(problems, fmt.Sprintf("--attempts %d: want at least 1", *attempts))
	}
	if len(problems) > 0 {
		return badInput(errors.New(strings.Join(problems, "; ")))
	}
	store := baseline.Store{Dir: resolve(env.Dir, fs.Arg(0))}
	keys, err := store.Keys()
	if err != nil {
		return badInput(fmt.Errorf("store %s: %w", store.Dir, err))
	}
	for _, k := range keys {
		rep, err := store.Compact(k, max, time.Now())
		if err != nil {
			return failure(err)
		}
		fmt.Fprintln(env.Stdout, rep)
	}
	if !*push {
		return nil
	}
	pushed, tries, err := git.CommitAndPush(ctx, store.Dir, *remote, *branch, *message, *attempts)
	switch {
	case err != nil:
		return failure(err)
	case !pushed:
		fmt.Fprintln(env.Stdout, "nothing new to push")
	default:
		fmt.Fprintf(env.Stdout, "pushed to %s %s (%d tries)\n", *remote, *branch, tries)
	}
	return nil
}

// parseSize reads 500KB, 50MB, 1GB (or plain bytes).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(strings.ToUpper(strings.TrimSpace(s)), u.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil || v <= 0 {
				break
			}
			return int64(v * float64(u.mult)), nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil && v > 0 {
		return v, nil
	}
	return 0, errors.New("want a positive size such as 500KB, 50MB or 1GB")
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/pipeline"
	"github.com/coldbench/coldbench/pkg/report"
	"github.com/coldbench/coldbench/pkg/results"
)

// newPipeline is the benchmark of cfg with the real seams: pkg/build's toolchains, the local or
// Lambda runner, git, the machine's sandbox users and env's clock. log gets its progress lines.
func newPipeline(cfg config.Config, env Env, log io.Writer) *pipeline.Pipeline {
	logf := (&logger{w: log, quiet: cfg.Quiet}).printf
	p := &pipeline.Pipeline{
		Config: cfg, Dir: env.Dir, Getenv: env.Getenv, Version: Version,
		Logf: logf, Progress: env.Stderr, Terminal: env.IsTerminal,
		Samplers: pipeline.Backends{Log: logf, Warn: (&logger{w: log}).printf},
		Repo:     pipeline.Git{},
		Sandbox:  pipeline.System{Getenv: env.Getenv},
		Clock:    pipeline.ClockFunc(env.Now),
		BaseSettings: func(ctx context.Context, root, wt, sha, headPath string) (config.Config, error) {
			return baseSide(ctx, cfg, root, wt, sha, headPath)
		},
	}
	p.Builder = pipeline.Toolchains{ReferencesDir: env.Getenv("COLDBENCH_REFERENCES_DIR"), CacheDir: p.CacheDir(), Log: logf}
	p.ReferenceSources = func(runtimes []string) (string, error) {
		return referenceSources(env, cfg.HandlersDir, p.CacheDir(), runtimes)
	}
	return p
}

// runPipeline executes p; its error carries the exit code (bad input or a failure). A run
// cancelled while sampling (SIGINT, SIGTERM) returns what it measured with the error.
func runPipeline(ctx context.Context, p *pipeline.Pipeline) (*results.Results, error) {
	res, err := p.Execute(ctx)
	switch {
	case err == nil:
		return res, nil
	case pipeline.IsInput(err):
		return nil, badInput(err)
	}
	return res, failure(err)
}

func dirOf(p string) string {
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// logger writes plain progress lines unless quiet.
type logger struct {
	w     io.Writer
	quiet bool
}

func (l *logger) printf(format string, args ...any) {
	if l.quiet {
		return
	}
	// A line may quote the pull request (a build's error, an artifact's notes).
	_, _ = io.WriteString(l.w, report.LogSafe(fmt.Sprintf(format+"\n", args...)))
}

package cli

import (
	"context"
	"fmt"
	"maps"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/definition"
	"github.com/coldbench/coldbench/pkg/pipeline"
	"github.com/coldbench/coldbench/pkg/publish"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sam"
)

// defaultFunctions settles the function setting of a template with several functions when
// none was given: the ones the pull request can change on a pull request, every one otherwise.
// It is a no-op unless the template was left unpicked (applyTemplate).
func defaultFunctions(cfg *config.Config, pullRequest bool) {
	if cfg.Handler != "" || cfg.Template == "" || cfg.Template == "none" || cfg.Function != "" {
		return
	}
	cfg.Function = config.FunctionsAll
	if pullRequest {
		cfg.Function = config.FunctionsChanged
	}
	cfg.SettleReferences()
}

// wholeHandler measures the work directory as it is when nothing says what to measure (no
// handler, no template found, no references chosen) and it is one handler: a repository whose
// root is its function (a Cargo package with a binary, a Go main package).
func wholeHandler(cfg *config.Config, workDir string) {
	if cfg.Handler != "" || cfg.Template != "" || cfg.IsSet("references") || cfg.IsSet("function") {
		return
	}
	rt, ok := build.WholeHandler(workDir)
	if !ok {
		return
	}
	cfg.Handler = workDir
	cfg.Notes = append(cfg.Notes, fmt.Sprintf("no handler given: the work directory is one %s handler, measured as it is", rt))
	cfg.SettleReferences()
}

// newApp is the run of several functions cfg chooses: the template's functions, each one's head
// settings taken from the template as a run of it alone takes them (workDir's), and base's from
// the base revision (baseSideOf).
func newApp(cfg config.Config, workDir string) (*pipeline.App, error) {
	read := func(path string) ([]sam.Function, error) {
		env := map[string]string{} // what a serverless.yml's ${env:NAME} reads: the user's
		if cfg.EnvFile != "" {
			if file, err := readEnvFile(resolve(workDir, cfg.EnvFile), ""); err == nil {
				env = file
			}
		}
		maps.Copy(env, cfg.Env)
		return definition.Read(path, env)
	}
	fns, err := read(cfg.Template)
	if err != nil {
		return nil, err
	}
	return &pipeline.App{
		Template:  cfg.Template,
		Functions: fns,
		Read:      read,
		Head: func(name string) (config.Config, error) {
			c := cfg.ForFunction(name)
			if ps := settleFunction(&c, workDir, "template: "); len(ps) > 0 {
				return c, ps
			}
			if err := c.Validate(func(f string) string { return name + "'s " + f }, build.Vocabulary()); err != nil {
				return c, err
			}
			return c, nil
		},
		Base: func(ctx context.Context, root, wt, sha, name string) (config.Config, error) {
			c := cfg.ForFunction(name)
			bcfg, err := baseSideOf(ctx, c, root, wt, sha, "", name)
			if err == nil && bcfg.Handler == "" {
				err = fmt.Errorf("%s is not a function of base's template", name)
			}
			return bcfg, err
		},
	}, nil
}

// withApp makes p a run of several functions when cfg chooses one.
func withApp(p *pipeline.Pipeline, cfg config.Config, workDir string) (*pipeline.Pipeline, error) {
	if !cfg.SeveralFunctions() || cfg.Handler != "" {
		return p, nil
	}
	app, err := newApp(cfg, workDir)
	if err != nil {
		return nil, badInput(err)
	}
	p.App = app
	return p, nil
}

// relTo is path relative to dir when it is inside it, else path.
func relTo(dir, path string) string {
	if rel, ok := inside(dir, path); ok {
		return rel
	}
	return path
}

// worstExit is the exit code of a run of several functions: the worst of its functions' (a
// failure over a regression over none).
func worstExit(res *results.Results) int {
	code := ExitOK
	for _, v := range res.PerFunction() {
		code = max(code, exitCode(v)) // ExitOK 0 < ExitRegression 1 < ExitFailure 3
	}
	return code
}

// worstConclusion is the check's conclusion of a run of several functions: the worst of its
// functions' (failure, then neutral, then success). A function new in head has nothing to
// compare: only its failure (a build, a budget) counts.
func worstConclusion(res *results.Results, failOnRegression bool) publish.Conclusion {
	rank := map[publish.Conclusion]int{publish.ConclusionSuccess: 0, publish.ConclusionNeutral: 1, publish.ConclusionFailure: 2}
	worst := publish.ConclusionSuccess
	for _, f := range res.Functions {
		if !f.Sampled() {
			continue
		}
		c := conclusionOf(res.Function(f.Name), failOnRegression)
		if f.Status == results.FunctionNew && c != publish.ConclusionFailure {
			continue
		}
		if rank[c] > rank[worst] {
			worst = c
		}
	}
	return worst
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/definition"
	"github.com/coldbench/coldbench/pkg/git"
	"github.com/coldbench/coldbench/pkg/sam"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// settleFunction completes the function's settings from the repository: paths it gave are
// confined to it before anything is read through them (an error could quote a file), then the
// template and env file are applied, the references settled, and the paths they added confined.
func settleFunction(cfg *config.Config, workDir, prefix string) config.Problems {
	var ps config.Problems
	if err := confine(cfg, workDir); err != nil {
		errors.As(err, &ps)
		return ps
	}
	if err := applyTemplate(cfg, workDir); err != nil {
		return config.Problems{prefix + err.Error()}
	}
	cfg.SettleReferences()
	if err := confine(cfg, workDir); err != nil {
		errors.As(err, &ps)
	}
	for i, l := range cfg.Layers {
		cfg.Layers[i] = resolve(workDir, l) // a layer is the tree's that gave it: head's, or base's
	}
	return ps
}

// applyTemplate takes the function's definition from a SAM or CloudFormation template (or a CDK
// cloud assembly, a serverless.yml, a Terraform module: pkg/definition): its
// CodeUri, Handler, Runtime and build method, MemorySize, Timeout and Environment become the
// settings the user did not give (a flag, a coldbench.yml key or an input wins). Without a
// template setting and without a handler, template.yaml (or .yml, sam.yaml), cdk.out,
// serverless.yml or *.tf at the repository's root is used when there is one.
func applyTemplate(cfg *config.Config, workDir string) error {
	explicit := maps.Clone(cfg.Env) // --env, env: and the env input win over the file and the template
	if err := applyTemplateFile(cfg, workDir, explicit); err != nil {
		return err
	}
	if cfg.EnvFile == "" {
		return nil
	}
	file, err := readEnvFile(resolve(workDir, cfg.EnvFile), cfg.Function)
	if err != nil {
		return fmt.Errorf("env-file %s: %w", cfg.EnvFile, err)
	}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	maps.Copy(cfg.Env, file)
	maps.Copy(cfg.Env, explicit)
	return nil
}

// readEnvFile reads KEY=VALUE lines (a .env file), or the JSON of `sam local invoke --env-vars`:
// its Parameters for every function, then function's own.
func readEnvFile(path, function string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return config.ParseEnv(string(data) + "\n")
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		return nil, fmt.Errorf(`not KEY=VALUE lines nor the JSON of sam local invoke --env-vars ({"Parameters": {...}, "FunctionName": {...}}): %w`, err)
	}
	out := map[string]string{}
	for _, section := range []string{"Parameters", function} {
		for k, v := range doc[section] {
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// applyTemplateFile is applyTemplate's template part.
func applyTemplateFile(cfg *config.Config, workDir string, explicit map[string]string) error {
	path := cfg.Template
	switch {
	case path == "none":
		return nil
	case path != "":
		path = resolve(workDir, path)
	case cfg.Handler != "":
		return nil // a handler directory given: its settings are the ones given
	default:
		root := workDir
		if r, err := git.RepoRoot(context.Background(), workDir); err == nil {
			root = r
		}
		if path = definition.Discover(root); path == "" {
			return nil
		}
		_ = cfg.SetFromRepo("template", path) // the repository's own file: confined like one it names
		if err := confine(cfg, workDir); err != nil {
			return err // a template.yaml that links out of the repository is not read
		}
	}
	cfg.Template = path
	given := map[string]string{} // what a serverless.yml's ${env:NAME} reads: the user's, never coldbench's environment
	if cfg.EnvFile != "" {
		if file, err := readEnvFile(resolve(workDir, cfg.EnvFile), ""); err == nil { // its errors are applyTemplate's
			given = file
		}
	}
	maps.Copy(given, explicit)
	fns, err := definition.Read(path, given)
	if err != nil {
		return err
	}
	if cfg.SeveralFunctions() || cfg.Function == "" && len(fns) > 1 {
		return nil // a run of several functions: the pipeline takes each one from the template (newApp)
	}
	rel := path
	if r, err := filepath.Rel(workDir, path); err == nil {
		rel = r
	}
	fn, err := sam.Pick(fns, cfg.Function, rel)
	if err != nil {
		return err
	}
	known := map[string]string{}
	maps.Copy(known, explicit)
	if cfg.EnvFile != "" {
		file, _ := readEnvFile(resolve(workDir, cfg.EnvFile), fn.LogicalID) // its errors are applyTemplate's
		maps.Copy(known, file)
	}
	for k := range known {
		delete(fn.Unresolved, k) // the user gave the value the template computes at deploy time
	}
	plan, err := fn.Plan()
	if err != nil {
		return fmt.Errorf("template %s: %w", rel, err)
	}
	if st, err := os.Stat(fn.CodeURI); err != nil || !st.IsDir() && !(st.Mode().IsRegular() && strings.HasSuffix(fn.CodeURI, ".zip")) {
		return fmt.Errorf("template %s: %s's code directory %s does not exist", rel, fn.LogicalID, fn.CodeURI)
	}
	cfg.Template, cfg.Function = path, fn.LogicalID
	fill := func(key, val string) error {
		if val == "" || cfg.IsSet(key) {
			return nil
		}
		if err := cfg.SetFromRepo(key, val); err != nil {
			return fmt.Errorf("template %s: %s's %s: %w", rel, fn.LogicalID, key, err)
		}
		return nil
	}
	itoa := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, kv := range [][2]string{
		{"handler", fn.CodeURI}, {"runtime", plan.Runtime}, {"function-handler", fn.Handler},
		{"memory", itoa(fn.MemorySize)}, {"timeout", itoa(fn.Timeout)}, {"build", plan.Command}, {"binary", plan.Binary},
		{"layers", strings.Join(plan.Layers, ",")}, {"web", plan.Web},
	} {
		if err := fill(kv[0], kv[1]); err != nil {
			return err
		}
	}
	env := maps.Clone(fn.Env) // the template's, then the user's on top
	maps.Copy(env, cfg.Env)
	cfg.Env = env
	if !cfg.IsSet("build") {
		cfg.GoFlags = plan.GoFlags
	}
	cfg.Notes = append(cfg.Notes, plan.Notes...)
	return nil
}

// confine refuses a path that the repository itself gave (coldbench.yml, a template's CodeUri)
// and that leads outside it (the tree of workDir: the work tree for head, base's worktree for base), links resolved: in a pull request those are the pull request's
// words, and coldbench reads them as its own user (an env file or an event of
// /root/.aws/credentials would hand a secret to the handler). Flags and inputs, the workflow's
// own words, may point anywhere.
func confine(cfg *config.Config, workDir string) error {
	root := workDir
	if r, err := git.RepoRoot(context.Background(), workDir); err == nil {
		root = r
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil // nothing to confine to
	}
	var problems config.Problems
	for _, s := range config.Settings {
		key := s.Name
		if !s.Path || !cfg.FromRepo(key) {
			continue
		}
		for _, val := range cfg.PathValues(key) {
			if val == "" || val == "none" || key == "event" && !fileExistsAt(workDir, val) && !filepath.IsAbs(val) {
				continue // an event preset or inline JSON is no path
			}
			p := resolve(workDir, val)
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				real = filepath.Clean(p) // not there (yet): where it would be
			}
			rel, err := filepath.Rel(realRoot, real)
			switch {
			case err != nil || rel == ".." || strings.HasPrefix(rel, "../"):
				problems = append(problems, fmt.Sprintf("%s %q (from coldbench.yml or the template) leads outside the repository %s: paths the repository gives must stay inside it", key, val, root))
			case vcsDir(rel) != "" && !sandbox.Off("vcspaths"):
				problems = append(problems, fmt.Sprintf("%s %q (from coldbench.yml or the template) leads into the repository's %s directory (its history, and the token actions/checkout keeps in its config): paths the repository gives must stay out of it", key, val, vcsDir(rel)))
			}
		}
	}
	return problems.Err()
}

// vcsDir is the version-control directory (.git, .hg, .svn) that the repository-relative path rel
// is or lies in, "" for none. Such a directory is coldbench's checkout, not the pull request's
// tree: actions/checkout persists the job's token in .git/config, and a layer of `.git` would lay
// that file out in the handler's /opt.
func vcsDir(rel string) string {
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		switch part {
		case ".git", ".hg", ".svn":
			return part
		}
	}
	return ""
}

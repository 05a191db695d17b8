package build

import (
	"cmp"
	"context"
	"github.com/coldbench/coldbench/pkg/inittrace"
	"path/filepath"

	"github.com/coldbench/coldbench/pkg/results"
)

// buildPython packages a Python function for Lambda's python runtime: its code, and the packages
// of its requirements.txt installed into the package for the target platform as binary wheels
// (pip install --platform manylinux2014_aarch64 --only-binary=:all: --target), so the arm64 zip
// is the artifact that deploys, and nothing of the dependencies runs at build time.
func buildPython(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	rtDir, err := runtimeDir(req.Tools, RuntimePython, LambdaPython)
	if err != nil {
		return nil, err
	}
	if _, err := handlerFile(req, RuntimePython, Python{}.DefaultHandler(), pythonModuleExts, true); err != nil {
		return nil, err
	}
	if err := copySource(req.Dir, stage, "__pycache__", ".venv", "venv", ".pytest_cache", ".mypy_cache", "tests"); err != nil {
		return nil, &Error{Runtime: RuntimePython, Step: "copy the function's code", Err: err}
	}
	tool := map[string]string{"python": req.Tools.version(ctx, req.Tools.Python, "--version")}
	method := "the function's code as it is"
	reqDir := req.Dir
	var notes []string
	if d := nearestAbove(req.Dir, cmp.Or(req.Root, req.Dir), "requirements.txt"); !hasRequirements(req.Dir) && d != "" && hasRequirements(d) {
		// The package's requirements.txt is above the function (a project root's): its packages
		// are the function's, as a deployment that installs it installs them.
		reqDir = d
		rel, _ := filepath.Rel(cmp.Or(req.Root, req.Dir), d)
		notes = append(notes, "requirements installed from "+filepath.Join(rel, "requirements.txt")+", above the function")
	}
	if hasRequirements(reqDir) {
		platform, err := pipPlatform.of(req.Arch)
		if err != nil {
			return nil, &Error{Runtime: RuntimePython, Step: "pip install -r requirements.txt", Err: err}
		}
		if _, err := run(ctx, req, RuntimePython, "pip install -r requirements.txt", reqDir, BuildEnv(req.Tools.getenv, "PIP_DISABLE_PIP_VERSION_CHECK=1"),
			req.Tools.Python, "-m", "pip", "install", "--quiet", "--no-compile", "--break-system-packages", "-r", "requirements.txt",
			"--platform", platform, "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
			"--target", stage); err != nil {
			return nil, err
		}
		method += " + requirements.txt (pip install --platform " + platform + " --only-binary=:all: --target)"
	}
	return managedArtifact(method, LambdaPython, rtDir, tool, notes), nil
}

// pythonFor is the interpreter the python3.11 runtime runs: the one its bootstrap names.
func pythonFor(t Tools) string {
	if p := "/usr/bin/python3"; fileExists(p) {
		return p
	}
	return filepath.Join(t.ToolsDir, "python3")
}

// RuntimePython is Python's name.
const RuntimePython = "python"

// Python is a function for Lambda's Python runtime: its code and its requirements' wheels.
type Python struct{}

// Name is "python".
func (Python) Name() string { return RuntimePython }

// Aliases are none.
func (Python) Aliases() []string { return nil }

// Detect finds a requirements.txt, a pyproject.toml or *.py.
func (Python) Detect(dir string) Detection {
	if has(dir, "requirements.txt", "pyproject.toml") || len(glob(dir, "*.py")) > 0 {
		return Detection{MatchProject, "Python code (requirements.txt or *.py)"}
	}
	return Detection{}
}

// Tools are the managed runtime and the python that installs wheels.
func (Python) Tools() []Tool {
	return []Tool{managedRuntimeTool(LambdaPython),
		{Name: "python", How: "run scripts/setup.sh (the python3.11 runtime's interpreter)", VersionArgs: []string{"--version"},
			field: func(t *Tools) *string { return &t.Python }, find: func(t Tools, _ string) []string { return []string{pythonFor(t)} }},
	}
}

// Build copies the code and pip installs the requirements for the target platform.
func (Python) Build(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	return buildPython(ctx, req, stage)
}

// ToolchainKey is the managed runtime's version.
func (Python) ToolchainKey(ctx context.Context, req Request, t Tools) string {
	return managedVersion(t, LambdaPython)
}

// DefaultHandler is lambda_function.lambda_handler.
func (Python) DefaultHandler() string { return "lambda_function.lambda_handler" }

// LambdaRuntimes are the Python versions coldbench emulates.
func (Python) LambdaRuntimes() []string { return []string{LambdaPython} }

// Tracer is python -X importtime.
func (Python) Tracer() (inittrace.Tracer, bool) { return inittrace.Python(), true }

// Reference is handlers/python, its functions lambda_function.work and lambda_function.hello.
func (Python) Reference() Reference { return Reference{Dir: "python", Module: "lambda_function"} }

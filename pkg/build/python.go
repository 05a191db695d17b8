package build

import (
	"context"
	"os"
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
	if _, _, err := handlerModule(req.Dir, req.Handler, DefaultHandlers[RuntimePython], pythonModuleExts, true); err != nil {
		return nil, &Error{Runtime: RuntimePython, Step: "find the handler's module", Err: err}
	}
	if err := copySource(req.Dir, stage, "__pycache__", ".venv", "venv", ".pytest_cache", ".mypy_cache", "tests"); err != nil {
		return nil, &Error{Runtime: RuntimePython, Step: "copy the function's code", Err: err}
	}
	tool := map[string]string{"python": version(ctx, req.Tools.Python, "--version")}
	method := "the function's code as it is"
	if hasRequirements(req.Dir) {
		platform := map[string]string{ArchARM64: "manylinux2014_aarch64", ArchX8664: "manylinux2014_x86_64"}[req.Arch]
		if _, err := run(ctx, req, RuntimePython, "pip install -r requirements.txt", req.Dir, BuildEnv(os.Getenv, "PIP_DISABLE_PIP_VERSION_CHECK=1"),
			req.Tools.Python, "-m", "pip", "install", "--quiet", "--no-compile", "--break-system-packages", "-r", "requirements.txt",
			"--platform", platform, "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
			"--target", stage); err != nil {
			return nil, err
		}
		method += " + requirements.txt (pip install --platform " + platform + " --only-binary=:all: --target)"
	}
	return managedArtifact(method, LambdaPython, rtDir, tool, nil), nil
}

// pythonFor is the interpreter the python3.11 runtime runs: the one its bootstrap names.
func pythonFor(t Tools) string {
	if p := "/usr/bin/python3"; fileExists(p) {
		return p
	}
	return filepath.Join(t.ToolsDir, "python3")
}

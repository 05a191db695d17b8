package build

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// Managed runtimes: the package holds the function's code alone and Lambda supplies the runtime
// (Node.js or Python and AWS's runtime interface client). Here that runtime is a directory that
// scripts/setup-runtimes.sh fills (Lambda's /var/runtime), for this machine's arch; the runner
// starts its bootstrap with the task root unpacked from the package, as Lambda does.
const (
	LambdaNodejs = "nodejs24.x" // the default Node.js runtime
	LambdaPython = "python3.11"
)

var (
	nodeModuleExts   = []string{".mjs", ".cjs", ".js", ".ts", ".mts", ".cts"}
	pythonModuleExts = []string{".py"}
	bunModuleExts    = []string{".ts", ".tsx", ".js", ".mjs", ".jsx"}
)

// handlerModule splits a handler setting "dir/file.export" and finds the module file in dir with
// one of exts: ("dir/file.ts", "export"). Python's dotted modules ("pkg.mod.handler") are paths.
func handlerModule(dir, handler, def string, exts []string, dotted bool) (module, export string, err error) {
	if handler == "" || handler == "bootstrap" {
		handler = def
	}
	i := strings.LastIndex(handler, ".")
	if i <= 0 || i == len(handler)-1 {
		return "", "", fmt.Errorf("handler %q: want FILE.EXPORT, such as %s", handler, def)
	}
	file, export := handler[:i], handler[i+1:]
	if dotted {
		file = strings.ReplaceAll(file, ".", "/")
	}
	for _, ext := range exts {
		p := filepath.Join(dir, file+ext)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, export, nil
		}
	}
	return "", "", fmt.Errorf("handler %q: no module %s with one of the extensions %s in the handler directory", handler, file, strings.Join(exts, ", "))
}

// handlerFile finds the handler's module (module, its file), or with req.WebScript the start
// script the Web Adapter's wrapper runs ("" for the module: there is none).
func handlerFile(req Request, rt, def string, exts []string, dotted bool) (string, error) {
	if !req.WebScript {
		module, _, err := handlerModule(req.Dir, req.Handler, def, exts, dotted)
		if err != nil {
			return "", &Error{Runtime: rt, Step: "find the handler's module", Err: err}
		}
		return module, nil
	}
	st, err := os.Stat(filepath.Join(req.Dir, filepath.Clean(req.Handler)))
	if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 || strings.HasPrefix(filepath.Clean(req.Handler), "..") {
		return "", &Error{Runtime: rt, Step: "find the web server's start script", Err: fmt.Errorf(
			"handler %q: AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap runs the handler setting's file, which must be an executable file in the handler directory (the Web Adapter's run.sh)", req.Handler)}
	}
	return "", nil
}

// runtimeDir is the managed runtime's directory in the tools dir, or an error saying how to get it.
func runtimeDir(t Tools, rt, name string) (string, error) {
	dir := filepath.Join(t.ToolsDir, "runtimes", name)
	if st, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || st.Mode()&0o111 == 0 {
		return "", missing(rt, "the "+name+" runtime", "run scripts/setup.sh (scripts/setup-runtimes.sh installs it into "+filepath.Dir(dir)+")")
	}
	return dir, nil
}

// managedVersion is a managed runtime's name and the version scripts/setup-runtimes.sh
// installed ("nodejs24.x 24.11.0"), or "" when it is not installed.
func managedVersion(t Tools, name string) string {
	v, err := os.ReadFile(filepath.Join(t.ToolsDir, "runtimes", name, ".version"))
	if err != nil {
		return ""
	}
	return name + " " + strings.TrimSpace(string(v))
}

// packageJSON is what coldbench reads of a package.json.
type packageJSON struct {
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

func readPackageJSON(dir string) (*packageJSON, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	return &p, nil
}

// npmInstall installs a package's dependencies in dir the way a deployment does: from the
// lockfile (npm ci) when there is one, never running their install scripts, for the target
// platform (optional native packages of that arch). prod leaves out devDependencies.
func npmInstall(ctx context.Context, req Request, rt, dir string, prod bool, notes *[]string) error {
	cpu, err := npmCPU.of(req.Arch)
	if err != nil {
		return &Error{Runtime: rt, Step: "npm install", Err: err}
	}
	args := []string{"install", "--no-audit", "--no-fund", "--ignore-scripts", "--os=linux", "--cpu=" + cpu}
	if fileExists(filepath.Join(dir, "package-lock.json")) || fileExists(filepath.Join(dir, "npm-shrinkwrap.json")) {
		args[0] = "ci"
	} else {
		args = append(args, "--no-package-lock")
		*notes = append(*notes, "no package-lock.json: dependencies resolved afresh by npm install, so they may differ from what you deploy")
	}
	if prod {
		args = append(args, "--omit=dev")
	}
	npm := req.Tools.Npm
	if npm == "" {
		return missing(rt, "npm", "install Node.js and npm (apt-get install npm)")
	}
	_, err = run(ctx, req, rt, "npm "+args[0], dir, BuildEnv(req.Tools.getenv, "npm_config_update_notifier=false"), npm, args...)
	return err
}

// hasRequirements reports whether requirements.txt in dir names any package.
func hasRequirements(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "requirements.txt"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}

// copySource copies the function's source tree to dst, less what a deployment leaves out.
func copySource(src, dst string, skip ...string) error {
	extra := map[string]bool{}
	for _, s := range skip {
		extra[s] = true
	}
	return copyTreeSkipping(src, dst, func(name string) bool { return skipDirs[name] || extra[name] })
}

// touchFor creates an empty file the sandbox user may write (a bundler's metafile beside the stage).
func touchFor(req Request, path string) error {
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	return req.Sandbox.Own(path)
}

// managedArtifact is the artifact of a managed-runtime function.
func managedArtifact(method, lambdaRuntime, dir string, tool map[string]string, notes []string) *results.Artifact {
	return &results.Artifact{Method: method, LambdaRuntime: lambdaRuntime, RuntimeDir: dir, Toolchain: tool, Notes: notes}
}

// dropModule removes from a bundle's modules the one whose name ends in file (coldbench's Runtime
// API loop, the same in every build).
func dropModule(modules map[string]int64, file string) {
	for k := range modules {
		if strings.HasSuffix(k, file) {
			delete(modules, k)
		}
	}
}

// bundleModules reads an esbuild-format metafile (esbuild's, bun build's) into bytes by module:
// an npm package's files add up under the package's name, the function's own files keep their
// paths. Nil when there is no such file.
func bundleModules(metafile string) map[string]int64 {
	b, err := os.ReadFile(metafile)
	if err != nil {
		return nil
	}
	var meta struct {
		Outputs map[string]struct {
			Inputs map[string]struct {
				BytesInOutput int64 `json:"bytesInOutput"`
			} `json:"inputs"`
		} `json:"outputs"`
	}
	if json.Unmarshal(b, &meta) != nil {
		return nil
	}
	out := map[string]int64{}
	for _, o := range meta.Outputs {
		for path, in := range o.Inputs {
			out[moduleName(path)] += in.BytesInOutput
		}
	}
	return out
}

// moduleName is a bundle input's module: "@scope/pkg" or "pkg" for node_modules, else the path.
func moduleName(path string) string {
	i := strings.LastIndex(path, "node_modules/")
	if i < 0 {
		return path
	}
	parts := strings.SplitN(path[i+len("node_modules/"):], "/", 3)
	if strings.HasPrefix(parts[0], "@") && len(parts) > 1 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

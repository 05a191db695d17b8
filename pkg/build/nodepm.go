package build

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Node.js package managers, each named by the lock files it writes.
const (
	managerNpm  = "npm"
	managerPnpm = "pnpm"
	managerYarn = "yarn"
)

// nodeManager is the package manager whose lock file is in dir, as the project's own install
// uses it: npm for package-lock.json or npm-shrinkwrap.json (and when there is no lock file),
// pnpm for pnpm-lock.yaml or pnpm-workspace.yaml, Yarn for yarn.lock. A Yarn Berry (v2+) lock
// file is refused: coldbench's Yarn is classic's (v1). Several managers' lock files: the first
// in that order installs, with a note.
func nodeManager(dir string) (manager string, notes []string, err error) {
	var found []string
	for _, c := range []struct{ manager, file string }{
		{managerNpm, "package-lock.json"}, {managerNpm, "npm-shrinkwrap.json"},
		{managerPnpm, "pnpm-lock.yaml"}, {managerPnpm, "pnpm-workspace.yaml"}, {managerYarn, "yarn.lock"},
	} {
		if !fileExists(filepath.Join(dir, c.file)) {
			continue
		}
		if manager == "" {
			manager = c.manager
		}
		if c.manager != manager {
			notes = append(notes, fmt.Sprintf("%s is not read: %s installs the dependencies (its lock file is there too)", c.file, manager))
		}
		found = append(found, c.file)
	}
	if manager == managerYarn {
		if b, rerr := os.ReadFile(filepath.Join(dir, "yarn.lock")); rerr == nil && bytes.Contains(b, []byte("\n__metadata:")) {
			return "", nil, fmt.Errorf("%s is a Yarn Berry (v2+) lock file (it has __metadata:): coldbench installs npm's (package-lock.json), "+
				"pnpm's (pnpm-lock.yaml) and Yarn classic's (v1) lock files; build this function with your own command (the build setting) instead",
				filepath.Join(dir, "yarn.lock"))
		}
	}
	if manager == "" {
		manager = managerNpm
	}
	return manager, notes, nil
}

// nodeInstall installs the dependencies of the package in dir with the package manager its lock
// file names (nodeManager), never running install scripts; prod leaves out devDependencies. What
// it installs is a flat node_modules in dir, as Lambda packages of pnpm projects are made
// (node-linker=hoisted): no link that points out of the package.
func nodeInstall(ctx context.Context, req Request, rt, dir string, prod bool, notes *[]string) (string, error) {
	manager, more, err := nodeManager(dir)
	if err != nil {
		return "", &Error{Runtime: rt, Step: "choose the package manager", Err: err}
	}
	*notes = append(*notes, more...)
	var tool, how string
	var args, env []string
	switch manager {
	case managerNpm:
		return managerNpm, npmInstall(ctx, req, rt, dir, prod, notes)
	case managerPnpm:
		tool, how = req.Tools.Pnpm, "run scripts/setup.sh (pnpm into the tools dir), or put pnpm on PATH"
		args = []string{"install", "--frozen-lockfile", "--ignore-scripts", "--ignore-pnpmfile"}
		if prod {
			args = append(args, "--prod")
		}
		if !fileExists(filepath.Join(dir, "pnpm-lock.yaml")) {
			args[1] = "--no-frozen-lockfile"
			*notes = append(*notes, "no pnpm-lock.yaml: dependencies resolved afresh by pnpm install, so they may differ from what you deploy")
		}
		// A flat node_modules, as Lambda zips of pnpm projects are; the pnpm coldbench pinned,
		// not one package.json's packageManager field would download; no .pnpmfile.cjs hooks
		// (the project's code, as install scripts are).
		env = []string{"npm_config_node_linker=hoisted", "npm_config_manage_package_manager_versions=false",
			"npm_config_update_notifier=false", "CI=true"}
	case managerYarn:
		tool, how = req.Tools.Yarn, "run scripts/setup.sh (Yarn classic into the tools dir), or put yarn on PATH"
		args = []string{"install", "--frozen-lockfile", "--ignore-scripts", "--non-interactive", "--no-progress"}
		if prod {
			args = append(args, "--production")
		}
		// YARN_IGNORE_PATH: never a yarn-path a .yarnrc names (code of the project's choosing).
		env = []string{"YARN_IGNORE_PATH=1", "YARN_ENABLE_TELEMETRY=0", "CI=true"}
	}
	if tool == "" {
		return "", missing(rt, manager, how)
	}
	if reg := req.Tools.getenv("NPM_CONFIG_REGISTRY"); reg != "" && manager == managerYarn {
		env = append(env, "YARN_REGISTRY="+reg)
	}
	_, err = run(ctx, req, rt, manager+" install", dir, BuildEnv(req.Tools.getenv, env...), tool, args...)
	return manager, err
}

// recordManager adds pnpm's or Yarn's version to a build's toolchain when manager is one of them
// (npm's is the system's, as before).
func recordManager(ctx context.Context, t Tools, tool map[string]string, manager string) {
	switch manager {
	case managerPnpm:
		tool[managerPnpm] = t.version(ctx, t.Pnpm, "--version")
	case managerYarn:
		tool[managerYarn] = t.version(ctx, t.Yarn, "--version")
	}
}

// installMethod is how nodeInstall installed with manager, for the artifact's method line.
func installMethod(manager, dir string) string {
	switch manager {
	case managerPnpm:
		return "pnpm install --frozen-lockfile --prod --ignore-scripts, node-linker=hoisted"
	case managerYarn:
		return "yarn install --frozen-lockfile --production --ignore-scripts"
	}
	verb := "install"
	if fileExists(filepath.Join(dir, "package-lock.json")) || fileExists(filepath.Join(dir, "npm-shrinkwrap.json")) {
		verb = "ci"
	}
	return "npm " + verb + " --omit=dev --ignore-scripts"
}

// pnpmTool and yarnTool install the dependencies of packages whose lock file is theirs.
var (
	pnpmTool = Tool{Name: "pnpm", How: "run scripts/setup.sh (scripts/setup-runtimes.sh installs pnpm from the npm registry)", VersionArgs: []string{"--version"},
		field: func(t *Tools) *string { return &t.Pnpm },
		find:  func(t Tools, _ string) []string { return []string{filepath.Join(t.ToolsDir, "bin", "pnpm"), "pnpm"} }}
	yarnTool = Tool{Name: "yarn", How: "run scripts/setup.sh (scripts/setup-runtimes.sh installs Yarn classic from the npm registry)", VersionArgs: []string{"--version"},
		field: func(t *Tools) *string { return &t.Yarn },
		find:  func(t Tools, _ string) []string { return []string{filepath.Join(t.ToolsDir, "bin", "yarn"), "yarn"} }}
)

// pnpmWorkspaceMember is the pnpm workspace root above dir whose pnpm-lock.yaml installs dir's
// dependencies, when dir has no lock file of its own; "" otherwise.
func pnpmWorkspaceMember(dir, root string) string {
	ws := nodeInstallDir(dir, root)
	if ws == "" || ws == dir || !fileExists(filepath.Join(ws, "pnpm-workspace.yaml")) || !fileExists(filepath.Join(ws, "pnpm-lock.yaml")) || hasNodeLock(dir) {
		return ""
	}
	return ws
}

// lockAbove is the lock file (its path from root) of the install directory above dir that
// nodeInstallDir finds, when dir has no lock file of its own; "" otherwise.
func lockAbove(dir, root string) string {
	ws := nodeInstallDir(dir, root)
	if ws == "" || ws == dir || hasNodeLock(dir) {
		return ""
	}
	for _, l := range nodeLocks {
		if fileExists(filepath.Join(ws, l)) {
			rel, _ := filepath.Rel(root, filepath.Join(ws, l))
			return rel
		}
	}
	return ""
}

// hasNodeLock reports whether dir has a Node.js lock file.
func hasNodeLock(dir string) bool {
	for _, l := range nodeLocks {
		if fileExists(filepath.Join(dir, l)) {
			return true
		}
	}
	return false
}

// pnpmDeploy puts into stage/node_modules the production dependencies of the workspace member
// dir, from the lock file of the pnpm workspace at ws, as pnpm deploy makes a member's
// deployable directory (flat, injected workspace packages, scripts ignored). The function's own
// files in stage are copySource's, not pnpm's.
func pnpmDeploy(ctx context.Context, req Request, rt, ws, dir, stage string) error {
	if req.Tools.Pnpm == "" {
		return missing(rt, managerPnpm, "run scripts/setup.sh (pnpm into the tools dir), or put pnpm on PATH")
	}
	rel, err := filepath.Rel(ws, dir)
	if err != nil {
		return &Error{Runtime: rt, Step: "pnpm deploy", Err: err}
	}
	// Beside the stage, in a directory the sandbox user owns: pnpm deploy makes its target anew.
	parent := stage + "-deploy"
	defer os.RemoveAll(parent)
	if err := os.Mkdir(parent, 0o755); err != nil {
		return &Error{Runtime: rt, Step: "pnpm deploy", Err: err}
	}
	if err := req.Sandbox.Own(parent); err != nil {
		return &Error{Runtime: rt, Step: "pnpm deploy", Err: err}
	}
	out := filepath.Join(parent, "package")
	env := BuildEnv(req.Tools.getenv, "npm_config_node_linker=hoisted", "npm_config_inject_workspace_packages=true",
		"npm_config_manage_package_manager_versions=false", "npm_config_update_notifier=false", "CI=true")
	if _, err := run(ctx, req, rt, "pnpm deploy", ws, env, req.Tools.Pnpm, "--filter", "./"+filepath.ToSlash(rel),
		"deploy", "--prod", "--frozen-lockfile", "--ignore-scripts", "--ignore-pnpmfile", out); err != nil {
		return err
	}
	// Renaming moves a link as a link: nothing the step left in out is followed.
	if err := os.Rename(filepath.Join(out, "node_modules"), filepath.Join(stage, "node_modules")); err != nil && !os.IsNotExist(err) {
		return &Error{Runtime: rt, Step: "pnpm deploy", Err: err}
	}
	return nil
}

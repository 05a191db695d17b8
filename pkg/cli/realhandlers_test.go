package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/fakegithub"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/pipeline"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// The layouts below mirror public Lambda projects coldbench was tried on (AWS's serverless Go
// demo, the Rust runtime's examples, Deno layer projects); the code is our own.

// fixtureRepo copies testdata/userhandlers/name into a fresh git repository (one commit on
// master), as a user's checkout.
func fixtureRepo(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "userhandlers", name))); err != nil {
		t.Fatal(err)
	}
	git := gitIn(t, dir)
	git("init", "-q", "-b", "master")
	git("add", ".")
	git("commit", "-qm", "fixture")
	return dir
}

// runIn runs coldbench in dir and returns the exit code, the results and everything it printed.
func runIn(t *testing.T, dir string, args ...string) (int, *results.Results, string) {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, "r.json"))
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), append([]string{"run", "--references", "none", "--json", "r.json"}, args...), env)
	res, err := results.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		return code, nil, out.String() + errb.String()
	}
	return code, res, out.String() + errb.String()
}

func hasWarning(res *results.Results, substr string) bool {
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, substr) {
			return true
		}
	}
	return false
}

// cleanHead fails t unless every head sample succeeded with a response containing want.
func cleanHead(t *testing.T, res *results.Results, want, log string) {
	t.Helper()
	samples := res.SamplesOf("head")
	if len(samples) == 0 {
		t.Fatalf("no head samples\n%s", log)
	}
	for _, s := range samples {
		if s.InitOnly {
			continue
		}
		if s.Error != nil || !strings.Contains(s.Response, want) {
			t.Fatalf("head sample error %v, response %q; want a clean answer containing %q\n%s", s.Error, s.Response, want, log)
		}
	}
}

// A SAM Go project (go.mod at the root, main packages under functions/, a shared package, Globals)
// is measured from the template alone: its build method, memory, environment with parameter
// defaults and pseudo parameters resolved, what only a deployment knows named; and with its own
// Makefile (the makefile build method) it is the user's artifact that is timed.
func TestSAMGoProject(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	testenv.Tool(t, "make")
	dir := fixtureRepo(t, "sam-go")

	code, res, log := runIn(t, dir, "--function", "Nope", "--base", "none", "--samples", "3")
	if code != ExitBadInput || !strings.Contains(log, `function "Nope": not in template template.yaml; valid values are GetItemsFunction (provided.al2023, functions/get-items), MakeFunction`) {
		t.Fatalf("--function Nope: exit %d, want 2 and the functions listed\n%s", code, log)
	}

	code, res, log = runIn(t, dir, "--function", "GetItemsFunction", "--event", "apigw-v2", "--base", "none", "--samples", "3")
	if code != ExitOK || res == nil {
		t.Fatalf("GetItemsFunction: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "coldbench-unresolved-TABLE/prod/us-east-1", log)
	head := res.Variant(results.RoleHead)
	if res.Config.MemoryMB != 256 || res.Config.Function != "GetItemsFunction in template.yaml" || head.Runtime != "go" ||
		!strings.Contains(head.Deploy.Method, "SAM's go1.x default") {
		t.Errorf("memory %d, function %q, runtime %q, method %q; want the template's", res.Config.MemoryMB, res.Config.Function, head.Runtime, head.Deploy.Method)
	}
	if !hasWarning(res, "env TABLE is !Ref ItemsTable, known only once deployed") || !hasWarning(res, "layer !Ref SharedLayer's content layer/ does not exist: not emulated") {
		t.Errorf("warnings %+v: want the unresolved TABLE and the layer named", res.Warnings)
	}

	// The user's value wins over the template's, and the warning goes.
	code, res, log = runIn(t, dir, "--function", "GetItemsFunction", "--event", "apigw-v2", "--base", "none", "--samples", "3", "--env", "TABLE=products")
	if code != ExitOK || res == nil {
		t.Fatalf("--env TABLE: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "products/prod/us-east-1", log)
	if hasWarning(res, "env TABLE") {
		t.Errorf("warnings %+v: TABLE was given", res.Warnings)
	}

	// sam local's --env-vars file gives what the template cannot; --env still wins over it.
	testenv.Write(t, dir, "env-vars.json", `{"Parameters": {"STAGE": "dev"}, "GetItemsFunction": {"TABLE": "from-file"}}`)
	code, res, log = runIn(t, dir, "--function", "GetItemsFunction", "--event", "apigw-v2", "--base", "none", "--samples", "2", "--env-file", "env-vars.json")
	if code != ExitOK || res == nil {
		t.Fatalf("--env-file: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "from-file/dev/us-east-1", log)
	if hasWarning(res, "env TABLE") {
		t.Errorf("warnings %+v: TABLE was in the env file", res.Warnings)
	}
	_, res, log = runIn(t, dir, "--function", "GetItemsFunction", "--event", "apigw-v2", "--base", "none", "--samples", "2", "--env-file", "env-vars.json", "--env", "STAGE=test")
	cleanHead(t, res, "from-file/test/", log)

	// The makefile method: `make build-MakeFunction` with ARTIFACTS_DIR, as sam build runs it.
	code, res, log = runIn(t, dir, "--function", "MakeFunction", "--base", "none", "--samples", "3")
	if code != ExitOK || res == nil {
		t.Fatalf("MakeFunction: exit %d\n%s", code, log)
	}
	cleanHead(t, res, `"version":"makefile"`, log)
	if m := res.Variant(results.RoleHead).Deploy.Method; res.Config.MemoryMB != 512 || m != "your build command: make build-MakeFunction" {
		t.Errorf("memory %d, method %q; want the function's 512 MB and its Makefile", res.Config.MemoryMB, m)
	}

	// Head against base: both built from their own trees (the shared package above the function
	// is in each), the work tree's uncommitted change labelled as such.
	testenv.Write(t, filepath.Join(dir, "functions", "get-items"), "extra.go", "package main\n\nvar _ = len(table)\n")
	code, res, log = runIn(t, dir, "--function", "GetItemsFunction", "--event", "apigw-v2", "--base", "master", "--samples", "3", "--init-samples", "0")
	if code == ExitFailure || res == nil || res.Variant(results.RoleBase) == nil || res.Variant(results.RoleBase).BuildError != "" {
		t.Fatalf("head vs base: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "coldbench-unresolved-TABLE", log)
	if ref := res.Variant(results.RoleHead).Ref; !strings.HasSuffix(ref, results.DirtySuffix) || !strings.Contains(log, "+ uncommitted changes") {
		t.Errorf("head ref %q: want the dirty work tree labelled\n%s", ref, log)
	}
}

// A SAM Rust project whose bin is named after the package (beside a second bin), with a path
// dependency outside CodeUri, is found at the repository's root and built the way cargo lambda
// picks the bin; the zip's entry is bootstrap.
func TestSAMRustProject(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "cargo")
	dir := fixtureRepo(t, "sam-rust")
	code, res, log := runIn(t, dir, "--base", "none", "--samples", "3")
	if code != ExitOK || res == nil {
		t.Fatalf("exit %d\n%s", code, log)
	}
	cleanHead(t, res, `"greeting":"hello"`, log)
	head := res.Variant(results.RoleHead)
	if !strings.Contains(head.Deploy.Method, "--bin orders-api (packaged as bootstrap)") || res.Config.MemoryMB != 128 || res.Config.Function != "OrdersFunction in template.yaml" {
		t.Errorf("method %q, memory %d, function %q", head.Deploy.Method, res.Config.MemoryMB, res.Config.Function)
	}
	code, _, log = runIn(t, dir, "--base", "none", "--samples", "3", "--binary", "migrations")
	if code != ExitFailure || !strings.Contains(log, `binary "migrations": no such bin target; valid values are migrate, orders-api`) {
		t.Errorf("--binary migrations: exit %d, want the bins listed\n%s", code, log)
	}
}

// A Deno module that exports its handler runs under coldbench's Runtime API loop, selected by
// the handler setting as a Deno layer selects it; its failures carry the error types Lambda
// gives, with the handler's own output, and a variant that fails the same way every time is
// not sampled on.
func TestDenoExportHandler(t *testing.T) {
	t.Parallel()
	if testenv.Tool(t, "deno") == "" {
		return
	}
	dir := fixtureRepo(t, "deno-export")
	code, res, log := runIn(t, dir, "--handler", ".", "--function-handler", "hello.handler", "--base", "none", "--samples", "3", "--event", `{"name":"deno"}`)
	if code != ExitOK || res == nil {
		t.Fatalf("hello.handler: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "hello, deno", log)
	if head := res.Variant(results.RoleHead); head.Runtime != "deno" || !strings.Contains(head.Deploy.Method, "hello.ts's handler run by coldbench's Runtime API loop") {
		t.Errorf("runtime %q, method %q", head.Runtime, head.Deploy.Method)
	}
	for _, tc := range []struct{ handler, errType, phase, output string }{
		{"broken.handler", "Runtime.ImportModuleError", "init", "cannot reach the configuration service"},
		{"hello.missing", "Runtime.HandlerNotFound", "init", "hello.missing is undefined or not exported"},
		{"throws.handler", "TypeError", "invoke", "items is undefined"},
	} {
		code, res, log := runIn(t, dir, "--handler", ".", "--function-handler", tc.handler, "--base", "none", "--samples", "12", "--markdown", "r.md")
		if code != ExitFailure || res == nil {
			t.Fatalf("%s: exit %d, want 3\n%s", tc.handler, code, log)
		}
		samples := res.SamplesOf("head")
		// Identical failures stop a variant: after sampling.FailFastMax of them when they are fast,
		// sooner once they have cost sampling.FailFastWall (a busy machine's Deno inits can: the
		// exact rule is pkg/sampling's test; here, that it stops and says why).
		stopped := res.Variant(results.RoleHead).Stopped
		if len(samples) < sampling.FailFast || len(samples) > sampling.FailFastMax ||
			!strings.Contains(stopped, fmt.Sprintf("first %d samples all failed with %s", len(samples), tc.errType)) {
			t.Errorf("%s: %d samples, stopped %q; want %d to %d and why", tc.handler, len(samples), stopped, sampling.FailFast, sampling.FailFastMax)
		}
		e := samples[0].Error
		md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
		if e == nil || e.Type != tc.errType || string(e.Phase) != tc.phase || !strings.Contains(string(md), tc.output) ||
			!strings.Contains(log, "last output of the first") || !strings.Contains(string(md), "sampling stopped early") {
			t.Errorf("%s: error %+v; want %s in %s, the handler's words in the text and Markdown reports\n%s\n%s", tc.handler, e, tc.errType, tc.phase, log, md)
		}
	}
}

// The user's own build: what it leaves in ARTIFACTS_DIR (or names as artifact) is what is timed,
// and a link in it to a file of the runner's is refused, never packaged.
func TestUserBuildCommand(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "bash")
	testenv.Tool(t, "curl")
	testenv.Tool(t, "zip")
	dir := t.TempDir()
	testenv.Write(t, filepath.Join(dir, "fn"), "bootstrap.src", "#!/bin/bash\nset -euo pipefail\n"+runtimeLoop)
	testenv.Write(t, filepath.Join(dir, "fn"), "build.sh", `set -eu
case "$1" in
  artifacts) install -m 755 bootstrap.src "$ARTIFACTS_DIR/bootstrap"; echo "$COLDBENCH_ARCH" > "$ARTIFACTS_DIR/arch.txt" ;;
  zip) mkdir -p out/pkg; install -m 755 bootstrap.src out/pkg/bootstrap; (cd out/pkg && zip -q ../fn.zip bootstrap) ;;
  steal) ln -s /etc/passwd "$ARTIFACTS_DIR/bootstrap" ;;
  nothing) : ;;
esac
`)
	run := func(args ...string) (int, *results.Results, string) {
		return runIn(t, dir, append([]string{"--handler", "fn", "--base", "none", "--samples", "2"}, args...)...)
	}
	code, res, log := run("--build", "sh build.sh artifacts")
	if code != ExitOK || res == nil {
		t.Fatalf("ARTIFACTS_DIR build: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "", log)
	if m := res.Variant(results.RoleHead).Deploy.Method; m != "your build command: sh build.sh artifacts" {
		t.Errorf("method %q", m)
	}
	code, res, log = run("--build", "sh build.sh zip", "--artifact", "out/fn.zip")
	if code != ExitOK || res == nil {
		t.Fatalf("zip artifact: exit %d\n%s", code, log)
	}
	cleanHead(t, res, "", log)
	for _, tc := range []struct{ how, artifact, want string }{
		{"steal", "", "no executable bootstrap"},
		{"nothing", "../../../../../etc/passwd", "not found inside the source tree"},
		{"nothing", "", "the build command wrote nothing to $ARTIFACTS_DIR"},
	} {
		args := []string{"--build", "sh build.sh " + tc.how}
		if tc.artifact != "" {
			args = append(args, "--artifact", tc.artifact)
		}
		code, res, log = run(args...)
		if code != ExitFailure || res == nil || !strings.Contains(res.Variant(results.RoleHead).BuildError, tc.want) || strings.Contains(log, "root:x:0:0") {
			t.Errorf("%s: exit %d, want a build error %q and nothing of /etc/passwd\n%s", tc.how, code, tc.want, log)
		}
	}
}

// Node.js, Python and Bun functions run on AWS's own runtime interface clients (Bun on coldbench's
// loop): each measured cold, and each failure reported with the type AWS's client gives it.
func TestManagedRuntimeHandlers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, tool, handler string
		env                    []string
		wantResponse           string // a clean run's
		errType, phase         string // a failing one's
		lambdaRuntime          string
	}{
		{"node-js", "npm", "", []string{"TABLE=carts"}, `\"table\":\"carts\"`, "", "", "nodejs24.x"}, // index.handler, the default
		{"node-js", "npm", "broken.handler", nil, "", "Error", "init", "nodejs24.x"},
		{"node-js", "npm", "missingdep.handler", nil, "", "Runtime.ImportModuleError", "init", "nodejs24.x"},
		{"node-js", "npm", "index.missing", nil, "", "Runtime.HandlerNotFound", "init", "nodejs24.x"},
		{"node-js", "npm", "throws.handler", nil, "", "TypeError", "invoke", "nodejs24.x"},
		{"python-req", "pip3", "", nil, "orders six 1.16.0", "", "", "python3.11"}, // lambda_function.lambda_handler, the default
		{"python-req", "pip3", "broken.handler", nil, "", "RuntimeError", "init", "python3.11"},
		{"python-req", "pip3", "missingdep.handler", nil, "", "Runtime.ImportModuleError", "init", "python3.11"},
		{"python-req", "pip3", "lambda_function.nope", nil, "", "Runtime.HandlerNotFound", "init", "python3.11"},
		{"python-req", "pip3", "app.handler", nil, "", "ValueError", "invoke", "python3.11"},
		{"bun-fn", "bun", "index.handler", nil, "hello bun from orders", "", "", ""}, // (modules checked below)
		{"bun-fn", "bun", "index.nope", nil, "", "Runtime.HandlerNotFound", "init", ""},
		{"bun-fn", "bun", "throws.handler", nil, "", "RangeError", "invoke", ""},
	} {
		t.Run(tc.fixture+"/"+tc.handler, func(t *testing.T) {
			t.Parallel()
			testenv.Tool(t, tc.tool)
			dir := fixtureRepo(t, tc.fixture)
			args := []string{"--handler", ".", "--function-handler", tc.handler, "--base", "none", "--samples", "4", "--init-samples", "0"}
			for _, e := range tc.env {
				args = append(args, "--env", e)
			}
			code, res, log := runIn(t, dir, args...)
			if res == nil {
				t.Fatalf("exit %d, no results\n%s", code, log)
			}
			head := res.Variant(results.RoleHead)
			if head.BuildError != "" || head.Deploy == nil || head.Deploy.LambdaRuntime != tc.lambdaRuntime {
				t.Fatalf("build error %q, deploy %+v; want a %q package\n%s", head.BuildError, head.Deploy, tc.lambdaRuntime, log)
			}
			if tc.errType == "" {
				if code != ExitOK {
					t.Fatalf("exit %d\n%s", code, log)
				}
				cleanHead(t, res, tc.wantResponse, log)
				if tc.tool == "bun" && head.Deploy.Modules["index.ts"] == 0 {
					t.Errorf("bundle modules %v: want index.ts, from bun build's metafile", head.Deploy.Modules)
				}
				return
			}
			samples := res.SamplesOf("head")
			for _, s := range samples {
				if e := s.Error; code != ExitFailure || e == nil || e.Type != tc.errType || string(e.Phase) != tc.phase || len(samples) != 4 {
					t.Fatalf("exit %d, %d samples, error %+v; want all 4 failed with %s in %s\n%s", code, len(samples), e, tc.errType, tc.phase, log)
				}
			}
		})
	}
}

// A SAM TypeScript function (the esbuild build method, an npm dependency from its lockfile) is
// bundled as sam build bundles it and measured on the Node.js version it deploys on (nodejs22.x).
func TestSAMTypeScriptProject(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "npm")
	dir := fixtureRepo(t, "node-ts")
	code, res, log := runIn(t, dir, "--base", "none", "--samples", "3")
	if code != ExitOK || res == nil {
		t.Fatalf("exit %d\n%s", code, log)
	}
	cleanHead(t, res, `\"timeoutMs\":172800000`, log)
	head := res.Variant(results.RoleHead)
	if !strings.Contains(head.Deploy.Method, "esbuild app.ts --bundle --minify --format=cjs --target=node22") || head.Runtime != "nodejs" ||
		head.Deploy.LambdaRuntime != "nodejs22.x" || hasWarning(res, "runs on nodejs22.x") || res.Config.TimeoutMs != 3000 {
		t.Errorf("method %q, runtime %q on %q, timeout %v, warnings %+v; want the template's nodejs22.x", head.Deploy.Method, head.Runtime,
			head.Deploy.LambdaRuntime, res.Config.TimeoutMs, res.Warnings)
	}
	if head.Deploy.UnzippedBytes > 20000 {
		t.Errorf("the bundle unzips to %d bytes: want one minified file, not node_modules", head.Deploy.UnzippedBytes)
	}
	if m := head.Deploy.Modules; m["ms"] < 500 || m["app.ts"] == 0 || len(m) != 2 {
		t.Errorf("bundle modules %v: want the ms package and app.ts, from esbuild's metafile", m)
	}
}

// The init breakdown names what made head's init slower: a Go package whose init() appears in
// head (GODEBUG=inittrace=1), a Node.js module that head imports (coldbench's module hook); and an
// unchanged head's counters stay within base's.
func TestInitBreakdown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, tool, fixture, handler string
		change                       func(t *testing.T, dir string)
		want                         string // in the cause sentence and the Markdown
	}{
		{"go package init", "go", "sam-go", "", func(t *testing.T, dir string) {
			testenv.Write(t, dir, "catalog/catalog.go", `// Package catalog loads its index eagerly, in init.
package catalog

var Index = map[int]string{}

func init() {
	for i := 0; i < 300000; i++ {
		Index[i] = "item"
	}
}
`)
			main := filepath.Join(dir, "functions", "get-items", "main.go")
			b, _ := os.ReadFile(main)
			src := strings.Replace(string(b), `"example.com/shop/store"`, "\"example.com/shop/store\"\n\t_ \"example.com/shop/catalog\"", 1)
			testenv.Write(t, filepath.Dir(main), "main.go", src)
		}, "example.com/shop/catalog"},
		{"node module import", "npm", "node-js", "index.handler", func(t *testing.T, dir string) {
			testenv.Write(t, dir, "rules.mjs", "// Compiles its rule table at import.\nexport const rules = [];\nfor (let i = 0; i < 2e6; i++) rules.push({ id: i, re: i % 7 });\n")
			b, _ := os.ReadFile(filepath.Join(dir, "index.mjs"))
			testenv.Write(t, dir, "index.mjs", "import { rules } from \"./rules.mjs\";\n"+string(b)+"\nexport const count = () => rules.length;\n")
		}, "./rules.mjs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testenv.Tool(t, tc.tool)
			dir := fixtureRepo(t, tc.fixture)
			git := gitIn(t, dir)
			git("checkout", "-q", "-b", "change")
			args := []string{"--base", "master", "--samples", "20", "--init-samples", "2", "--markdown", "r.md"}
			if tc.handler != "" {
				args = append(args, "--handler", ".", "--function-handler", tc.handler)
			} else {
				args = append(args, "--function", "GetItemsFunction", "--event", "apigw-v2")
			}
			_, err := exec.LookPath("valgrind")
			counting := tc.tool == "go" && err == nil // Node.js under valgrind takes a minute a start
			if counting {
				args = append(args, "--instructions")
			}
			instructions := func(res *results.Results) *results.CounterDelta {
				for _, c := range res.Breakdown.Counters {
					if c.Name == "instructions" {
						return &c
					}
				}
				t.Fatalf("no instructions counter in %+v (counts %+v)", res.Breakdown.Counters, res.InitInstructions)
				return nil
			}
			// Unchanged: the counters of head and base overlap, no cause is named.
			_, res, log := runIn(t, dir, args...)
			if res == nil || res.Breakdown == nil {
				t.Fatalf("unchanged: no breakdown\n%s", log)
			}
			if res.Breakdown.Cause != "" {
				t.Errorf("unchanged head: cause %q, want none", res.Breakdown.Cause)
			}
			for _, c := range res.Breakdown.Counters {
				if c.Name == "minor_faults" && (c.Changed || c.HeadMin > c.BaseMax || c.HeadMax < c.BaseMin) {
					t.Errorf("unchanged head: %+v, want head's counters within base's range", c)
				}
			}
			if counting {
				if c := instructions(res); c.Changed || c.N != pipeline.TraceSamples {
					t.Errorf("unchanged head: %+v, want %d counts a side, no change", c, pipeline.TraceSamples)
				}
			}
			tc.change(t, dir)
			git("add", ".")
			git("commit", "-qm", "heavier init")
			_, res, log = runIn(t, dir, args...)
			if res == nil || res.Breakdown == nil || len(res.InitTraces) != 2*pipeline.TraceSamples {
				t.Fatalf("changed: breakdown %+v\n%s", res, log)
			}
			t.Logf("cause: %s (trace %.1fs, count %.1fs of a %.1fs run)", res.Breakdown.Cause, res.Phases["trace"]/1000, res.Phases["count"]/1000, res.DurationMs/1000)
			if counting {
				c := instructions(res)
				t.Logf("instructions: base %.0f (%.0f–%.0f), head %.0f (%.0f–%.0f)", c.Base, c.BaseMin, c.BaseMax, c.Head, c.HeadMin, c.HeadMax)
				if !c.Changed || c.Head < c.Base*1.5 {
					t.Errorf("head fills a 300,000-entry map in init: instructions %+v, want far more than base's", c)
				}
			}
			md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
			if !strings.Contains(res.Breakdown.Cause, tc.want) || !strings.Contains(string(md), "Biggest init change: `"+tc.want) {
				t.Errorf("cause %q, units %+v; want %s named in the results and the Markdown\n%s", res.Breakdown.Cause, res.Breakdown.Units, tc.want, md)
			}
			if tc.tool == "go" { // a compiled bootstrap: its sections grew with the new package
				grew := false
				for _, sec := range res.Breakdown.Sections {
					grew = grew || sec.Name == ".text" && sec.Head > sec.Base
				}
				if !grew || !strings.Contains(string(md), "ELF sections that changed size") {
					t.Errorf("sections %+v: want .text grown, in the Markdown", res.Breakdown.Sections)
				}
			}
		})
	}
}

// The action takes the function from the repository's template and the handler's settings from
// coldbench.yml, as the CLI does, with no handler input at all.
func TestActionTakesTheFunctionFromTheTemplate(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	dir := fixtureRepo(t, "sam-go")
	git := gitIn(t, dir)
	testenv.Write(t, dir, "coldbench.yml", "function: GetItemsFunction\nevent: apigw-v2\nenv:\n  TABLE: products\n")
	git("add", ".")
	git("commit", "-qm", "coldbench settings")
	base := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	git("checkout", "-q", "-b", "changes")
	testenv.Write(t, filepath.Join(dir, "functions", "get-items"), "doc.go", "// Command get-items lists the items.\npackage main\n")
	git("add", ".")
	git("commit", "-qm", "a comment")
	head := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	tmpl, err := os.ReadFile("testdata/pull_request.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := strings.ReplaceAll(strings.ReplaceAll(string(tmpl), "ec26c3e57ca3a959ca5aad62de7213c562f8c821", head), "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", base)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(ev), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(t, repository, token)
	run := runActionT(t, gh, dir, event, map[string]string{"handler": "", "samples": "6", "init-samples": "0"})
	if run.code == ExitBadInput || run.code == ExitFailure {
		t.Fatalf("exit %d\n%s\n%s", run.code, run.stdout, run.stderr)
	}
	res, err := results.ReadFile(filepath.Join(dir, ".coldbench", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	cleanHead(t, res, "products/prod/us-east-1", run.stdout+run.stderr)
	if res.Config.Function != "GetItemsFunction in template.yaml" || res.Config.MemoryMB != 256 || res.Variant(results.RoleBase) == nil ||
		!strings.Contains(run.summary, "GetItemsFunction") {
		t.Errorf("function %q, memory %d, base %v; summary:\n%s", res.Config.Function, res.Config.MemoryMB, res.Variant(results.RoleBase) != nil, run.summary)
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
)

// The deployment tools' projects below mirror public ones (aws-cdk-examples' go/httpapi-lambda,
// serverless/examples' aws-golang-simple-http-endpoint, HashiCorp's Lambda tutorial with a Go
// build step); the code is our own. Each is measured as a new user would: `coldbench run` at
// the repository's root, no handler named.

// A CDK app's cloud assembly, synthesized by the user (cdk.out, ignored by git as CDK's project
// template ignores it): the GoFunction's bundled bootstrap is traced to its main package, built
// by coldbench with the template's memory and environment, and base is built from its own
// source although its revision has no cdk.out.
func TestCDKProject(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	dir := fixtureRepo(t, "cdk-go")
	git := gitIn(t, dir)
	git("rm", "-r", "-q", "--cached", "cdk.out")
	testenv.Write(t, dir, ".gitignore", "*.js\n!jest.config.js\n*.d.ts\nnode_modules\n\n# CDK asset staging directory\n.cdk.staging\ncdk.out\n")
	git("add", ".")
	git("commit", "-qm", "cdk.out is the user's, not the repository's")
	// cdk synth's GoFunction bundling: go build of the entry into the asset directory.
	asset := filepath.Join(dir, "cdk.out", "asset.5a7c3e0f4b2d9e1a6c8f0b3d5e7a9c1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c")
	synth := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(asset, "bootstrap"), "./lambda-handler")
	synth.Dir, synth.Env = dir, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if out, err := synth.CombinedOutput(); err != nil {
		t.Fatalf("bundling: %v\n%s", err, out)
	}

	code, _, log := runIn(t, dir, "--function", "Nope", "--base", "none", "--samples", "2")
	if code != ExitBadInput || !strings.Contains(log, `function "Nope": not in template cdk.out; valid values are HttpapiLambdaStack/Singleton (python3.12, lambda), HttpapiLambdaStack/myGoHandler (provided.al2023, lambda-handler)`) {
		t.Fatalf("--function Nope: exit %d, want 2 and the app's functions by construct path\n%s", code, log)
	}

	code, res, log := runIn(t, dir, "--function", "HttpapiLambdaStack/myGoHandler", "--event", "apigw-v2", "--base", "master", "--samples", "2", "--init-samples", "0")
	if code != ExitOK || res == nil {
		t.Fatalf("myGoHandler: exit %d\n%s", code, log)
	}
	cleanHead(t, res, `hello from cdk (coldbench-unresolved-TABLE_NAME)`, log)
	cleanHead(t, res, `https://dynamodb.us-east-1.amazonaws.com`, log)
	head, base := res.Variant(results.RoleHead), res.Variant(results.RoleBase)
	if res.Config.MemoryMB != 256 || res.Config.Function != "HttpapiLambdaStack/myGoHandler in cdk.out" || head.Runtime != "go" {
		t.Errorf("memory %d, function %q, runtime %q: want the assembly's", res.Config.MemoryMB, res.Config.Function, head.Runtime)
	}
	if base == nil || base.BuildError != "" || len(res.SamplesOf("base")) == 0 {
		t.Errorf("base %+v: want it built from its own lambda-handler\n%s", base, log)
	}
	if !hasWarning(res, "built from lambda-handler, the source of the Go bootstrap bundled as asset.5a7c") || !hasWarning(res, "env TABLE_NAME is !Ref ItemsTable5AAC2C46, known only once deployed") {
		t.Errorf("warnings %+v: want the source and the unresolved table named", res.Warnings)
	}
}

// A Serverless Framework service: provider defaults, ${self:}/${opt:}/${sls:}/${aws:}/${env:}
// resolved, ${ssm:} named, each function's Go source found from the Makefile's build of its
// binary.
func TestServerlessProject(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	dir := fixtureRepo(t, "sls-go")
	code, res, log := runIn(t, dir, "--function", "hello", "--event", "apigw-v2", "--env", "SHOUT=yes", "--base", "none", "--samples", "2")
	if code != ExitOK || res == nil {
		t.Fatalf("hello: exit %d\n%s", code, log)
	}
	cleanHead(t, res, `hello from aws-golang-http-endpoint`, log)
	cleanHead(t, res, `\"region\":\"eu-west-1\",\"shout\":\"yes\",\"table\":\"items-dev\"`, log)
	if res.Config.MemoryMB != 256 || res.Config.Function != "hello in serverless.yml" || res.Variant(results.RoleHead).Runtime != "go" {
		t.Errorf("memory %d, function %q: want the service's", res.Config.MemoryMB, res.Config.Function)
	}
	if !hasWarning(res, "env API_KEY is ${ssm:/aws-golang-http-endpoint/api-key}, known only once deployed") || !hasWarning(res, "handler bin/hello is a binary the build writes: built from hello") {
		t.Errorf("warnings %+v", res.Warnings)
	}
}

// A Terraform module at the repository's root: the archive_file of the binary that a
// terraform_data's go build writes is traced to the main package; memory from a variable's
// default; the table's name, known once applied, is a placeholder the user can override.
func TestTerraformProject(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	dir := fixtureRepo(t, "tf-go")
	code, res, log := runIn(t, dir, "--base", "none", "--samples", "2", "--env", "TABLE=items")
	if code != ExitOK || res == nil {
		t.Fatalf("exit %d\n%s", code, log)
	}
	cleanHead(t, res, `{"stage":"dev","name":"HELLO-DEV","table":"items"}`, log)
	if res.Config.MemoryMB != 256 || res.Config.Function != "aws_lambda_function.hello in ." || res.Variant(results.RoleHead).Runtime != "go" {
		t.Errorf("memory %d, function %q: want the module's", res.Config.MemoryMB, res.Config.Function)
	}
	if hasWarning(res, "env TABLE") {
		t.Errorf("warnings %+v: TABLE was given", res.Warnings)
	}
}

// Paths a repository's serverless.yml, Terraform module or cloud assembly gives lead nowhere
// outside it: the code directory each reader found is confined as a template's CodeUri is.
func TestDefinitionPathsStayInside(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	testenv.Write(t, outside, "main.go", "package main\n\nfunc main() {}\n")
	cases := map[string][2]string{
		"serverless": {"serverless.yml", "provider: {name: aws, runtime: provided.al2023}\nfunctions:\n  steal: {handler: OUTSIDE/main.go}\n"},
		"terraform":  {"main.tf", "resource \"aws_lambda_function\" \"steal\" {\n  filename = \"" + outside + "\"\n  runtime  = \"provided.al2023\"\n}\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			rel, err := filepath.Rel(dir, outside)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Write(t, dir, c[0], strings.ReplaceAll(c[1], "OUTSIDE", rel))
			git := gitIn(t, dir)
			git("init", "-q", "-b", "master")
			git("add", ".")
			git("commit", "-qm", "fixture")
			code, _, log := runIn(t, dir, "--base", "none", "--samples", "2")
			if code != ExitBadInput || !strings.Contains(log, `handler "`+outside) || !strings.Contains(log, "leads outside the repository") {
				t.Errorf("exit %d: want 2 and the handler path refused\n%s", code, log)
			}
		})
	}
}

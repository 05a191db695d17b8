package serverless

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/sam"
)

func hasNote(fn sam.Function, substr string) bool {
	for _, n := range fn.Notes {
		if strings.Contains(n, substr) {
			return true
		}
	}
	return false
}

// The Go service of pkg/cli's tests (serverless/examples' aws-golang-simple-http-endpoint
// layout): provider defaults under the functions' own, variables resolved, the Makefile's
// source of each binary found.
func TestReadGoService(t *testing.T) {
	dir := filepath.Join("..", "cli", "testdata", "userhandlers", "sls-go")
	if got := Discover(dir); got != filepath.Join(dir, "serverless.yml") {
		t.Fatalf("Discover = %q", got)
	}
	fns, err := Read(filepath.Join(dir, "serverless.yml"), map[string]string{"SHOUT": "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 2 || fns[0].LogicalID != "hello" || fns[1].LogicalID != "world" {
		t.Fatalf("functions %+v: want hello and world", fns)
	}
	hello, world := fns[0], fns[1]
	if hello.CodeURI != filepath.Join(dir, "hello") || hello.Handler != "bootstrap" || !hasNote(hello, "handler bin/hello is a binary the build writes: built from hello") {
		t.Errorf("hello code %s handler %q notes %q: want its main package from the Makefile", hello.CodeURI, hello.Handler, hello.Notes)
	}
	if hello.Runtime != "provided.al2023" || hello.MemorySize != 256 || hello.Timeout != 10 || !reflect.DeepEqual(hello.Architectures, []string{"arm64"}) {
		t.Errorf("hello %+v: want the provider's runtime, timeout and architecture, its own memory", hello)
	}
	want := map[string]string{
		"GREETING": "hello from aws-golang-http-endpoint", "TABLE": "items-dev", "REGION": "eu-west-1",
		"API_KEY": sam.Placeholder("API_KEY"), "SHOUT": "yes",
	}
	if !reflect.DeepEqual(hello.Env, want) || hello.Unresolved["API_KEY"] != "${ssm:/aws-golang-http-endpoint/api-key}" {
		t.Errorf("env %v unresolved %v; want %v and the ssm parameter named", hello.Env, hello.Unresolved, want)
	}
	if world.MemorySize != 512 || world.Env["SHOUT"] != "" || world.CodeURI != filepath.Join(dir, "world") {
		t.Errorf("world %+v: want the provider's memory and its own source", world)
	}
	if !hasNote(world, `package.patterns (!./**, ./bin/**) are not applied`) {
		t.Errorf("notes %q: want the patterns named", world.Notes)
	}
	p, err := hello.Plan()
	if err != nil || p.Runtime != "auto" {
		t.Errorf("Plan() = %+v, %v", p, err)
	}
	// Without the user's SHOUT, the fallback.
	fns, err = Read(filepath.Join(dir, "serverless.yml"), nil)
	if err != nil || fns[0].Env["SHOUT"] != "no" {
		t.Errorf("SHOUT without env: %v, %v; want the fallback 'no'", fns[0].Env, err)
	}
}

// A v3 Node.js service (serverless/examples' aws-node-http-api) with the variables users write:
// stage params (v4), ${self:} of a mapping, ${opt:} chains, ${file()} named.
func TestReadNodeService(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "serverless.yml", `service: serverless-http-api
frameworkVersion: '3'
custom:
  env:
    MODE: ${param:mode}
    STAGE: ${opt:stage, self:provider.stage}
    SECRET: ${file(./secrets.json):token}
stages:
  default:
    params:
      mode: slow
  prod:
    params:
      mode: fast
provider:
  name: aws
  runtime: nodejs18.x
  stage: prod
functions:
  - api:
      handler: index.handler
      environment: ${self:custom.env}
      layers:
        - arn:aws:lambda:${aws:region}:${aws:accountId}:layer:shared:3
  - worker:
      handler: src/worker.run
      runtime: python3.12
      memorySize: ${param:workerMemory}
      timeout: 30
      package:
        artifact: dist/worker.zip
`)
	fns, err := Read(filepath.Join(dir, "serverless.yml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	api, worker := fns[0], fns[1]
	if api.CodeURI != dir || api.Handler != "index.handler" || api.Runtime != "nodejs18.x" || api.MemorySize != DefaultMemoryMB || api.Timeout != DefaultTimeout {
		t.Errorf("api %+v: want the service dir, its handler, the framework's defaults", api)
	}
	if api.Env["MODE"] != "fast" || api.Env["STAGE"] != "prod" || api.Unresolved["SECRET"] != "${file(./secrets.json):token}" {
		t.Errorf("api env %v unresolved %v", api.Env, api.Unresolved)
	}
	if !reflect.DeepEqual(api.Layers, []string{"arn:aws:lambda:us-east-1:123456789012:layer:shared:3"}) || len(api.LayerNotes) != 1 ||
		!strings.Contains(api.LayerNotes[0], "has no content in this service: not emulated") {
		t.Errorf("layers %v, notes %q", api.Layers, api.LayerNotes)
	}
	if worker.CodeURI != filepath.Join(dir, "dist", "worker.zip") || worker.MemorySize != DefaultMemoryMB || !hasNote(worker, "memorySize is ${param:workerMemory}, known only once deployed: the default 1024 is used") {
		t.Errorf("worker %+v: want its artifact and the unknown memory named", worker)
	}
}

// ${env:NAME} reads only what the user gave coldbench for the function: a pull request's
// serverless.yml cannot pull coldbench's own environment (the job's token) into the handler's.
func TestEnvIsOnlyTheUsers(t *testing.T) {
	t.Setenv("COLDBENCH_TEST_SECRET", "s3cr3t")
	dir := t.TempDir()
	write(t, dir, "serverless.yml", "provider: {name: aws, environment: {TOKEN: '${env:COLDBENCH_TEST_SECRET}', GIVEN: '${env:GIVEN}'}}\nfunctions: {a: {handler: index.handler}}\n")
	fns, err := Read(filepath.Join(dir, "serverless.yml"), map[string]string{"GIVEN": "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if env := fns[0].Env; env["TOKEN"] != sam.Placeholder("TOKEN") || env["GIVEN"] != "mine" {
		t.Errorf("env %v: want coldbench's own variable left unresolved, the user's given", env)
	}
}

// Bad input: the file and the key are named, every problem at once.
func TestReadBadInput(t *testing.T) {
	cases := []struct{ name, yml, want string }{
		{"not yaml", "service: [", "serverless.yml: yaml:"},
		{"not a mapping", "- a\n", "not a service definition"},
		{"other provider", "provider: {name: google}\nfunctions: {a: {handler: x}}\n", `provider.name "google"`},
		{"no functions", "service: s\nprovider: {name: aws}\n", "no functions"},
		{"bad functions", "provider: {name: aws}\nfunctions:\n  a: {memorySize: lots, timeout: -1}\n  b: [1]\n  c: {image: repo:tag, handler: x}\n",
			`functions.a.handler is missing; functions.a.memorySize: "lots" is not a positive whole number; functions.a.timeout: "-1" is not a positive whole number; functions.b: [1] is not a function (a mapping with handler); functions.c.image: a container image function is not supported`},
		{"bad environment", "provider: {name: aws, environment: [A]}\nfunctions: {a: {handler: x}}\n", "provider.environment: [A] is not a mapping of variables"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "serverless.yml", c.yml)
			_, err := Read(filepath.Join(dir, "serverless.yml"), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "serverless.yml") {
				t.Errorf("Read = %v\nwant the file and %q", err, c.want)
			}
		})
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

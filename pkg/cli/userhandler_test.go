package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
)

// envHandler is a custom runtime that, like many real handlers, reads its configuration at init
// (dying without it) and routes API Gateway requests by path (a 404 for anything else).
const envHandler = `#!/bin/bash
set -euo pipefail
if [ -z "${TABLE:-}" ]; then echo "panic: Need TABLE environment variable" >&2; exit 2; fi
[ "${_HANDLER}" = "app.handler" ] || { echo "panic: _HANDLER is ${_HANDLER}" >&2; exit 3; }
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/invocation/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  case "$EVENT" in
    *'"rawPath":"/"'*) BODY='{"statusCode":200,"body":"'"$TABLE"'"}' ;;
    *) BODY='{"statusCode":404,"body":"not found"}' ;;
  esac
  curl -sS -X POST "$API/invocation/$ID/response" -d "$BODY" >/dev/null
done
`

// A handler that needs its environment, its handler setting and a real event is measured
// cleanly from flags alone, and from coldbench.yml alone.
func TestUserHandlerConfiguration(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "bash")
	testenv.Tool(t, "curl")
	dir := t.TempDir()
	testenv.Write(t, filepath.Join(dir, "fn"), "bootstrap", envHandler)
	if err := os.Chmod(filepath.Join(dir, "fn", "bootstrap"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (*results.Results, string) {
		env, out, errb := testEnv(dir)
		code := Main(context.Background(), append([]string{"run", "--handler", "fn", "--base", "none", "--references", "none",
			"--samples", "3", "--json", "r.json"}, args...), env)
		res, err := results.ReadFile(filepath.Join(dir, "r.json"))
		if err != nil {
			t.Fatalf("exit %d: %v\n%s\n%s", code, err, out, errb)
		}
		return res, out.String() + errb.String()
	}
	// Without its configuration the handler dies at init, and the report says why.
	res, log := run()
	if s := res.SamplesOf("head"); len(s) == 0 || s[0].Error == nil || !strings.Contains(s[0].Output, "Need TABLE") {
		t.Fatalf("unconfigured handler: samples %+v, want init failures with the handler's own words\n%s", s, log)
	}
	check := func(how string, res *results.Results, log string) {
		t.Helper()
		for _, s := range res.SamplesOf("head") {
			if s.Error != nil || !strings.Contains(s.Response, `"statusCode":200`) || !strings.Contains(s.Response, "products") {
				t.Errorf("%s: sample %+v, want a clean 200 from the route\n%s", how, s, log)
				return
			}
		}
	}
	res, log = run("--env", "TABLE=products", "--function-handler", "app.handler", "--event", "apigw-v2")
	check("flags", res, log)
	testenv.Write(t, dir, "coldbench.yml", "env:\n  TABLE: products\nfunction-handler: app.handler\nevent: apigw-v2\n")
	res, log = run()
	check("coldbench.yml", res, log)
}

// A head that does not build stops the run: no base, no references built or sampled, exit 3.
func TestHeadBuildFailureStopsEverything(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "go")
	dir := t.TempDir()
	testenv.Write(t, filepath.Join(dir, "fn"), "go.mod", "module fn\n\ngo 1.22\n")
	testenv.Write(t, filepath.Join(dir, "fn"), "main.go", "package main\n\nfunc main() { undefinedThing() }\n")
	handlers, err := filepath.Abs(filepath.Join("..", "..", "handlers"))
	if err != nil {
		t.Fatal(err)
	}
	env, out, errb := testEnv(dir)
	code := Main(context.Background(), []string{"run", "--handler", "fn", "--base", "none", "--handlers-dir", handlers, "--json", "r.json"}, env)
	res, err := results.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, out, errb)
	}
	if code != ExitFailure || len(res.Variants) != 1 || len(res.Samples) != 0 || !strings.Contains(errb.String(), "not building base or references") {
		t.Errorf("exit %d, %d variants, %d samples; want exit 3, the head alone, no samples\n%s", code, len(res.Variants), len(res.Samples), errb)
	}
	if !strings.Contains(out.String(), "the head failed to build") {
		t.Errorf("the report does not say the head failed to build:\n%s", out)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
)

// A SAM function with an external extension in a layer of the template (the shape of aws-samples'
// custom-runtime-extension-demo): the layer is laid out, the bash extension registers through the
// Extensions API before the runtime starts, and the report gives its part of init in head and
// base, where head's extension loads 500 ms before it registers and base's 100 ms.
func TestSAMLayerExtension(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "bash")
	testenv.Tool(t, "curl")
	dir := fixtureRepo(t, "sam-extension")
	agent := filepath.Join(dir, "extensionssrc", "extensions", "agent.sh")
	src, err := os.ReadFile(agent)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(agent, []byte(strings.Replace(string(src), "\nsleep 0.1\n", "\nsleep 0.5\n", 1)), 0o755); err != nil {
		t.Fatal(err)
	}
	git := gitIn(t, dir)
	git("commit", "-qam", "the agent loads more at init")

	code, res, log := runIn(t, dir, "--base", "HEAD~1", "--samples", "3", "--init-samples", "0", "--markdown", "r.md")
	if res == nil || code == ExitBadInput {
		t.Fatalf("exit %d\n%s", code, log)
	}
	cleanHead(t, res, `"echo":{}`, log)
	ready := map[string][]float64{}
	for _, s := range res.Samples {
		if len(s.Extensions) != 1 || s.Extensions[0].Name != "agent.sh" {
			t.Fatalf("%s sample extensions %+v, want agent.sh\n%s", s.Variant, s.Extensions, log)
		}
		ready[s.Variant] = append(ready[s.Variant], s.Extensions[0].ReadyMs)
	}
	for _, ms := range ready["head"] {
		if ms < 500 {
			t.Errorf("head's agent ready at %.1f ms, want after its 500 ms", ms)
		}
	}
	if v := res.Variant(results.RoleHead); len(v.Layers) != 1 || v.Layers[0] != "extensionssrc" {
		t.Errorf("head layers %q, want the template's extensionssrc", v.Layers)
	}
	md, err := os.ReadFile(filepath.Join(dir, "r.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "**Extensions at init**") || !strings.Contains(string(md), "| `agent.sh` |") {
		t.Errorf("markdown lacks the extensions table:\n%s", md)
	}
}

// A zip function behind the Web Adapter as the adapter's fastapi-zip example deploys it (its
// layer's ARN, its exec wrapper, run.sh starting a Python server on PORT): coldbench plays the
// adapter, waits for the readiness check on AWS_LWA_READINESS_CHECK_PATH, and the HTTP API event
// reaches the server as a GET.
func TestSAMWebAdapterFunction(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "python3")
	dir := fixtureRepo(t, "sam-web")
	code, res, log := runIn(t, dir, "--base", "none", "--samples", "2", "--init-samples", "0", "--event", "apigw-v2")
	if res == nil || code != ExitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}
	cleanHead(t, res, `"statusCode":200`, log)
	if s := res.SamplesOf("head")[0]; !strings.Contains(s.Response, `Hello World`) || !strings.Contains(s.Response, `\"path\": \"/\"`) {
		t.Errorf("response %s, want the server's answer to GET /", s.Response)
	}
	if v := res.Variant(results.RoleHead); !v.Web {
		t.Errorf("head not sampled as a web function")
	}
	if !hasWarning(res, "LambdaAdapterLayerX86:26 is the Lambda Web Adapter: coldbench plays the adapter") {
		t.Errorf("warnings %+v: want the adapter's layer named", res.Warnings)
	}
}

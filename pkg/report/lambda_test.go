package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

// A mode aws run's environment is Lambda's, not this machine's, with what the run cost.
func TestLambdaEnvironment(t *testing.T) {
	t.Parallel()
	res := &results.Results{Config: results.RunConfig{Samples: 10, MemoryMB: 1024}}
	res.Environment = results.Environment{Arch: "arm64", Limits: results.Limits{Cgroup: "lambda"},
		Lambda: &results.LambdaEnv{Region: "eu-west-1", Arch: "arm64", MemoryMB: 1024, Copies: 10,
			Runtimes: map[string]string{"head": "provided.al2023", "node": "nodejs24.x"}}}
	res.Cost = &results.Cost{Region: "eu-west-1", PricePerGBs: 0.0000133334, PricePerMillion: 0.2, Requests: 20, InitGBs: 1.5, InvokeGBs: 0.5, USD: 0.0000267,
		EstimatedRequests: 20, EstimatedGBs: 2.1, WorstGBs: 800}
	var text bytes.Buffer
	WriteText(&text, res, TextOptions{})
	var html bytes.Buffer
	if err := WriteHTML(&html, res); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": Markdown(res, MarkdownOptions{}), "html": html.String()} {
		for _, want := range []string{"AWS Lambda eu-west-1, arm64, 1024 MB, 10 function(s) per variant", "head provided.al2023, node nodejs24.x", "cost: 20 invokes, 1.50 GB-s of init and 0.50 GB-s of invoke, $0.000027"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Contains(out, " cores") {
			t.Errorf("%s report describes a machine:\n%s", name, out)
		}
	}
}

package cli

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"gopkg.in/yaml.v3"
)

// action.yml declares exactly the inputs `coldbench action` reads and the outputs it sets.
func TestActionYAMLMatchesTheCode(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Name, Description string
		Branding          map[string]string
		Inputs            map[string]struct {
			Description string
			Default     *string
		}
		Outputs map[string]struct{ Description string }
		Runs    struct {
			Using, Image string
			Args         []string
		}
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "docker" || a.Runs.Image != "Dockerfile" || strings.Join(a.Runs.Args, " ") != "action" || a.Branding["icon"] == "" {
		t.Errorf("runs = %+v, branding %v", a.Runs, a.Branding)
	}
	want := []string{"github-token", "comment", "fail-on-regression", "check-name"}
	for _, in := range actionInputs {
		want = append(want, in.input)
	}
	var got []string
	for name, in := range a.Inputs {
		got = append(got, name)
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %s needs a description and a default", name)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("action.yml inputs %v, the code reads %v", got, want)
	}
	src, _ := os.ReadFile("action.go")
	for name := range a.Outputs {
		if !strings.Contains(string(src), `SetOutput("`+name+`"`) {
			t.Errorf("output %s is declared but never set", name)
		}
	}
	if n := strings.Count(string(src), "SetOutput("); n != len(a.Outputs) {
		t.Errorf("the code sets %d outputs, action.yml declares %d", n, len(a.Outputs))
	}
}

// The Dockerfile parses (BuildKit's own parser), is multi-stage, pins its toolchains, and runs
// coldbench with the reference handlers in place.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	var froms, entry, copies []string
	args := map[string]string{}
	for _, n := range res.AST.Children {
		var words []string
		for w := n.Next; w != nil; w = w.Next {
			words = append(words, w.Value)
		}
		switch strings.ToLower(n.Value) {
		case "from":
			froms = append(froms, strings.Join(words, " "))
		case "entrypoint":
			entry = words
		case "copy":
			copies = append(copies, strings.Join(append(append([]string(nil), n.Flags...), words...), " "))
		case "arg":
			for _, w := range words {
				k, v, _ := strings.Cut(w, "=")
				args[k] = v
			}
		}
	}
	if len(froms) != 2 || !strings.HasSuffix(froms[0], "AS build") {
		t.Errorf("FROM lines %q: want a build stage and a final stage", froms)
	}
	if strings.Join(entry, " ") != "/usr/local/bin/coldbench" {
		t.Errorf("ENTRYPOINT %q", entry)
	}
	if !containsStr(copies, "handlers /opt/coldbench/handlers") || !containsStr(copies, "--from=build /out/coldbench /usr/local/bin/coldbench") {
		t.Errorf("COPY lines %q: want the handlers and the binary", copies)
	}
	version := regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)
	for _, k := range []string{"GO_VERSION", "RUST_VERSION", "DENO_VERSION", "CARGO_LAMBDA_VERSION"} {
		if !version.MatchString(args[k]) {
			t.Errorf("ARG %s=%q: want a pinned version", k, args[k])
		}
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

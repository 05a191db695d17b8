package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
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
	want := append([]string(nil), actionOnlyInputs...)
	for _, s := range config.Settings {
		if s.Input != "" {
			want = append(want, s.Input)
		}
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
	// The outputs the action writes, read back from GITHUB_OUTPUT as the runner reads them.
	dir := t.TempDir()
	files := map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary")}
	getenv := func(k string) string { return files[k] }
	env, _, _ := testEnv(dir)
	var log bytes.Buffer
	gha := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(&log))
	o := actionOptions{workspace: dir, handlerInput: "fn"}
	if err := o.writeFiles(gha, minimalResults(results.NoChange), env); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(files["GITHUB_OUTPUT"])
	if err != nil {
		t.Fatal(err)
	}
	var set []string
	for _, m := range regexp.MustCompile(`(?m)^([a-z-]+)<<`).FindAllStringSubmatch(string(out), -1) {
		set = append(set, m[1])
	}
	var declared []string
	for name := range a.Outputs {
		declared = append(declared, name)
	}
	sort.Strings(set)
	sort.Strings(declared)
	if strings.Join(set, ",") != strings.Join(declared, ",") {
		t.Errorf("the action sets outputs %v, action.yml declares %v", set, declared)
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
	var froms, entry, copies, runs, envs []string
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
		case "run":
			runs = append(runs, strings.Join(words, " "))
		case "env":
			envs = append(envs, strings.Join(words, " "))
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
	// The image carries the reference handlers prebuilt, where runs look for them.
	if !containsPrefix(runs, "coldbench build-references --out /opt/coldbench/references") || !containsStr(envs, "COLDBENCH_REFERENCES_DIR /opt/coldbench/references") {
		t.Errorf("RUN %q, ENV %q: want the references prebuilt into /opt/coldbench/references and COLDBENCH_REFERENCES_DIR pointing there", runs, envs)
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

func containsPrefix(xs []string, prefix string) bool {
	for _, x := range xs {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}

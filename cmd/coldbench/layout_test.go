package main

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/coldbench/coldbench"

// deps lists the packages of this module that pkg depends on (tests excluded).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", mod+"/"+pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	var ours []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, mod+"/") && p != mod+"/"+pkg {
			ours = append(ours, strings.TrimPrefix(p, mod+"/"))
		}
	}
	return ours
}

// Imports run one way, with the data flow: the input and the result model are leaves, the
// renderers and the policy import no stage that runs processes, and nothing imports the CLI.
func TestImportsRunOneWay(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	t.Parallel()
	for _, leaf := range []string{"pkg/results", "pkg/config", "pkg/sam"} {
		if got := deps(t, leaf); len(got) != 0 {
			t.Errorf("%s imports %v, want nothing of coldbench's", leaf, got)
		}
	}
	// The readers of the other ways to define functions describe them as pkg/sam does, and import
	// nothing else of ours.
	for _, reader := range []string{"pkg/cdk", "pkg/serverless", "pkg/terraform"} {
		if got := deps(t, reader); len(got) != 1 || got[0] != "pkg/sam" {
			t.Errorf("%s imports %v, want pkg/sam alone", reader, got)
		}
	}
	stages := []string{"pkg/runner", "pkg/build", "pkg/awslambda", "pkg/cli", "pkg/publish", "pkg/git", "pkg/pipeline"}
	for _, pkg := range []string{"pkg/report", "pkg/verdict", "pkg/stats", "pkg/baseline", "pkg/sampling", "pkg/inittrace"} {
		for _, d := range deps(t, pkg) {
			for _, s := range stages {
				if d == s {
					t.Errorf("%s imports %s, want no stage that runs processes or talks to a service", pkg, d)
				}
			}
		}
	}
	for _, backend := range []string{"pkg/runner", "pkg/awslambda"} {
		for _, d := range deps(t, backend) {
			if d == "pkg/runner" || d == "pkg/awslambda" || d == "pkg/build" {
				t.Errorf("%s imports %s: a sampler backend depends on no other backend or builder", backend, d)
			}
		}
	}
	// The pipeline runs the stages; the faces (the CLI, publishing, the reports) are its callers.
	for _, d := range deps(t, "pkg/pipeline") {
		if d == "pkg/cli" || d == "pkg/publish" || d == "pkg/report" {
			t.Errorf("pkg/pipeline imports %s: the pipeline measures and decides; presenting and posting are its callers'", d)
		}
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, mod+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		if pkg != mod+"/cmd/coldbench" && strings.Contains(" "+imports+" ", " "+mod+"/pkg/cli ") {
			t.Errorf("%s imports pkg/cli; only cmd/coldbench may", pkg)
		}
	}
}

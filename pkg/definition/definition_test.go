package definition

import (
	"os"
	"path/filepath"
	"testing"
)

func fixture(name string) string { return filepath.Join("..", "cli", "testdata", "userhandlers", name) }

// synthesized is the CDK fixture with its Go asset staged (the bundle's bootstrap, here not a
// Go binary: measured as staged).
func synthesized(t *testing.T) string {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture("cdk-go"))); err != nil {
		t.Fatal(err)
	}
	asset := filepath.Join(dir, "cdk.out", "asset.5a7c3e0f4b2d9e1a6c8f0b3d5e7a9c1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c")
	if err := os.MkdirAll(asset, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(asset, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Each tool's definition is found at a repository's root, in order, and read by the reader of
// its kind whichever of its paths the user names.
func TestDiscoverAndRead(t *testing.T) {
	cases := []struct {
		root, discovered string
		paths            []string
		first            string
	}{
		{fixture("sam-go"), "template.yaml", []string{"template.yaml"}, "GetItemsFunction"},
		{synthesized(t), "cdk.out", []string{"cdk.out", "cdk.out/manifest.json"}, "HttpapiLambdaStack/Singleton"},
		{fixture("sls-go"), "serverless.yml", []string{"serverless.yml"}, "hello"},
		{fixture("tf-go"), "", []string{"", "main.tf", "variables.tf"}, "aws_lambda_function.hello"},
	}
	for _, c := range cases {
		want := filepath.Join(c.root, c.discovered)
		if got := Discover(c.root); got != want {
			t.Errorf("Discover(%q) = %q, want %q", c.root, got, want)
		}
		for _, p := range c.paths {
			fns, err := Read(filepath.Join(c.root, p), nil)
			if err != nil {
				t.Errorf("Read(%q): %v", filepath.Join(c.root, p), err)
				continue
			}
			if fns[0].LogicalID != c.first {
				t.Errorf("Read(%q)[0] = %s, want %s", filepath.Join(c.root, p), fns[0].LogicalID, c.first)
			}
		}
	}
	// A SAM template wins over the others at the root; a directory with none is nothing.
	dir := t.TempDir()
	for _, f := range []string{"template.yml", "serverless.yml", "main.tf"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("resource \"aws_lambda_function\" \"a\" {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := Discover(dir); got != filepath.Join(dir, "template.yml") {
		t.Errorf("Discover = %q, want the SAM template first", got)
	}
	if got := Discover(t.TempDir()); got != "" {
		t.Errorf("Discover(empty) = %q", got)
	}
}

package cdk

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/sam"
)

// fixture is the cloud assembly of pkg/cli's CDK project (the layout of aws-cdk-examples'
// go/httpapi-lambda: a GoFunction and a Python function from Code.fromAsset), copied to a
// temporary directory.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "cli", "testdata", "userhandlers", "cdk-go"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

const goAsset = "asset.5a7c3e0f4b2d9e1a6c8f0b3d5e7a9c1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c"

// bundle builds the GoFunction's bootstrap into its asset directory, as cdk synth's bundling
// does (go build of the entry's main package).
func bundle(t *testing.T, app string, flags ...string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out := filepath.Join(app, DirName, goAsset)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", filepath.Join(out, "bootstrap"), "./lambda-handler")...)
	cmd.Dir = app
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
}

func find(fns []sam.Function, id string) *sam.Function {
	for i := range fns {
		if fns[i].LogicalID == id {
			return &fns[i]
		}
	}
	return nil
}

func hasNote(fn *sam.Function, substr string) bool {
	for _, n := range fn.Notes {
		if strings.Contains(n, substr) {
			return true
		}
	}
	return false
}

func TestReadAssembly(t *testing.T) {
	app := fixture(t)
	bundle(t, app, "-trimpath")
	if got := Discover(app); got != filepath.Join(app, DirName) {
		t.Fatalf("Discover(%q) = %q", app, got)
	}
	fns, err := Read(filepath.Join(app, DirName))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range fns {
		ids = append(ids, f.LogicalID)
	}
	if strings.Join(ids, ",") != "HttpapiLambdaStack/Singleton,HttpapiLambdaStack/myGoHandler" {
		t.Fatalf("functions %v: want the app's two by construct path, CDK's log retention left out", ids)
	}
	gofn := find(fns, "HttpapiLambdaStack/myGoHandler")
	if gofn.CodeURI != filepath.Join(app, "lambda-handler") || gofn.BuildMethod != "go1.x" || gofn.BuildProperties["TrimGoPath"] != "true" {
		t.Errorf("Go function code %s, method %q, props %v: want its source lambda-handler, built as go1.x with -trimpath", gofn.CodeURI, gofn.BuildMethod, gofn.BuildProperties)
	}
	if gofn.Runtime != "provided.al2023" || gofn.Handler != "bootstrap" || gofn.MemorySize != 256 || gofn.Timeout != 10 || strings.Join(gofn.Architectures, ",") != "arm64" {
		t.Errorf("Go function %+v: want the template's runtime, handler, memory, timeout, arm64", gofn)
	}
	if gofn.Env["GREETING"] != "hello from cdk" || gofn.Env["ENDPOINT"] != "https://dynamodb.us-east-1.amazonaws.com" ||
		gofn.Env["TABLE_NAME"] != sam.Placeholder("TABLE_NAME") || gofn.Unresolved["TABLE_NAME"] != "!Ref ItemsTable5AAC2C46" {
		t.Errorf("env %v, unresolved %v: want literals and Fn::Join resolved, the table's Ref named", gofn.Env, gofn.Unresolved)
	}
	if !hasNote(gofn, "built from lambda-handler, the source of the Go bootstrap bundled as "+goAsset) {
		t.Errorf("notes %q: want where its source was found", gofn.Notes)
	}
	p, err := gofn.Plan()
	if err != nil || p.Runtime != "go" || strings.Join(p.GoFlags, " ") != "-trimpath" {
		t.Errorf("Plan() = %+v, %v: want go with -trimpath", p, err)
	}

	py := find(fns, "HttpapiLambdaStack/Singleton")
	if py.CodeURI != filepath.Join(app, "lambda") || py.Handler != "handler.main" || py.Env["STAGE"] != "prod" {
		t.Errorf("Python function %+v: want its asset traced back to lambda/ (Code.fromAsset copies it)", py)
	}
}

// A bundle whose source cannot be found (a Node.js bundle, a Go binary built from a file) is
// measured as synthesized; a copied asset whose directory changed since synth, likewise.
func TestReadAssemblyUntraced(t *testing.T) {
	app := fixture(t)
	if err := os.MkdirAll(filepath.Join(app, DirName, goAsset), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, DirName, goAsset, "index.js"), []byte("exports.handler = async () => 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "lambda", "handler.py"), []byte("# edited after synth\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fns, err := Read(filepath.Join(app, DirName, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	gofn := find(fns, "HttpapiLambdaStack/myGoHandler")
	if gofn.CodeURI != filepath.Join(app, DirName, goAsset) || !hasNote(gofn, "measured as cdk synth staged it") {
		t.Errorf("code %s, notes %q: want the bundle as staged, said so", gofn.CodeURI, gofn.Notes)
	}
	py := find(fns, "HttpapiLambdaStack/Singleton")
	if !strings.HasPrefix(py.CodeURI, filepath.Join(app, DirName)) || !hasNote(py, "no directory of the app has the same files") {
		t.Errorf("code %s, notes %q: want the staged asset", py.CodeURI, py.Notes)
	}
}

// A nested assembly (a CDK Stage) is read through its directoryName.
func TestReadNestedAssembly(t *testing.T) {
	app := fixture(t)
	bundle(t, app)
	asm := filepath.Join(app, DirName)
	stage := filepath.Join(asm, "assembly-Prod")
	if err := os.Mkdir(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"manifest.json", "HttpapiLambdaStack.template.json", "HttpapiLambdaStack.assets.json"} {
		data, err := os.ReadFile(filepath.Join(asm, f))
		if err != nil {
			t.Fatal(err)
		}
		// A stage's assets stay in the top assembly; its manifests point up to them.
		data = []byte(strings.ReplaceAll(string(data), `"asset.`, `"../asset.`))
		if err := os.WriteFile(filepath.Join(stage, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	top := `{"version": "36.0.0", "artifacts": {"assembly-Prod": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"}}}}`
	if err := os.WriteFile(filepath.Join(asm, "manifest.json"), []byte(top), 0o644); err != nil {
		t.Fatal(err)
	}
	fns, err := Read(asm)
	if err != nil {
		t.Fatal(err)
	}
	if gofn := find(fns, "HttpapiLambdaStack/myGoHandler"); gofn == nil || gofn.CodeURI != filepath.Join(app, "lambda-handler") {
		t.Fatalf("functions %+v: want the stage's Go function from its source", fns)
	}
}

// A function whose asset is missing (cdk.out from before the function was added) is an error,
// not a function silently left out.
func TestReadAssemblyMissingAsset(t *testing.T) {
	app := fixture(t)
	_, err := Read(filepath.Join(app, DirName))
	if err == nil || !strings.Contains(err.Error(), `HttpapiLambdaStack/myGoHandler/Resource's Metadata aws:asset:path "`+goAsset+`": no such file or directory`) {
		t.Fatalf("Read = %v: want the missing asset named", err)
	}
}

// Bad input is named: the file, the key, what was wrong.
func TestReadAssemblyBadInput(t *testing.T) {
	cases := []struct {
		name, manifest string
		setup          func(asm string)
		want           []string
	}{
		{name: "not json", manifest: `{"version": `, want: []string{"manifest.json: not a cloud assembly manifest"}},
		{name: "no artifacts", manifest: `{"version": "36.0.0"}`, want: []string{"no artifacts"}},
		{name: "missing template and escaping asset manifest", manifest: `{"version": "36.0.0", "artifacts": {
			"S.assets": {"type": "cdk:asset-manifest", "properties": {"file": "../../etc/passwd"}},
			"S": {"type": "aws:cloudformation:stack", "properties": {}},
			"T": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "T.template.json"}}}}`,
			want: []string{`artifacts.S.assets.properties.file "../../etc/passwd"`, "artifacts.S.properties.templateFile is missing",
				`artifacts.T.properties.templateFile "T.template.json": no such file or directory`}},
		{name: "asset missing", manifest: `{"version": "36.0.0", "artifacts": {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}}}`,
			setup: func(asm string) {
				write(t, asm, "S.template.json", `{"Resources": {"Fn": {"Type": "AWS::Lambda::Function",
					"Properties": {"Code": {"S3Bucket": "b", "S3Key": "abc.zip"}, "Handler": "index.handler", "Runtime": "nodejs22.x"},
					"Metadata": {"aws:cdk:path": "S/Fn/Resource", "aws:asset:path": "asset.abc"}},
					"Other": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": "mine", "S3Key": "code.zip"}},
					"Metadata": {"aws:cdk:path": "S/Other/Resource"}}}}`)
			},
			want: []string{`S/Fn/Resource's Metadata aws:asset:path "asset.abc": no such file or directory`,
				`S/Other/Resource: its code (S3Key "code.zip") is not an asset of this assembly`}},
		{name: "no functions", manifest: `{"version": "36.0.0", "artifacts": {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}}}`,
			setup: func(asm string) {
				write(t, asm, "S.template.json", `{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}`)
			},
			want: []string{"S.template.json: no AWS::Serverless::Function or AWS::Lambda::Function resources"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			asm := filepath.Join(t.TempDir(), DirName)
			write(t, asm, "manifest.json", c.manifest)
			if c.setup != nil {
				c.setup(asm)
			}
			_, err := Read(asm)
			if err == nil {
				t.Fatal("Read: no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Read: %v\nwant it to say %q", err, w)
				}
			}
		})
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

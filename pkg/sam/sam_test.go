package sam

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const tmpl = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: prod}
  NoDefault: {Type: String}
Globals:
  Function:
    MemorySize: 256
    Timeout: 5
    Runtime: provided.al2023
    Handler: bootstrap
    Environment:
      Variables:
        TABLE: !Ref Table
        STAGE: !Ref Stage
        URL: !Sub "https://${AWS::Region}.example.com/${Stage}"
        SECRET: !Sub "${NoDefault}-x"
        LONG: {"Fn::GetAtt": [Table, Arn]}
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      MemorySize: !Ref Memory
      Environment:
        Variables:
          TABLE: literal-table
      Layers: [!Ref Shared, "arn:aws:lambda:us-east-1:123456789012:layer:x:1"]
    Metadata:
      BuildMethod: go1.x
      BuildProperties:
        TrimGoPath: true
        LDFlags: -s
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker
      Runtime: python3.12
      Handler: app.handler
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: plain/
      Handler: bootstrap
      Runtime: provided.al2
      Architectures: [x86_64]
  Table:
    Type: AWS::DynamoDB::Table
`

func readTemplate(t *testing.T, src string, files ...string) (string, []Function) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files { // empty files the template's paths lead to
		_ = os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fns, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, fns
}

func TestRead(t *testing.T) {
	t.Parallel()
	dir, fns := readTemplate(t, strings.Replace(tmpl, "!Ref Memory", "512", 1))
	if len(fns) != 3 || fns[0].LogicalID != "Api" || fns[1].LogicalID != "Plain" || fns[2].LogicalID != "Worker" {
		t.Fatalf("functions %+v", fns)
	}
	api := fns[0]
	wantEnv := map[string]string{
		"TABLE": "literal-table", "STAGE": "prod", "URL": "https://us-east-1.example.com/prod",
		"SECRET": Placeholder("SECRET"), "LONG": Placeholder("LONG"),
	}
	if !reflect.DeepEqual(api.Env, wantEnv) {
		t.Errorf("env %v, want %v (the function's own TABLE wins over Globals')", api.Env, wantEnv)
	}
	if want := map[string]string{"SECRET": `!Sub "${NoDefault}-x"`, "LONG": "!GetAtt [Table, Arn]"}; !reflect.DeepEqual(api.Unresolved, want) {
		t.Errorf("unresolved %v, want %v", api.Unresolved, want)
	}
	if api.CodeURI != filepath.Join(dir, "api") || api.MemorySize != 512 || api.Timeout != 5 || api.Runtime != "provided.al2023" || api.Handler != "bootstrap" {
		t.Errorf("api %+v", api)
	}
	if len(api.Layers) != 2 || api.Layers[0] != "!Ref Shared" || api.BuildMethod != "go1.x" || api.BuildProperties["TrimGoPath"] != "true" {
		t.Errorf("layers %v, build %s %v", api.Layers, api.BuildMethod, api.BuildProperties)
	}
	plain := fns[1]
	if plain.CodeURI != filepath.Join(dir, "plain") || plain.MemorySize != 0 || plain.Runtime != "provided.al2" || len(plain.Env) != 0 {
		t.Errorf("a CloudFormation function takes nothing from SAM's Globals: %+v", plain)
	}
}

func TestPickAndPlan(t *testing.T) {
	t.Parallel()
	_, fns := readTemplate(t, strings.Replace(tmpl, "!Ref Memory", "512", 1))
	if _, err := Pick(fns, "", "template.yaml"); err == nil || !strings.Contains(err.Error(), "template.yaml has 3 functions: choose one with function (--function); they are Api (provided.al2023, api), Plain (provided.al2, plain), Worker (python3.12, worker)") {
		t.Errorf("Pick(\"\") = %v", err)
	}
	if _, err := Pick(fns, "Nope", "template.yaml"); err == nil || !strings.Contains(err.Error(), `function "Nope": not in template template.yaml; valid values are Api`) {
		t.Errorf("Pick(Nope) = %v", err)
	}
	api, _ := Pick(fns, "Api", "template.yaml")
	p, err := api.Plan()
	if err != nil || p.Runtime != "go" || !reflect.DeepEqual(p.GoFlags, []string{"-trimpath"}) {
		t.Fatalf("Plan(Api) = %+v, %v", p, err)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"BuildProperties.LDFlags is not used", "layer !Ref Shared has no content in this template: not emulated", "layer arn:aws:lambda:us-east-1:123456789012:layer:x:1 has no content", `env SECRET is !Sub "${NoDefault}-x", known only once deployed: set to "coldbench-unresolved-SECRET"`} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q: want %q", notes, want)
		}
	}
	worker, _ := Pick(fns, "Worker", "template.yaml")
	if p, err := worker.Plan(); err != nil || p.Runtime != "python" || !strings.Contains(strings.Join(p.Notes, ""), "Worker runs on python3.12; coldbench measures it on python3.11") {
		t.Errorf("Plan(python3.12) = %+v, %v", p, err)
	}
	for rt, want := range map[string]string{"nodejs22.x": "nodejs22.x", "nodejs24.x": "nodejs24.x", "nodejs20.x": "nodejs", "python3.11": "python3.11"} {
		if p, err := (Function{LogicalID: "F", Runtime: rt}).Plan(); err != nil || p.Runtime != want {
			t.Errorf("Plan(%s) = %+v, %v; want runtime %s", rt, p, err, want)
		}
	}
	java := Function{LogicalID: "J", Runtime: "java21"}
	if _, err := java.Plan(); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "J: runtime java21") {
		t.Errorf("Plan(java21) = %v", err)
	}
	plain, _ := Pick(fns, "Plain", "template.yaml")
	if p, err := plain.Plan(); err != nil || p.Runtime != "auto" || !strings.Contains(strings.Join(p.Notes, ""), "Plain deploys x86_64") {
		t.Errorf("Plan(Plain) = %+v, %v", p, err)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"not a mapping":     "- a\n- b\n",
		"no Resources":      "Globals: {}\n",
		"no functions":      "Resources:\n  T: {Type: AWS::DynamoDB::Table}\n",
		"s3 code":           "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: s3://bucket/key.zip}\n",
		"inline code":       "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {InlineCode: 'exports.handler=1'}\n",
		"image":             "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {PackageType: Image}\n",
		"memory not number": "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {MemorySize: lots}\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		_ = os.WriteFile(path, []byte(src), 0o644)
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Read = %v, want an error naming the file", name, err)
		}
	}
	if Discover(dir) != "" {
		t.Error("Discover found a template in a directory without one")
	}
	_ = os.WriteFile(filepath.Join(dir, "template.yml"), []byte(tmpl), 0o644)
	if got := Discover(dir); got != filepath.Join(dir, "template.yml") {
		t.Errorf("Discover = %q", got)
	}
}

// Layers defined in the template with local content are laid out in order; the Web Adapter's
// layer (an ARN, often a !Sub of the region) makes the function a web one; others are named.
func TestLayers(t *testing.T) {
	t.Parallel()
	dir, fns := readTemplate(t, `Transform: AWS::Serverless-2016-10-31
Resources:
  Web:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Runtime: provided.al2023
      Handler: bootstrap
      Layers:
        - !Ref AgentLayer
        - !Ref DepsLayer
        - !Sub arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerArm64:25
        - !Ref Missing
        - !Ref GoneLayer
  AgentLayer:
    Type: AWS::Serverless::LayerVersion
    Metadata: {BuildMethod: makefile}
    Properties: {ContentUri: agent/}
  DepsLayer:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: deps.zip}
  GoneLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: gone/}
`, "app/main.go", "agent/extensions/agent", "deps.zip")
	p, err := fns[0].Plan()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Layers, []string{filepath.Join(dir, "agent"), filepath.Join(dir, "deps.zip")}) || p.Web != "on" {
		t.Fatalf("Plan() layers %q web %q, want agent/ then deps.zip, and web on", p.Layers, p.Web)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"layer !Ref AgentLayer has Metadata.BuildMethod makefile, which coldbench does not run: agent/ is laid out in /opt as it is",
		"LambdaAdapterLayerArm64:25 is the Lambda Web Adapter: coldbench plays the adapter", "layer !Ref Missing has no content in this template",
		"layer !Ref GoneLayer's content gone/ does not exist"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q: want %q", notes, want)
		}
	}
}

// CloudFormation's Fn::Join of known values resolves (CDK writes it for ARNs and URLs); code in
// S3 is found by a Locator, or refused without one.
func TestJoinAndLocator(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stack.template.json")
	if err := os.WriteFile(path, []byte(`{"Resources": {"Fn": {"Type": "AWS::Lambda::Function",
		"Properties": {"Code": {"S3Bucket": "b", "S3Key": {"Fn::Join": ["", ["abc", ".zip"]]}},
		"Environment": {"Variables": {"URL": {"Fn::Join": ["", ["https://", {"Ref": "AWS::Region"}, ".example.com"]]},
		"ARN": {"Fn::Join": [":", ["arn", {"Fn::GetAtt": ["T", "Arn"]}]]}}}},
		"Metadata": {"aws:cdk:path": "S/Fn/Resource", "aws:asset:is-bundled": false}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "code in S3") {
		t.Errorf("Read = %v: want the S3 code refused", err)
	}
	var gotKey string
	fns, err := ReadWith(path, func(id, key string, meta map[string]string) (string, error) {
		gotKey = key
		return filepath.Join(dir, meta["aws:cdk:path"]), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fn := fns[0]
	if gotKey != "abc.zip" || fn.CodeURI != filepath.Join(dir, "S/Fn/Resource") || fn.Metadata["aws:asset:is-bundled"] != "false" {
		t.Errorf("key %q, code %q, metadata %v", gotKey, fn.CodeURI, fn.Metadata)
	}
	if fn.Env["URL"] != "https://us-east-1.example.com" || fn.Unresolved["ARN"] != `!Join [":", [arn, {'Fn::GetAtt': [T, Arn]}]]` {
		t.Errorf("env %v unresolved %v", fn.Env, fn.Unresolved)
	}
}

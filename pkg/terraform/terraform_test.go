package terraform

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

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pkg/cli's Go module: filename is an archive_file of the binary a local-exec go build writes;
// memory from a variable's default, env from variables, locals and a function, the table's
// name named as known only once applied.
func TestReadGoModule(t *testing.T) {
	dir := filepath.Join("..", "cli", "testdata", "userhandlers", "tf-go")
	if Discover(dir) != dir || !IsModule(dir) || !IsModule(filepath.Join(dir, "main.tf")) {
		t.Fatalf("Discover(%q) = %q", dir, Discover(dir))
	}
	fns, err := Read(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 1 {
		t.Fatalf("functions %+v", fns)
	}
	fn := fns[0]
	if fn.LogicalID != "aws_lambda_function.hello" || fn.CodeURI != filepath.Join(dir, "cmd", "hello") {
		t.Errorf("function %s code %s: want the resource's address and the go build's main package", fn.LogicalID, fn.CodeURI)
	}
	if fn.Runtime != "provided.al2023" || fn.Handler != "bootstrap" || fn.MemorySize != 256 || fn.Timeout != 5 || !reflect.DeepEqual(fn.Architectures, []string{"arm64"}) {
		t.Errorf("function %+v", fn)
	}
	want := map[string]string{"STAGE": "dev", "NAME": "HELLO-DEV", "TABLE": sam.Placeholder("TABLE")}
	if !reflect.DeepEqual(fn.Env, want) || fn.Unresolved["TABLE"] != "aws_dynamodb_table.items.name" {
		t.Errorf("env %v unresolved %v; want %v", fn.Env, fn.Unresolved, want)
	}
}

// HashiCorp's lambda-api-gateway tutorial: the zip of an archive_file's source_dir uploaded as an
// S3 object; and terraform-aws-modules' Lambda module with a source_path and its commands.
func TestReadS3ObjectAndModule(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hello-world/hello.js", "module.exports.handler = async () => ({statusCode: 200});\n")
	write(t, dir, "src/go/main.go", "package main\n")
	write(t, dir, "layer/extensions/agent", "#!/bin/sh\n")
	write(t, dir, "main.tf", `
data "archive_file" "lambda_hello_world" {
  type        = "zip"
  source_dir  = "${path.module}/hello-world"
  output_path = "${path.module}/hello-world.zip"
}

data "archive_file" "deps" {
  type        = "zip"
  source_dir  = "${path.module}/layer"
  output_path = "${path.module}/layer.zip"
}

resource "aws_lambda_layer_version" "deps" {
  layer_name = "deps"
  filename   = data.archive_file.deps.output_path
}

resource "aws_lambda_layer_version" "gone" {
  layer_name = "gone"
  filename   = "gone.zip"
}

resource "aws_s3_object" "lambda_hello_world" {
  bucket = aws_s3_bucket.lambda_bucket.id
  key    = "hello-world.zip"
  source = data.archive_file.lambda_hello_world.output_path
  etag   = filemd5(data.archive_file.lambda_hello_world.output_path)
}

resource "aws_lambda_function" "hello_world" {
  function_name = "HelloWorld"
  s3_bucket     = aws_s3_bucket.lambda_bucket.id
  s3_key        = aws_s3_object.lambda_hello_world.key
  runtime       = "nodejs20.x"
  handler       = "hello.handler"
  layers        = [aws_lambda_layer_version.deps.arn, "arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:25", aws_lambda_layer_version.gone.arn]
  role          = aws_iam_role.lambda_exec.arn
}

module "go_lambda_function" {
  source        = "terraform-aws-modules/lambda/aws"
  version       = "~> 7.0"
  function_name = "go"
  handler       = "bootstrap"
  runtime       = "provided.al2023"
  architectures = ["arm64"]
  memory_size   = 512
  environment_variables = {
    MODE = "fast"
  }
  source_path = [
    {
      path     = "${path.module}/src/go"
      commands = ["GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o bootstrap main.go", ":zip"]
      patterns = ["!.*", "bootstrap"]
    }
  ]
}
`)
	fns, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 2 {
		t.Fatalf("functions %+v", fns)
	}
	node, gofn := fns[0], fns[1]
	if node.LogicalID != "aws_lambda_function.hello_world" || node.CodeURI != filepath.Join(dir, "hello-world") || node.Handler != "hello.handler" ||
		node.MemorySize != DefaultMemoryMB || node.Timeout != DefaultTimeout || len(node.Layers) != 3 {
		t.Errorf("node %+v: want the archive's source_dir through the S3 object, Terraform's defaults, the layers", node)
	}
	if !reflect.DeepEqual(node.LayerDirs, []string{filepath.Join(dir, "layer")}) || !node.WebAdapter || len(node.LayerNotes) != 2 ||
		!strings.Contains(node.LayerNotes[1], `layer aws_lambda_layer_version.gone.arn: "gone.zip" (gone.zip) does not exist`) {
		t.Errorf("layer dirs %v, web %v, notes %q: want the module's layer laid out, the adapter played, the missing one named", node.LayerDirs, node.WebAdapter, node.LayerNotes)
	}
	if gofn.LogicalID != "module.go_lambda_function" || gofn.CodeURI != filepath.Join(dir, "src", "go") || gofn.MemorySize != 512 || gofn.Env["MODE"] != "fast" ||
		!hasNote(gofn, "source_path's commands (GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o bootstrap main.go; :zip) are not run") {
		t.Errorf("module %+v", gofn)
	}
}

// Bad input: the file and line (HCL's own diagnostics) or the resource and attribute, every
// problem at once.
func TestReadBadInput(t *testing.T) {
	cases := []struct {
		name, tf string
		want     []string
	}{
		{"syntax", "resource \"aws_lambda_function\" \"x\" {\n  runtime = \n}\n", []string{"main.tf:2"}},
		{"no functions", `resource "aws_s3_bucket" "b" {}`, []string{"no aws_lambda_function resource or terraform-aws-modules/lambda/aws module"}},
		{"problems", `
variable "mem" {}
resource "aws_lambda_function" "a" {
  filename    = "missing.zip"
  memory_size = "lots"
}
resource "aws_lambda_function" "b" {
  s3_bucket = "shared"
  s3_key    = "b.zip"
  handler   = var.handler_name
}
resource "aws_lambda_function" "c" {
  image_uri    = "repo:tag"
  package_type = "Image"
}
resource "aws_lambda_function" "d" {
  filename    = data.archive_file.nope.output_path
  memory_size = var.mem
}
module "m" {
  source = "terraform-aws-modules/lambda/aws"
}
`, []string{
			`aws_lambda_function.a: code: "missing.zip" (missing.zip) does not exist`,
			`aws_lambda_function.b: code: s3_key = "b.zip": not an aws_s3_object of this module`,
			"aws_lambda_function.c: a container image function",
			`aws_lambda_function.d: code: data.archive_file.nope.output_path: no data "archive_file" "nope"`,
			"module.m: no source_path or local_existing_package",
		}},
		{"linked from outside", `resource "aws_lambda_function" "a" {}`, []string{"secrets.tf links outside the module: not read"}},
		{"memory", `
resource "aws_lambda_function" "a" {
  filename    = "code"
  memory_size = "lots"
  timeout     = 2.5
}
`, []string{`aws_lambda_function.a: memory_size = "lots": not a number`, "aws_lambda_function.a: timeout = 2.5: not a positive whole number"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "main.tf", c.tf)
			if c.name == "linked from outside" {
				outside := t.TempDir()
				write(t, outside, "credentials", "aws_secret_access_key = \"s3cr3t\"\n[default\n")
				if err := os.Symlink(filepath.Join(outside, "credentials"), filepath.Join(dir, "secrets.tf")); err != nil {
					t.Fatal(err)
				}
			}
			write(t, dir, "code/bootstrap", "")
			_, err := Read(dir)
			if err == nil {
				t.Fatal("Read: no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Read: %v\nwant it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "aws_secret_access_key") {
				t.Errorf("Read: %v: a file linked from outside was read", err)
			}
		})
	}
}

// What only an apply knows is a note, not an error: a variable without a default.
func TestReadNotes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "code/index.py", "")
	write(t, dir, "main.tf", `
variable "handler_name" {}
variable "mem" {}
resource "aws_lambda_function" "a" {
  filename    = "code"
  handler     = var.handler_name
  runtime     = "python3.12"
  memory_size = var.mem
}
`)
	fns, err := Read(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	fn := fns[0]
	if fn.Handler != "" || fn.MemorySize != DefaultMemoryMB || !hasNote(fn, "handler = var.handler_name is known only once applied") ||
		!hasNote(fn, "memory_size = var.mem is known only once applied: the default 128 is used") {
		t.Errorf("function %+v", fn)
	}
}

# A Go function deployed with Terraform: a terraform_data resource builds the bootstrap, an
# archive_file zips it, aws_lambda_function deploys the zip (the shape of HashiCorp's
# lambda-api-gateway tutorial, with Go's build step in front).
terraform {
  required_providers {
    aws     = { source = "hashicorp/aws", version = "~> 5.0" }
    archive = { source = "hashicorp/archive", version = "~> 2.4" }
  }
}

provider "aws" {
  region = var.aws_region
}

locals {
  name   = "${var.app}-${var.stage}"
  binary = "${path.module}/build/bootstrap"
}

resource "terraform_data" "build" {
  triggers_replace = [filesha256("${path.module}/cmd/hello/main.go")]

  provisioner "local-exec" {
    command     = "GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o build/bootstrap ./cmd/hello"
    working_dir = path.module
  }
}

data "archive_file" "hello" {
  type        = "zip"
  source_file = local.binary
  output_path = "${path.module}/build/hello.zip"
  depends_on  = [terraform_data.build]
}

resource "aws_dynamodb_table" "items" {
  name         = "${local.name}-items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_iam_role" "lambda_exec" {
  name = "${local.name}-exec"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Action = "sts:AssumeRole", Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "hello" {
  function_name    = local.name
  filename         = data.archive_file.hello.output_path
  source_code_hash = data.archive_file.hello.output_base64sha256
  role             = aws_iam_role.lambda_exec.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  memory_size      = var.memory
  timeout          = 5

  environment {
    variables = {
      STAGE = var.stage
      NAME  = upper(local.name)
      TABLE = aws_dynamodb_table.items.name
    }
  }
}

package main

import (
	"context"

	"example.com/shop/store"
	"github.com/aws/aws-lambda-go/lambda"
)

var version = "dev" // set by the Makefile's -ldflags

var table = store.Table()

func handler(ctx context.Context, _ map[string]any) (map[string]string, error) {
	return map[string]string{"table": store.Describe(table), "version": version}, nil
}

func main() { lambda.Start(handler) }

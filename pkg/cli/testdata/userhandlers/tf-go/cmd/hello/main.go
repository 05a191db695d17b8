// The function: says which stage and table it was configured with.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type answer struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
	Table string `json:"table"`
}

var configured = answer{Stage: os.Getenv("STAGE"), Name: os.Getenv("NAME"), Table: os.Getenv("TABLE")}

func handle(ctx context.Context, event map[string]any) (answer, error) { return configured, nil }

func main() { lambda.Start(handle) }

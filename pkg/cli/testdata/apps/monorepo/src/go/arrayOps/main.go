package main

import (
	"context"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context) (string, error) {
	s := 0
	for i := 0; i < 1000; i++ {
		s += i * i
	}
	return strconv.Itoa(s), nil
}

func main() { lambda.Start(handler) }

package main

import (
	"context"

	"example.com/products/store"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var s = store.New()

func handler(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	_ = s.All()
	return events.DynamoDBEventResponse{}, nil
}

func main() { lambda.Start(handler) }

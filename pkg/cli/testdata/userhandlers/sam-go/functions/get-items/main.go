package main

import (
	"context"

	"example.com/shop/store"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var table = store.Table() // read at init, as real handlers do

func handler(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if req.RawPath != "/" {
		return events.APIGatewayV2HTTPResponse{StatusCode: 404, Body: "not found"}, nil
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: store.Describe(table)}, nil
}

func main() { lambda.Start(handler) }

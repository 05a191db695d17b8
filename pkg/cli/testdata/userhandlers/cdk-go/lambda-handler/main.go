// The function behind the HTTP API: answers with its greeting, read at init.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var greeting = os.Getenv("GREETING") + " (" + os.Getenv("TABLE_NAME") + ")"

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body, err := json.Marshal(map[string]string{"greeting": greeting, "endpoint": os.Getenv("ENDPOINT")})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: 500}, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(body)}, nil
}

func main() { lambda.Start(handle) }

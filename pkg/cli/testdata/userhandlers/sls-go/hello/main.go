// GET /hello: the greeting, the table and the region the function was configured with.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var config = map[string]string{
	"greeting": os.Getenv("GREETING"), "table": os.Getenv("TABLE"), "region": os.Getenv("REGION"), "shout": os.Getenv("SHOUT"),
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body, err := json.Marshal(config)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: 500}, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(body)}, nil
}

func main() { lambda.Start(handle) }

// Package handlers adapts API Gateway events to the domain.
package handlers

import (
	"context"
	"fmt"

	"example.com/products/domain"
	"github.com/aws/aws-lambda-go/events"
)

// API answers API Gateway (HTTP API) requests.
type API struct{ Products domain.Products }

// Handle answers one request.
func (a API) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: fmt.Sprintf("%d products", a.Products.Count())}, nil
}

package main

import (
	"example.com/products/domain"
	"example.com/products/handlers"
	"example.com/products/store"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	api := handlers.API{Products: domain.Products{Store: store.New()}}
	lambda.Start(api.Handle)
}

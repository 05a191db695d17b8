//go:build cdkapp

// The CDK app that synthesized cdk.out (as aws-cdk-examples' go/httpapi-lambda is laid out): a
// GoFunction bundled from ./lambda-handler and a Python function staged from ./lambda. The
// build tag keeps it out of the handler's build, which needs none of the CDK's modules.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdklambdagoalpha/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("HttpapiLambdaStack"), nil)
	table := awsdynamodb.NewTable(stack, jsii.String("Items"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("id"), Type: awsdynamodb.AttributeType_STRING},
	})
	awscdklambdagoalpha.NewGoFunction(stack, jsii.String("myGoHandler"), &awscdklambdagoalpha.GoFunctionProps{
		Entry: jsii.String("./lambda-handler"), Runtime: awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(), MemorySize: jsii.Number(256), Timeout: awscdk.Duration_Seconds(jsii.Number(10)),
		Environment: &map[string]*string{"GREETING": jsii.String("hello from cdk"), "TABLE_NAME": table.TableName()},
	})
	awslambda.NewFunction(stack, jsii.String("Singleton"), &awslambda.FunctionProps{
		Code: awslambda.NewAssetCode(jsii.String("lambda"), nil), Handler: jsii.String("handler.main"),
		Runtime: awslambda.Runtime_PYTHON_3_12(), Timeout: awscdk.Duration_Seconds(jsii.Number(300)),
	})
	app.Synth(nil)
}

package inittrace

import "testing"

// A unit's dependency in each ecosystem's words; the runtime's own and the function's own code
// are no dependency.
func TestDependency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ tracer, unit, want string }{
		{Go().Name, "example.com/shop/catalog", ""}, // the function's own module
		{Go().Name, "example.com/shopping/cart", "example.com/shopping"},
		{Go().Name, "github.com/aws/aws-sdk-go-v2/service/dynamodb/types", "github.com/aws/aws-sdk-go-v2"},
		{Go().Name, "github.com/aws/smithy-go", "github.com/aws/smithy-go"},
		{Go().Name, "golang.org/x/net/http2", "golang.org/x/net"},
		{Go().Name, "gopkg.in/yaml.v3", "gopkg.in/yaml.v3"},
		{Go().Name, "go.opentelemetry.io/otel/trace", "go.opentelemetry.io/otel"},
		{Go().Name, "net/http", ""},
		{Go().Name, "vendor/golang.org/x/net/idna", ""},
		{Go().Name, "main", ""},
		{Python().Name, "boto3", ""}, // importtime does not say where a module was found
		{Node().Name, "@aws-sdk/client-dynamodb/dist-cjs/index.js", "@aws-sdk"},
		{Node().Name, "uuid/dist/index.js", "uuid"},
		{Node().Name, "./app.mjs", ""},
		{Node().Name, "/opt/runtime/index.mjs", ""},
		{"unknown tracer", "anything", ""},
	} {
		if got := Dependency(tc.tracer, tc.unit, "example.com/shop"); got != tc.want {
			t.Errorf("Dependency(%q, %q, example.com/shop) = %q, want %q", tc.tracer, tc.unit, got, tc.want)
		}
	}
}

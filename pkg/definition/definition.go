// Package definition finds and reads the file that defines a repository's functions, whichever
// tool the user deploys with: a SAM or CloudFormation template (pkg/sam), a CDK cloud assembly
// (pkg/cdk), a Serverless Framework service (pkg/serverless), a Terraform module
// (pkg/terraform). Each reader describes the functions as pkg/sam does, so one plan builds
// them all.
package definition

import (
	"github.com/coldbench/coldbench/pkg/cdk"
	"github.com/coldbench/coldbench/pkg/sam"
	"github.com/coldbench/coldbench/pkg/serverless"
	"github.com/coldbench/coldbench/pkg/terraform"
)

// kind is one way users define their functions.
type kind struct {
	// discover returns the definition at a repository's root, or "".
	discover func(root string) string
	// is says whether a path the user gave (the template setting) is of this kind.
	is func(path string) bool
	// read returns the definition's functions; env is what the user gave coldbench for the
	// function (a serverless.yml's ${env:NAME} reads it), never coldbench's own environment.
	read func(path string, env map[string]string) ([]sam.Function, error)
}

// kinds in the order a repository's root is searched: the first found is used.
var kinds = []kind{
	{discover: sam.Discover, is: func(string) bool { return false },
		read: func(p string, _ map[string]string) ([]sam.Function, error) { return sam.Read(p) }},
	{discover: cdk.Discover, is: cdk.IsAssembly,
		read: func(p string, _ map[string]string) ([]sam.Function, error) { return cdk.Read(p) }},
	{discover: serverless.Discover, is: serverless.IsService, read: serverless.Read},
	{discover: terraform.Discover, is: terraform.IsModule,
		read: func(p string, _ map[string]string) ([]sam.Function, error) { return terraform.Read(p) }},
}

// Discover returns the first definition found at a repository's root: template.yaml (or .yml,
// sam.yaml, sam.yml), cdk.out, serverless.yml (or .yaml), a directory of *.tf declaring a Lambda
// function; or "".
func Discover(root string) string {
	for _, k := range kinds {
		if p := k.discover(root); p != "" {
			return p
		}
	}
	return ""
}

// Read returns the functions of the definition at path, of the kind its name or contents say
// (a SAM or CloudFormation template otherwise). env is what the user gave coldbench for the
// function (a serverless.yml's ${env:NAME} reads it), never coldbench's own environment.
func Read(path string, env map[string]string) ([]sam.Function, error) {
	for _, k := range kinds[1:] {
		if k.is(path) {
			return k.read(path, env)
		}
	}
	return kinds[0].read(path, env)
}

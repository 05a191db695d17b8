package cli

import (
	"github.com/coldbench/coldbench/pkg/cdk"
	"github.com/coldbench/coldbench/pkg/sam"
	"github.com/coldbench/coldbench/pkg/serverless"
	"github.com/coldbench/coldbench/pkg/terraform"
)

// definitionKind is one way users define their functions: a SAM or CloudFormation template, a
// CDK cloud assembly, a Serverless Framework service, a Terraform module. Each reader returns
// the functions as pkg/sam describes them, so one plan builds them all.
type definitionKind struct {
	// discover returns the definition at a repository's root, or "".
	discover func(root string) string
	// is says whether a path the user gave (the template setting) is of this kind.
	is func(path string) bool
	// read returns the definition's functions; env is what the user gave coldbench for the
	// function (a serverless.yml's ${env:NAME} reads it), never coldbench's own environment.
	read func(path string, env map[string]string) ([]sam.Function, error)
}

// definitionKinds in the order a repository's root is searched: the first found is used.
var definitionKinds = []definitionKind{
	{discover: sam.Discover, is: func(string) bool { return false },
		read: func(p string, _ map[string]string) ([]sam.Function, error) { return sam.Read(p) }},
	{discover: cdk.Discover, is: cdk.IsAssembly,
		read: func(p string, _ map[string]string) ([]sam.Function, error) { return cdk.Read(p) }},
	{discover: serverless.Discover, is: serverless.IsService, read: serverless.Read},
	{discover: terraform.Discover, is: terraform.IsModule,
		read: func(p string, _ map[string]string) ([]sam.Function, error) { return terraform.Read(p) }},
}

// discoverDefinition returns the first definition found at root, or "".
func discoverDefinition(root string) string {
	for _, k := range definitionKinds {
		if p := k.discover(root); p != "" {
			return p
		}
	}
	return ""
}

// readDefinition reads the functions of the definition at path, of the kind its name or
// contents say (a SAM or CloudFormation template otherwise).
func readDefinition(path string, env map[string]string) ([]sam.Function, error) {
	for _, k := range definitionKinds[1:] {
		if k.is(path) {
			return k.read(path, env)
		}
	}
	return definitionKinds[0].read(path, env)
}

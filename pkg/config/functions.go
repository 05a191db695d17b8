package config

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// The function setting's words for a run of several functions of a template.
const (
	// FunctionsAll measures every function of the template.
	FunctionsAll = "all"
	// FunctionsChanged measures the functions whose deployed code the diff against base can change.
	FunctionsChanged = "changed"
)

// functionName is what names a function of a definition: a logical ID, a CDK construct path
// (Stack/Handler), a serverless.yml key, a Terraform address; never a comma (the list's
// separator) or a space.
var functionName = regexp.MustCompile(`^[^,\s]+$`)

// FunctionNames is the function setting as the logical IDs it lists ("A,B" or "A"); nil for
// all, changed or none.
func (c *Config) FunctionNames() []string {
	f := strings.TrimSpace(c.Function)
	if f == "" || f == FunctionsAll || f == FunctionsChanged {
		return nil
	}
	var out []string
	for _, n := range strings.Split(f, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// SeveralFunctions reports whether the function setting chooses a run of several functions:
// all, changed, or more than one logical ID.
func (c *Config) SeveralFunctions() bool {
	f := strings.TrimSpace(c.Function)
	return f == FunctionsAll || f == FunctionsChanged || len(c.FunctionNames()) > 1
}

// checkFunctions lists the problems of the function setting's names.
func (c *Config) checkFunctions(p *Problems, names func(string) string) {
	for _, n := range c.FunctionNames() {
		if !functionName.MatchString(n) {
			p.add("%s %q: %q is not a function's name (a logical ID, a construct path); valid values are %s, %s or names A,B", names("function"), c.Function, n, FunctionsAll, FunctionsChanged)
		}
	}
	if c.SeveralFunctions() {
		if c.Baseline != "" {
			p.add("%s %s: a stored baseline is one function's; choose one function", names("function"), c.Function)
		}
		if c.Store != "" {
			p.add("%s %s: the history is stored one function at a time; choose one function", names("function"), c.Function)
		}
	}
}

// ForFunction is c for the one function called name of a run of several: a copy whose records of
// what was set are its own, so that the template fills each function's settings afresh.
func (c *Config) ForFunction(name string) Config {
	f := *c
	f.Function = name
	f.set, f.fromRepo = maps.Clone(c.set), maps.Clone(c.fromRepo)
	f.Env = maps.Clone(c.Env)
	f.Notes = slices.Clone(c.Notes)
	f.GoFlags = slices.Clone(c.GoFlags)
	return f
}

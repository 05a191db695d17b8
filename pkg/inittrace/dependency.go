package inittrace

import (
	"sort"
	"strings"

	"github.com/coldbench/coldbench/pkg/results"
)

// Dependency is the dependency a traced unit comes from, in its ecosystem's words, or "" for the
// runtime's own (Go's standard library) and the function's own code (own is a Go function's main
// module): a Go package's module repository (github.com/aws/aws-sdk-go-v2 for
// github.com/aws/aws-sdk-go-v2/service/dynamodb, whose modules are released together), a Node.js
// module's npm package (a scoped package's scope: @aws-sdk, @smithy). Python's importtime names a
// module without saying where it was found (the function's own file or a package beside it), so
// none of its units is said to be a dependency.
func Dependency(tracer, unit, own string) string {
	switch tracer {
	case Go().Name:
		if own != "" && (unit == own || strings.HasPrefix(unit, own+"/")) {
			return ""
		}
		return goDependency(unit)
	case Node().Name:
		return npmDependency(unit)
	}
	return ""
}

// goDependency is a package path's module repository: three elements on the code hosts whose
// paths are host/owner/repository, and for golang.org/x; two elsewhere (gopkg.in/yaml.v3,
// k8s.io/client-go, go.opentelemetry.io/otel); "" in the standard library, whose first element has
// no dot.
func goDependency(pkg string) string {
	parts := strings.Split(pkg, "/")
	if !strings.Contains(parts[0], ".") || parts[0] == "main" {
		return ""
	}
	n := 2
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org", "golang.org":
		n = 3
	}
	return strings.Join(parts[:min(n, len(parts))], "/")
}

// npmDependency is a module's npm package as nodeModuleName (or a bundler's metafile) names it,
// by scope for a scoped one; "" for the function's own files and absolute paths.
func npmDependency(name string) string {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "/") || name == "" {
		return ""
	}
	first, _, _ := strings.Cut(name, "/")
	return first
}

// unitWord is what a tracer's units are, one and several.
func unitWord(tracer string) [2]string {
	switch tracer {
	case Go().Name:
		return [2]string{"package with an init", "packages with an init"}
	case Python().Name:
		return [2]string{"top-level import", "top-level imports"}
	case Node().Name:
		return [2]string{"module evaluated", "modules evaluated"}
	}
	return [2]string{"unit", "units"}
}

// NewDependency is the dependency that brought in the most init time among the units new in head
// (in none of base's traced starts), with how many units came from it and what
// they cost; nil when no unit new in head comes from a dependency. base and head are the median
// traces of each side; bundle is the bundle's modules that changed (their bytes are the
// dependency's in the bundle); own is a Go function's main module.
func NewDependency(tracer, own string, base, head []results.TraceUnit, bundle []results.SectionDelta) *results.DependencyChange {
	inBase := map[string]bool{}
	for _, u := range base {
		inBase[u.Name] = true
	}
	groups := map[string]*results.DependencyChange{}
	total := 0
	for _, u := range head {
		if inBase[u.Name] {
			continue
		}
		total++
		dep := Dependency(tracer, u.Name, own)
		if dep == "" {
			continue
		}
		g := groups[dep]
		if g == nil {
			g = &results.DependencyChange{Name: dep, UnitWord: unitWord(tracer)}
			groups[dep] = g
		}
		g.Units++
		g.InitMs += u.Ms
		g.InitAllocs += u.Allocs
		g.InitAllocBytes += u.Bytes
	}
	if len(groups) == 0 {
		return nil
	}
	var all []*results.DependencyChange
	for _, g := range groups {
		g.NewUnits = total
		all = append(all, g)
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.InitMs != b.InitMs {
			return a.InitMs > b.InitMs
		}
		if a.Units != b.Units {
			return a.Units > b.Units
		}
		return a.Name < b.Name
	})
	d := all[0]
	for _, m := range bundle {
		if m.Base == 0 && npmDependency(m.Name) == d.Name {
			d.BundleBytes += m.Head
		}
	}
	return d
}

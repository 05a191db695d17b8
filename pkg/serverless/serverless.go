// Package serverless reads the functions of a Serverless Framework service (serverless.yml, v3 and
// v4): each function's handler, runtime, memorySize, timeout, environment, architecture and
// package patterns, the provider's settings below the function's own. Variables are resolved
// where their value is known before a deployment (${self:...}, ${opt:...} and ${env:...} with
// their fallbacks, ${sls:stage}, ${aws:region}, ${param:...} of the stage's params); the others
// (${ssm:...}, ${cf:...}, ${file(...)}) are named, as pkg/sam does for !Ref.
package serverless

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/coldbench/coldbench/pkg/sam"
	"gopkg.in/yaml.v3"
)

// FileNames are the service files looked for at a repository's root, in order.
var FileNames = []string{"serverless.yml", "serverless.yaml"}

// Discover returns the first of FileNames in dir, or "".
func Discover(dir string) string {
	for _, n := range FileNames {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.Mode().IsRegular() {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

// IsService says whether path names a Serverless Framework service file.
func IsService(p string) bool { return slices.Contains(FileNames, filepath.Base(p)) }

// Defaults are the framework's when neither the function nor the provider sets them.
const (
	DefaultMemoryMB = 1024
	DefaultTimeout  = 6
	DefaultStage    = "dev"
	DefaultRegion   = "us-east-1"
)

// Read returns the functions of the service file at path, sorted by name. env is what
// ${env:NAME} reads: the environment given to coldbench for the function (never coldbench's own,
// which holds the job's secrets).
func Read(file string, env map[string]string) ([]sam.Function, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("serverless: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("serverless %s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("serverless %s: not a service definition (no top-level mapping)", file)
	}
	s := &service{file: file, dir: filepath.Dir(file), top: doc.Content[0], env: env}
	if p := s.str("provider.name"); p != "" && p != "aws" {
		return nil, fmt.Errorf("serverless %s: provider.name %q: coldbench measures AWS Lambda functions (provider.name: aws)", file, p)
	}
	s.stage = s.strOr("provider.stage", DefaultStage)
	s.region = s.strOr("provider.region", DefaultRegion)
	fnsNode := s.resolved(get(s.top, "functions"))
	var nodes []*yaml.Node // functions is a mapping, or (v3) a list of mappings
	switch {
	case fnsNode == nil:
		return nil, fmt.Errorf("serverless %s: no functions", file)
	case fnsNode.Kind == yaml.MappingNode:
		nodes = []*yaml.Node{fnsNode}
	case fnsNode.Kind == yaml.SequenceNode:
		for _, n := range fnsNode.Content {
			nodes = append(nodes, s.resolved(n))
		}
	default:
		return nil, fmt.Errorf("serverless %s: functions: %s is not a mapping of functions", file, describe(fnsNode))
	}
	var fns []sam.Function
	var problems []string
	for _, m := range nodes {
		if m == nil || m.Kind != yaml.MappingNode {
			problems = append(problems, fmt.Sprintf("functions: %s is not a mapping of functions", describe(m)))
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			fn, ps := s.function(m.Content[i].Value, s.resolved(m.Content[i+1]))
			problems = append(problems, ps...)
			if len(ps) == 0 {
				fns = append(fns, fn)
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("serverless %s: %s", file, strings.Join(problems, "; "))
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("serverless %s: no functions", file)
	}
	slices.SortFunc(fns, func(a, b sam.Function) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return fns, nil
}

type service struct {
	file, dir     string
	top           *yaml.Node
	env           map[string]string
	stage, region string
}

func (s *service) function(name string, n *yaml.Node) (sam.Function, []string) {
	key := "functions." + name
	fn := sam.Function{LogicalID: name, Type: "serverless", TemplateDir: s.dir, CodeURI: s.dir,
		Env: map[string]string{}, Unresolved: map[string]string{}, BuildProperties: map[string]string{}, Metadata: map[string]string{}}
	if n == nil || n.Kind != yaml.MappingNode {
		return fn, []string{fmt.Sprintf("%s: %s is not a function (a mapping with handler)", key, describe(n))}
	}
	var problems []string
	// setting is the function's own value, else the provider's.
	setting := func(fnKey, providerKey string) (*yaml.Node, string) {
		if v := get(n, fnKey); v != nil {
			return v, key + "." + fnKey
		}
		return s.at("provider." + providerKey), "provider." + providerKey
	}
	str := func(fnKey, providerKey string) string {
		v, where := setting(fnKey, providerKey)
		out, ok, expr := s.value(v)
		if !ok {
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: %s is %s, known only once deployed: not used", name, where, expr))
			return ""
		}
		return out
	}
	num := func(fnKey, providerKey string, def int) int {
		v, where := setting(fnKey, providerKey)
		if v == nil {
			return def
		}
		out, ok, expr := s.value(v)
		if !ok {
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: %s is %s, known only once deployed: the default %d is used", name, where, expr, def))
			return def
		}
		i, err := strconv.Atoi(out)
		if err != nil || i <= 0 {
			problems = append(problems, fmt.Sprintf("%s: %q is not a positive whole number", where, out))
		}
		return i
	}
	if get(n, "image") != nil {
		return fn, []string{fmt.Sprintf("%s.image: a container image function is not supported; coldbench measures zip functions", key)}
	}
	fn.Handler = str("handler", "")
	if get(n, "handler") == nil {
		problems = append(problems, fmt.Sprintf("%s.handler is missing", key))
	}
	fn.Runtime = str("runtime", "runtime")
	fn.MemorySize = num("memorySize", "memorySize", DefaultMemoryMB)
	fn.Timeout = num("timeout", "timeout", DefaultTimeout)
	if a := str("architecture", "architecture"); a != "" {
		fn.Architectures = []string{a}
	}
	for _, vars := range []struct {
		n     *yaml.Node
		where string
	}{{s.at("provider.environment"), "provider.environment"}, {s.resolved(get(n, "environment")), key + ".environment"}} {
		if vars.n != nil && vars.n.Kind != yaml.MappingNode {
			problems = append(problems, fmt.Sprintf("%s: %s is not a mapping of variables", vars.where, describe(vars.n)))
			continue
		}
		for _, k := range keys(vars.n) {
			out, ok, expr := s.value(get(vars.n, k))
			if ok {
				fn.Env[k] = out
				delete(fn.Unresolved, k)
			} else {
				fn.Env[k], fn.Unresolved[k] = sam.Placeholder(k), expr
			}
		}
	}
	for _, l := range items(s.resolved(get(n, "layers"))) {
		v, _, _ := s.value(l)
		desc := cmpOr(v, describe(l))
		fn.Layers = append(fn.Layers, desc)
		fn.ExternalLayer(desc, "service")
	}
	var patterns []string
	own := s.resolved(get(n, "package"))
	for _, pkg := range []*yaml.Node{s.at("package"), own} { // v2's include and exclude too
		for _, list := range []string{"patterns", "include", "exclude"} {
			for _, p := range items(s.resolved(get(pkg, list))) {
				v, _, _ := s.value(p)
				if list == "exclude" {
					v = "!" + v
				}
				patterns = append(patterns, v)
			}
		}
	}
	if art, ok, _ := s.value(s.resolved(get(own, "artifact"))); ok && art != "" {
		fn.CodeURI = filepath.Join(s.dir, art)
		fn.Notes = append(fn.Notes, fmt.Sprintf("%s: package.artifact %s is measured as it is", name, art))
	} else if len(patterns) > 0 {
		fn.Notes = append(fn.Notes, fmt.Sprintf("%s: package.patterns (%s) are not applied: coldbench packages the code as its runtime's build does", name, strings.Join(patterns, ", ")))
	}
	if fn.CodeURI == s.dir {
		s.goSource(&fn)
	}
	return fn, problems
}

// goSource points a Go function at its main package. serverless.yml names the binary the user's
// build writes (go1.x's handler bin/hello, which serverless/examples' Makefiles build from
// hello/main.go) or, with serverless-go-plugin, the main package's file.
func (s *service) goSource(fn *sam.Function) {
	h := fn.Handler
	if strings.HasSuffix(h, ".go") {
		fn.CodeURI = filepath.Join(s.dir, filepath.Dir(filepath.FromSlash(h)))
		fn.Handler = "bootstrap"
		return
	}
	if fn.Runtime != "go1.x" && !strings.HasPrefix(fn.Runtime, "provided") || h == "" {
		return
	}
	var cands []string
	if mk, err := os.ReadFile(filepath.Join(s.dir, "Makefile")); err == nil {
		re := regexp.MustCompile(`-o\s+(?:\./)?` + regexp.QuoteMeta(strings.TrimPrefix(h, "./")) + `\s+(\S+)`)
		if m := re.FindSubmatch(mk); m != nil {
			src := strings.TrimPrefix(string(m[1]), "./")
			if strings.HasSuffix(src, ".go") {
				src = path.Dir(src)
			}
			cands = append(cands, src)
		}
	}
	base := path.Base(h)
	cands = append(cands, base, "cmd/"+base, "functions/"+base, "src/"+base)
	for _, c := range cands {
		dir := filepath.Join(s.dir, filepath.FromSlash(c))
		if goFiles, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(goFiles) > 0 {
			fn.CodeURI = dir
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: handler %s is a binary the build writes: built from %s, its Go main package", fn.LogicalID, h, c))
			fn.Handler = "bootstrap"
			return
		}
	}
}

// at is the resolved node at a dotted path of the document.
func (s *service) at(dotted string) *yaml.Node {
	n := s.top
	for _, k := range strings.Split(dotted, ".") {
		n = get(s.resolved(n), k)
	}
	return s.resolved(n)
}

func (s *service) str(dotted string) string {
	v, _, _ := s.value(s.at(dotted))
	return v
}

func (s *service) strOr(dotted, def string) string {
	if v, ok, _ := s.value(s.at(dotted)); ok && v != "" {
		return v
	}
	return def
}

// resolved is n, or the node a scalar that is one whole ${self:...} stands for.
func (s *service) resolved(n *yaml.Node) *yaml.Node {
	for range 10 {
		if n == nil || n.Kind != yaml.ScalarNode {
			return n
		}
		m := whole.FindStringSubmatch(n.Value)
		if m == nil || !strings.HasPrefix(strings.TrimSpace(m[1]), "self:") || strings.Contains(m[1], ",") {
			return n
		}
		next := s.top
		for _, k := range strings.Split(strings.TrimPrefix(strings.TrimSpace(m[1]), "self:"), ".") {
			if k != "" {
				next = get(s.resolved(next), k)
			}
		}
		if next == nil || next.Kind == yaml.ScalarNode {
			return n
		}
		n = next
	}
	return n
}

var whole = regexp.MustCompile(`^\$\{([^${}]+)\}$`)

// value is the string a scalar resolves to; ok is false when a variable in it is known only
// once deployed, and expr then names it.
func (s *service) value(n *yaml.Node) (out string, ok bool, expr string) {
	if n == nil {
		return "", true, ""
	}
	if n.Kind != yaml.ScalarNode {
		return "", false, describe(n)
	}
	v, ok, expr := s.interpolate(n.Value, 0)
	return v, ok, expr
}

// innermost is a ${...} with no variable inside it.
var innermost = regexp.MustCompile(`\$\{([^${}]*)\}`)

func (s *service) interpolate(v string, depth int) (string, bool, string) {
	if depth > 10 {
		return "", false, v
	}
	for range 100 {
		loc := innermost.FindStringSubmatchIndex(v)
		if loc == nil {
			return v, true, ""
		}
		inner := v[loc[2]:loc[3]]
		val, ok := s.variable(inner, depth)
		if !ok {
			return "", false, v[loc[0]:loc[1]]
		}
		v = v[:loc[0]] + val + v[loc[1]:]
	}
	return "", false, v
}

// variable resolves one variable's body ("opt:stage, 'dev'"): the first of its alternatives
// that is known.
func (s *service) variable(body string, depth int) (string, bool) {
	for _, alt := range strings.Split(body, ",") {
		alt = strings.TrimSpace(alt)
		if len(alt) >= 2 && (alt[0] == '\'' && alt[len(alt)-1] == '\'' || alt[0] == '"' && alt[len(alt)-1] == '"') {
			return alt[1 : len(alt)-1], true
		}
		if _, err := strconv.ParseFloat(alt, 64); err == nil {
			return alt, true
		}
		src, addr, _ := strings.Cut(alt, ":")
		switch src {
		case "self":
			n := s.top
			for _, k := range strings.Split(addr, ".") {
				if k != "" {
					n = get(s.resolved(n), k)
				}
			}
			if n != nil && n.Kind == yaml.ScalarNode {
				if v, ok, _ := s.interpolate(n.Value, depth+1); ok {
					return v, true
				}
			}
		case "env":
			if v, ok := s.env[addr]; ok {
				return v, true
			}
		case "sls":
			if addr == "stage" {
				return s.stage, true
			}
		case "aws":
			switch addr {
			case "region":
				return s.region, true
			case "accountId":
				return "123456789012", true
			}
		case "param":
			for _, st := range []string{s.stage, "default"} {
				if n := get(get(get(get(s.top, "stages"), st), "params"), addr); n != nil && n.Kind == yaml.ScalarNode {
					if v, ok, _ := s.interpolate(n.Value, depth+1); ok {
						return v, true
					}
				}
			}
		}
		// opt: no CLI options are given to a local run, so its fallback applies; ssm, cf, s3,
		// file(...) and the others are known only to a deployment.
	}
	return "", false
}

func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	out, _ := yaml.Marshal(n)
	return strings.Join(strings.Fields(string(out)), " ")
}

var (
	get   = sam.Get
	keys  = sam.Keys
	items = sam.Items
)

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

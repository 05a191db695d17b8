// Package terraform reads the Lambda functions of a Terraform module (the *.tf files of one
// directory), parsed with HashiCorp's own HCL library: aws_lambda_function resources whose code
// is a filename (a zip, or the output_path of an archive_file data source, whose source_dir or
// source_file is the code) or an S3 object uploaded from one, and calls of the
// terraform-aws-modules/lambda/aws module (its source_path). Values are taken where they are
// static: literals, variables' defaults, locals of those, path.module and Terraform's string
// functions; the rest (a resource's attribute, a variable without a default) is named in a note.
package terraform

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/coldbench/coldbench/pkg/sam"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Discover returns dir when one of its *.tf files declares a Lambda function, or "".
func Discover(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil && lambdaDecl.Match(data) {
			return dir
		}
	}
	return ""
}

var lambdaDecl = regexp.MustCompile(`(?m)^\s*(resource\s+"aws_lambda_function"|source\s*=\s*"terraform-aws-modules/lambda/aws")`)

// IsModule says whether path is a Terraform file or a directory with *.tf files.
func IsModule(path string) bool {
	if strings.HasSuffix(path, ".tf") {
		return true
	}
	files, _ := filepath.Glob(filepath.Join(path, "*.tf"))
	return len(files) > 0
}

// Terraform's and the module's defaults, where a function sets none.
const (
	DefaultMemoryMB = 128
	DefaultTimeout  = 3
)

// LambdaModule is the registry address of terraform-aws-modules' Lambda module.
const LambdaModule = "terraform-aws-modules/lambda/aws"

// Read returns the functions of the module at path (a directory, or one of its .tf files:
// the module is all of them), sorted by address.
func Read(path string) ([]sam.Function, error) {
	dir := path
	if strings.HasSuffix(path, ".tf") {
		dir = filepath.Dir(path)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("terraform %s: no *.tf files", path)
	}
	m := &module{dir: dir, parser: hclparse.NewParser(), locals: map[string]hcl.Expression{},
		archives: map[string]*hclsyntax.Body{}, objects: map[string]*hclsyntax.Body{}, layerVersions: map[string]*hclsyntax.Body{}}
	var problems []string
	var lambdas, calls []*hclsyntax.Block
	vars := map[string]cty.Value{}
	realDir, _ := filepath.EvalSymlinks(dir)
	for _, f := range files {
		// A file linked in from outside the module is not read: its contents could reach a message.
		if real, err := filepath.EvalSymlinks(f); err != nil || filepath.Dir(real) != realDir {
			problems = append(problems, fmt.Sprintf("%s links outside the module: not read", filepath.Base(f)))
			continue
		}
		file, diags := m.parser.ParseHCLFile(f)
		if diags.HasErrors() {
			problems = append(problems, diags.Error())
			continue
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			switch {
			case b.Type == "variable" && len(b.Labels) == 1:
				if a := b.Body.Attributes["default"]; a != nil {
					if v, d := a.Expr.Value(nil); !d.HasErrors() {
						vars[b.Labels[0]] = v
					}
				}
			case b.Type == "locals":
				for name, a := range b.Body.Attributes {
					m.locals[name] = a.Expr
				}
			case b.Type == "data" && len(b.Labels) == 2 && b.Labels[0] == "archive_file":
				m.archives[b.Labels[1]] = b.Body
			case b.Type == "resource" && len(b.Labels) == 2 && (b.Labels[0] == "aws_s3_object" || b.Labels[0] == "aws_s3_bucket_object"):
				m.objects[b.Labels[0]+"."+b.Labels[1]] = b.Body
			case b.Type == "resource" && len(b.Labels) == 2 && (b.Labels[0] == "null_resource" || b.Labels[0] == "terraform_data"):
				m.execs = append(m.execs, b)
			case b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == "aws_lambda_layer_version":
				m.layerVersions[b.Labels[1]] = b.Body
			case b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == "aws_lambda_function":
				lambdas = append(lambdas, b)
			case b.Type == "module" && len(b.Labels) == 1 && isLambdaModule(b.Body):
				calls = append(calls, b)
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("terraform %s: %s", dir, strings.Join(problems, "; "))
	}
	m.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":       cty.ObjectVal(vars),
			"path":      cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal("."), "root": cty.StringVal("."), "cwd": cty.StringVal(".")}),
			"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
		},
		Functions: functions,
	}
	m.evalLocals()
	var fns []sam.Function
	for _, b := range lambdas {
		fn, ps := m.function(b)
		problems = append(problems, ps...)
		if len(ps) == 0 {
			fns = append(fns, fn)
		}
	}
	for _, b := range calls {
		fn, ps := m.moduleCall(b)
		problems = append(problems, ps...)
		if len(ps) == 0 {
			fns = append(fns, fn)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("terraform %s: %s", dir, strings.Join(problems, "; "))
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("terraform %s: no aws_lambda_function resource or %s module", dir, LambdaModule)
	}
	slices.SortFunc(fns, func(a, b sam.Function) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return fns, nil
}

// functions are Terraform's functions that need nothing but their arguments.
var functions = map[string]function.Function{
	"format": stdlib.FormatFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
	"replace": stdlib.ReplaceFunc, "trimspace": stdlib.TrimSpaceFunc, "trimprefix": stdlib.TrimPrefixFunc,
	"trimsuffix": stdlib.TrimSuffixFunc, "concat": stdlib.ConcatFunc, "merge": stdlib.MergeFunc,
	"coalesce": stdlib.CoalesceFunc, "lookup": stdlib.LookupFunc, "tostring": stdlib.MakeToFunc(cty.String),
	"tonumber": stdlib.MakeToFunc(cty.Number), "max": stdlib.MaxFunc, "min": stdlib.MinFunc,
}

// isLambdaModule says whether a module call is of terraform-aws-modules' Lambda module: from the
// registry, or from a local copy (its own examples call "../../") given its arguments.
func isLambdaModule(b *hclsyntax.Body) bool {
	a := b.Attributes["source"]
	if a == nil {
		return false
	}
	v, d := a.Expr.Value(nil)
	if d.HasErrors() || v.Type() != cty.String {
		return false
	}
	src := v.AsString()
	local := strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")
	return strings.HasPrefix(src, LambdaModule) || local && b.Attributes["source_path"] != nil && b.Attributes["handler"] != nil
}

type module struct {
	dir      string
	parser   *hclparse.Parser
	ctx      *hcl.EvalContext
	locals   map[string]hcl.Expression
	archives map[string]*hclsyntax.Body // data.archive_file.NAME
	objects  map[string]*hclsyntax.Body // aws_s3_object.NAME
	// layerVersions are aws_lambda_layer_version.NAME.
	layerVersions map[string]*hclsyntax.Body
	execs         []*hclsyntax.Block // null_resource, terraform_data (their local-exec builds)
}

// evalLocals gives local.NAME the locals that evaluate statically, in as many passes as they
// refer to each other.
func (m *module) evalLocals() {
	known := map[string]cty.Value{}
	for range len(m.locals) + 1 {
		m.ctx.Variables["local"] = cty.ObjectVal(known)
		grew := false
		for _, name := range slices.Sorted(maps.Keys(m.locals)) {
			if _, ok := known[name]; ok {
				continue
			}
			if v, d := m.locals[name].Value(m.ctx); !d.HasErrors() && v.IsWhollyKnown() {
				known[name], grew = v, true
			}
		}
		if !grew {
			break
		}
	}
	m.ctx.Variables["local"] = cty.ObjectVal(known)
}

// source is an expression's text as written, for a note.
func (m *module) source(e hcl.Expression) string {
	r := e.Range()
	if f := m.parser.Files()[r.Filename]; f != nil && r.End.Byte <= len(f.Bytes) {
		return strings.Join(strings.Fields(string(r.SliceBytes(f.Bytes))), " ")
	}
	return "?"
}

// str evaluates an attribute to a string; ok is false when it is known only once applied.
func (m *module) str(a *hclsyntax.Attribute) (string, bool) {
	if a == nil {
		return "", true
	}
	return m.eval(a.Expr)
}

// eval evaluates an expression to a string (a number in decimal).
func (m *module) eval(e hcl.Expression) (string, bool) {
	v, d := e.Value(m.ctx)
	if d.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	if v.Type() == cty.Number {
		return v.AsBigFloat().Text('f', -1), true
	}
	if v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

func (m *module) function(b *hclsyntax.Block) (sam.Function, []string) {
	addr := "aws_lambda_function." + b.Labels[1]
	body := b.Body
	fn := m.newFunction(addr)
	var problems []string
	if a := body.Attributes["image_uri"]; a != nil || m.attrIs(body, "package_type", "Image") {
		return fn, []string{addr + ": a container image function (package_type Image) is not supported; coldbench measures zip functions"}
	}
	var code string
	var err error
	switch {
	case body.Attributes["filename"] != nil:
		code, err = m.codeOf(body.Attributes["filename"].Expr, 0)
	case body.Attributes["s3_key"] != nil:
		code, err = m.s3Code(body.Attributes["s3_key"].Expr)
	default:
		err = errors.New("no filename or s3_key")
	}
	if err != nil {
		return fn, []string{fmt.Sprintf("%s: code: %v", addr, err)}
	}
	fn.CodeURI = code
	problems = append(problems, m.common(&fn, body, "memory_size", "environment")...)
	return fn, problems
}

func (m *module) moduleCall(b *hclsyntax.Block) (sam.Function, []string) {
	addr := "module." + b.Labels[0]
	body := b.Body
	fn := m.newFunction(addr)
	if m.attrIs(body, "package_type", "Image") {
		return fn, []string{addr + ": a container image function (package_type Image) is not supported; coldbench measures zip functions"}
	}
	var code string
	switch sp, pkg := body.Attributes["source_path"], body.Attributes["local_existing_package"]; {
	case pkg != nil:
		p, ok := m.str(pkg)
		if !ok {
			return fn, []string{fmt.Sprintf("%s: local_existing_package = %s is known only once applied", addr, m.source(pkg.Expr))}
		}
		code = m.path(p)
	case sp != nil:
		v, d := sp.Expr.Value(m.ctx)
		if d.HasErrors() || !v.IsWhollyKnown() {
			return fn, []string{fmt.Sprintf("%s: source_path = %s is known only once applied", addr, m.source(sp.Expr))}
		}
		p, cmds, err := sourcePath(v)
		if err != nil {
			return fn, []string{fmt.Sprintf("%s: source_path: %v", addr, err)}
		}
		code = m.path(p)
		if len(cmds) > 0 {
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: source_path's commands (%s) are not run: coldbench builds %s with its runtime's own build", addr, strings.Join(cmds, "; "), p))
		}
	default:
		return fn, []string{addr + ": no source_path or local_existing_package"}
	}
	fn.CodeURI = code
	return fn, m.common(&fn, body, "memory_size", "environment_variables")
}

// sourcePath is the module's source_path: a directory, or the first entry of a list of
// directories or of {path, commands, patterns}.
func sourcePath(v cty.Value) (string, []string, error) {
	switch {
	case v.Type() == cty.String:
		return v.AsString(), nil, nil
	case v.CanIterateElements() && v.LengthInt() > 0:
		first := v.Index(cty.NumberIntVal(0))
		if v.Type().IsObjectType() || v.Type().IsMapType() {
			return "", nil, errors.New("a list of paths or of {path = ...} wanted")
		}
		if first.Type() == cty.String {
			return first.AsString(), nil, nil
		}
		if first.Type().IsObjectType() && first.Type().HasAttribute("path") {
			var cmds []string
			if first.Type().HasAttribute("commands") {
				for it := first.GetAttr("commands").ElementIterator(); it.Next(); {
					if _, c := it.Element(); c.Type() == cty.String {
						cmds = append(cmds, c.AsString())
					}
				}
			}
			return first.GetAttr("path").AsString(), cmds, nil
		}
	}
	return "", nil, errors.New("a path, or a list of paths or of {path = ...} wanted")
}

func (m *module) newFunction(addr string) sam.Function {
	return sam.Function{LogicalID: addr, Type: "terraform", TemplateDir: m.dir,
		Env: map[string]string{}, Unresolved: map[string]string{}, BuildProperties: map[string]string{}, Metadata: map[string]string{}}
}

func (m *module) attrIs(body *hclsyntax.Body, name, want string) bool {
	v, ok := m.str(body.Attributes[name])
	return ok && v == want
}

// common reads what aws_lambda_function and the module call share: handler, runtime, memory,
// timeout, architectures, environment, layers.
func (m *module) common(fn *sam.Function, body *hclsyntax.Body, memoryKey, envKey string) []string {
	var problems []string
	addr := fn.LogicalID
	text := func(name string) string {
		a := body.Attributes[name]
		v, ok := m.str(a)
		if !ok {
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: %s = %s is known only once applied: not used", addr, name, m.source(a.Expr)))
		}
		return v
	}
	number := func(name string, def int) int {
		a := body.Attributes[name]
		if a == nil {
			return def
		}
		v, d := a.Expr.Value(m.ctx)
		if d.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: %s = %s is known only once applied: the default %d is used", addr, name, m.source(a.Expr), def))
			return def
		}
		if v.Type() != cty.Number {
			problems = append(problems, fmt.Sprintf("%s: %s = %s: not a number", addr, name, m.source(a.Expr)))
			return def
		}
		n, acc := v.AsBigFloat().Int64()
		if acc != 0 || n <= 0 {
			problems = append(problems, fmt.Sprintf("%s: %s = %s: not a positive whole number", addr, name, m.source(a.Expr)))
		}
		return int(n)
	}
	fn.Handler = text("handler")
	fn.Runtime = text("runtime")
	fn.MemorySize = number(memoryKey, DefaultMemoryMB)
	fn.Timeout = number("timeout", DefaultTimeout)
	for _, list := range []struct {
		name string
		into *[]string
	}{{"architectures", &fn.Architectures}} {
		a := body.Attributes[list.name]
		if a == nil {
			continue
		}
		v, d := a.Expr.Value(m.ctx)
		if d.HasErrors() || !v.IsWhollyKnown() || !v.CanIterateElements() {
			fn.Notes = append(fn.Notes, fmt.Sprintf("%s: %s = %s is known only once applied: not used", addr, list.name, m.source(a.Expr)))
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); e.Type() == cty.String {
				*list.into = append(*list.into, e.AsString())
			}
		}
	}
	if a := body.Attributes["layers"]; a != nil {
		m.layers(fn, a.Expr)
	}
	var vars hcl.Expression
	if envKey == "environment" {
		for _, blk := range body.Blocks {
			if blk.Type == "environment" && blk.Body.Attributes["variables"] != nil {
				vars = blk.Body.Attributes["variables"].Expr
			}
		}
	} else if a := body.Attributes[envKey]; a != nil {
		vars = a.Expr
	}
	m.env(fn, vars)
	return problems
}

// layers lays out the layers the module builds itself (aws_lambda_layer_version.NAME.arn, its
// filename's code) and names the others.
func (m *module) layers(fn *sam.Function, e hcl.Expression) {
	list, ok := e.(*hclsyntax.TupleConsExpr)
	if !ok {
		fn.Layers = append(fn.Layers, m.source(e))
		fn.ExternalLayer(m.source(e), "module")
		return
	}
	for _, item := range list.Exprs {
		desc, known := m.eval(item)
		if !known {
			desc = m.source(item)
		}
		fn.Layers = append(fn.Layers, desc)
		if tr, ok := item.(*hclsyntax.ScopeTraversalExpr); ok {
			if parts := traversal(tr.Traversal); len(parts) >= 2 && parts[0] == "aws_lambda_layer_version" && m.layerVersions[parts[1]] != nil {
				if a := m.layerVersions[parts[1]].Attributes["filename"]; a != nil {
					dir, err := m.codeOf(a.Expr, 0)
					if err == nil {
						fn.LayerDirs = append(fn.LayerDirs, dir)
						continue
					}
					fn.LayerNotes = append(fn.LayerNotes, fmt.Sprintf("%s: layer %s: %v: not emulated, so what init loads from it is not timed", fn.LogicalID, desc, err))
					continue
				}
			}
		}
		fn.ExternalLayer(desc, "module")
	}
}

// env evaluates a map of variables item by item, so that one known only once applied
// (aws_dynamodb_table.t.name) does not hide the others.
func (m *module) env(fn *sam.Function, e hcl.Expression) {
	if e == nil {
		return
	}
	if obj, ok := e.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range obj.Items {
			k, d := item.KeyExpr.Value(m.ctx)
			if d.HasErrors() || k.Type() != cty.String {
				fn.Notes = append(fn.Notes, fmt.Sprintf("%s: an environment variable named %s is not known before apply: left out", fn.LogicalID, m.source(item.KeyExpr)))
				continue
			}
			name := k.AsString()
			if v, ok := m.eval(item.ValueExpr); ok {
				fn.Env[name] = v
			} else {
				fn.Env[name], fn.Unresolved[name] = sam.Placeholder(name), m.source(item.ValueExpr)
			}
		}
		return
	}
	v, d := e.Value(m.ctx)
	if d.HasErrors() || !v.IsWhollyKnown() || !v.CanIterateElements() {
		fn.Notes = append(fn.Notes, fmt.Sprintf("%s: environment variables = %s are known only once applied: none set", fn.LogicalID, m.source(e)))
		return
	}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		if k.Type() == cty.String && val.Type() == cty.String {
			fn.Env[k.AsString()] = val.AsString()
		}
	}
}

// codeOf finds the code an aws_lambda_function's filename (or an S3 object's source) names: an
// archive_file's source (a data.archive_file.NAME.output_path reference, or a path equal to
// one's output_path), or a zip or directory on disk.
func (m *module) codeOf(e hcl.Expression, depth int) (string, error) {
	if depth > 8 {
		return "", errors.New("locals refer to each other too deeply")
	}
	if tr, ok := e.(*hclsyntax.ScopeTraversalExpr); ok {
		parts := traversal(tr.Traversal)
		switch {
		case len(parts) >= 3 && parts[0] == "data" && parts[1] == "archive_file":
			if body := m.archives[parts[2]]; body != nil {
				return m.archiveSource("data.archive_file."+parts[2], body)
			}
			return "", fmt.Errorf("%s: no data \"archive_file\" %q in the module", m.source(e), parts[2])
		case len(parts) == 2 && parts[0] == "local" && m.locals[parts[1]] != nil:
			return m.codeOf(m.locals[parts[1]], depth+1)
		}
	}
	p, ok := m.eval(e)
	if !ok {
		return "", fmt.Errorf("%s is known only once applied", m.source(e))
	}
	for _, name := range slices.Sorted(maps.Keys(m.archives)) {
		if out, ok := m.str(m.archives[name].Attributes["output_path"]); ok && filepath.Clean(out) == filepath.Clean(p) {
			return m.archiveSource("data.archive_file."+name, m.archives[name])
		}
	}
	full := m.path(p)
	if _, err := os.Stat(full); err != nil {
		return "", fmt.Errorf("%s (%s) does not exist: build it first, or point filename at an archive_file", m.source(e), p)
	}
	return full, nil
}

// s3Code follows s3_key = aws_s3_object.NAME.key to the object's source.
func (m *module) s3Code(e hcl.Expression) (string, error) {
	if tr, ok := e.(*hclsyntax.ScopeTraversalExpr); ok {
		parts := traversal(tr.Traversal)
		if len(parts) >= 2 {
			if body := m.objects[parts[0]+"."+parts[1]]; body != nil {
				if src := body.Attributes["source"]; src != nil {
					return m.codeOf(src.Expr, 0)
				}
				return "", fmt.Errorf("%s.%s has no source: its object is not uploaded from this module", parts[0], parts[1])
			}
		}
	}
	return "", fmt.Errorf("s3_key = %s: not an aws_s3_object of this module uploaded from a local file", m.source(e))
}

// archiveSource is an archive_file's source_dir, or the code source_file's build writes.
func (m *module) archiveSource(addr string, body *hclsyntax.Body) (string, error) {
	if a := body.Attributes["source_dir"]; a != nil {
		p, ok := m.str(a)
		if !ok {
			return "", fmt.Errorf("%s's source_dir = %s is known only once applied", addr, m.source(a.Expr))
		}
		return m.path(p), nil
	}
	a := body.Attributes["source_file"]
	if a == nil {
		return "", fmt.Errorf("%s has no source_dir or source_file", addr)
	}
	p, ok := m.str(a)
	if !ok {
		return "", fmt.Errorf("%s's source_file = %s is known only once applied", addr, m.source(a.Expr))
	}
	if src := m.goBuildOf(p); src != "" {
		return m.path(src), nil
	}
	full := m.path(p)
	if _, err := os.Stat(full); err != nil {
		return "", fmt.Errorf("%s's source_file %s does not exist (and no local-exec go build in the module writes it)", addr, p)
	}
	return filepath.Dir(full), nil
}

var goBuild = regexp.MustCompile(`go\s+build\b[^;&|\n]*?-o\s+(\S+)\s+([^\s;&|]+)`)

// goBuildOf finds the Go main package that a local-exec `go build -o OUT PKG` of a null_resource
// or terraform_data builds into out.
func (m *module) goBuildOf(out string) string {
	for _, b := range m.execs {
		for _, p := range b.Body.Blocks {
			if p.Type != "provisioner" || len(p.Labels) != 1 || p.Labels[0] != "local-exec" {
				continue
			}
			cmd, ok := m.str(p.Body.Attributes["command"])
			if !ok {
				continue
			}
			wd, _ := m.str(p.Body.Attributes["working_dir"])
			for _, g := range goBuild.FindAllStringSubmatch(cmd, -1) {
				if filepath.Clean(filepath.Join(wd, g[1])) != filepath.Clean(out) {
					continue
				}
				src := filepath.Join(wd, g[2])
				if strings.HasSuffix(src, ".go") {
					src = filepath.Dir(src)
				}
				return src
			}
		}
	}
	return ""
}

// path is p (as the module gives it) on disk: relative to the module's directory.
func (m *module) path(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(m.dir, p)
}

func traversal(t hcl.Traversal) []string {
	var out []string
	for _, s := range t {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			out = append(out, s.Name)
		case hcl.TraverseAttr:
			out = append(out, s.Name)
		default:
			return out
		}
	}
	return out
}

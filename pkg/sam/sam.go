// Package sam reads the functions of an AWS SAM (or CloudFormation) template: what coldbench needs
// to build and run one the way `sam build` and Lambda would. It resolves what it can without a
// deployment (parameter defaults, pseudo parameters, literal !Sub) and names what it cannot.
package sam

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// TemplateNames are the files looked for at a repository's root, in order.
var TemplateNames = []string{"template.yaml", "template.yml", "sam.yaml", "sam.yml"}

// Function is one function of a template.
type Function struct {
	LogicalID string
	// Type is AWS::Serverless::Function or AWS::Lambda::Function (serverless or terraform from
	// those readers).
	Type string
	// TemplateDir is the template's directory, which CodeUri is relative to.
	TemplateDir string
	// CodeURI is the function's code directory (absolute), from CodeUri or Code.
	CodeURI       string
	Handler       string
	Runtime       string
	Architectures []string
	MemorySize    int // 0 when not set
	Timeout       int // seconds; 0 when not set
	// Env is Environment.Variables, Globals first. Values the template computes at deploy time
	// (!Ref of a resource, !GetAtt, !ImportValue...) are Placeholder(name), listed in Unresolved
	// with the expression.
	Env        map[string]string
	Unresolved map[string]string
	// Layers are the function's Layers as the template writes them; LayerDirs the local content
	// (a directory laid out as /opt, or a zip) of those defined in the template, in order, and
	// LayerNotes say what became of the others. WebAdapter: one is the Lambda Web Adapter's.
	Layers     []string
	LayerDirs  []string
	LayerNotes []string
	WebAdapter bool
	// BuildMethod and BuildProperties are the function's Metadata (go1.x, rust-cargolambda,
	// makefile, esbuild...).
	BuildMethod     string
	BuildProperties map[string]string
	// Metadata is the resource's Metadata entries that are plain values (CDK's aws:cdk:path and
	// aws:asset:path).
	Metadata map[string]string
	// Notes are what the reader of another definition (a CDK assembly, serverless.yml,
	// Terraform) could not take from it; Plan passes them on.
	Notes []string
}

// Locator finds the code of a function whose template gives it in S3 (S3Key, resolved) with the
// resource's Metadata: the directory or zip that a deployment tool staged for it (CDK's
// assets), or an error saying why there is none.
type Locator func(logicalID, s3Key string, metadata map[string]string) (string, error)

// Placeholder is the value an environment variable the template cannot give gets.
func Placeholder(name string) string { return "coldbench-unresolved-" + name }

// Discover returns the first of TemplateNames in dir, or "".
func Discover(dir string) string {
	for _, n := range TemplateNames {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

// Read returns the functions of the template at path, sorted by logical ID.
func Read(path string) ([]Function, error) { return ReadWith(path, nil) }

// ReadWith is Read for a template whose functions' code is in S3, staged beside it by the tool
// that wrote it: locate finds each one's (nil: such code is an error, as in Read).
func ReadWith(path string, locate Locator) ([]Function, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template %s: not a SAM or CloudFormation template (no top-level mapping)", path)
	}
	top := doc.Content[0]
	t := &template{dir: filepath.Dir(path), params: map[string]string{}, resources: get(top, "Resources"), locate: locate}
	if params := get(top, "Parameters"); params != nil {
		for _, name := range keys(params) {
			if def := get(get(params, name), "Default"); def != nil && def.Kind == yaml.ScalarNode {
				t.params[name] = def.Value
			}
		}
	}
	globals := get(get(top, "Globals"), "Function")
	resources := get(top, "Resources")
	if resources == nil {
		return nil, fmt.Errorf("template %s: no Resources", path)
	}
	var fns []Function
	var problems []string
	for _, id := range keys(resources) {
		res := get(resources, id)
		typ := scalar(get(res, "Type"))
		if typ != "AWS::Serverless::Function" && typ != "AWS::Lambda::Function" {
			continue
		}
		fn, err := t.function(id, typ, res, globals)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		fns = append(fns, fn)
	}
	if len(fns) == 0 && len(problems) == 0 {
		return nil, fmt.Errorf("template %s: no AWS::Serverless::Function or AWS::Lambda::Function resources", path)
	}
	if len(problems) > 0 && len(fns) == 0 {
		return nil, fmt.Errorf("template %s: %s", path, strings.Join(problems, "; "))
	}
	return fns, nil
}

// Pick returns the function named id, or the only one when id is empty; the error lists the
// template's functions.
func Pick(fns []Function, id, path string) (Function, error) {
	var names []string
	for _, f := range fns {
		if f.LogicalID == id || id == "" && len(fns) == 1 {
			return f, nil
		}
		names = append(names, fmt.Sprintf("%s (%s, %s)", f.LogicalID, cmp.Or(f.Runtime, "no runtime"), rel(f.TemplateDir, f.CodeURI)))
	}
	if id == "" {
		return Function{}, fmt.Errorf("template %s has %d functions: choose one with function (--function); they are %s", path, len(fns), strings.Join(names, ", "))
	}
	return Function{}, fmt.Errorf("function %q: not in template %s; valid values are %s", id, path, strings.Join(names, ", "))
}

type template struct {
	dir       string
	params    map[string]string
	resources *yaml.Node
	locate    Locator
}

func (t *template) function(id, typ string, res, globals *yaml.Node) (Function, error) {
	props := get(res, "Properties")
	prop := func(name string) *yaml.Node {
		if n := get(props, name); n != nil {
			return n
		}
		if typ == "AWS::Serverless::Function" {
			return get(globals, name)
		}
		return nil
	}
	fn := Function{LogicalID: id, Type: typ, TemplateDir: t.dir, Env: map[string]string{}, Unresolved: map[string]string{}, BuildProperties: map[string]string{}, Metadata: map[string]string{}}
	meta := get(res, "Metadata")
	for _, k := range keys(meta) {
		if n := get(meta, k); n.Kind == yaml.ScalarNode {
			fn.Metadata[k] = n.Value
		}
	}
	code := prop("CodeUri")
	if typ == "AWS::Lambda::Function" {
		code = get(props, "Code")
	}
	switch {
	case prop("InlineCode") != nil || get(code, "ZipFile") != nil:
		return fn, fmt.Errorf("%s: inline code is not built by coldbench; give the function a code directory", id)
	case prop("ImageUri") != nil || scalar(prop("PackageType")) == "Image":
		return fn, fmt.Errorf("%s: a container image function (PackageType Image) is not supported; coldbench measures zip functions", id)
	case code == nil:
		fn.CodeURI = t.dir // SAM's default: the template's directory
	case code.Kind == yaml.ScalarNode && !strings.HasPrefix(code.Value, "s3://"):
		fn.CodeURI = filepath.Join(t.dir, code.Value)
	case t.locate != nil:
		key, _ := t.resolve(get(code, "S3Key"))
		dir, err := t.locate(id, key, fn.Metadata)
		if err != nil {
			return fn, err
		}
		fn.CodeURI = dir
	default:
		return fn, fmt.Errorf("%s: code in S3 (%s) cannot be built; coldbench needs a local CodeUri", id, describe(code))
	}
	fn.Handler = scalar(prop("Handler"))
	fn.Runtime = scalar(prop("Runtime"))
	for _, a := range items(prop("Architectures")) {
		fn.Architectures = append(fn.Architectures, scalar(a))
	}
	var err error
	if n := prop("MemorySize"); n != nil {
		if fn.MemorySize, err = strconv.Atoi(t.value(n)); err != nil {
			return fn, fmt.Errorf("%s: MemorySize %s: not a number", id, describe(n))
		}
	}
	if n := prop("Timeout"); n != nil {
		if fn.Timeout, err = strconv.Atoi(t.value(n)); err != nil {
			return fn, fmt.Errorf("%s: Timeout %s: not a number", id, describe(n))
		}
	}
	var envs []*yaml.Node // Globals first, the function's own win
	if typ == "AWS::Serverless::Function" {
		envs = append(envs, get(get(globals, "Environment"), "Variables"))
	}
	envs = append(envs, get(get(props, "Environment"), "Variables"))
	for _, vars := range envs {
		for _, k := range keys(vars) {
			n := get(vars, k)
			if v, ok := t.resolve(n); ok {
				fn.Env[k] = v
				delete(fn.Unresolved, k)
			} else {
				fn.Env[k] = Placeholder(k)
				fn.Unresolved[k] = describe(n)
			}
		}
	}
	for _, l := range items(prop("Layers")) {
		fn.Layers = append(fn.Layers, describe(l))
		t.layer(&fn, l)
	}
	fn.BuildMethod = scalar(get(meta, "BuildMethod"))
	bp := get(meta, "BuildProperties")
	for _, k := range keys(bp) {
		fn.BuildProperties[k] = describe(get(bp, k))
	}
	return fn, nil
}

// layer resolves one of the function's Layers: a LayerVersion of the template with local
// content is laid out in /opt; the Web Adapter's layer is played; any other is named in a note.
func (t *template) layer(fn *Function, l *yaml.Node) {
	desc := describe(l)
	name, arg := intrinsic(l)
	res := get(t.resources, scalar(arg))
	typ := scalar(get(res, "Type"))
	if isWebAdapter(desc) || name != "Ref" || (typ != "AWS::Serverless::LayerVersion" && typ != "AWS::Lambda::LayerVersion") {
		fn.ExternalLayer(desc, "template")
		return
	}
	content := get(get(res, "Properties"), "ContentUri")
	if typ == "AWS::Lambda::LayerVersion" {
		content = get(get(res, "Properties"), "Content")
	}
	if content == nil || content.Kind != yaml.ScalarNode || strings.HasPrefix(content.Value, "s3://") {
		fn.LayerNotes = append(fn.LayerNotes, fmt.Sprintf("%s: layer %s's content is not local (%s): not emulated, so what init loads from it is not timed", fn.LogicalID, desc, describe(content)))
		return
	}
	dir := filepath.Join(t.dir, content.Value)
	if _, err := os.Stat(dir); err != nil {
		fn.LayerNotes = append(fn.LayerNotes, fmt.Sprintf("%s: layer %s's content %s does not exist: not emulated, so what init loads from it is not timed", fn.LogicalID, desc, content.Value))
		return
	}
	fn.LayerDirs = append(fn.LayerDirs, dir)
	if m := scalar(get(get(res, "Metadata"), "BuildMethod")); m != "" {
		fn.LayerNotes = append(fn.LayerNotes, fmt.Sprintf("%s: layer %s has Metadata.BuildMethod %s, which coldbench does not run: %s is laid out in /opt as it is", fn.LogicalID, desc, m, content.Value))
	}
}

// ExternalLayer records a layer that the definition (its kind: "template", "service", "module")
// names without holding its content: the Web Adapter's makes the function a web one, which
// coldbench plays; any other is named in a note. The other definitions' readers call it too.
func (f *Function) ExternalLayer(desc, kind string) {
	if isWebAdapter(desc) {
		f.WebAdapter = true
		f.LayerNotes = append(f.LayerNotes, fmt.Sprintf("%s: layer %s is the Lambda Web Adapter: coldbench plays the adapter (readiness check, events forwarded as HTTP requests)", f.LogicalID, desc))
		return
	}
	f.LayerNotes = append(f.LayerNotes, fmt.Sprintf("%s: layer %s has no content in this %s: not emulated, so what init loads from it is not timed", f.LogicalID, desc, kind))
}

func isWebAdapter(desc string) bool {
	return strings.Contains(desc, ":layer:LambdaAdapterLayer") || strings.Contains(desc, ":layer:lambda-adapter")
}

var (
	subVar    = regexp.MustCompile(`\$\{([^}!]+)\}`)
	plainName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.:-]*$`)
)

// resolve gives the value of n where it is known before deployment: a literal, a parameter's
// default, a pseudo parameter, or a !Sub or !Join of those.
func (t *template) resolve(n *yaml.Node) (string, bool) {
	if n == nil {
		return "", true
	}
	fn, arg := intrinsic(n)
	switch fn {
	case "":
		return n.Value, n.Kind == yaml.ScalarNode
	case "Ref":
		return t.ref(scalar(arg))
	case "Fn::Sub":
		if arg == nil || arg.Kind != yaml.ScalarNode {
			return "", false
		}
		ok := true
		out := subVar.ReplaceAllStringFunc(arg.Value, func(m string) string {
			v, found := t.ref(m[2 : len(m)-1])
			ok = ok && found
			return v
		})
		return out, ok
	case "Fn::Join":
		parts := items(arg)
		if len(parts) != 2 || parts[0].Kind != yaml.ScalarNode || parts[1].Kind != yaml.SequenceNode {
			return "", false
		}
		var out []string
		for _, p := range items(parts[1]) {
			v, ok := t.resolve(p)
			if !ok {
				return "", false
			}
			out = append(out, v)
		}
		return strings.Join(out, parts[0].Value), true
	}
	return "", false
}

// pseudo are the pseudo parameters' values in a local run, as `sam local` gives them.
var pseudo = map[string]string{
	"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
	"AWS::StackName": "coldbench", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": "",
}

func (t *template) ref(name string) (string, bool) {
	if v, ok := t.params[name]; ok {
		return v, true
	}
	v, ok := pseudo[name]
	return v, ok
}

// value is a scalar's value, or a parameter's default it refers to.
func (t *template) value(n *yaml.Node) string {
	v, _ := t.resolve(n)
	return v
}

// intrinsic returns the function of an intrinsic (short form !Ref or long form {Ref: ...}) and
// its argument, or "".
func intrinsic(n *yaml.Node) (string, *yaml.Node) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		arg := *n
		arg.Tag = ""
		return name, &arg
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		if k := n.Content[0].Value; k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, n.Content[1]
		}
	}
	return "", nil
}

// describe renders a node for a message: "!Ref Table", "!GetAtt Table.Arn", a literal.
func describe(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if fn, arg := intrinsic(n); fn != "" {
		out, _ := yaml.Marshal(plain(arg))
		return "!" + strings.TrimPrefix(fn, "Fn::") + " " + strings.Join(strings.Fields(string(out)), " ")
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	out, _ := yaml.Marshal(plain(n))
	return strings.Join(strings.Fields(string(out)), " ")
}

// plain is a copy of n whose quoted names are unquoted, so that a JSON template's {"Ref":
// "Table"} reads as YAML's !Ref Table does.
func plain(n *yaml.Node) *yaml.Node {
	c := *n
	if n.Kind == yaml.ScalarNode && plainName.MatchString(n.Value) {
		c.Style &^= yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle
	}
	c.Content = nil
	for _, k := range n.Content {
		c.Content = append(c.Content, plain(k))
	}
	return &c
}

// Get is the value of key in the mapping m, nil when m is no mapping or has no such key; Keys
// are m's keys, sorted; Items are a sequence's nodes. The readers of other YAML definitions
// (serverless.yml) walk their documents with them.
func Get(m *yaml.Node, key string) *yaml.Node { return get(m, key) }

// Keys are the mapping m's keys, sorted (see Get).
func Keys(m *yaml.Node) []string { return keys(m) }

// Items are the sequence n's nodes (see Get).
func Items(n *yaml.Node) []*yaml.Node { return items(n) }

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func keys(m *yaml.Node) []string {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	set := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		set[m.Content[i].Value] = true
	}
	return slices.Sorted(maps.Keys(set))
}

func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil {
		return r
	}
	return p
}

// ErrUnsupported is wrapped by Plan's errors for a function coldbench cannot build yet.
var ErrUnsupported = errors.New("not supported by coldbench yet")

// Plan is how coldbench builds and runs a function, the way `sam build` would for its method.
type Plan struct {
	// Runtime is coldbench's: go, rust, deno, provided, or auto (detected from the code).
	Runtime string
	// Command is the build command (the makefile method's `make build-<LogicalId>`).
	Command string
	Binary  string
	// GoFlags are go build's flags from BuildProperties (nil: SAM's go1.x default).
	GoFlags []string
	// Notes say what was taken from the template and what could not be.
	Notes []string
	// Layers are the local layers' content, in order; Web is "on" when a layer is the Web
	// Adapter's ("" otherwise: coldbench decides from the environment).
	Layers []string
	Web    string
}

// Plan maps the function's runtime and build method to coldbench's.
func (f Function) Plan() (Plan, error) {
	p := Plan{Runtime: "auto"}
	used := map[string]bool{}
	rt := f.Runtime
	switch {
	case f.BuildMethod == "go1.x" || f.BuildMethod == "" && rt == "go1.x":
		p.Runtime = "go"
		if b, _ := strconv.ParseBool(f.BuildProperties["TrimGoPath"]); b {
			p.GoFlags = []string{"-trimpath"}
		}
		used["TrimGoPath"] = true
	case f.BuildMethod == "rust-cargolambda":
		p.Runtime = "rust"
		p.Binary = f.BuildProperties["Binary"]
		used["Binary"] = true
	case f.BuildMethod == "makefile":
		if _, err := os.Stat(filepath.Join(f.CodeURI, "Makefile")); err == nil {
			p.Command = "make build-" + f.LogicalID
			break
		}
		p.Notes = append(p.Notes, fmt.Sprintf("%s: Metadata.BuildMethod is makefile but %s has no Makefile (sam build would fail): built from its source with the runtime's own build instead", f.LogicalID, rel(f.TemplateDir, f.CodeURI)))
	case f.BuildMethod == "esbuild" || f.BuildMethod == "" && strings.HasPrefix(rt, "nodejs"):
		p.Runtime = "nodejs"
		switch rt {
		case "nodejs22.x", "nodejs24.x":
			p.Runtime = rt // the version it deploys on
		case "":
		default:
			p.Notes = append(p.Notes, fmt.Sprintf("%s runs on %s; coldbench measures it on nodejs24.x (it emulates nodejs22.x and nodejs24.x)", f.LogicalID, rt))
		}
		if f.BuildMethod == "esbuild" {
			used["Minify"], used["Target"], used["Format"], used["Sourcemap"], used["EntryPoints"] = true, true, true, true, true
		}
	case f.BuildMethod == "" && strings.HasPrefix(rt, "python"), f.BuildMethod == rt && strings.HasPrefix(rt, "python"):
		p.Runtime = "python"
		if rt == "python3.11" {
			p.Runtime = rt
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("%s runs on %s; coldbench measures it on python3.11, the Python runtime it emulates", f.LogicalID, rt))
		}
	case strings.HasPrefix(rt, "java"), strings.HasPrefix(rt, "dotnet"), strings.HasPrefix(rt, "ruby"):
		return p, fmt.Errorf("%s: runtime %s: %w; coldbench builds Go, Rust, Deno, Node.js, Python, Bun and provided.* functions", f.LogicalID, rt, ErrUnsupported)
	case f.BuildMethod != "":
		return p, fmt.Errorf("%s: Metadata.BuildMethod %q: %w; valid values are go1.x, rust-cargolambda, makefile, esbuild (or none)", f.LogicalID, f.BuildMethod, ErrUnsupported)
	case rt != "" && rt != "go1.x" && !strings.HasPrefix(rt, "provided"):
		return p, fmt.Errorf("%s: runtime %s: %w; coldbench builds Go, Rust, Deno, Node.js, Python, Bun and provided.* functions", f.LogicalID, rt, ErrUnsupported)
	}
	for _, k := range slices.Sorted(maps.Keys(f.BuildProperties)) {
		if !used[k] {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: Metadata.BuildProperties.%s is not used by coldbench's %s build", f.LogicalID, k, p.Runtime))
		}
	}
	for _, a := range f.Architectures {
		if a != "arm64" {
			p.Notes = append(p.Notes, fmt.Sprintf("%s deploys %s; coldbench measures the arm64 build (and times this machine's own)", f.LogicalID, a))
		}
	}
	p.Layers = f.LayerDirs
	p.Notes = append(p.Notes, f.LayerNotes...)
	if f.WebAdapter {
		p.Web = "on"
	}
	p.Notes = append(p.Notes, f.Notes...)
	for _, k := range slices.Sorted(maps.Keys(f.Unresolved)) {
		p.Notes = append(p.Notes, fmt.Sprintf("%s: env %s is %s, known only once deployed: set to %q (override with env %s=...)", f.LogicalID, k, f.Unresolved[k], f.Env[k], k))
	}
	return p, nil
}

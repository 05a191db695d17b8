package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Value is one setting as a layer gave it, in its text form.
type Value struct{ Key, Text string }

// File is a parsed coldbench.yml: its settings in key order, checked against the table.
type File struct {
	// Name is how messages name the file ("coldbench.yml", "coldbench.yml at base 1a2b3c4d5e6f").
	Name   string
	Values []Value
}

// FileKeys lists coldbench.yml's keys: the judge and function settings.
func FileKeys() []string { return SettingNames(KindJudge, KindFunction) }

// ParseFile reads a coldbench.yml document. An unknown key is a problem, and so is a trusted-only
// one (an output path, the AWS endpoint): the file is the repository's, and in a pull request
// the pull request's, so where root writes and whom coldbench sends its credentials to are the
// workflow's words alone. Every problem is reported.
func ParseFile(name string, data []byte) (File, error) {
	f := File{Name: name}
	var doc map[string]yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return f, nil // an empty file sets nothing
		}
		return f, fmt.Errorf("%s: %w", name, err)
	}
	var p Problems
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		node := doc[k]
		s, ok := Lookup(k)
		switch {
		case !ok:
			p.add("%s: unknown key %q; valid keys are %s", name, k, strings.Join(FileKeys(), ", "))
			continue
		case s.Kind == KindTrustedOnly:
			p.add("%s: %s is not settable from coldbench.yml: %s", name, k, trustedOnlyHint(s))
			continue
		}
		val := node.Value
		switch {
		case k == "env" && node.Kind == yaml.MappingNode:
			var lines []string
			for i := 0; i+1 < len(node.Content); i += 2 {
				lines = append(lines, node.Content[i].Value+"="+node.Content[i+1].Value)
			}
			val = strings.Join(lines, "\n")
		case (k == "references" || k == "layers") && node.Kind == yaml.SequenceNode:
			var items []string
			for _, n := range node.Content {
				items = append(items, n.Value)
			}
			val = strings.Join(items, ",")
		}
		f.Values = append(f.Values, Value{Key: k, Text: strings.TrimSpace(val)})
	}
	return f, p.Err()
}

func trustedOnlyHint(s Setting) string {
	if s.Input != "" {
		return fmt.Sprintf("pass --%s, or the action's %s input (the workflow's own word)", s.Name, s.Input)
	}
	if s.Name == "json" || s.Name == "markdown" || s.Name == "html" {
		return fmt.Sprintf("pass --%s; the action writes its files to .coldbench/ in the workspace", s.Name)
	}
	return fmt.Sprintf("pass --%s (the action has no such input)", s.Name)
}

// Get returns the file's text for key.
func (f File) Get(key string) (string, bool) {
	for _, v := range f.Values {
		if v.Key == key {
			return v.Text, true
		}
	}
	return "", false
}

// Check reports the problems of the file's settings of the given kinds without applying them
// (the head's judge settings, which apply once merged).
func (f File) Check(kinds ...Kind) error {
	c := Default()
	return c.apply(f, kinds...).Err()
}

// apply sets the file's settings of the given kinds, as the repository's words.
func (c *Config) apply(f File, kinds ...Kind) Problems {
	var p Problems
	for _, v := range f.Values {
		if s, _ := Lookup(v.Key); !slices.Contains(kinds, s.Kind) {
			continue
		}
		if err := c.SetFromRepo(v.Key, v.Text); err != nil {
			p.add("%s: %s: %v", f.Name, v.Key, err)
		}
	}
	return p
}

// ApplyFile applies every setting of a coldbench.yml document to c, as one where the file is the
// only one (no base revision). Unknown keys and bad values are all reported.
func (c *Config) ApplyFile(name string, data []byte) error {
	f, err := ParseFile(name, data)
	var p Problems
	if err != nil && !errors.As(err, &p) {
		return err
	}
	p = append(p, c.apply(f, KindJudge, KindFunction)...)
	return p.Err()
}

// Given is a setting given by a flag or an action input: the workflow's (or the user's) own word.
type Given struct {
	Key, Text string
	// Name is how the user wrote it, for messages: "--threshold", "input threshold".
	Name string
}

// Layers are the sources of one side's settings, lowest first after the defaults.
type Layers struct {
	// Judge is the trusted coldbench.yml: the base revision's, or the work tree's when there is
	// no base revision. Its judge settings are the run's.
	Judge File
	// Side is this side's coldbench.yml (the head's from the work tree, base's from the base
	// revision): its function settings are this side's.
	Side File
	// Given are the flags or inputs, applied on top to every side.
	Given []Given
}

// Load is the load sequence of `run` and `action`: defaults, then the trusted file's judge
// settings, then this side's function settings, then the flags or inputs. What a template adds
// comes after (it fills in only what was not set). Every problem is reported at once.
func Load(l Layers) (Config, error) {
	c := Default()
	c.layers = l
	p := c.apply(l.Judge, KindJudge)
	p = append(p, c.apply(l.Side, KindFunction)...)
	for _, g := range l.Given {
		if err := c.Set(g.Key, g.Text); err != nil {
			p.add("%s: %v", g.Name, err)
		}
	}
	return c, p.Err()
}

// ForSide loads another side's settings with c's judge file and flags: base's function settings
// from base's own coldbench.yml, or (an empty file) the run-level ones that the references use.
func (c *Config) ForSide(side File) (Config, error) {
	l := c.layers
	l.Side = side
	return Load(l)
}

// SideFile is the coldbench.yml whose function settings c has.
func (c *Config) SideFile() File { return c.layers.Side }

// Change is a judge setting that a pull request's coldbench.yml changes: it applies once the
// pull request is merged, not in the run that checks it.
type Change struct{ Key, Base, Head string }

// JudgeChanges lists the judge settings whose text differs between the trusted (base) file and
// the head's, in key order; "" is a key the file does not have.
func JudgeChanges(base, head File) []Change {
	var out []Change
	for _, key := range SettingNames(KindJudge) {
		b, _ := base.Get(key)
		h, _ := head.Get(key)
		if b != h {
			out = append(out, Change{Key: key, Base: b, Head: h})
		}
	}
	return out
}

// Function is one side's own function: what head and base each take from their own revision
// (coldbench.yml's function keys and the template), with the flags and inputs on top.
type Function struct {
	Handler, Runtime, Template, Function string
	Build, Artifact, Binary              string
	EnvFile, FunctionHandler             string
	Layers                               []string
	Web                                  string
	Env                                  map[string]string
	GoFlags                              []string
	MemoryMB, EphemeralMB                int
	Timeout                              time.Duration
	// Notes say what of the function's definition could not be taken as it is.
	Notes []string
}

// FunctionSpec is the function part of c.
func (c *Config) FunctionSpec() Function {
	return Function{Handler: c.Handler, Runtime: c.Runtime, Template: c.Template, Function: c.Function,
		Build: c.Build, Artifact: c.Artifact, Binary: c.Binary, EnvFile: c.EnvFile, FunctionHandler: c.FunctionHandler,
		Layers: c.Layers, Web: c.Web, Env: c.Env, GoFlags: c.GoFlags, MemoryMB: c.MemoryMB, EphemeralMB: c.EphemeralMB, Timeout: c.Timeout, Notes: c.Notes}
}

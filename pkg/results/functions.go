package results

import "strings"

// A run of several functions (an app's template: `function: all`, `changed` or a list) is one
// Results: every chosen function's head and base are variants of it, named FunctionVariant(name,
// role) and marked with their Function, sampled in the same rounds as the references, which all
// functions share. Functions holds each function's own analysis; Function(name) is the view of one
// function as a run of it alone would be (its head and base named "head" and "base"), which the
// analysis and the reports take as they take any run.

// FunctionStatus is what a run did with one function of the template.
type FunctionStatus string

// Statuses of a function in a run of several.
const (
	// FunctionMeasured: head and base were built and sampled (or tried to be: a build that
	// failed is in its variant).
	FunctionMeasured FunctionStatus = "measured"
	// FunctionNew: the function is in head's template only; its head was measured alone.
	FunctionNew FunctionStatus = "new"
	// FunctionGone: the function is in base's template only; nothing to measure.
	FunctionGone FunctionStatus = "gone"
	// FunctionSkipped: the pull request cannot change its deployed code (`function: changed`).
	FunctionSkipped FunctionStatus = "skipped"
)

// FunctionResult is one function of a run of several: why it was picked or skipped, and what its
// head-vs-base analysis decided.
type FunctionResult struct {
	// Name is the function's logical ID in the template.
	Name   string         `json:"name"`
	Status FunctionStatus `json:"status"`
	// Reason says why it was picked or skipped (the changed file that reaches it, or none).
	Reason string `json:"reason,omitempty"`
	// Head and Base are its variants' names in Results.Variants ("" when it has none).
	Head string `json:"head,omitempty"`
	Base string `json:"base,omitempty"`
	// Samples and Looks are the rounds it was sampled in and the looks its sequential rule took;
	// Stop says why its sampling stopped.
	Samples int    `json:"samples,omitempty"`
	Looks   int    `json:"looks,omitempty"`
	Stop    string `json:"stop,omitempty"`
	// Notes are the function's own (its template's settings); the run's are in Config.Notes.
	Notes       []string      `json:"notes,omitempty"`
	Verdict     Verdict       `json:"verdict,omitempty"`
	Comparisons []Comparison  `json:"comparisons,omitempty"`
	Warnings    []Warning     `json:"warnings,omitempty"`
	Budgets     []BudgetCheck `json:"budgets,omitempty"`
	Breakdown   *Breakdown    `json:"init_breakdown,omitempty"`
}

// Sampled reports whether the function has variants in the run.
func (f FunctionResult) Sampled() bool {
	return f.Status == FunctionMeasured || f.Status == FunctionNew
}

// FunctionVariant is the name of function's variant of role in a run of several ("GetProducts:head";
// a CDK construct path's separators and any other character a file name should not hold become
// "_": the name names the variant's build and task directories too).
func FunctionVariant(function string, role Role) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, function)
	return safe + ":" + string(role)
}

// FunctionByName returns the function called name, or nil.
func (r *Results) FunctionByName(name string) *FunctionResult {
	for i := range r.Functions {
		if r.Functions[i].Name == name {
			return &r.Functions[i]
		}
	}
	return nil
}

// Function is the view of one function of a run of several as a run of it alone: its head and
// base (named "head" and "base") beside the references, their samples, traces and counts, and
// its analysis. The view shares nothing that SetFunction does not copy back.
func (r *Results) Function(name string) *Results {
	f := r.FunctionByName(name)
	if f == nil {
		return nil
	}
	v := *r
	v.Functions, v.GitHub = nil, r.GitHub
	rename := map[string]string{}
	if f.Head != "" {
		rename[f.Head] = string(RoleHead)
	}
	if f.Base != "" {
		rename[f.Base] = string(RoleBase)
	}
	own := func(variant string) (string, bool) {
		if n, ok := rename[variant]; ok {
			return n, true
		}
		for _, x := range r.Variants {
			if x.Name == variant {
				return variant, x.Function == "" // a reference (or a single run's variant)
			}
		}
		return variant, false
	}
	v.Variants = nil
	for _, x := range r.Variants {
		if n, ok := own(x.Name); ok {
			x.Name = n
			v.Variants = append(v.Variants, x)
		}
	}
	v.Samples = nil
	for _, s := range r.Samples {
		if n, ok := own(s.Variant); ok {
			s.Variant = n
			v.Samples = append(v.Samples, s)
		}
	}
	v.InitTraces = nil
	for _, t := range r.InitTraces {
		if n, ok := rename[t.Variant]; ok {
			t.Variant = n
			v.InitTraces = append(v.InitTraces, t)
		}
	}
	v.InitInstructions = nil
	for _, c := range r.InitInstructions {
		if n, ok := rename[c.Variant]; ok {
			c.Variant = n
			v.InitInstructions = append(v.InitInstructions, c)
		}
	}
	v.Verdict, v.Comparisons, v.Warnings, v.Budgets, v.Breakdown = f.Verdict, f.Comparisons, f.Warnings, f.Budgets, f.Breakdown
	v.Config.Samples, v.Config.Looks = f.Samples, f.Looks
	v.Config.Function = name
	if r.Config.Function != "" {
		v.Config.Function = name + " in " + r.Config.Function
	}
	v.Config.Notes = append(append([]string(nil), r.Config.Notes...), f.Notes...)
	return &v
}

// SetFunction copies the analysis of view (Function(name), analysed) back: the function's
// verdict, comparisons, warnings, budgets and breakdown, and its variants' summaries.
func (r *Results) SetFunction(name string, view *Results) {
	f := r.FunctionByName(name)
	if f == nil {
		return
	}
	f.Verdict, f.Comparisons, f.Warnings, f.Budgets, f.Breakdown = view.Verdict, view.Comparisons, view.Warnings, view.Budgets, view.Breakdown
	f.Samples, f.Looks = view.Config.Samples, view.Config.Looks
	for _, vv := range view.Variants {
		full := ""
		switch vv.Role {
		case RoleHead:
			full = f.Head
		case RoleBase:
			full = f.Base
		}
		for i := range r.Variants {
			if full != "" && r.Variants[i].Name == full {
				r.Variants[i].Summary, r.Variants[i].Stopped = vv.Summary, vv.Stopped
			}
		}
	}
}

// PerFunction is the run one function at a time: each sampled function's view in a run of
// several, or the run itself.
func (r *Results) PerFunction() []*Results {
	if len(r.Functions) == 0 {
		return []*Results{r}
	}
	var out []*Results
	for _, f := range r.Functions {
		if f.Sampled() {
			out = append(out, r.Function(f.Name))
		}
	}
	return out
}

// WorstVerdict is the gravest of the measured functions' verdicts (Verdict.Gravity); NoChange
// when none was decided.
func (r *Results) WorstVerdict() Verdict {
	worst := NoChange
	for _, f := range r.Functions {
		// A function new in head has no base: its "unavailable" is no verdict on the change.
		if f.Status == FunctionMeasured && f.Verdict != "" && f.Verdict.Gravity() > worst.Gravity() {
			worst = f.Verdict
		}
	}
	return worst
}

package report

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/coldbench/coldbench/pkg/results"
)

// What a pull request's handler, build or template can make coldbench show, written to break out.
const (
	cmdAttack     = "X\n::set-output name=verdict::none\r::notice::pwned\n  \t::add-mask::x ##[set-output name=verdict;]none"
	tickAttack    = "a``` b\n```\n@octocat <img src=x onerror=alert(1)> [click](https://evil.example) ![i](https://evil.example/p.png)\n`"
	mentionOrHTML = `@[A-Za-z0-9]|<[A-Za-z/!?]`
)

// commandLines are the lines of s the GitHub runner would act on: one that starts with "::" once
// leading whitespace is trimmed, or one holding the legacy "##[" anywhere (lines end at \r too).
func commandLines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") || strings.Contains(l, "##[") {
			out = append(out, l)
		}
	}
	return out
}

func TestLogSafe(t *testing.T) {
	t.Parallel()
	if len(commandLines(cmdAttack)) < 3 {
		t.Fatalf("the attack holds %q: not enough commands for the test to mean anything", commandLines(cmdAttack))
	}
	got := LogSafe(cmdAttack)
	if cl := commandLines(got); len(cl) > 0 {
		t.Errorf("LogSafe(%q) = %q: the runner would act on %q", cmdAttack, got, cl)
	}
	if LogSafe("plain\nlines\n") != "plain\nlines\n" {
		t.Errorf("LogSafe changed text without commands: %q", LogSafe("plain\nlines\n"))
	}
}

// codeSpanHolds reports whether md is one code span whose content no backtick run closes.
func codeSpanHolds(md string) bool {
	n := longestRun(md, '`')
	fence := strings.Repeat("`", n)
	inner, ok := strings.CutPrefix(md, fence)
	if !ok || !strings.HasSuffix(inner, fence) || strings.ContainsAny(md, "\n\r") {
		return false
	}
	inner = strings.TrimSuffix(inner, fence)
	return !strings.HasPrefix(inner, "`") && !strings.HasSuffix(inner, "`") && longestRun(inner, '`') < n
}

// fenceHolds reports whether md is one fenced block that no line inside closes.
func fenceHolds(md string) bool {
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	open := lines[0]
	if len(lines) < 2 || strings.Trim(open, "`") != "" || len(open) < 3 || lines[len(lines)-1] != open {
		return false
	}
	for _, l := range lines[1 : len(lines)-1] {
		if t := strings.TrimLeft(l, " "); strings.HasPrefix(t, open) && strings.Trim(t, "` ") == "" {
			return false
		}
	}
	return true
}

// Each helper holds what the attack tries to break out of; the way it was done before (a single
// backtick pair, a ``` fence, the string as is) does not.
func TestMarkdownQuoting(t *testing.T) {
	t.Parallel()
	mention := regexp.MustCompile(mentionOrHTML)
	if codeSpanHolds("`"+oneLine(tickAttack)+"`") || fenceHolds("```\n"+tickAttack+"\n```\n") || !mention.MatchString(tickAttack) {
		t.Fatal("the attack does not break the naive quoting: this test proves nothing")
	}
	for _, s := range []string{tickAttack, cmdAttack, "`", "``", "", " x "} {
		if c := Code(s); !codeSpanHolds(c) || mention.MatchString(c) {
			t.Errorf("Code(%q) = %q: not one closed code span, or a mention or tag in it", s, c)
		}
		if f := Fence(s); !fenceHolds(f) || mention.MatchString(f) {
			t.Errorf("Fence(%q) = %q: not one closed fence, or a mention or tag in it", s, f)
		}
	}
	// Text: no link, image, tag, mention or code from a name; the old escaping let all through.
	link := regexp.MustCompile(`(^|[^\\])\]\(|(^|[^\\])` + "`")
	old := strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(tickAttack)
	if !link.MatchString(old) || !mention.MatchString(old) {
		t.Fatalf("the old escaping %q stops the attack: this test proves nothing", old)
	}
	if got := Text(tickAttack); link.MatchString(got) || mention.MatchString(got) || strings.ContainsAny(got, "\n<>") {
		t.Errorf("Text(%q) = %q: a link, code, mention or tag left", tickAttack, got)
	}
	if got := Text("# heading"); !strings.HasPrefix(got, `\#`) {
		t.Errorf("Text(%q) = %q, want the heading escaped", "# heading", got)
	}
}

// hostile is a results file every pull-request string of which is an attack, as `coldbench
// publish` may read it from a pull request's run: nothing was cleaned at ingestion.
func hostile() *results.Results {
	attack := cmdAttack + "\n" + tickAttack
	r := cases()["failedsamples"]
	for i := range r.Samples {
		if e := r.Samples[i].Error; e != nil {
			e.Type, e.Reason = attack, attack
			r.Samples[i].Output, r.Samples[i].Notes = attack, []string{attack}
		}
	}
	r.Variants[0].Stopped = attack
	r.Variants = append(r.Variants, results.Variant{Name: "ref", Role: results.RoleReference, BuildError: attack})
	r.Config.Notes = []string{attack}
	r.Warnings = append(r.Warnings, results.Warning{Code: "x", Message: attack})
	return r
}

// The terminal report of hostile results holds no workflow command; rendered the way it was
// before (no LogSafe) it holds several.
func TestTextReportHoldsNoCommand(t *testing.T) {
	t.Parallel()
	var raw, safe strings.Builder
	writeText(&raw, hostile(), TextOptions{})
	if len(commandLines(raw.String())) == 0 {
		t.Fatal("the unprotected report holds no command: this test proves nothing")
	}
	WriteText(&safe, hostile(), TextOptions{})
	if cl := commandLines(safe.String()); len(cl) > 0 {
		t.Errorf("the report holds commands the runner would run: %q", cl)
	}
}

// The Markdown report of hostile results mentions nobody, has no tag, and its fences and code
// spans all close where coldbench closed them: outside code no line starts a fake command.
func TestMarkdownReportIsInert(t *testing.T) {
	t.Parallel()
	md := Markdown(hostile(), MarkdownOptions{Title: "coldbench · " + tickAttack})
	if m := regexp.MustCompile(mentionOrHTML).FindAllString(withoutOurHTML(md), -1); len(m) > 0 {
		t.Errorf("report has mentions or tags %q:\n%s", m, md)
	}
	for _, l := range strings.Split(outsideCode(md), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "::") || strings.Contains(l, "](") && !strings.Contains(l, `\](`) {
			t.Errorf("outside code, line %q starts a command or links", l)
		}
	}
}

// withoutOurHTML is md without the tags coldbench writes itself.
func withoutOurHTML(md string) string {
	return regexp.MustCompile(`</?(details|summary|sub)>`).ReplaceAllString(md, "")
}

// outsideCode is md without its fenced blocks and code spans (CommonMark's rules for backtick
// fences and spans, which is all the report uses).
func outsideCode(md string) string {
	var out []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimLeft(l, " ")
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) && strings.Trim(t, "` ") == "" {
				fence = ""
			}
			continue
		case strings.HasPrefix(t, "```"):
			fence = t[:longestRun(t, '`')]
			continue
		}
		var b strings.Builder
		for i := 0; i < len(l); {
			if l[i] != '`' {
				b.WriteByte(l[i])
				i++
				continue
			}
			n := 0
			for j := i; j < len(l) && l[j] == '`'; j++ {
				n = j - i + 1
			}
			closeAt := strings.Index(l[i+n:], strings.Repeat("`", n))
			if closeAt < 0 {
				b.WriteString(l[i : i+n])
				i += n
				continue
			}
			i += n + closeAt + n
		}
		out = append(out, b.String())
	}
	return strings.Join(out, "\n")
}

// The HTML report escapes every string of the pull request's (html/template, and the charts'
// own escaping): no tag of the attack's survives.
func TestHTMLReportIsInert(t *testing.T) {
	t.Parallel()
	r := hostile()
	r.Variants[0].Name = "head<img src=x>" // a variant name reaches the charts' labels
	for i := range r.Samples {
		if r.Samples[i].Variant == "head" {
			r.Samples[i].Variant = r.Variants[0].Name
		}
	}
	var b strings.Builder
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<img") || !strings.Contains(b.String(), "<svg") {
		t.Errorf("HTML report has a tag of the attack's, or no chart:\n%s", b.String())
	}
}

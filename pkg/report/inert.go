package report

import (
	"strings"
	"unicode"

	"github.com/coldbench/coldbench/pkg/results"
)

// Pull-request code writes much of what a report shows: the error types and messages its handler
// posts, its output, its build's log, the names in its template. These helpers are the one way
// such a string reaches a report. In Markdown it is code (a span or a fenced block whose fence
// no backtick run inside can close) or escaped text, with @-mentions and HTML tags broken (a zero-
// width joiner after '@' and '<', which code shows unchanged and which no mention, tag or
// autolink matches); in plain text no line of it starts a workflow command (LogSafe).

// zwj is the zero-width joiner that breaks a mention ("@\u200doctocat" notifies nobody) and a
// tag ("<\u200dimg" is text) in every Markdown context, code included.
const zwj = "\u200d"

// unlink breaks @-mentions and HTML tags in s without changing how it reads.
func unlink(s string) string {
	return strings.NewReplacer("@", "@"+zwj, "<", "<"+zwj).Replace(s)
}

// oneLine is s on one line: line breaks and control characters as spaces (results.CleanLine).
func oneLine(s string) string { return results.CleanLine(s, len(s)+len("…")) }

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// Code is s as a Markdown code span on one line: delimited by a backtick run longer than any in
// s, so nothing in it is Markdown or HTML, with its mentions and tags broken. In a table cell,
// pass it through Cell as well (GitHub splits cells on '|' even in code).
func Code(s string) string {
	s = unlink(oneLine(s))
	if s == "" {
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " " // a span's one leading and trailing space are stripped, its backticks kept
	}
	return fence + s + fence
}

// Cell is a Markdown fragment made fit for a table cell: '|' escaped (GitHub unescapes it in code
// spans too).
func Cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Fence is s, lines kept, as a fenced code block ending in a newline: its fence is longer than
// any backtick run in s (so no line of s closes it), carriage returns and other control
// characters but tabs are dropped, and mentions and tags are broken.
func Fence(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(c rune) rune {
		switch {
		case c == '\n' || c == '\t':
			return c
		case c == '\r':
			return '\n'
		case unicode.IsControl(c) || unicode.Is(unicode.Cf, c) || c == '\u2028' || c == '\u2029':
			return -1
		}
		return c
	}, strings.TrimRight(s, "\n"))
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "\n" + unlink(s) + "\n" + fence + "\n"
}

// Text is s as Markdown text on one line that renders as s reads: the punctuation that makes
// code, emphasis, links and images backslash-escaped (and a leading '#', '-' or '+', which would
// start a heading or a list), HTML's as entities, '|' escaped for tables, mentions broken.
func Text(s string) string {
	var b strings.Builder
	s = oneLine(s)
	if strings.HasPrefix(s, "#") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		b.WriteByte('\\')
	}
	for _, c := range s {
		switch c {
		case '\\', '`', '*', '[', ']', '|':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '@':
			b.WriteString("@" + zwj)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// LogSafe is plain text that the GitHub runner acts on nowhere: a line (the runner splits at
// "\r" as well as "\n") that starts with "::" once leading whitespace is trimmed (a workflow
// command) gets "> " before it, and "##[" (the legacy form, which the runner finds anywhere in a
// line) becomes "## [". Text and the terminal report go through it, so `coldbench run` in a
// workflow step prints no command of the pull request's.
func LogSafe(s string) string {
	s = strings.ReplaceAll(s, "##[", "## [")
	var b strings.Builder
	for s != "" {
		line, sep := s, ""
		if i := strings.IndexAny(s, "\r\n"); i >= 0 {
			line, sep = s[:i], s[i:i+1]
		}
		s = s[len(line)+len(sep):]
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
			b.WriteString("> ")
		}
		b.WriteString(line)
		b.WriteString(sep)
	}
	return b.String()
}

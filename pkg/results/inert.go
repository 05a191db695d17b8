package results

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A handler chooses the error types and messages it posts to the Runtime API, and the notes built
// from them: pull-request text. What is stored of it is put in shape here, once, where a sample
// is taken: an error type is one token, a reason or a note one bounded line. That alone does not
// make it safe to show (a line can still hold a workflow command or Markdown), so every renderer
// quotes it again (pkg/report); this keeps the stored shape what the renderers expect.

// Bounds of the cleaned strings, in bytes.
const (
	MaxTypeLen   = 100
	MaxReasonLen = 1000
)

// UnknownType is the type of an error whose type had nothing left once cleaned (Lambda's).
const UnknownType = "Runtime.Unknown"

// CleanType is s as an error type: the characters Lambda's and the runtimes' types use (ASCII
// letters and digits, '.', '_', '-', '$'), every run of other characters one '_', at most
// MaxTypeLen bytes; UnknownType when nothing is left.
func CleanType(s string) string {
	var b strings.Builder
	other := false
	for _, c := range s {
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-$", c)) {
			if other && b.Len() > 0 {
				b.WriteByte('_')
			}
			other = false
			b.WriteRune(c)
		} else {
			other = true
		}
		if b.Len() >= MaxTypeLen {
			break
		}
	}
	if b.Len() == 0 {
		return UnknownType
	}
	return b.String()[:min(b.Len(), MaxTypeLen)]
}

// CleanLine is s as one line of at most n bytes: line breaks, tabs and other control or
// invisible format characters become spaces, runs of spaces one, ends trimmed, and an over-long
// line is cut at a character boundary with "…".
func CleanLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsControl(c) || unicode.Is(unicode.Cf, c)
	}), " ")
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Clean puts e's pull-request strings in shape: Type by CleanType, Reason by CleanLine.
func (e *SampleError) Clean() {
	if e != nil {
		e.Type, e.Reason = CleanType(e.Type), CleanLine(e.Reason, MaxReasonLen)
	}
}

// Clean puts s's error and notes in shape (its output stays as written: the renderers fence it).
func (s *Sample) Clean() {
	s.Error.Clean()
	for i, n := range s.Notes {
		s.Notes[i] = CleanLine(n, MaxReasonLen)
	}
}

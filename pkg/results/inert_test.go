package results

import (
	"strings"
	"testing"
)

// The error types and messages a handler posts are stored as one token and one line: a type or
// a reason that held a workflow command on a line of its own holds none once cleaned.
func TestCleanTypeAndLine(t *testing.T) {
	t.Parallel()
	attack := "X\n::set-output name=verdict::none\r\n::notice::pwned"
	if !hasCommandLine(attack) {
		t.Fatalf("the attack %q has no line starting with ::, so this test proves nothing", attack)
	}
	for _, tt := range []struct{ in, want string }{
		{"Runtime.ExitError", "Runtime.ExitError"},
		{"java.lang.RuntimeException$Inner", "java.lang.RuntimeException$Inner"},
		{attack, "X_set-output_name_verdict_none_notice_pwned"},
		{"\n\t ::", UnknownType},
		{"", UnknownType},
		{strings.Repeat("a", 500), strings.Repeat("a", MaxTypeLen)},
	} {
		if got := CleanType(tt.in); got != tt.want {
			t.Errorf("CleanType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"exit status 2", MaxReasonLen, "exit status 2"},
		{attack, MaxReasonLen, "X ::set-output name=verdict::none ::notice::pwned"},
		{"a\u2028::b\u0085c\x1b[31m\u200b", MaxReasonLen, "a ::b c [31m"},
		{"  \n ", MaxReasonLen, ""},
		{strings.Repeat("é", 10), 7, "éé…"},
	} {
		if got := CleanLine(tt.in, tt.n); got != tt.want || hasCommandLine(got) {
			t.Errorf("CleanLine(%q, %d) = %q, want %q on one line", tt.in, tt.n, got, tt.want)
		}
	}
}

// hasCommandLine reports whether a line of s starts a workflow command, as the runner reads one
// (leading whitespace trimmed).
func hasCommandLine(s string) bool {
	for _, l := range strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == '\r' }) {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), "::") {
			return true
		}
	}
	return false
}

//go:build coldbench_testhooks

package sandbox

import (
	"os"
	"slices"
	"strings"
)

// Off reports whether the protection is named in COLDBENCH_TESTHOOK_OFF (comma-separated). This
// file is only in binaries built with the coldbench_testhooks tag, for the hostile tests' control
// runs: each attack must be seen to succeed with its protection off, or its test proves nothing.
func Off(protection string) bool {
	return slices.Contains(strings.Split(os.Getenv("COLDBENCH_TESTHOOK_OFF"), ","), protection)
}

//go:build !coldbench_testhooks

package sandbox

// Off reports whether a protection is turned off. Only a binary built with the
// coldbench_testhooks tag (the hostile tests' control runs, which show each attack succeeding
// without its protection) can turn one off; a release binary never does.
func Off(protection string) bool { return false }

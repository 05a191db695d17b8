package build

import (
	"fmt"
	"os"
	"strings"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// PackageLayer makes the zip the runner lays out in /opt from a layer's content: a directory laid
// out as /opt is zipped as a deployment package is (links stored as links, never followed; only
// files the sandbox user could read itself, as the repository's are untrusted), and a zip is taken
// as it is once the sandbox user could read it (its entries are checked when a sample unpacks
// it). It returns the zip's path: out, or src for a zip.
func PackageLayer(id sandbox.Identity, src, out string) (string, error) {
	st, err := os.Lstat(src)
	switch {
	case err != nil:
		return "", fmt.Errorf("layer %s: %w", src, err)
	case st.IsDir():
		if err := verifyTree(id, src); err != nil {
			return "", fmt.Errorf("layer %s: %w", src, err)
		}
		if _, _, err := ZipDir(src, out); err != nil {
			return "", fmt.Errorf("layer %s: %w", src, err)
		}
		return out, nil
	case strings.HasSuffix(src, ".zip"):
		f, err := openRegular(src)
		if err != nil {
			return "", fmt.Errorf("layer %s: %w", src, err)
		}
		defer f.Close()
		fst, err := f.Stat()
		if err == nil {
			err = readable(id, src, fst)
		}
		if err != nil {
			return "", fmt.Errorf("layer %s: %w", src, err)
		}
		return src, nil
	}
	return "", fmt.Errorf("layer %s: not a directory nor a .zip (a layer is a directory laid out as /opt, or its zip)", src)
}

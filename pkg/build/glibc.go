package build

import (
	"fmt"
	"strconv"
	"strings"
)

// lambdaGlibc is the glibc of Lambda's provided.al2023 runtime (Amazon Linux 2023).
var lambdaGlibc = [2]int{2, 34}

// glibcNote warns when a dynamically linked bootstrap needs a newer glibc than Lambda has: it
// would start here and fail on Lambda with "GLIBC_2.xx not found". A cross build on a newer
// distribution links against that distribution's glibc; cargo-lambda (zig) targets an older one.
func glibcNote(path string) []string {
	f, done, err := openELF(path)
	if err != nil {
		return nil
	}
	defer done()
	needs, err := f.DynamicVersionNeeds()
	if err != nil {
		return nil
	}
	var max [2]int
	for _, n := range needs {
		for _, d := range n.Needs {
			v, ok := strings.CutPrefix(d.Dep, "GLIBC_")
			if !ok {
				continue
			}
			maj, min, _ := strings.Cut(v, ".")
			a, _ := strconv.Atoi(maj)
			b, _ := strconv.Atoi(strings.SplitN(min, ".", 2)[0])
			if a > max[0] || a == max[0] && b > max[1] {
				max = [2]int{a, b}
			}
		}
	}
	if max[0] > lambdaGlibc[0] || max[0] == lambdaGlibc[0] && max[1] > lambdaGlibc[1] {
		return []string{fmt.Sprintf("bootstrap needs GLIBC_%d.%d but Lambda's provided.al2023 has %d.%d: it would fail to start there; link statically or build with cargo-lambda",
			max[0], max[1], lambdaGlibc[0], lambdaGlibc[1])}
	}
	return nil
}

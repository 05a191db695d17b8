package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// Pull request #1's build leaves a forged tool in its cache ($XDG_CACHE_HOME), where pull request
// #2's build, in the next run on the same self-hosted runner (the same cache-dir, the same uid
// range: the same head slot), keeps a tool it downloaded once, as npm's, pip's and Go's caches
// keep theirs. The forged tool rewrites #2's bootstrap: its doubled init (0.3 s against base's
// 0.15 s) becomes base's, the regression hidden, and its responses say "poisoned-by-1". A head slot
// that another pull request's code wrote last starts empty: #2's own tool runs and the
// regression is caught.
func TestHostileCachePoisonsTheNextPullRequest(t *testing.T) {
	t.Parallel() // a range of sandbox users of its own (hostileUID); the timings are sleeps, 2:1
	plain, hooked := hostileBinaries(t)
	uid, releaseUID := hostileUID()
	defer releaseUID()
	if uid == "" { // both runs must have the same range: coldbench's own choice might move
		uid = strconv.Itoa(sandbox.DefaultUID + 32*sandbox.Slots)
	}
	const forged = `sed 's/^sleep .*/sleep 0.15/; s/^R=""/R=poisoned-by-1/' "$1" > "$2" && chmod 755 "$2"` + "\n"
	first := side{sleep: "0.3", files: map[string]string{
		"coldbench.yml": "build: |\n  cp bootstrap \"$ARTIFACTS_DIR/\"\n  cp forged.sh \"$XDG_CACHE_HOME/fmt-tool.sh\"\n",
		"fn/forged.sh":  forged,
	}}
	second := side{sleep: "0.3", files: map[string]string{
		"coldbench.yml": "build: |\n  T=\"$XDG_CACHE_HOME/fmt-tool.sh\"\n  [ -f \"$T\" ] || cp tool.sh \"$T\"\n  sh \"$T\" bootstrap \"$ARTIFACTS_DIR/bootstrap\"\n",
		"fn/tool.sh":    `cp "$1" "$2" && chmod 755 "$2"` + "\n",
	}}
	// pr makes the pull request number n's checkout and event.
	pr := func(t *testing.T, n int, head side) (dir, event string) {
		dir, event = hostileRepo(t, fastBase, head)
		b, err := os.ReadFile(event)
		if err != nil {
			t.Fatal(err)
		}
		testenv.Write(t, filepath.Dir(event), filepath.Base(event), strings.ReplaceAll(string(b), `"number": 2,`, `"number": `+strconv.Itoa(n)+`,`))
		return dir, event
	}
	for _, run := range []struct{ name, bin, off string }{{"protected", plain, ""}, {"control", hooked, "slotkeep"}} {
		t.Run(run.name, func(t *testing.T) {
			cache := testenv.SharedTempDir(t)
			dir, event := pr(t, 1, first)
			r := actionHostileAs(t, uid, true, filepath.Join(t.TempDir(), "file_commands"), run.bin, run.off, dir, event, quickControl(map[string]string{"cache-dir": cache}), "")
			sandboxProcesses(t, r)
			if r.res == nil || r.res.Variant(results.RoleHead) == nil || r.res.Variant(results.RoleHead).BuildError != "" {
				t.Fatalf("pull request #1's run did not build its head (so planted nothing): exit %d\n%s", r.code, tail(r.stderr, 2000))
			}
			inputs := map[string]string{"cache-dir": cache, "samples": "auto"}
			if run.name == "control" { // the forged tool's word is what it shows
				inputs = quickControl(inputs)
			}
			dir, event = pr(t, 2, second)
			r = actionHostileAs(t, uid, true, filepath.Join(t.TempDir(), "file_commands"), run.bin, run.off, dir, event, inputs, "")
			poisoned := slices.Contains(headResponses(r), "poisoned-by-1")
			t.Logf("%s: pull request #2: exit %d, poisoned %v, head's responses %q", run.name, r.code, poisoned, headResponses(r))
			switch {
			case run.name == "protected" && poisoned:
				t.Errorf("pull request #2's build ran #1's forged tool from the slot's cache")
			case run.name == "protected":
				caught(t, r)
			case !poisoned:
				t.Errorf("control (slotkeep off): pull request #2 did not run #1's tool, so this test proves nothing\n%s", tail(r.stderr, 2000))
			}
			sandboxProcesses(t, r)
		})
	}
}

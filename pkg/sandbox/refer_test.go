package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A confined build hard-links and renames files between its own directories (rustc links its
// rmeta files into deps/): Landlock's "refer" right is granted there, and no second ruleset
// (one for the scopes alone would deny refer everywhere) takes it back.
func TestConfinedLinksWithinItsOwnDirs(t *testing.T) {
	id := acquire(t)
	if LandlockABI() < 2 {
		t.Skip("no Landlock refer right before ABI 2")
	}
	own := t.TempDir()
	_ = os.Chmod(filepath.Dir(own), 0o755)
	if err := os.Chown(own, id.UID, id.GID); err != nil {
		t.Fatal(err)
	}
	out, err := confined(t, id.Confine(64, nil, []string{own}),
		`cd `+own+` && mkdir a b && touch a/f && ln a/f b/h && echo linked && mv a/f b/g && echo moved`)
	if err != nil || !strings.Contains(out, "linked") || !strings.Contains(out, "moved") {
		t.Errorf("link and rename across its own directories: %v\n%s", err, out)
	}
}

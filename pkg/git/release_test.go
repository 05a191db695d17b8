package git

import (
	"context"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// The previous release of a candidate is the latest tag reachable from it, never its own, and
// through a merge's second parent too.
func TestPreviousTag(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	commit := func(msg string) {
		testenv.Write(t, repo, "f", msg)
		gitT(t, repo, "add", ".")
		gitT(t, repo, "commit", "-qm", msg)
	}
	ctx := context.Background()
	commit("first")
	if _, err := PreviousTag(ctx, repo, "HEAD"); err == nil || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Errorf("PreviousTag(no tags) error = %v, want one naming fetch-depth: 0", err)
	}
	gitT(t, repo, "tag", "v1.0.0")
	commit("second")
	gitT(t, repo, "tag", "-a", "-m", "v1.1.0", "v1.1.0")
	commit("third")
	for _, tc := range []struct{ rev, want string }{
		{"HEAD", "v1.1.0"},   // untagged candidate: the latest tag behind it
		{"v1.1.0", "v1.0.0"}, // tagged candidate (annotated): not its own tag
		{"HEAD~1", "v1.0.0"}, // the same commit by another name
		{"HEAD~2", ""},       // v1.0.0 itself: nothing before it
	} {
		got, err := PreviousTag(ctx, repo, tc.rev)
		if tc.want == "" {
			if err == nil {
				t.Errorf("PreviousTag(%s) = %q, want an error", tc.rev, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PreviousTag(%s) = %q, %v; want %q", tc.rev, got, err, tc.want)
		}
	}
	gitT(t, repo, "tag", "v2.0.0-rc1")
	gitT(t, repo, "tag", "v2.0.0")
	if got, err := PreviousTag(ctx, repo, "v2.0.0"); err != nil || got != "v1.1.0" {
		t.Errorf("PreviousTag(v2.0.0 with two tags on it) = %q, %v; want v1.1.0", got, err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	repo := t.TempDir()
	gitT(t, repo, "init", "-q", "-b", "main")
	testenv.Write(t, repo, "f", "1")
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-qm", "1")
	gitT(t, repo, "tag", "v1")
	gitT(t, repo, "tag", "-a", "-m", "m", "v1-annotated")
	sha := strings.TrimSpace(gitT(t, repo, "rev-parse", "HEAD"))
	tags, err := Tags(context.Background(), repo)
	if err != nil || len(tags) != 1 || len(tags[sha]) != 2 {
		t.Errorf("Tags() = %v, %v; want both tags on %s", tags, err, sha)
	}
}

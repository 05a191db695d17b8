package pipeline

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
)

// Where Landlock is missing, Seal is what keeps the sandbox out of the checkout's .git/config
// (the job's token). A cache-dir inside the workspace (allowed when it holds no tracked files)
// keeps the workspace from being sealed, so that the sandbox can reach its cache; its .git must
// be sealed instead, or the token is readable by every sandbox user.
func TestSealCoversGitWhenTheCacheIsInTheWorkspace(t *testing.T) {
	ws := t.TempDir()
	p := &Pipeline{Config: config.Config{CacheDir: filepath.Join(ws, ".coldbench-cache")},
		Dir: ws, Getenv: func(k string) string {
			if k == "GITHUB_WORKSPACE" {
				return ws
			}
			return ""
		}}
	dirs := p.runnerDirs()
	for _, d := range dirs {
		if d == ws || strings.HasPrefix(filepath.Join(ws, ".git"), d+"/") || d == filepath.Join(ws, ".git") {
			return
		}
	}
	if !slices.Contains(dirs, filepath.Join(ws, ".git")) {
		t.Errorf("runnerDirs() = %v: neither the workspace %s nor its .git is sealed, so without Landlock .git/config (the token) is open to the sandbox", dirs, ws)
	}
}

package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
)

// Two scheduled refreshes racing on the data branch both land: each writes its own entries and
// pushes at the same moment as the other; the loser's push is rejected, rebased and retried.
// Every entry of both is on the remote branch at the end, the first push into an empty remote
// (the branch created by whichever wins) included.
func TestCommitAndPushRacingWriters(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	bare := filepath.Join(t.TempDir(), "origin.git")
	gitT(t, filepath.Dir(bare), "init", "-q", "--bare", bare)
	const writers, rounds = 2, 4
	dirs := make([]string, writers)
	for w := range dirs {
		dirs[w] = filepath.Join(t.TempDir(), "data")
		gitT(t, filepath.Dir(dirs[w]), "init", "-q", "-b", "coldbench-data", dirs[w])
		gitT(t, dirs[w], "remote", "add", "origin", bare)
	}
	ctx := context.Background()
	var mu sync.Mutex
	tries := map[int]int{}
	for r := 0; r < rounds; r++ {
		var start, done sync.WaitGroup
		start.Add(1)
		for w := range dirs {
			done.Add(1)
			go func() {
				defer done.Done()
				// Each writer's entry has a name no other writer uses (as baseline.Store's).
				testenv.Write(t, dirs[w], fmt.Sprintf("handlers/go/2026120%dT041700.000Z-w%d.json", r, w), fmt.Sprintf(`{"writer":%d,"round":%d}`, w, r))
				start.Wait()
				pushed, n, err := CommitAndPush(ctx, dirs[w], "origin", "coldbench-data", fmt.Sprintf("writer %d round %d", w, r), 10)
				if err != nil || !pushed {
					t.Errorf("writer %d round %d: pushed %v after %d tries: %v", w, r, pushed, n, err)
				}
				mu.Lock()
				tries[n]++
				mu.Unlock()
			}()
		}
		start.Done()
		done.Wait()
	}
	files := strings.Fields(gitT(t, bare, "ls-tree", "-r", "--name-only", "coldbench-data"))
	if len(files) != writers*rounds {
		t.Errorf("remote branch has %d files %v, want all %d writers' entries", len(files), files, writers*rounds)
	}
	if tries[1] == writers*rounds {
		t.Errorf("every push landed first time (%v): the writers never raced, so the retry was not tested", tries)
	}
	t.Logf("pushes by tries: %v", tries)
	// Nothing to commit: nothing pushed, no error.
	if pushed, _, err := CommitAndPush(ctx, dirs[0], "origin", "coldbench-data", "nothing", 3); pushed || err != nil {
		t.Errorf("CommitAndPush(nothing new) = %v, %v", pushed, err)
	}
}

// A push that fails for another reason than a race is reported at once, with git's words.
func TestCommitAndPushReportsOtherFailures(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git")
	dir := filepath.Join(t.TempDir(), "data")
	gitT(t, filepath.Dir(dir), "init", "-q", "-b", "coldbench-data", dir)
	gitT(t, dir, "remote", "add", "origin", filepath.Join(t.TempDir(), "no-such-repo.git"))
	testenv.Write(t, dir, "a.json", "{}")
	pushed, n, err := CommitAndPush(context.Background(), dir, "origin", "coldbench-data", "m", 5)
	if pushed || n != 1 || err == nil || !strings.Contains(err.Error(), "no-such-repo") {
		t.Errorf("CommitAndPush(missing remote) = %v after %d tries, %v; want one try and git's error", pushed, n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.json")); err != nil {
		t.Errorf("the entry is gone locally: %v", err)
	}
}

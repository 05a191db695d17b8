package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/results"
)

// ownerBuilder is fakeBuilder, recording each build's SlotOwner by variant.
type ownerBuilder struct {
	*fakeBuilder
	mu     sync.Mutex
	owners map[string]string
}

func (b *ownerBuilder) Build(ctx context.Context, req build.Request, reference bool) (*results.Artifact, error) {
	b.mu.Lock()
	b.owners[strings.TrimSuffix(req.Name, "-"+req.Arch)] = req.SlotOwner
	b.mu.Unlock()
	return b.fakeBuilder.Build(ctx, req, reference)
}

// Only the head's builds, which run the pull request's code, name an owner for the sandbox's
// caches: the run's, else the head's checkout. Base and the references keep their slots' caches.
func TestPipelineSlotOwnerIsTheHeads(t *testing.T) {
	t.Parallel()
	for _, owner := range []string{"pull request octo/app#7", ""} {
		w := newWorld(t)
		w.p.Config.References = []string{"go"}
		b := &ownerBuilder{fakeBuilder: w.builder, owners: map[string]string{}}
		w.p.Builder, w.p.SlotOwner = b, owner
		w.execute(t)
		want := owner
		if owner == "" {
			want = "checkout " + filepath.Dir(w.p.Config.Handler)
		}
		_, ref := b.owners["go"]
		if b.owners["head"] != want || b.owners["base"] != "" || b.owners["go"] != "" || !ref {
			t.Errorf("SlotOwner %q: builds' owners %q; want head's %q, none for base and the references", owner, b.owners, want)
		}
	}
}

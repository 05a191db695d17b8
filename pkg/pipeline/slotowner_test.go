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
	mu      sync.Mutex
	owners  map[string]string
	trusted map[string]bool
}

func (b *ownerBuilder) Build(ctx context.Context, req build.Request, reference bool) (*results.Artifact, error) {
	b.mu.Lock()
	b.owners[strings.TrimSuffix(req.Name, "-"+req.Arch)] = req.SlotOwner
	b.trusted[strings.TrimSuffix(req.Name, "-"+req.Arch)] = req.SlotTrusted
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
		b := &ownerBuilder{fakeBuilder: w.builder, owners: map[string]string{}, trusted: map[string]bool{}}
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

// A head is trusted code only at the commit the run's event vouches for, unmodified.
func TestPipelineTrustedHead(t *testing.T) {
	t.Parallel()
	head := strings.Repeat("a", 40) // fakeRepo's HEAD
	for _, tc := range []struct {
		trusted string
		dirty   bool
		want    bool
	}{{head, false, true}, {"", false, false}, {strings.Repeat("b", 40), false, false}, {head, true, false}} {
		w := newWorld(t)
		b := &ownerBuilder{fakeBuilder: w.builder, owners: map[string]string{}, trusted: map[string]bool{}}
		w.p.Builder, w.p.TrustedHead, w.repo.dirty = b, tc.trusted, tc.dirty
		w.execute(t)
		if b.trusted["head"] != tc.want || b.trusted["base"] {
			t.Errorf("TrustedHead %q, dirty %v: head's build trusted %v, base's %v; want %v, false", tc.trusted, tc.dirty, b.trusted["head"], b.trusted["base"], tc.want)
		}
	}
}

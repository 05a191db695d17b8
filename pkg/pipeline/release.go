package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/git"
)

// A release gate is a pull request's paired comparison with the previous release as its base:
// `base-ref: previous-tag` builds the latest tag reachable from the candidate (not the
// candidate's own) and samples it in the same run, interleaved with the candidate, so the
// machine's drift cancels as in a pull request's check and budgets are checked in the same run.

// Tagger is a Repository that knows its releases (Git does).
type Tagger interface {
	// PreviousTag is the latest tag reachable from rev that does not point at rev itself.
	PreviousTag(ctx context.Context, root, rev string) (string, error)
}

// PreviousTag is git.PreviousTag.
func (Git) PreviousTag(ctx context.Context, root, rev string) (string, error) {
	return git.PreviousTag(ctx, root, rev)
}

// baseRevision is the revision a base setting names: previous-tag resolved to the release
// before head, anything else as given.
func (p *Pipeline) baseRevision(ctx context.Context, root, base string) (string, error) {
	if base != config.BasePreviousTag {
		return base, nil
	}
	tg, ok := p.Repo.(Tagger)
	if !ok {
		return "", errors.New("base previous-tag: this repository cannot list its tags")
	}
	tag, err := tg.PreviousTag(ctx, root, "HEAD")
	if err != nil {
		return "", fmt.Errorf("base previous-tag: %w", err)
	}
	p.log.printf("base: the previous release %s", tag)
	return tag, nil
}

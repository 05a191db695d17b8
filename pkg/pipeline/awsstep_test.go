package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
)

// checkingSamplers is a Samplers whose Check refuses.
type checkingSamplers struct {
	*fakeSamplers
	checked int
}

func (c *checkingSamplers) Check(ctx context.Context, cfg config.Config) error {
	c.checked++
	return badInput(errors.New("mode aws: credentials: sts GetCallerIdentity failed"))
}

// A Samplers' Check (mode aws: region, credentials, role) runs before anything is built, and
// its refusal ends the run as the input's fault.
func TestCheckBeforeAnyBuild(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cs := &checkingSamplers{fakeSamplers: w.samp}
	w.p.Samplers = cs
	_, err := w.p.Execute(context.Background())
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "GetCallerIdentity") || cs.checked != 1 {
		t.Fatalf("Execute = %v (checked %d), want the check's refusal as bad input", err, cs.checked)
	}
	if built := w.builder.names(); len(built) != 0 || len(w.repo.checkouts) != 0 {
		t.Errorf("built %v, checked out %v before the check", built, w.repo.checkouts)
	}
}

package pipeline

import (
	"context"
	"slices"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
	"github.com/coldbench/coldbench/pkg/verdict"
)

// PreviewRounds is how many rounds the first table of a run of the references alone takes, while
// the slow references build; one of fewer than previewMinRounds (the slow ones came prebuilt or
// cached, and were ready at once) is not shown.
const (
	PreviewRounds    = 10
	previewMinRounds = 3
)

// previewSplit sorts a run of the references alone into the references that build quickly and
// those whose cold build compiles their dependencies (build.Reference.SlowBuild); nothing is
// slow when there is no Preview to show, a head is planned, the run samples on Lambda or takes
// no more rounds than a preview would.
func (p *Pipeline) previewSplit(plan []planned) (quick, slow []planned) {
	if p.Preview == nil || p.Config.Mode == config.ModeAWS || p.Config.Samples <= PreviewRounds {
		return plan, nil
	}
	for _, pv := range plan {
		if pv.role != results.RoleReference {
			return plan, nil
		}
		if r, err := build.Lookup(pv.runtime); err == nil && r.Reference().SlowBuild && pv.err == nil {
			slow = append(slow, pv)
		} else {
			quick = append(quick, pv)
		}
	}
	return quick, slow
}

// buildWithPreview builds the quick references, then the slow ones in the background while the
// quick ones are sampled for PreviewRounds rounds (or until the slow builds are done), whose
// table goes to Preview. Those rounds are a first look measured beside a build: the run's own
// samples are all taken after every build, as without a preview. Variants are recorded in plan
// order.
func (p *Pipeline) buildWithPreview(ctx context.Context, plan, quick, slow []planned, res *results.Results, workDir string) ([]sampling.Variant, error) {
	timed := p.describeHost(res)
	prog := newBuildProgress(p.log, p.Clock, len(plan))
	built := map[string]results.Variant{}
	toSample := map[string]*sampling.Variant{}
	var ready []sampling.Variant
	for _, pv := range quick {
		v, sv, err := p.buildVariant(ctx, pv, res, workDir, timed)
		if err != nil {
			return nil, err
		}
		built[pv.name], toSample[pv.name] = v, sv
		prog.built(pv.name)
		if sv != nil {
			ready = append(ready, *sv)
		}
	}
	var pending []string
	for _, pv := range slow {
		pending = append(pending, pv.name)
	}
	type outcome struct {
		v   results.Variant
		sv  *sampling.Variant
		err error
	}
	slowBuilt := make([]outcome, len(slow))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, pv := range slow {
			v, sv, err := p.buildVariant(ctx, pv, res, workDir, timed)
			slowBuilt[i] = outcome{v, sv, err}
			prog.built(pv.name)
			if err != nil {
				return
			}
		}
	}()
	if len(ready) > 0 {
		var vs []results.Variant
		for _, pv := range quick {
			if toSample[pv.name] != nil {
				vs = append(vs, built[pv.name])
			}
		}
		p.preview(ctx, res, vs, ready, pending, workDir, done)
	}
	<-done
	for i, pv := range slow {
		if slowBuilt[i].err != nil {
			return nil, slowBuilt[i].err
		}
		built[pv.name], toSample[pv.name] = slowBuilt[i].v, slowBuilt[i].sv
	}
	var variants []sampling.Variant
	for _, pv := range plan {
		recordVariant(res, built[pv.name])
		if sv := toSample[pv.name]; sv != nil {
			variants = append(variants, *sv)
		}
	}
	return variants, nil
}

// preview samples the built references in rounds until PreviewRounds are taken or done is
// closed, and shows their table; nothing when fewer than previewMinRounds were taken. A problem here is the real
// sampling's to report: the preview only logs it.
func (p *Pipeline) preview(ctx context.Context, res *results.Results, built []results.Variant, variants []sampling.Variant, pending []string, workDir string, done <-chan struct{}) {
	event, err := p.Config.EventJSON()
	if err != nil {
		return
	}
	pres := &results.Results{SchemaVersion: res.SchemaVersion, Tool: res.Tool, CreatedAt: res.CreatedAt,
		Config: res.Config, Environment: res.Environment, Variants: slices.Clone(built)}
	s, closeSampler, err := p.Samplers.New(ctx, SamplerSpec{Config: p.Config, Function: p.runFunction(), Event: event,
		WorkDir: workDir, Sandbox: p.sandbox, Variants: variants})
	if err != nil {
		p.log.printf("preview: %v", err)
		return
	}
	defer closeSampler()
	pres.Environment.Limits = s.Limits()
	p.log.printf("sampling %d references for a first table while %s is built (up to %d rounds)", len(variants), joinNames(pending), PreviewRounds)
	sched := sampling.NewScheduler(s, res.Config.Seed)
	rounds := 0
rounds:
	for rounds < PreviewRounds {
		select {
		case <-done:
			break rounds
		default:
		}
		got, err := sched.Run(ctx, variants, 1)
		pres.Samples = append(pres.Samples, got...)
		if err != nil {
			return
		}
		rounds++
	}
	if rounds < previewMinRounds {
		return
	}
	pres.Config.Samples = rounds
	pres.Environment.Notes = append(pres.Environment.Notes, "a first look: these rounds ran while "+joinNames(pending)+" built, and are not among the run's samples")
	verdict.Analyze(pres)
	p.Preview(pres, pending)
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " and " + names[len(names)-1]
}

package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// countSampler plays a runtime under valgrind: head counts 1,000 more each start; base's init
// fails (as a runtime that crashes under valgrind, or hits the counted init's time limit, does).
type countSampler struct{ calls map[string]int }

func (c *countSampler) Sample(_ context.Context, v sampling.Variant) results.Sample {
	c.calls[v.Name]++
	if !v.CountInstructions || !v.InitOnly {
		panic("countInit must ask for an init-only counted start")
	}
	if v.Name == "base" {
		return results.Sample{Variant: v.Name, Error: &results.SampleError{Type: "Runtime.ExitError", Phase: results.PhaseInit, Reason: "runtime exited before its first /next: signal: segmentation fault"}}
	}
	return results.Sample{Variant: v.Name, InitMs: 900, Counters: &results.Counters{Instructions: int64(1_000_000 + 1000*c.calls[v.Name])}}
}

func (c *countSampler) Limits() results.Limits { return results.Limits{} }

// A variant whose counted init failed is not counted again (each failure can take minutes), and
// the failure is kept as the reason it has no count.
func TestCountInitStopsAVariantThatFails(t *testing.T) {
	t.Parallel()
	res := &results.Results{Phases: map[string]float64{}, Variants: []results.Variant{{Name: "head", Role: results.RoleHead}, {Name: "base", Role: results.RoleBase}}}
	s := &countSampler{calls: map[string]int{}}
	p := &Pipeline{log: &logger{f: func(string, ...any) {}}, Clock: ClockFunc(time.Now)}
	p.countInit(context.Background(), res, []sampling.Variant{{Name: "head"}, {Name: "base"}}, s)
	if s.calls["head"] != TraceSamples || s.calls["base"] != 1 {
		t.Errorf("counted starts %v: want %d of head, 1 of base", s.calls, TraceSamples)
	}
	var head []int64
	for _, c := range res.InitInstructions {
		switch {
		case c.Variant == "head" && c.Lost == "":
			head = append(head, c.Instructions)
		case c.Variant == "base" && strings.Contains(c.Lost, "init failed under valgrind: runtime exited before its first /next: signal: segmentation fault"):
		default:
			t.Errorf("unexpected count %+v", c)
		}
	}
	if len(head) != TraceSamples || head[0] != 1_001_000 {
		t.Errorf("head's counts %v", head)
	}
	if _, ok := res.Phases["count"]; !ok {
		t.Error("no count phase time")
	}
}

package inittrace

import (
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/results"
)

func TestParsers(t *testing.T) {
	t.Parallel()
	goOut := `init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.040 ms, 0.051 ms clock, 0 bytes, 0 allocs
some handler output
init github.com/aws/aws-sdk-go-v2/service/dynamodb @3.1 ms, 9.8 ms clock, 1048576 bytes, 2048 allocs
`
	if got := ParseGo(goOut); len(got) != 3 || got[2] != (results.TraceUnit{Name: "github.com/aws/aws-sdk-go-v2/service/dynamodb", Ms: 9.8, Bytes: 1048576, Allocs: 2048}) {
		t.Errorf("ParseGo = %+v", got)
	}
	pyOut := `import time: self [us] | cumulative | imported package
import time:       157 |        157 |   _io
import time:       900 |      12000 | json
import time:       400 |       3000 |   json.decoder
import time:      5000 |      50000 | boto3
`
	got := ParsePython(pyOut)
	if len(got) != 2 || got[0] != (results.TraceUnit{Name: "json", Ms: 12}) || got[1].Name != "boto3" || got[1].Ms != 50 {
		t.Errorf("ParsePython = %+v, want the top-level modules (one space deep) with their cumulative times", got)
	}
	nodeOut := "coldbench-init 0.250 file:///var/task/node_modules/ms/index.js\nconsole says hi\ncoldbench-init 12.5 file:///tmp/x/task/rules.mjs\n"
	if got := ParseNode(nodeOut); len(got) != 2 || got[0].Name != "ms/index.js" || got[1] != (results.TraceUnit{Name: "./rules.mjs", Ms: 12.5}) {
		t.Errorf("ParseNode = %+v", got)
	}
}

func TestDiffAndCause(t *testing.T) {
	t.Parallel()
	u := func(name string, ms float64, allocs int64) results.TraceUnit {
		return results.TraceUnit{Name: name, Ms: ms, Allocs: allocs}
	}
	base := Median([][]results.TraceUnit{
		{u("runtime", 0.05, 0), u("app", 1.0, 10)},
		{u("runtime", 0.06, 0), u("app", 1.2, 10)},
		{u("runtime", 0.05, 0), u("app", 1.1, 10)},
	})
	head := Median([][]results.TraceUnit{
		{u("runtime", 0.05, 0), u("app", 1.1, 10), u("sdk", 9.0, 2000)},
		{u("runtime", 0.07, 0), u("app", 1.0, 10), u("sdk", 10.0, 2000)},
		{u("runtime", 0.05, 0), u("app", 1.2, 10), u("sdk", 30.0, 2000)}, // one slow trace: the median holds
	})
	d := Diff(base, head, 10, 0.05)
	if len(d) != 1 || d[0].Name != "sdk" || !d[0].New || d[0].DeltaMs != 10 || d[0].HeadAllocs != 2000 {
		t.Fatalf("Diff = %+v, want the new sdk package alone", d)
	}
	baseTraces := [][]results.TraceUnit{{u("runtime", 0.05, 0), u("app", 1.0, 10)}, {u("app", 1.2, 10)}}
	headTraces := [][]results.TraceUnit{{u("sdk", 9.0, 2000)}, {u("sdk", 10.0, 2000)}}
	if c := Cause(d, Ranges(baseTraces), Ranges(headTraces), 1); c != "`sdk` init: +10.0 ms, new in head, 2000 more allocations" {
		t.Errorf("Cause = %q", c)
	}
	// Growth spread over many units names none; nor does jitter in a big unit (+1.3 ms of 15 ms),
	// nor a growth that some traced starts do not show.
	spread := []results.UnitDelta{{Name: "a", DeltaMs: 1.2}, {Name: "b", DeltaMs: 1.1}, {Name: "c", DeltaMs: 1}}
	jitter := []results.UnitDelta{{Name: "ric", BaseMs: 15, HeadMs: 16.3, DeltaMs: 1.3}}
	overlap := []results.UnitDelta{{Name: "app", BaseMs: 2, HeadMs: 5, DeltaMs: 3}}
	r := func(lo, hi float64) map[string][2]float64 {
		return map[string][2]float64{"a": {lo, hi}, "ric": {lo, hi}, "app": {lo, hi}}
	}
	for name, ds := range map[string][]results.UnitDelta{"spread": spread, "jitter": jitter} {
		if c := Cause(ds, r(0, 1), r(2, 30), 1); c != "" {
			t.Errorf("Cause(%s) = %q, want none", name, c)
		}
	}
	if c := Cause(overlap, r(1.5, 4), r(3, 6), 1); c != "" {
		t.Errorf("Cause(overlapping traces) = %q, want none", c)
	}
}

func TestTracerEnv(t *testing.T) {
	t.Parallel()
	tr := Go()
	env := tr.MergeEnv(map[string]string{"GODEBUG": "madvdontneed=1", "TABLE": "x"})
	if env["GODEBUG"] != "madvdontneed=1,inittrace=1" || env["TABLE"] != "x" {
		t.Errorf("MergeEnv = %v", env)
	}
	node := Node()
	if !strings.HasPrefix(node.Env["NODE_OPTIONS"], "--import=data:text/javascript,") {
		t.Errorf("node tracer env %v", node.Env)
	}
}

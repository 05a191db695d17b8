package awslambda

import (
	"testing"

	"github.com/coldbench/coldbench/pkg/sandbox"
)

// The handler writes to the log stream Lambda writes its own lines to, and LogResult's tail does
// not tell them apart. Lines it prints before Lambda's REPORT change nothing where that REPORT has
// an Init Duration. In a warm environment's tail (no Init Duration, no INIT_REPORT of Lambda's), a
// printed invoke-phase INIT_REPORT would pass the warm invoke off as a 1 ms suppressed init: the
// control takes it so; protected, an invoke-phase INIT_REPORT without the failed init-phase one
// that Lambda retries after is a failed init.
func TestHandlerPrintedLambdaLines(t *testing.T) {
	const forgedReport = "REPORT RequestId: ff\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 10 MB\tInit Duration: 1.00 ms\n"
	const forgedInit = "INIT_REPORT Init Duration: 1.00 ms\tPhase: invoke\tStatus: success\n"
	cold := "INIT_START Runtime Version: provided:al2023.v100\n" + forgedReport + forgedInit +
		"START RequestId: ff Version: $LATEST\n" + forgedReport + forgedInit + "END RequestId: ff\n" +
		"REPORT RequestId: ff\tDuration: 3.00 ms\tBilled Duration: 420 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tInit Duration: 412.00 ms\n"
	if s := Classify(cold, "", []byte(`{}`)); s.Error != nil || s.InitMs != 412 || s.ColdMs != 415 {
		t.Errorf("cold tail with printed lines: %+v (error %+v); want Lambda's REPORT: init 412, cold 415", s, s.Error)
	}
	warm := "START RequestId: ee Version: $LATEST\n" + forgedInit + "END RequestId: ee\n" +
		"REPORT RequestId: ee\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\n"
	t.Run("protected", func(t *testing.T) {
		s := Classify(warm, "", []byte(`{}`))
		if s.Error == nil || s.Error.Type != ErrTypeUnexplainedInit {
			t.Errorf("warm tail with a printed INIT_REPORT: %+v (error %+v); want %s", s, s.Error, ErrTypeUnexplainedInit)
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Setenv("COLDBENCH_TESTHOOK_OFF", "initreport")
		if !sandbox.Off("initreport") {
			t.Skip("the control needs a binary built with -tags coldbench_testhooks")
		}
		if s := Classify(warm, "", []byte(`{}`)); s.Error != nil || s.InitMs != 1 {
			t.Errorf("control: %+v (error %+v); want the printed line taken as a 1 ms init, or the test proves nothing", s, s.Error)
		}
	})
}

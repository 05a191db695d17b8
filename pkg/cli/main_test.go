package cli

import (
	"os"
	"testing"

	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sandbox"
)

// TestMain lets this test binary serve as the sandbox's helper: builds and handlers started by
// the tests re-execute it, as they re-execute coldbench in production.
func TestMain(m *testing.M) {
	sandbox.Init()
	testenv.ShareGoStd()
	// One owner for every head slot the tests use: each test's repository would otherwise be
	// another owner's, and every head build would start from empty caches. The tests of the
	// owner rule set their own (TestRunSlotOwner, TestHostileCachePoisonsTheNextPullRequest).
	if os.Getenv("COLDBENCH_SLOT_OWNER") == "" {
		_ = os.Setenv("COLDBENCH_SLOT_OWNER", "coldbench's tests")
	}
	os.Exit(m.Run())
}

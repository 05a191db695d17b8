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
	os.Exit(m.Run())
}

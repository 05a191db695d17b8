package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// calibrate stops when it is interrupted (Ctrl-C, SIGTERM: the context main cancels) and prints
// the rows it finished; run to the end, it prints every row.
func TestCalibrateStopsWhenInterrupted(t *testing.T) {
	t.Parallel()
	from, err := filepath.Abs(filepath.Join("..", "verdict", "testdata", "recorded-go-rust.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, between := range []bool{false, true} {
		args := []string{"calibrate", "--from", from, "--trials", "10"}
		if between {
			args = append(args, "--between-runs")
		} else {
			args = append(args, "--variants", "go")
		}
		env, out, errb := testEnv(t.TempDir())
		if code := Main(context.Background(), args, env); code != ExitOK || strings.Count(out.String(), "%") < 8 {
			t.Fatalf("%v: exit %d, want 0 and a table\n%s%s", args, code, out, errb)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		env, out, errb = testEnv(t.TempDir())
		code := Main(ctx, args, env)
		if code != ExitFailure || !strings.Contains(errb.String(), "calibrate interrupted; the 0 rows above") || !strings.Contains(out.String(), "pool") {
			t.Errorf("%v interrupted: exit %d, want 3, the table's header and why\n%s%s", args, code, out, errb)
		}
	}
}

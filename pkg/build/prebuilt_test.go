package build

import (
	"context"
	"errors"
	"testing"
	"time"
)

// One process at a time builds a reference: a second claim waits (and says so once) until the
// first is released, or gives up with its context; claims of other references do not wait.
func TestPrebuiltClaimTakesTurns(t *testing.T) {
	t.Parallel()
	p := Prebuilt{Dir: t.TempDir()}
	release, err := p.Claim(context.Background(), "rust", ArchARM64, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.Claim(context.Background(), "rust", ArchX8664, func() { t.Error("another arch's claim waited") })
	if err != nil {
		t.Fatal(err)
	}
	other()

	waits := 0
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := p.Claim(ctx, "rust", ArchARM64, func() { waits++ }); !errors.Is(err, context.DeadlineExceeded) || waits != 1 {
		t.Fatalf("a held claim: err %v after %d waits, want the deadline after 1", err, waits)
	}

	got := make(chan error)
	go func() {
		r, err := p.Claim(context.Background(), "rust", ArchARM64, nil)
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("claimed while held (err %v)", err)
	default:
	}
	release()
	if err := <-got; err != nil {
		t.Fatalf("after release: %v", err)
	}
}

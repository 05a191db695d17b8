package awslambda

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/coldbench/coldbench/pkg/internal/fakelambda"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// BenchmarkWaves measures K copies per variant against the fake with Lambda's control-plane
// limits (15 requests a second, GetFunction 100) and a 1–3 s update latency: 100 rounds of head
// and base with K=10, beside a few rounds with K=1 whose time per round is extrapolated to 100.
//
//	go test -run '^$' -bench Waves -benchtime 1x ./pkg/awslambda/
func BenchmarkWaves(b *testing.B) {
	art := shellZip(b)
	latency := func() time.Duration { return time.Second + rand.N(2*time.Second) }
	run := func(copies, rounds int) (time.Duration, int) {
		fake := fakelambda.NewWithOptions(b, fakelambda.Options{ControlRate: 15, GetRate: 100, UpdateLatency: latency, Parallel: 2})
		r, err := New(Config{Client: client(fake.URL), Logs: logsClient(fake.URL), RoleARN: testRole, MemoryMB: 512, Arch: "arm64", Copies: copies})
		if err != nil {
			b.Fatal(err)
		}
		variants := []sampling.Variant{{Name: "head", Artifact: art}, {Name: "base", Artifact: art}}
		ctx := context.Background()
		if err := r.Deploy(ctx, variants); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		samples, err := sampling.NewScheduler(r, 1).Run(ctx, variants, rounds)
		took := time.Since(start)
		if cerr := r.Close(ctx); cerr != nil {
			b.Error(cerr)
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range samples {
			if s.Error != nil {
				b.Fatalf("sample %+v (error %+v)", s, s.Error)
			}
		}
		return took, fake.Throttled()
	}
	for i := 0; i < b.N; i++ {
		seq, _ := run(1, 5)
		par, throttled := run(10, 100)
		seq100 := seq / 5 * 100
		b.ReportMetric(par.Seconds(), "s/100rounds-K10")
		b.ReportMetric(seq100.Seconds(), "s/100rounds-K1")
		b.Logf("100 rounds of head and base, 1-3 s update latency: K=10 %.0f s (%d requests throttled and retried); K=1 %.0f s (5 rounds, extrapolated); %.1fx",
			par.Seconds(), throttled, seq100.Seconds(), seq100.Seconds()/par.Seconds())
	}
}

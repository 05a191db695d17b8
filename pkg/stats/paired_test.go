package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSignedRank(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4, 5}, 2.0 / 32},          // every sign positive: 2 * 1/2^5
		{[]float64{1, -2, 3, -4, 5}, 0.8125},          // W+ = 9 of 15: 2 * P(W <= 6) = 2 * 13/32
		{[]float64{0, 0, 0}, 1},                       // no non-zero difference
		{[]float64{-1, -2, -3, -4, -5, -6}, 2.0 / 64}, // every sign negative
	} {
		if got := SignedRank(tt.d); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("SignedRank(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestFailureRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		hf, hn, bf, bn int
		want           float64
	}{
		{5, 50, 0, 50, 0.0281422}, // C(50,5)/C(100,5)
		{0, 50, 0, 50, 1},
		{20, 20, 0, 20, 1.0 / 137846528820}, // every head sample failed: 1 / C(40,20)
		{1, 50, 3, 50, 0.941268},            // 1 - C(96,50)/C(100,50)
	} {
		if got := FailureRate(tt.hf, tt.hn, tt.bf, tt.bn); math.Abs(got-tt.want) > 1e-4*math.Max(tt.want, 1e-8) && math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("FailureRate(%d/%d vs %d/%d) = %.6g, want %.6g", tt.hf, tt.hn, tt.bf, tt.bn, got, tt.want)
		}
	}
}

// Pairing cancels drift common to a round: on data whose rounds drift by ±20%, the paired
// interval of a 10% shift is several times narrower than the unpaired one, and covers 10%.
func TestComparePairedCancelsRoundDrift(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	var head, base []float64
	for i := 0; i < 60; i++ {
		drift := math.Exp(rng.NormFloat64() * 0.2)
		base = append(base, 40*drift*math.Exp(rng.NormFloat64()*0.02))
		head = append(head, 44*drift*math.Exp(rng.NormFloat64()*0.02))
	}
	p, err := ComparePaired("init_ms", head, base, DefaultRule, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Compare("init_ms", head, base, DefaultRule)
	if err != nil {
		t.Fatal(err)
	}
	pw, uw := p.CIHighPct-p.CILowPct, u.CIHighPct-u.CILowPct
	if !(p.CILowPct < 10 && 10 < p.CIHighPct) || p.Verdict != Regression || pw*3 > uw {
		t.Errorf("paired: shift %.1f%% [%.1f, %.1f] %s; unpaired [%.1f, %.1f]; want 10%% covered, a regression, and a paired interval under a third as wide",
			p.ShiftPct, p.CILowPct, p.CIHighPct, p.Verdict, u.CILowPct, u.CIHighPct)
	}
	// Small samples: the exact interval holds 10% too.
	sp, err := ComparePaired("init_ms", head[:12], base[:12], DefaultRule, 0.95)
	if err != nil || !(sp.CILowPct < 10 && 10 < sp.CIHighPct) {
		t.Errorf("paired, 12 pairs: [%.1f, %.1f], %v; want 10%% covered", sp.CILowPct, sp.CIHighPct, err)
	}
}

// The small-sample interval of the unpaired shift comes from the exact distribution of U: at 4
// a side no pair of order statistics reaches 95%, so the interval is every difference.
func TestExactHLInterval(t *testing.T) {
	t.Parallel()
	if k := exactHLCIIndex(4, 4, 0.95); k != 0 {
		t.Errorf("exactHLCIIndex(4, 4) = %d, want 0 (P(U <= 0) = 1/70 <= 0.025 < P(U <= 1) = 2/70)", k)
	}
	// Identical samples: a tail comparison has no evidence of a change.
	xs := []float64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	c, err := CompareQuantile("init_ms_p90", 0.9, xs, xs, DefaultRule, 500, 1)
	if err != nil || c.PValue < 0.5 {
		t.Errorf("CompareQuantile(identical) p = %v, %v; want no evidence (p near 1)", c.PValue, err)
	}
}

package cli

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"strings"
	"time"
)

// progress reports sampling: a redrawn bar on a terminal, a line every tenth of the work in CI
// logs (which keep every byte, so a bar would print thousands of lines), nothing with --quiet.
type progress struct {
	env      Env
	quiet    bool
	total    int
	start    time.Time
	lastLine int
	failed   int
}

func newProgress(env Env, quiet bool, total int) *progress {
	return &progress{env: env, quiet: quiet, total: total, start: env.Now()}
}

func (p *progress) update(done, total int, s results.Sample) {
	if s.Error != nil {
		p.failed++
	}
	if p.quiet || total == 0 {
		return
	}
	elapsed := p.env.Now().Sub(p.start)
	eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done)).Round(time.Second)
	if p.env.IsTerminal {
		const width = 30
		filled := width * done / total
		bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		fmt.Fprintf(p.env.Stderr, "\r[%s] %d/%d  %-12s  failed %d  ETA %s   ", bar, done, total, s.Variant, p.failed, eta)
		return
	}
	if step := max(1, total/10); done-p.lastLine >= step || done == total {
		p.lastLine = done
		fmt.Fprintf(p.env.Stderr, "sampled %d/%d cold starts (%d failed), ETA %s\n", done, total, p.failed, eta)
	}
}

func (p *progress) done() {
	if !p.quiet && p.env.IsTerminal && p.total > 0 {
		fmt.Fprintf(p.env.Stderr, "\r%s\r", strings.Repeat(" ", 80))
	}
}

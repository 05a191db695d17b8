package pipeline

import (
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"io"
	"strings"
	"time"
)

// progress reports sampling: a redrawn bar on a terminal, a line every tenth of the work in CI
// logs (which keep every byte, so a bar would print thousands of lines), nothing with --quiet.
type progress struct {
	w        io.Writer
	terminal bool
	clock    Clock
	quiet    bool
	total    int
	start    time.Time
	lastLine int
	failed   int
}

func newProgress(w io.Writer, terminal bool, clock Clock, quiet bool, total int) *progress {
	return &progress{w: w, terminal: terminal, clock: clock, quiet: quiet, total: total, start: clock.Now()}
}

func (p *progress) update(done, total int, s results.Sample) {
	if s.Error != nil {
		p.failed++
	}
	if p.quiet || total == 0 {
		return
	}
	elapsed := p.clock.Now().Sub(p.start)
	eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done)).Round(time.Second)
	if p.terminal {
		const width = 30
		filled := width * done / total
		bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		fmt.Fprintf(p.w, "\r[%s] %d/%d  %-12s  failed %d  ETA %s   ", bar, done, total, s.Variant, p.failed, eta)
		return
	}
	if step := max(1, total/10); done-p.lastLine >= step || done == total {
		p.lastLine = done
		fmt.Fprintf(p.w, "sampled %d/%d cold starts (%d failed), ETA %s\n", done, total, p.failed, eta)
	}
}

func (p *progress) done() {
	if !p.quiet && p.terminal && p.total > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 80))
	}
}

// buildProgress says how far the builds are, a line a variant, with an ETA as sampling's: the
// time per build so far times the builds left (a cold Rust build is slower than the mean, a
// prebuilt one faster; the line names what was built and how long it took).
type buildProgress struct {
	log         *logger
	clock       Clock
	total, done int
	start, last time.Time
}

func newBuildProgress(log *logger, clock Clock, total int) *buildProgress {
	now := clock.Now()
	return &buildProgress{log: log, clock: clock, total: total, start: now, last: now}
}

// built records that the variant called name is built (or failed to).
func (b *buildProgress) built(name string) {
	b.done++
	now := b.clock.Now()
	took := now.Sub(b.last)
	b.last = now
	if b.total < 2 {
		return
	}
	line := fmt.Sprintf("built %d/%d variants (%s: %.1fs)", b.done, b.total, name, took.Seconds())
	if left := b.total - b.done; left > 0 {
		eta := time.Duration(float64(now.Sub(b.start)) / float64(b.done) * float64(left)).Round(time.Second)
		line += fmt.Sprintf(", ETA %s", eta)
	}
	b.log.printf("%s", line)
}

package runner

import (
	"fmt"
	"os"
	"sync"
)

// capture drains a handler's stdout and stderr so it never blocks on a full pipe, keeping only the
// first and last bytes: a handler that floods its output costs a bounded amount of memory, and the
// report still shows how it started and how it ended.
type capture struct {
	mu    sync.Mutex
	head  []byte
	tail  []byte // ring buffer
	tpos  int
	total int64
	limit int
	done  chan struct{}
}

func newCapture(r *os.File, limit int) *capture {
	c := &capture{limit: limit, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer r.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				c.write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

func (c *capture) write(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(len(p))
	headMax := c.limit / 4
	if len(c.head) < headMax {
		n := min(headMax-len(c.head), len(p))
		c.head = append(c.head, p[:n]...)
		p = p[n:]
	}
	tailMax := c.limit - headMax
	for len(p) > 0 && tailMax > 0 {
		if len(c.tail) < tailMax {
			n := min(tailMax-len(c.tail), len(p))
			c.tail = append(c.tail, p[:n]...)
			p = p[n:]
			continue
		}
		n := copy(c.tail[c.tpos:], p)
		c.tpos = (c.tpos + n) % tailMax
		p = p[n:]
	}
}

// text returns what was kept, with a marker where bytes were dropped.
func (c *capture) text() (string, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tail := append(append([]byte(nil), c.tail[c.tpos:]...), c.tail[:c.tpos]...)
	kept := int64(len(c.head) + len(tail))
	if c.total > kept {
		return string(c.head) + fmt.Sprintf("\n[... %d bytes of output dropped ...]\n", c.total-kept) + string(tail), c.total
	}
	return string(c.head) + string(tail), c.total
}

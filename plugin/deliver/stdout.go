package deliver

import (
	"context"
	"io"
	"sync"
)

// stdoutPoster is the stdout intake: each batch is one write of NDJSON, serialised so
// that the batches of concurrent flushes never interleave. Deliver does not retry a
// failed write in the flush (a half-written batch would only be repeated): the chunk goes
// back to Fluent Bit with Retry.
type stdoutPoster struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *stdoutPoster) Post(_ context.Context, body []byte, _ string) Answer {
	p.mu.Lock()
	_, err := p.w.Write(body)
	p.mu.Unlock()
	if err != nil {
		return Answer{Err: err}
	}
	return Answer{Status: 200}
}

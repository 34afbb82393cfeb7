package deliver

import "sync"

// progressEntries is how many partly done request bodies a Sender remembers. Partial
// outcomes are rare (a per-item answer with retries left, a 413 split with one half
// done, when the retry budget then runs out), so this covers far more chunks than Fluent
// Bit keeps in flight for retries.
const progressEntries = 1024

// progress remembers, for request bodies only partly done when their flush ended, which
// of their documents are done: a bitmap by position, keyed by the body's hash (the
// memory's hash, so the key is the content of the request). When Fluent Bit retries the
// chunk, the same request is formed again and only its rest is sent, for every intake,
// with or without ids. It is a bounded FIFO; the bitmaps (one bit per document) are
// allocated only when a partial outcome happens.
type progress struct {
	mu   sync.Mutex
	m    map[bodyKey][]uint64
	ring []bodyKey
	next int
}

func newProgress(entries int) *progress {
	return &progress{m: make(map[bodyKey][]uint64, entries), ring: make([]bodyKey, entries)}
}

// load copies the bitmap of h into dst and returns it.
func (p *progress) load(h bodyKey, dst []uint64) ([]uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) == 0 {
		return dst, false
	}
	b, ok := p.m[h]
	if !ok {
		return dst, false
	}
	return append(dst, b...), true
}

// store remembers a copy of bits for h, forgetting the oldest entry when full.
func (p *progress) store(h bodyKey, bits []uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.m[h]; ok && len(old) == len(bits) {
		copy(old, bits)
		return
	}
	if _, ok := p.m[h]; !ok {
		if evict := p.ring[p.next]; evict != (bodyKey{}) {
			delete(p.m, evict)
		}
		p.ring[p.next] = h
		p.next = (p.next + 1) % len(p.ring)
	}
	p.m[h] = append([]uint64(nil), bits...)
}

// drop forgets h (its body is now wholly done).
func (p *progress) drop(h bodyKey) {
	p.mu.Lock()
	if len(p.m) > 0 {
		delete(p.m, h)
	}
	p.mu.Unlock()
}

func (p *progress) reset() {
	p.mu.Lock()
	clear(p.m)
	clear(p.ring)
	p.next = 0
	p.mu.Unlock()
}

package kafka

import "sync"

// inflight holds the digests of documents whose records a flush left with franz-go when
// its budget ended while their request was out (the broker may have written them, its
// answer is not back). franz-go keeps retrying them under the same producer id and
// sequence, so the broker keeps at most one copy; when the answer comes, the promise
// moves the digest to the acknowledged memory (or drops it on a failure). A chunk
// retried meanwhile does not produce these documents again: it is Retry until they
// settle. That is what keeps the retry of a chunk from writing an event twice.
type inflight struct {
	mu  sync.Mutex
	set map[digest]int // digest → records of it in flight
}

func newInflight() *inflight { return &inflight{set: make(map[digest]int)} }

func (f *inflight) has(d digest) bool {
	f.mu.Lock()
	_, ok := f.set[d]
	f.mu.Unlock()
	return ok
}

func (f *inflight) add(d digest) {
	f.mu.Lock()
	f.set[d]++
	f.mu.Unlock()
}

func (f *inflight) done(d digest) {
	f.mu.Lock()
	if f.set[d]--; f.set[d] <= 0 {
		delete(f.set, d)
	}
	f.mu.Unlock()
}

package instance

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// retriedEntries bounds how many chunks handed back with Retry an instance remembers:
// far more than Fluent Bit keeps in retry at once for one output.
const retriedEntries = 1024

// chunkKey identifies a chunk's bytes: two 64-bit hashes under independent secret seeds,
// so that two different chunks are never taken for one (see deliver's bodyKey).
type chunkKey [2]uint64

// retried remembers the chunks an instance answered Retry, so that their records and
// documents are counted once, on the first attempt, and not again each time Fluent Bit
// hands the same chunk back. A chunk leaves the set when it is finally done (OK), so an
// identical chunk read later (the same events shipped twice) counts again, as it should.
//
// The steady state costs nothing: while no chunk is in retry the set is empty and Flush
// does not even hash its chunk. Memory is bounded (a FIFO of retriedEntries); a chunk
// forgotten while still in retry is at worst counted again.
type retried struct {
	seed [2]maphash.Seed
	n    atomic.Int32 // entries in m, read without the lock
	mu   sync.Mutex
	m    map[chunkKey]retryTimes
	ring []chunkKey
	next int
}

// retryTimes are a retried chunk's first attempt and its latest, Unix nanoseconds: the
// first is how long its documents wait (the oldest-undelivered gauge), the latest tells
// a chunk Fluent Bit still retries from one it gave up.
type retryTimes struct{ first, last int64 }

func newRetried() *retried {
	return &retried{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (r *retried) key(chunk []byte) chunkKey {
	return chunkKey{maphash.Bytes(r.seed[0], chunk), maphash.Bytes(r.seed[1], chunk)}
}

// empty reports whether no chunk is in retry: then no chunk is a retry.
func (r *retried) empty() bool { return r.n.Load() == 0 }

// has reports whether k is in retry, and when it was first tried.
func (r *retried) has(k chunkKey) (int64, bool) {
	r.mu.Lock()
	t, ok := r.m[k]
	r.mu.Unlock()
	return t.first, ok
}

// oldest is the first attempt of the oldest chunk whose latest attempt is after
// notBefore (Unix ns), 0 when none.
func (r *retried) oldest(notBefore int64) int64 {
	if r.empty() {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var o int64
	for _, t := range r.m {
		if t.last >= notBefore && (o == 0 || t.first < o) {
			o = t.first
		}
	}
	return o
}

// add remembers k, first tried at first and again at last, forgetting the oldest chunk
// when full; for a k already in retry it updates the latest attempt.
func (r *retried) add(k chunkKey, first, last int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[chunkKey]retryTimes)
		r.ring = make([]chunkKey, retriedEntries)
	}
	if t, ok := r.m[k]; ok {
		t.last = last
		r.m[k] = t
		return
	}
	if old := r.ring[r.next]; old != (chunkKey{}) {
		delete(r.m, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.m[k] = retryTimes{first, last}
	r.n.Store(int32(len(r.m)))
}

// drop forgets k: its chunk is done.
func (r *retried) drop(k chunkKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[k]; !ok {
		return
	}
	delete(r.m, k)
	for i := range r.ring {
		if r.ring[i] == k {
			r.ring[i] = chunkKey{}
		}
	}
	r.n.Store(int32(len(r.m)))
}

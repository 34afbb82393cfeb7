package kafka

import "sync"

// ackedEntries bounds the memory of acknowledged documents: about 1 MB.
const ackedEntries = 1 << 16

// acked remembers the digests of the last documents the broker acknowledged, so that a
// chunk handed back with Retry after part of it was acknowledged re-produces only the
// rest. The digest is 128 bits of the document's SHA-256: identical digests are
// identical documents, that is the same audit event, so skipping one never loses an
// event. Eviction is first in, first out; an evicted or forgotten entry (a restart) can
// only make a document produced twice, which the event id lets a consumer drop.
type acked struct {
	mu   sync.Mutex
	set  map[digest]struct{}
	ring []digest
	next int
	full bool
}

func newAcked(n int) *acked {
	return &acked{set: make(map[digest]struct{}, n), ring: make([]digest, n)}
}

func (a *acked) has(d digest) bool {
	a.mu.Lock()
	_, ok := a.set[d]
	a.mu.Unlock()
	return ok
}

// add records one digest.
// add records d and reports whether it was new: a document acknowledged twice (a retry
// raced the late answer of its first produce) is counted once.
func (a *acked) add(d digest) bool {
	a.mu.Lock()
	_, seen := a.set[d]
	a.mu.Unlock()
	a.addAll([]digest{d}, []bool{true})
	return !seen
}

// addAll records the digests of ds whose ok[i] is true, under one lock.
func (a *acked) addAll(ds []digest, ok []bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, d := range ds {
		if !ok[i] {
			continue
		}
		if _, dup := a.set[d]; dup {
			continue
		}
		if a.full {
			delete(a.set, a.ring[a.next])
		}
		a.ring[a.next] = d
		a.set[d] = struct{}{}
		if a.next++; a.next == len(a.ring) {
			a.next, a.full = 0, true
		}
	}
}

func (a *acked) reset() {
	a.mu.Lock()
	clear(a.set)
	a.next, a.full = 0, false
	a.mu.Unlock()
}

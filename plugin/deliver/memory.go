package deliver

import (
	"hash/maphash"
	"sync"
)

// memoryEntries is how many request bodies a Sender remembers as done. A 2 MB chunk
// makes one or two requests, so this covers thousands of chunks: far more than Fluent
// Bit keeps in flight for retries.
const memoryEntries = 4096

// memory is a bounded FIFO set of hashes of request bodies that are done (accepted with
// 2xx, or set aside in the dead-letter file). It is an open-addressing table with linear
// probing and backward-shift deletion plus a ring for the FIFO order: fixed memory and no
// allocation after New, unlike a Go map under constant insert/delete churn.
type memory struct {
	seed  maphash.Seed
	mu    sync.Mutex
	ring  []uint64 // insertion order; ring[next] is the oldest once full
	next  int
	n     int
	slots []uint64 // 0 = empty; power-of-two length, at most half full
}

func newMemory(entries int) *memory {
	size := 1
	for size < 2*entries {
		size <<= 1
	}
	return &memory{seed: maphash.MakeSeed(), ring: make([]uint64, entries), slots: make([]uint64, size)}
}

// hash keys a body. maphash is fast and its per-process seed is fine: the memory lives
// in the process too. 0 marks an empty slot, so it is remapped.
func (m *memory) hash(body []byte) uint64 {
	h := maphash.Bytes(m.seed, body)
	if h == 0 {
		h = 1
	}
	return h
}

func (m *memory) has(h uint64) bool {
	m.mu.Lock()
	_, ok := m.find(h)
	m.mu.Unlock()
	return ok
}

// add remembers h, forgetting the oldest entry when full.
func (m *memory) add(h uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.find(h); ok {
		return
	}
	if m.n == len(m.ring) {
		m.remove(m.ring[m.next])
	} else {
		m.n++
	}
	m.ring[m.next] = h
	m.next = (m.next + 1) % len(m.ring)
	mask := uint64(len(m.slots) - 1)
	i := h & mask
	for m.slots[i] != 0 {
		i = (i + 1) & mask
	}
	m.slots[i] = h
}

func (m *memory) find(h uint64) (uint64, bool) {
	mask := uint64(len(m.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch m.slots[i] {
		case h:
			return i, true
		case 0:
			return 0, false
		}
	}
}

// remove deletes h and shifts later entries of its probe run back, so lookups never need
// tombstones.
func (m *memory) remove(h uint64) {
	i, ok := m.find(h)
	if !ok {
		return
	}
	mask := uint64(len(m.slots) - 1)
	for j := (i + 1) & mask; m.slots[j] != 0; j = (j + 1) & mask {
		home := m.slots[j] & mask
		// The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
		if (i < j && i < home && home <= j) || (i > j && (home > i || home <= j)) {
			continue
		}
		m.slots[i] = m.slots[j]
		i = j
	}
	m.slots[i] = 0
}

// reset forgets everything (tests and benchmarks).
func (m *memory) reset() {
	m.mu.Lock()
	clear(m.slots)
	clear(m.ring)
	m.n, m.next = 0, 0
	m.mu.Unlock()
}

package deliver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// memoryEntries is how many request bodies a Sender remembers as done. A 2 MB chunk
// makes one or two requests, so this covers thousands of chunks: far more than Fluent
// Bit keeps in flight for retries.
const memoryEntries = 4096

// bodyKey identifies a request body: 128 bits of a hash keyed by a secret no client can
// learn. Skipping a body because its key is remembered must never skip a different body
// (that would drop an event silently), and the body bytes are partly chosen by whoever
// writes audit events, so the key must hold against bodies shaped on purpose, not only
// by chance. The zero key marks an empty slot.
//
// The hash is GMAC: AES-GCM sealing no plaintext, with the body as additional data, under
// a random per-process AES key and a fixed nonce. Its core, GHASH under the secret
// H = AES_K(0), is almost-XOR-universal: two different bodies of at most L 16-byte
// blocks get the same tag with probability at most (L+1)/2^128 (about 2^-111 for 5 MB
// bodies), whatever their bytes, as long as K is secret; the tags never leave the
// process. One pass of GHASH (PCLMULQDQ) runs at about 1.7x the speed of the two maphash
// passes it replaces, and the raw road without gzip hashes every byte it sends. Where
// GCM is refused (Go's FIPS 140-only mode) the key is two 64-bit maphashes under
// independent secret seeds instead, as before.
type bodyKey [2]uint64

// memory is a bounded FIFO set of keys of request bodies that are done (accepted with
// 2xx, or set aside in the dead-letter file). It is an open-addressing table with linear
// probing and backward-shift deletion plus a ring for the FIFO order: fixed memory and no
// allocation after New, unlike a Go map under constant insert/delete churn.
type memory struct {
	mac   cipher.AEAD // GMAC (see bodyKey); nil: the maphash pair under seed
	nonce [12]byte
	seed  [2]maphash.Seed
	mu    sync.Mutex
	ring  []bodyKey // insertion order; ring[next] is the oldest once full
	next  int
	n     int
	slots []bodyKey // zero = empty; power-of-two length, at most half full
}

func newMemory(entries int) *memory {
	size := 1
	for size < 2*entries {
		size <<= 1
	}
	m := &memory{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, ring: make([]bodyKey, entries), slots: make([]bodyKey, size)}
	var k [16]byte
	rand.Read(k[:]) // never fails (crypto/rand, Go 1.24 and later)
	if b, err := aes.NewCipher(k[:]); err == nil {
		if g, err := cipher.NewGCM(b); err == nil {
			m.mac = g
		}
	}
	return m
}

// hash keys a body (tests; the flush path uses sum with its scratch's tag buffer, which
// saves an allocation per request).
func (m *memory) hash(body []byte) bodyKey {
	var tag [16]byte
	return m.sum(&tag, body)
}

// sum keys a body, using tag as the GMAC's output buffer. The zero key marks an empty
// slot, so it is remapped. Safe for concurrent use: sealing reads the AEAD's state only.
func (m *memory) sum(tag *[16]byte, body []byte) bodyKey {
	var h bodyKey
	if m.mac != nil {
		t := m.mac.Seal(tag[:0], m.nonce[:], nil, body)
		h = bodyKey{binary.LittleEndian.Uint64(t[:8]), binary.LittleEndian.Uint64(t[8:16])}
	} else {
		h = bodyKey{maphash.Bytes(m.seed[0], body), maphash.Bytes(m.seed[1], body)}
	}
	if h[0] == 0 {
		h[0] = 1
	}
	return h
}

func (m *memory) has(h bodyKey) bool {
	m.mu.Lock()
	_, ok := m.find(h)
	m.mu.Unlock()
	return ok
}

// add remembers h, forgetting the oldest entry when full.
func (m *memory) add(h bodyKey) {
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
	i := h[0] & mask
	for m.slots[i] != (bodyKey{}) {
		i = (i + 1) & mask
	}
	m.slots[i] = h
}

func (m *memory) find(h bodyKey) (uint64, bool) {
	mask := uint64(len(m.slots) - 1)
	for i := h[0] & mask; ; i = (i + 1) & mask {
		switch m.slots[i] {
		case h:
			return i, true
		case bodyKey{}:
			return 0, false
		}
	}
}

// remove deletes h and shifts later entries of its probe run back, so lookups never need
// tombstones.
func (m *memory) remove(h bodyKey) {
	i, ok := m.find(h)
	if !ok {
		return
	}
	mask := uint64(len(m.slots) - 1)
	for j := (i + 1) & mask; m.slots[j] != (bodyKey{}); j = (j + 1) & mask {
		home := m.slots[j][0] & mask
		// The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
		if (i < j && i < home && home <= j) || (i > j && (home > i || home <= j)) {
			continue
		}
		m.slots[i] = m.slots[j]
		i = j
	}
	m.slots[i] = bodyKey{}
}

// reset forgets everything (tests and benchmarks).
func (m *memory) reset() {
	m.mu.Lock()
	clear(m.slots)
	clear(m.ring)
	m.n, m.next = 0, 0
	m.mu.Unlock()
}

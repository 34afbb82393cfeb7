package deliver

import (
	"github.com/k8saudit/k8saudit/plugin/freelist"

	"github.com/klauspost/compress/gzip"
)

// maxPooled is the largest buffer kept in the pool: a rare giant chunk should not pin
// its buffers for the life of the process.
const maxPooled = 16 << 20

// scratch is the per-call working memory of Deliver: the framed body, the gzipped body,
// the gzip writer (its window and tables are the expensive part), and the dead-letter
// lines. One Deliver holds one scratch; the pool shares them between calls and workers.
type scratch struct {
	body []byte
	zout sink
	// zipped is body compressed (it aliases zout), set by frameZipHash for the post of
	// the same body; nil when body is not compressed yet.
	zipped []byte
	gz     *gzip.Writer
	dl     []byte
	idx    []int32    // selections of documents: the arena send's requests are cut from
	done   []bool     // done[k]: document k is settled
	fates  []itemFate // a per-item answer, one per document of the request
	bits   []uint64   // a progress bitmap being read or written
	tag    [16]byte   // the memory's hash output (memory.sum)
}

// sink is an io.Writer appending to a byte slice, so gzip output lands in a reused
// buffer without bytes.Buffer's extra bookkeeping.
type sink struct{ b []byte }

func (s *sink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// maxIdleScratch is how many scratches stay allocated between calls: enough for the
// workers Fluent Bit runs concurrently in a typical config.
const maxIdleScratch = 4

// newScratchPool returns a pool for one gzip level.
func newScratchPool(level int) scratchPool {
	return scratchPool{level: level, idle: freelist.New(maxIdleScratch, func() *scratch { return new(scratch) })}
}

// scratchPool hands out scratch for one gzip level.
type scratchPool struct {
	level int
	// A bounded free list rather than sync.Pool: a scratch holds a gzip writer (about
	// 1 MB of tables) and grown buffers, which sync.Pool would drop at every other GC.
	idle *freelist.List[scratch]
}

func (p *scratchPool) get() *scratch {
	return p.idle.Get()
}

func (p *scratchPool) put(sc *scratch) {
	sc.zipped = nil
	if cap(sc.body) > maxPooled {
		sc.body = nil
	}
	if cap(sc.zout.b) > maxPooled {
		sc.zout.b = nil
	}
	if cap(sc.dl) > maxPooled {
		sc.dl = nil
	}
	if cap(sc.idx) > maxPooled/4 {
		sc.idx = nil
	}
	if cap(sc.done) > maxPooled {
		sc.done = nil
	}
	clear(sc.fates[:cap(sc.fates)]) // do not pin the reasons of an old answer
	if cap(sc.fates) > maxPooled/32 {
		sc.fates = nil
	}
	p.idle.Put(sc)
}

// gzip compresses body into the scratch's output buffer and returns it; the result is
// valid until the next call.
func (p *scratchPool) gzip(sc *scratch, body []byte) ([]byte, error) {
	sc.zout.b = sc.zout.b[:0]
	if sc.gz == nil {
		gz, err := gzip.NewWriterLevel(&sc.zout, p.level)
		if err != nil {
			return nil, err
		}
		sc.gz = gz
	} else {
		sc.gz.Reset(&sc.zout)
	}
	if _, err := sc.gz.Write(body); err != nil {
		return nil, err
	}
	if err := sc.gz.Close(); err != nil {
		return nil, err
	}
	return sc.zout.b, nil
}

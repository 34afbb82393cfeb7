package instance

import (
	"sync/atomic"
	"time"
)

// pendingSlots bounds the flushes whose start time is tracked at once: more than Fluent
// Bit's workers for one output. A flush finding every slot taken is not tracked (the
// gauge then under-reports, it never blocks a flush).
const pendingSlots = 64

// givenUpAfter: a chunk answered Retry and not handed back within this time is taken as
// given up by Fluent Bit (retry_limit reached; its scheduler waits at most scheduler.cap,
// 2000 s by default, between two tries), so it stops counting as pending.
const givenUpAfter = 75 * time.Minute

// pending tracks what was handed to the sender and is not yet delivered: the flushes in
// progress (a start time per slot, 0 when free) and, through retried, the chunks waiting
// for Fluent Bit's retry. It costs one time.Now and two atomic operations per flush.
type pending struct {
	slots [pendingSlots]atomic.Int64
}

// start takes a slot for a flush whose documents wait since t (Unix ns); -1 when full.
func (p *pending) start(t int64) int {
	for i := range p.slots {
		if p.slots[i].CompareAndSwap(0, t) {
			return i
		}
	}
	return -1
}

func (p *pending) end(slot int) {
	if slot >= 0 {
		p.slots[slot].Store(0)
	}
}

// oldest is the earliest start of a flush in progress, 0 when none.
func (p *pending) oldest() int64 {
	var o int64
	for i := range p.slots {
		if t := p.slots[i].Load(); t != 0 && (o == 0 || t < o) {
			o = t
		}
	}
	return o
}

// Pending reports whether documents were handed to the sender and not delivered yet,
// and since when the oldest waits (metrics.Source).
func (in *Instance) Pending(now time.Time) (bool, time.Time) {
	o := in.pend.oldest()
	if r := in.retried.oldest(now.Add(-givenUpAfter).UnixNano()); r != 0 && (o == 0 || r < o) {
		o = r
	}
	if o == 0 {
		return false, time.Time{}
	}
	return true, time.Unix(0, o)
}

// Package freelist keeps a bounded number of reusable objects for the flush path.
//
// It exists instead of sync.Pool because a flush's scratch (grown reader, normalizer and
// gzip buffers of a few megabytes) must survive garbage collections: sync.Pool empties
// itself at every other GC, so each refill would allocate and regrow megabytes, breaking
// the zero-allocation promise and adding GC pressure exactly when the plugin is busy.
// The bound keeps memory proportional to the number of concurrent flushes (Fluent Bit's
// workers), not to the worst burst.
package freelist

import "sync"

// List is a goroutine-safe LIFO of at most Max idle objects.
type List[T any] struct {
	mu    sync.Mutex
	idle  []*T
	newFn func() *T
}

// New returns a list keeping at most max idle objects; newFn makes one when none is idle.
func New[T any](max int, newFn func() *T) *List[T] {
	if max < 1 {
		max = 1
	}
	return &List[T]{idle: make([]*T, 0, max), newFn: newFn}
}

// Get returns an idle object, or a new one.
func (l *List[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.idle); n > 0 {
		x := l.idle[n-1]
		l.idle[n-1] = nil
		l.idle = l.idle[:n-1]
		l.mu.Unlock()
		return x
	}
	l.mu.Unlock()
	return l.newFn()
}

// Put makes x idle again; when the list is full, x is left to the garbage collector.
func (l *List[T]) Put(x *T) {
	l.mu.Lock()
	if len(l.idle) < cap(l.idle) {
		l.idle = append(l.idle, x)
	}
	l.mu.Unlock()
}

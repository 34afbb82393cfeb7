package main

import (
	"sync"
	"sync/atomic"

	"github.com/k8saudit/k8saudit/plugin/instance"
)

// The registry exists only so that FLBPluginExit (hosts without ExitCtx) can close every
// instance; all per-flush state reaches an instance through its context, never from here.
var (
	registryMu sync.Mutex
	lastID     = -1
	instances  = map[*instance.Instance]int{}
)

// nextInstanceID numbers instances in Init order, as Fluent Bit names k8saudit.0, .1, ...
// The numbering starts again from 0 when no instance is open: after a hot reload Fluent Bit
// numbers the new context's instances from 0, and it registers the plugin for the new
// context before it closes the old one's instances, so Init (which runs after they are all
// closed) is where the restart belongs.
func nextInstanceID() int {
	registryMu.Lock()
	defer registryMu.Unlock()
	if len(instances) == 0 {
		lastID = -1
	}
	lastID++
	return lastID
}

func register(id int, in *instance.Instance) {
	registryMu.Lock()
	instances[in] = id
	registryMu.Unlock()
}

func unregister(in *instance.Instance) {
	registryMu.Lock()
	delete(instances, in)
	registryMu.Unlock()
}

func unregisterAll() []*instance.Instance {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]*instance.Instance, 0, len(instances))
	for in := range instances {
		out = append(out, in)
	}
	clear(instances)
	return out
}

// slot is what Fluent Bit's context holds for an instance. fluent-bit-go keeps every context
// it is given for the life of the process (its map has no delete), so the instance hangs off
// a slot that exit empties: after a hot reload the old instance, with its buffers and
// connections, goes to the collector and only the empty slot (a few bytes) stays.
type slot struct {
	in atomic.Pointer[instance.Instance]
}

func newSlot(in *instance.Instance) *slot {
	s := &slot{}
	s.in.Store(in)
	return s
}

// slotted is the open instance behind a context, or nil.
func slotted(ctx any) *instance.Instance {
	if s, ok := ctx.(*slot); ok {
		return s.in.Load()
	}
	return nil
}

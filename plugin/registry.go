package main

import (
	"sync"

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
func nextInstanceID() int {
	registryMu.Lock()
	defer registryMu.Unlock()
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

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

// restartNumbering makes the next instance k8saudit.0 again when none is open: Fluent Bit
// registers the plugin anew after a hot reload and numbers its instances from 0, and the
// log lines of both should name the same instance.
func restartNumbering() {
	registryMu.Lock()
	if len(instances) == 0 {
		lastID = -1
	}
	registryMu.Unlock()
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

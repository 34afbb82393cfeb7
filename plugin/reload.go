package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/k8saudit/k8saudit/plugin/logging"
)

// Hot reload (fluent-bit --enable-hot-reload, then SIGHUP or POST /api/v2/reload), as
// Fluent Bit v4.2.8 does it for a Go output (src/flb_reload.c, src/flb_plugin_proxy.c,
// src/proxy/go/go.c):
//
//  1. a new context is built while the old one runs: the .so is dlopen'ed again (the same
//     Go runtime, so package state survives), FLBPluginPreRegister(1) then
//     FLBPluginRegister run for it;
//  2. the old context stops: its flushes finish, then FLBPluginExitCtx for each instance,
//     FLBPluginUnregister, dlclose;
//  3. the new context starts: FLBPluginInit for each [OUTPUT], numbered from 0 again.
//
// The plugin itself goes through this correctly. Fluent Bit does not: for a Go output with
// workers ≥ 1 it starts the worker pool twice (flb_proxy_output_cb_init and then
// flb_output_init_all both call flb_output_enable_multi_threading) and only ever stops the
// second one. The first pool's threads outlive their context, run its timers on freed
// memory after a reload, and Fluent Bit dies of SIGSEGV within a few reloads (measured: the
// 4th to 6th SIGHUP with workers 1 or 2; with workers 0, 15 reloads and no fault).
//
// So a reload is refused while any k8saudit worker thread runs: FLBPluginPreRegister returns
// -1, the plugin is not registered in the new context, Fluent Bit halts the reload ("reloaded
// config format is invalid. Reloading is halted") and keeps running the old pipeline
// untouched. Restart Fluent Bit to apply a new configuration. With workers 0 the reload
// goes ahead.

// workerThreadPrefix is how Fluent Bit names an output worker thread, "flb-out-<instance
// name>-w<n>", as the kernel keeps it (15 bytes): "flb-out-k8saudi".
var workerThreadPrefix = ("flb-out-" + pluginName)[:15]

// taskDir lists this process's threads; a variable for the tests.
var taskDir = "/proc/self/task"

// workerThreads counts the threads named like this plugin's output workers.
func workerThreads() (int, error) {
	comms, err := filepath.Glob(filepath.Join(taskDir, "*", "comm"))
	if err != nil {
		return 0, err
	}
	if len(comms) == 0 {
		return 0, fmt.Errorf("no thread listed under %s", taskDir)
	}
	n := 0
	for _, c := range comms {
		b, err := os.ReadFile(c)
		if err != nil {
			continue // the thread ended meanwhile
		}
		if strings.HasPrefix(strings.TrimSpace(string(b)), workerThreadPrefix) {
			n++
		}
	}
	return n, nil
}

// preRegister decides whether the plugin registers in a context being built; false refuses
// a hot reload, with the reason on the log.
func preRegister(hotReloading bool, log *logging.Logger) bool {
	if !hotReloading {
		return true
	}
	n, err := workerThreads()
	switch {
	case err != nil:
		log.Errorf("hot reload refused: cannot tell whether k8saudit runs worker threads (%v), and a reload with workers ≥ 1 crashes Fluent Bit; the running pipeline goes on unchanged: restart Fluent Bit to apply the new configuration", err)
		return false
	case n > 0:
		log.Errorf("hot reload refused: Fluent Bit (up to at least v4.2.8) leaks the worker threads of a Go output on reload and then crashes; k8saudit runs %d worker thread(s) (workers ≥ 1). The running pipeline goes on unchanged: restart Fluent Bit to apply the new configuration", n)
		return false
	}
	log.Infof("hot reload: no k8saudit worker thread runs (workers 0): registering for the new configuration")
	return true
}

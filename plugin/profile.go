package main

import (
	"os"
	"runtime/pprof"
	"sync"

	"github.com/k8saudit/k8saudit/plugin/logging"
)

// Profiles of the plugin inside its real host, for finding where the time and memory go
// (make bench-host -profile uses them). They are off unless an environment variable of the
// Fluent Bit process names a file:
//
//	K8SAUDIT_CPUPROFILE=/path   a pprof CPU profile from the first Init to the last Exit
//	K8SAUDIT_MEMPROFILE=/path   a heap profile at the last Exit, in pprof's text form,
//	                            which ends with the runtime's MemStats (GC count, pauses,
//	                            heap peak): `go tool pprof` reads both
//
// The files hold function names and counts, never event bytes. A profile that cannot be
// started is logged and skipped: diagnostics never stop the pipeline. After a hot reload the
// profiles start anew and overwrite the files.
var prof struct {
	mu      sync.Mutex
	cpu     *os.File
	started bool
}

// startProfiles starts the CPU profile, once per plugin lifetime, when asked for.
func startProfiles(log *logging.Logger) {
	prof.mu.Lock()
	defer prof.mu.Unlock()
	if prof.started {
		return
	}
	prof.started = true
	path := os.Getenv("K8SAUDIT_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		log.Warnf("K8SAUDIT_CPUPROFILE: %v", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Warnf("K8SAUDIT_CPUPROFILE: %v", err)
		_ = f.Close()
		return
	}
	prof.cpu = f
	log.Infof("writing a CPU profile to %s", path)
}

// stopProfiles ends the CPU profile and writes the heap profile, once the last instance is
// closed.
func stopProfiles(log *logging.Logger) {
	prof.mu.Lock()
	defer prof.mu.Unlock()
	if !prof.started {
		return
	}
	prof.started = false
	if prof.cpu != nil {
		pprof.StopCPUProfile()
		if err := prof.cpu.Close(); err != nil {
			log.Warnf("K8SAUDIT_CPUPROFILE: %v", err)
		}
		prof.cpu = nil
	}
	path := os.Getenv("K8SAUDIT_MEMPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 1)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		log.Warnf("K8SAUDIT_MEMPROFILE: %v", err)
	}
}

// openInstances is how many instances are registered: the profiles stop with the last.
func openInstances() int {
	registryMu.Lock()
	defer registryMu.Unlock()
	return len(instances)
}

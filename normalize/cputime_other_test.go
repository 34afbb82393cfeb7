//go:build !unix

package normalize

import "time"

var cpuStart = time.Now()

// cpuTime falls back to wall time where rusage is not available.
func cpuTime() time.Duration { return time.Since(cpuStart) }

//go:build unix

package kafka

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time: what a measurement costs when other
// processes share the cores (wall time then counts their turns).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

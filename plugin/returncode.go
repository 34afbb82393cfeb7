package main

import (
	"runtime/debug"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/k8saudit/k8saudit/plugin/instance"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// returnCode is the one place where the core's outcome becomes a Fluent Bit code. The
// instance never answers deliver.Failed; it would be FLB_ERROR.
func returnCode(c instance.Code) int {
	switch c {
	case instance.OK:
		return output.FLB_OK
	case instance.Retry:
		return output.FLB_RETRY
	}
	return output.FLB_ERROR
}

// recoverTo stops a panic at the boundary: a Go panic unwinding into C would kill Fluent
// Bit and every other pipeline in it. A panicking flush answers FLB_RETRY, because dropping
// audit evidence silently is worse than retrying a chunk; the log says loudly why.
func recoverTo(log *logging.Logger, where string, code *int, onPanic int) {
	if r := recover(); r != nil {
		log.Errorf("panic in %s (a bug in k8saudit, please report it): %v\n%s", where, r, debug.Stack())
		*code = onPanic
	}
}

package test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// The plugin inside a real Fluent Bit (found as realhost_helpers_test.go says): tail reads a
// copy of a real audit log from the head, the plugin ships it, every event must arrive
// exactly once, and Fluent Bit must stop cleanly on SIGTERM. The other real-host tests
// (realhost_*_test.go) cover rotation, the webhook, storage, restarts, reload and configs.
func TestInsideFluentBit(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	copyLines(t, logPath, lines, false)
	in := newIntake(t, nil)
	conf := writeIn(t, dir, "fluent-bit.conf", service("")+
		tailInput(logPath, filepath.Join(dir, "tail.db"), "")+
		k8sauditOutput("ndjson", in.url(), "    cluster_name   fluent-bit"))
	fb := startFluentBit(t, conf)
	fb.waitUntil(60*time.Second, fmt.Sprintf("all %d events delivered", len(want)), func() bool { return in.docCount() >= len(want) })
	quiet(1500*time.Millisecond, in.docCount) // a late duplicate would show up here
	fb.stop(20 * time.Second)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "inside fluent-bit", docs, want)
}

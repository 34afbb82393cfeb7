package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// storageService is [SERVICE] with Fluent Bit's filesystem buffer under dir/storage.
func storageService(dir string, grace int) string {
	return strings.Replace(service(fmt.Sprintf(`    storage.path     %s
    storage.sync     normal`, filepath.Join(dir, "storage"))), "grace            5", fmt.Sprintf("grace            %d", grace), 1)
}

const filesystemInput = "    storage.type       filesystem"

// The intake is down (503) for about two seconds: the plugin spends its retry budget and
// hands the chunk back (FLB_RETRY), Fluent Bit keeps it in its filesystem buffer and
// retries it, and once the intake is back every event arrives exactly once.
func TestRealHostIntakeDownThenBack(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	copyLines(t, logPath, lines, false)
	var mu sync.Mutex
	var downSince time.Time
	refused := 0
	in := newIntake(t, func(in *intake) {
		in.answer = func(int, []byte) int {
			mu.Lock()
			defer mu.Unlock()
			if downSince.IsZero() {
				downSince = time.Now()
			}
			if time.Since(downSince) < 2*time.Second {
				refused++
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
	})
	conf := writeIn(t, dir, "fluent-bit.conf", storageService(dir, 5)+
		tailInput(logPath, filepath.Join(dir, "tail.db"), filesystemInput)+
		k8sauditOutput("ndjson", in.url(), "    retry_budget   200ms\n    batch_events   40"))
	fb := startFluentBit(t, conf)
	fb.waitUntil(40*time.Second, fmt.Sprintf("all %d events delivered after the outage", len(want)),
		func() bool { return in.docCount() >= len(want) })
	quiet(time.Second, in.docCount)
	fb.stop(15 * time.Second)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "intake down, then back", docs, want)
	mu.Lock()
	defer mu.Unlock()
	if refused == 0 {
		t.Errorf("the intake never refused a request: no outage was tested")
	}
	if !strings.Contains(fb.log(), "retry in") {
		t.Errorf("Fluent Bit never scheduled a retry: the plugin did not hand the chunk back during the outage")
	}
}

// Fluent Bit killed with SIGKILL in the middle of a delivery to a slow, idempotent intake
// (Elasticsearch create with _id), then restarted on the same storage.path and tail DB:
// every event is indexed, and none is created twice (the resent ones are answered 409).
func TestRealHostSIGKILLMidDelivery(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	copyLines(t, logPath, lines, false)
	es := newESIntake(t, nil)
	es.delay.Store(int64(150 * time.Millisecond))
	conf := writeIn(t, dir, "fluent-bit.conf", storageService(dir, 5)+
		tailInput(logPath, filepath.Join(dir, "tail.db"), filesystemInput)+
		k8sauditOutput("elasticsearch", es.url(), "    index          audit\n    batch_events   8"))

	fb := startFluentBit(t, conf)
	fb.waitUntil(30*time.Second, "some events indexed", func() bool { return es.createdCount() >= 24 })
	fb.kill9()
	before := es.createdCount()
	if before >= len(want) {
		t.Fatalf("every event was indexed before the kill: nothing was tested (slow the intake down)")
	}
	if n := countFiles(t, filepath.Join(dir, "storage")); n == 0 {
		t.Errorf("no chunk left in storage.path after the kill, with %d of %d events indexed", before, len(want))
	}

	es.delay.Store(0)
	fb2 := startFluentBit(t, conf)
	fb2.waitUntil(30*time.Second, fmt.Sprintf("all %d events indexed after the restart (%d before the kill)", len(want), before),
		func() bool { return es.createdCount() >= len(want) })
	quiet(time.Second, es.createdCount)
	fb2.stop(15 * time.Second)
	es.mustBeClean(t)
	created, conflicts, requests, _ := es.snapshot()
	exactlyOnce(t, "SIGKILL then restart", created, want)
	t.Logf("%d indexed before SIGKILL, %d after; %d answered 409 on the resend; %d requests", before, len(created)-before, conflicts, requests)
}

// countFiles counts the regular files under dir.
func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// SIGTERM during a slow delivery. What Fluent Bit 4.2.8 does with a Go output: on SIGTERM it
// pauses the inputs; the flushes already handed to the output's worker run to their end even
// past grace (a Go flush cannot be interrupted), then it exits 0. Those chunks are delivered
// but their FLB_OK comes after the engine stopped, so they stay in storage and the next start
// flushes them again: the idempotent intake answers 409 and nothing is created twice.
func TestRealHostSIGTERMGrace(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	half := len(lines) / 2
	copyLines(t, logPath, lines[:half], false)
	es := newESIntake(t, nil)
	es.delay.Store(int64(250 * time.Millisecond))
	const grace = 1
	conf := writeIn(t, dir, "fluent-bit.conf", storageService(dir, grace)+
		tailInput(logPath, filepath.Join(dir, "tail.db"), filesystemInput)+
		k8sauditOutput("elasticsearch", es.url(), "    index          audit\n    batch_events   8"))

	fb := startFluentBit(t, conf)
	fb.waitUntil(30*time.Second, "the first chunk being delivered", func() bool { return es.createdCount() >= 8 })
	// A second chunk, read while the first is delivered.
	copyLines(t, logPath, lines[half:], true)
	fb.waitUntil(10*time.Second, "the second chunk being delivered", func() bool { return es.createdCount() > half })
	start := time.Now()
	fb.signal(syscall.SIGTERM)
	if !fb.wait(40 * time.Second) {
		t.Fatalf("fluent-bit still running 40 s after SIGTERM with grace %d", grace)
	}
	took := time.Since(start)
	before := es.createdCount()
	left := countFiles(t, filepath.Join(dir, "storage"))
	t.Logf("SIGTERM: exited after %s (%s) with %d of %d events indexed; %d files left in storage", took.Round(time.Millisecond), fb.exitErr(), before, len(want), left)
	if fb.err != nil {
		t.Errorf("fluent-bit exited with %s after SIGTERM, want 0", fb.exitErr())
	}
	// Grace plus the flush in flight (half of the events at 250 ms per 8: about 2.5 s, and
	// more on a loaded machine); a host or a plugin that held shutdown would go far beyond.
	if limit := time.Duration(grace)*time.Second + 15*time.Second; took > limit {
		t.Errorf("shutdown took %s: more than grace %ds plus the flush in flight (%s)", took, grace, limit)
	}
	if before != len(want) {
		t.Errorf("%d of %d events indexed before exit: a chunk already handed to the plugin was cut short", before, len(want))
	}
	if left == 0 {
		t.Errorf("nothing left in storage.path after SIGTERM during a delivery")
	}

	es.delay.Store(0)
	_, conflictsBefore, _, _ := es.snapshot()
	fb2 := startFluentBit(t, conf)
	seen := func() int { c, n, _, _ := es.snapshot(); return len(c) + n }
	fb2.waitUntil(30*time.Second, "the chunks left in storage flushed again after the restart", func() bool {
		return seen() > before+conflictsBefore
	})
	quiet(time.Second, seen)
	fb2.stop(15 * time.Second)
	es.mustBeClean(t)
	created, conflicts, _, _ := es.snapshot()
	exactlyOnce(t, "SIGTERM then restart", created, want)
	t.Logf("after the restart: %d resent documents answered 409, %d created", conflicts-conflictsBefore, len(created)-before)
}

package test

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hot reload (--enable-hot-reload, SIGHUP). Fluent Bit v4.2.8 leaks the worker threads of a Go
// output on reload and crashes a few reloads later (plugin/reload.go), so with workers ≥ 1
// the plugin refuses the reload: Fluent Bit halts it and the running pipeline goes on
// delivering, through several SIGHUPs. With workers 0 the reload goes ahead: the new
// instance (named k8saudit.0 again) takes over, and with the tail DB nothing is read twice.
// Either way every event arrives exactly once and Fluent Bit stops cleanly afterwards.
func TestRealHostHotReload(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	for _, c := range []struct {
		name    string
		workers string
		refuse  bool
	}{
		{"workers-1-refused", "1", true},
		{"workers-0-reloaded", "0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			logPath := filepath.Join(dir, "audit.log")
			half := len(lines) / 2
			copyLines(t, logPath, lines[:half], false)
			in := newIntake(t, nil)
			conf := writeIn(t, dir, "fluent-bit.conf", service("")+
				tailInput(logPath, filepath.Join(dir, "tail.db"), "")+
				k8sauditOutput("ndjson", in.url(), "    workers        "+c.workers))
			fb := startFluentBit(t, conf, "--enable-hot-reload")
			fb.waitUntil(30*time.Second, fmt.Sprintf("the first %d events delivered", half), func() bool { return in.docCount() >= half })

			const sighups = 3
			mark := "successful reload done"
			if c.refuse {
				mark = "Reloading is halted"
			}
			for i := 1; i <= sighups; i++ {
				// Fluent Bit ignores a SIGHUP while the previous reload is settling (a halted one
				// for a second): send it again until this one is handled.
				var sent time.Time
				fb.waitUntil(20*time.Second, fmt.Sprintf("SIGHUP %d handled (%q in the log)", i, mark), func() bool {
					if strings.Count(fb.log(), mark) >= i {
						return true
					}
					if time.Since(sent) > 1200*time.Millisecond {
						fb.signal(syscall.SIGHUP)
						sent = time.Now()
					}
					return false
				})
			}
			copyLines(t, logPath, lines[half:], true)
			fb.waitUntil(30*time.Second, fmt.Sprintf("all %d events delivered after %d SIGHUPs", len(want), sighups),
				func() bool { return in.docCount() >= len(want) })
			quiet(time.Second, in.docCount)
			fb.stop(15 * time.Second)
			in.mustBeClean(t)
			docs, _, _ := in.snapshot()
			exactlyOnce(t, c.name, docs, want)

			log := fb.log()
			refusals := strings.Count(log, "hot reload refused")
			inits := strings.Count(log, "[output:k8saudit:k8saudit.0] config:")
			if c.refuse {
				if refusals != sighups || inits != 1 {
					t.Errorf("%d refusals and %d instance starts in the log, want %d and 1", refusals, inits, sighups)
				}
				return
			}
			if refusals != 0 || inits != 1+sighups {
				t.Errorf("%d refusals and %d starts of an instance named k8saudit.0, want 0 and %d", refusals, inits, 1+sighups)
			}
			if n := strings.Count(log, "] exit: records="); n != 1+sighups {
				t.Errorf("%d instances closed with their summary, want %d (one per context)", n, 1+sighups)
			}
		})
	}
}

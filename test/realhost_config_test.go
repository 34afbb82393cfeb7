package test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// Two [OUTPUT] instances of the plugin side by side, each with workers 2 and its own intake,
// in the classic and the YAML configuration formats: each intake gets every event exactly
// once, with its own instance's settings.
func TestRealHostTwoOutputsWorkers(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	for _, format := range []string{"classic", "yaml"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			logPath := filepath.Join(dir, "audit.log")
			copyLines(t, logPath, lines, false)
			a := newIntake(t, func(in *intake) { in.wantAuth = "Bearer key-a" })
			b := newIntake(t, func(in *intake) { in.wantAuth = "Bearer key-b" })
			db := filepath.Join(dir, "tail.db")
			var conf string
			if format == "classic" {
				conf = writeIn(t, dir, "fluent-bit.conf", service("")+tailInput(logPath, db, "")+
					k8sauditOutput("ndjson", a.url(), "    api_key        key-a\n    cluster_name   alpha\n    batch_events   20\n    workers        2")+
					k8sauditOutput("ndjson", b.url(), "    api_key        key-b\n    cluster_name   beta\n    batch_events   7\n    workers        2"))
			} else {
				out := func(url, key, cluster string, batch int) string {
					return fmt.Sprintf(`    - name: k8saudit
      match: kube.*
      intake: ndjson
      url: %s
      api_key: %s
      cluster_name: %s
      batch_events: %d
      workers: 2
      retry_limit: no_limits
`, url, key, cluster, batch)
				}
				conf = writeIn(t, dir, "fluent-bit.yaml", fmt.Sprintf(`service:
  flush: 0.5
  grace: 5
  log_level: info
pipeline:
  inputs:
    - name: tail
      tag: kube.audit
      path: %s
      db: %s
      read_from_head: on
      buffer_chunk_size: 256k
      buffer_max_size: 16M
  outputs:
%s%s`, logPath, db, out(a.url(), "key-a", "alpha", 20), out(b.url(), "key-b", "beta", 7)))
			}
			fb := startFluentBit(t, conf)
			fb.waitUntil(30*time.Second, fmt.Sprintf("all %d events at both intakes", len(want)),
				func() bool { return a.docCount() >= len(want) && b.docCount() >= len(want) })
			quiet(time.Second, func() int { return a.docCount() + b.docCount() })
			fb.stop(15 * time.Second)
			for _, c := range []struct {
				in      *intake
				cluster string
			}{{a, "alpha"}, {b, "beta"}} {
				c.in.mustBeClean(t)
				docs, _, _ := c.in.snapshot()
				exactlyOnce(t, format+" instance "+c.cluster, docs, want)
				for _, d := range docs {
					if got := lookupString(d.m, "orchestrator.cluster.name"); got != c.cluster {
						t.Errorf("intake %s got orchestrator.cluster.name %q", c.cluster, got)
						break
					}
				}
			}
		})
	}
}

package instance

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/logging"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

// TestMetricsSoakAddUp is the metrics' acceptance over a soak: 120 distinct chunks (the
// real tail events, each chunk's auditIDs made its own) flushed by two workers at once
// through an intake that answers at random 200, 503, 429 and 400, every chunk answered
// Retry flushed again as Fluent Bit would, with a policy dropping list and watch. Scraped
// at the end, the counters add up exactly: documents = delivered + dead_lettered,
// delivered = what the intake accepted, dead_lettered = the dead-letter file's lines, and
// events = documents + policy_dropped (by reason: all on rule_1).
func TestMetricsSoakAddUp(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rnd := rand.New(rand.NewSource(18))
	var rmu sync.Mutex
	intake := &scriptedIntake{byStatus: map[int]int{}, status: func(int) int {
		rmu.Lock()
		defer rmu.Unlock()
		switch n := rnd.Intn(20); {
		case n < 2:
			return 503
		case n < 3:
			return 429
		case n < 4:
			return 400
		}
		return 200
	}}
	srv := httptest.NewServer(intake)
	defer srv.Close()
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: [list, watch]\n- level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dl := filepath.Join(dir, "dead.ndjson")
	cfg, _, err := config.Parse(config.Map{"url": srv.URL, "batch_events": "20", "retry_budget": "20ms", "policy_file": pol,
		"dead_letter_file": dl, "metrics_listen": "127.0.0.1:0", "stats_interval": "0"})
	if err != nil {
		t.Fatal(err)
	}
	hub := metrics.NewHub()
	in, err := NewWith(cfg, logging.Discard(), With{Name: "k8saudit.0", Metrics: hub})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	_, records := eventsOf(t, readFixture(t, "chunks", "v5-tail-raw.msgpack"))
	const chunks = 120
	events, dropped := 0, 0
	work := make(chan []byte, chunks)
	for c := 0; c < chunks; c++ {
		var lines [][]byte
		for i, l := range records {
			id := fastjson.GetString(l, "auditID")
			if id == "" {
				t.Fatal("a fixture event without auditID")
			}
			lines = append(lines, bytes.Replace(l, []byte(id), []byte(fmt.Sprintf("soak-%03d-%03d", c, i)), 1))
			events++
			if v := fastjson.GetString(l, "verb"); v == "list" || v == "watch" {
				dropped++
			}
		}
		work <- chunktest.RawLines(lines, "log", time.Unix(1700000000+int64(c), 0))
	}
	close(work)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ { // workers 2
		wg.Add(1)
		go func() {
			defer wg.Done()
			for data := range work {
				for tries := 0; in.Flush(data) == Retry; tries++ {
					if tries > 50 {
						t.Error("a chunk still answered Retry after 50 flushes")
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	m := scrape(t, hub.Addr())
	get := func(name string) float64 { return series(m, t, name, "") }
	docs, delivered := get("k8saudit_documents_total"), get("k8saudit_delivered_total")
	var dead, drops float64
	for _, r := range []string{"too_large", "refused", "refused_item"} {
		dead += series(m, t, "k8saudit_dead_lettered_total", `,reason="`+r+`"`)
	}
	for _, r := range []string{"rule_1", "rule_2", "no_rule", "detect_alerts_only"} {
		drops += series(m, t, "k8saudit_policy_dropped_total", `,reason="`+r+`"`)
	}
	deadLines := 0
	if b, err := os.ReadFile(dl); err == nil {
		deadLines = bytes.Count(b, []byte("\n"))
	}
	intake.mu.Lock()
	accepted := len(intake.accepted)
	byStatus := fmt.Sprint(intake.byStatus)
	intake.mu.Unlock()
	if intake.byStatus[400] == 0 || intake.byStatus[503] == 0 {
		t.Fatalf("the intake never refused or failed (%s): the soak proves nothing", byStatus)
	}
	if docs != delivered+dead {
		t.Errorf("documents %v != delivered %v + dead_lettered %v", docs, delivered, dead)
	}
	if delivered != float64(accepted) {
		t.Errorf("delivered_total %v, the intake accepted %d (%s)", delivered, accepted, byStatus)
	}
	if dead != float64(deadLines) {
		t.Errorf("dead_lettered_total %v, the dead-letter file has %d lines", dead, deadLines)
	}
	if docs+drops != float64(events) || drops != float64(dropped) || series(m, t, "k8saudit_policy_dropped_total", `,reason="rule_1"`) != drops {
		t.Errorf("documents %v + policy_dropped %v, want %d events of which %d dropped by rule_1", docs, drops, events, dropped)
	}
	if get("k8saudit_records_total") != float64(events) {
		t.Errorf("records_total %v, want %d (each chunk once, retries not recounted)", get("k8saudit_records_total"), events)
	}
	t.Logf("%d events in %d chunks: %v documents, %v delivered, %v dead-lettered, %v dropped; intake answers %s", events, chunks, docs, delivered, dead, drops, byStatus)
}

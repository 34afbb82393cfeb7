package test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// intake otlp inside a real Fluent Bit: the tail of an audit log reaches an OTLP/HTTP
// receiver decoding with the Collector's pdata as protobuf (the default encoding), one
// LogRecord per event whose body is the ECS document, the resource naming the service,
// host and cluster; every event exactly once, through a 503 and a partial success (the
// records it reports are still not resent).
func TestRealHostOTLP(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	var mu sync.Mutex
	var docs []doc
	var bad []string
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		requests++
		if requests == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		problem := func(f string, a ...any) {
			bad = append(bad, fmt.Sprintf(f, a...))
			w.WriteHeader(http.StatusBadRequest)
		}
		if r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("Content-Encoding") != "gzip" {
			problem("request to %s, Content-Type %q, Content-Encoding %q", r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"))
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		req := plogotlp.NewExportRequest()
		if err == nil {
			err = req.UnmarshalProto(body)
		}
		if err != nil {
			problem("request %d: %v", requests, err)
			return
		}
		rls := req.Logs().ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			res := rls.At(i).Resource().Attributes().AsRaw()
			if res["service.name"] != "kube-apiserver" || res["host.name"] != "cp-1" || res["k8s.cluster.name"] != "prod-eu" {
				problem("resource %v", res)
				return
			}
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				recs := sls.At(j).LogRecords()
				for k := 0; k < recs.Len(); k++ {
					m := recs.At(k).Body().Map().AsRaw()
					raw, _ := json.Marshal(m)
					docs = append(docs, doc{raw: raw, m: m})
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		if requests == 3 {
			// ExportLogsServiceResponse{partial_success: {rejected_log_records: 1}}
			_, _ = w.Write([]byte{1<<3 | 2, 2, 1 << 3, 1})
		}
	}))
	defer srv.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(docs) }
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	copyLines(t, logPath, lines, false)
	conf := writeIn(t, dir, "fluent-bit.conf", service("")+tailInput(logPath, filepath.Join(dir, "tail.db"), "")+
		k8sauditOutput("otlp", srv.URL, "    otlp_host_name cp-1\n    cluster_name   prod-eu\n    batch_events   40\n    retry_budget   10s"))
	fb := startFluentBit(t, conf)
	fb.waitUntil(30*time.Second, "every event at the OTLP receiver", func() bool { return count() >= len(want) })
	quiet(time.Second, count)
	fb.stop(15 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("%d requests not as specified, first: %s", len(bad), bad[0])
	}
	if requests < 4 {
		t.Errorf("%d requests: the 503 and the partial success were not both exercised", requests)
	}
	exactlyOnce(t, "otlp", docs, want)
}

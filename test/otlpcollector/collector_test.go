// Package otlpcollector runs the otlp intake against the OpenTelemetry Collector's own
// OTLP receiver (go.opentelemetry.io/collector/receiver/otlpreceiver), started in the
// test on a loopback port with a consumer the test controls. It is a package of its own so
// that the Collector's dependency graph (gRPC, confighttp, telemetry) is compiled only for
// it, never for the plugin or the other tests.
package otlpcollector

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/instance"
	"github.com/k8saudit/k8saudit/plugin/logging"

	_ "github.com/k8saudit/k8saudit/plugin/intake/all"
)

// sink is the receiver's next consumer: it fails the calls fail picks (a retryable error
// answers 503 to the client, a permanent one 400), and keeps the records of the others.
type sink struct {
	mu    sync.Mutex
	calls int
	fail  func(call int) error
	docs  []any
	res   []map[string]any
}

func (s *sink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *sink) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		if err := s.fail(s.calls); err != nil {
			return err
		}
	}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				s.docs = append(s.docs, asJSON(recs.At(k).Body().AsRaw()))
				s.res = append(s.res, rls.At(i).Resource().Attributes().AsRaw())
			}
		}
	}
	return nil
}

// asJSON is v as encoding/json reads it back: numbers float64 on both sides of a
// comparison.
func asJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// startCollector starts the Collector's OTLP receiver, HTTP only, on a free loopback
// port (gRPC stays off: a Default optional is not enabled), and returns its base URL.
func startCollector(t *testing.T, next *sink) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
	r, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return "http://" + addr
}

// ndjsonDocs ships the chunk through an ndjson instance with the same settings: the
// documents the otlp intake must deliver, as the reference.
func ndjsonDocs(t *testing.T, props config.Map, chunk []byte) []any {
	t.Helper()
	var mu sync.Mutex
	var docs []any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		body, _ := io.ReadAll(zr)
		mu.Lock()
		defer mu.Unlock()
		for _, l := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
			var v any
			if err := json.Unmarshal(l, &v); err != nil {
				t.Errorf("ndjson line: %v", err)
			}
			docs = append(docs, v)
		}
	}))
	defer srv.Close()
	p := config.Map{"intake": "ndjson", "url": srv.URL}
	for k, v := range props {
		if k != "intake" && k != "url" {
			p[k] = v
		}
	}
	flush(t, p, chunk, 1)
	return docs
}

// flush runs one instance over the chunk until Fluent Bit would delete it (at most tries
// flushes: a Retry hands the chunk back, as the host does).
func flush(t *testing.T, props config.Map, chunk []byte, tries int) int {
	t.Helper()
	cfg, _, err := config.Parse(props)
	if err != nil {
		t.Fatal(err)
	}
	in, err := instance.New(cfg, logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for n := 1; n <= tries; n++ {
		if in.Flush(chunk) == instance.OK {
			return n
		}
	}
	t.Fatalf("chunk not delivered in %d flushes", tries)
	return 0
}

func readChunk(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "chunks", "v5-tail-raw.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Collector's own OTLP/HTTP receiver takes every request of the otlp intake, in both
// encodings and both formats, and hands its pipeline exactly the documents the ndjson
// intake ships for the same chunk, each once, even when the pipeline refuses some calls
// with a retryable error (the receiver answers 503; the intake retries, then hands the
// chunk back to Fluent Bit, whose next flush sends only what was not accepted).
func TestCollectorReceiverTakesEveryDocumentOnce(t *testing.T) {
	chunk := readChunk(t)
	for _, format := range []string{"ecs", "raw"} {
		for _, enc := range []string{"protobuf", "json"} {
			t.Run(format+"/"+enc, func(t *testing.T) {
				next := &sink{fail: func(call int) error {
					if call == 2 || call == 3 {
						return errors.New("pipeline busy") // retryable: 503
					}
					return nil
				}}
				url := startCollector(t, next)
				props := config.Map{"intake": "otlp", "url": url, "format": format, "otlp_encoding": enc,
					"cluster_name": "prod-eu", "otlp_host_name": "cp-1", "batch_events": "25",
					"retry_budget": "1ms", "backoff_initial": "1ms"}
				want := ndjsonDocs(t, props, chunk)
				flushes := flush(t, props, chunk, 10)
				next.mu.Lock()
				defer next.mu.Unlock()
				if len(want) < 100 {
					t.Fatalf("only %d reference documents", len(want))
				}
				if flushes < 2 {
					t.Errorf("delivered in %d flush: the refusals did not hand the chunk back", flushes)
				}
				if !reflect.DeepEqual(next.docs, want) {
					t.Fatalf("the Collector's pipeline got %d documents, want the %d the ndjson intake ships, in order, each once", len(next.docs), len(want))
				}
				for k, r := range next.res {
					if r["service.name"] != "kube-apiserver" || r["host.name"] != "cp-1" || (format == "ecs") != (r["k8s.cluster.name"] == "prod-eu") {
						t.Fatalf("record %d: resource %v", k, r)
					}
				}
			})
		}
	}
}

// A permanent error from the Collector's pipeline (the receiver answers 400) sets the
// batch aside in the dead-letter file; nothing is retried forever.
func TestCollectorPermanentErrorDeadLetters(t *testing.T) {
	chunk := readChunk(t)
	next := &sink{fail: func(call int) error {
		if call == 1 {
			return consumererror.NewPermanent(errors.New("malformed"))
		}
		return nil
	}}
	url := startCollector(t, next)
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	props := config.Map{"intake": "otlp", "url": url, "batch_events": "25", "dead_letter_file": dl}
	want := ndjsonDocs(t, props, chunk)
	flush(t, props, chunk, 1)
	data, err := os.ReadFile(dl)
	if err != nil {
		t.Fatal(err)
	}
	dead := bytes.Count(data, []byte("\n"))
	next.mu.Lock()
	defer next.mu.Unlock()
	if dead != 25 || len(next.docs)+dead != len(want) {
		t.Errorf("%d dead-lettered, %d delivered, want the first batch of 25 set aside and the other %d delivered", dead, len(next.docs), len(want)-25)
	}
}

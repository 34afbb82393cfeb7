package kafka

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// benchEvents is the chunk size of the benchmarks: 1000 documents of the real fixtures
// (testdata/fixtures, normalized to ECS with redaction), the same corpus for every row.
const benchEvents = 1000

// BenchmarkKafkaDeliver produces one chunk per iteration to an in-process kfake cluster
// (3 brokers; BlackholeProduce: the broker validates and acknowledges, stores nothing),
// so the figure is the plugin side and franz-go plus a minimal broker, all in this
// process. The acknowledged-documents memory is cleared each time so that every
// iteration produces the whole chunk.
func BenchmarkKafkaDeliver(b *testing.B) {
	for _, comp := range []string{"zstd", "lz4", "snappy", "gzip", "none"} {
		b.Run(comp, func(b *testing.B) { benchKafka(b, comp) })
	}
}

func benchKafka(b *testing.B, comp string) {
	c := newFake(b, kfake.BlackholeProduce())
	s := newShipper(b, Options{Brokers: c.ListenAddrs(), Compression: comp})
	d := chunk(b, "bench", benchEvents)
	ctx := context.Background()
	if r := s.Deliver(ctx, d); r != deliver.Delivered { // warm: metadata, producer id
		b.Fatalf("Deliver = %v", r)
	}
	b.SetBytes(int64(d.Bytes()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ForgetDelivered()
		if r := s.Deliver(ctx, d); r != deliver.Delivered {
			b.Fatalf("Deliver = %v", r)
		}
	}
	b.ReportMetric(float64(b.N*benchEvents)/b.Elapsed().Seconds(), "events/s")
	st := s.Stats()
	b.ReportMetric(float64(st.BytesSent)/float64(st.BytesRaw), "sent/raw")
}

// BenchmarkNDJSONDeliver is the reference row: the same chunk through the HTTP core's
// ndjson intake (gzip on, its default) to an in-process HTTP server that reads and
// drops the body.
func BenchmarkNDJSONDeliver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	s, err := deliver.New(deliver.Options{Intake: "ndjson", URL: srv.URL, Compress: true, TLSVerify: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	d := chunk(b, "bench", benchEvents)
	ctx := context.Background()
	b.SetBytes(int64(d.Bytes()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ForgetDelivered()
		if r := s.Deliver(ctx, d); r != deliver.Delivered {
			b.Fatalf("Deliver = %v", r)
		}
	}
	b.ReportMetric(float64(b.N*benchEvents)/b.Elapsed().Seconds(), "events/s")
	st := s.Stats()
	b.ReportMetric(float64(st.BytesSent)/float64(st.BytesRaw), "sent/raw")
}

// TestKafkaBenchReport prints the make bench rows: events/s and CPU per event (the
// process's user+system time, so the in-process broker or HTTP server is counted on
// both sides) for each compression against the ndjson intake. Only with
// K8SAUDIT_BENCH=1 (make bench).
func TestKafkaBenchReport(t *testing.T) {
	if os.Getenv("K8SAUDIT_BENCH") == "" {
		t.Skip("K8SAUDIT_BENCH=1 runs it (make bench)")
	}
	loadFixtures(t)
	row := func(name string, f func(*testing.B)) float64 {
		c0 := cpuTime()
		var runs int
		res := testing.Benchmark(func(b *testing.B) { f(b); runs += b.N })
		cpu := cpuTime() - c0
		ev := float64(res.N * benchEvents)
		cpuPerEv := float64(cpu.Nanoseconds()) / float64(runs*benchEvents) / 1e3 // warm-up runs included: an upper bound
		fmt.Printf("bench kafka  %-14s %9.0f events/s  %6.2f µs CPU/event  %5.1f allocs/event  sent/raw %.3f  %s/op\n",
			name, ev/res.T.Seconds(), cpuPerEv, float64(res.AllocsPerOp())/benchEvents, res.Extra["sent/raw"], time.Duration(res.NsPerOp()))
		return cpuPerEv
	}
	ref := row("ndjson+gzip", BenchmarkNDJSONDeliver)
	for _, comp := range []string{"zstd", "lz4", "none"} {
		k := row("kafka+"+comp, func(b *testing.B) { benchKafka(b, comp) })
		fmt.Printf("bench kafka  %-14s CPU per event %.2fx the ndjson intake's\n", "kafka+"+comp, k/ref)
	}
}

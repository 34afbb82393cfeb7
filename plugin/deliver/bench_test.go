package deliver

import (
	"context"
	"fmt"
	"testing"
)

// realisticDocs are ECS documents shaped like the normalizer's output for a pod update
// (about 1.5 KB each), distinct by auditID and timestamps.
func realisticDocs(n int) *Docs {
	d := new(Docs)
	for i := 0; i < n; i++ {
		d.Append(fmt.Appendf(nil, `{"@timestamp":"2026-03-14T09:%02d:%02d.%06dZ","event":{"kind":"event","module":"kubernetes","dataset":"kubernetes.audit_logs","id":"6f0c%04x-2b1e-4c8a-9f4d-%012x","code":"6f0c%04x-2b1e-4c8a-9f4d-%012x","action":"patch","category":["api"],"type":["change","allowed"],"outcome":"success","start":"2026-03-14T09:%02d:%02d.%06dZ","end":"2026-03-14T09:%02d:%02d.%06dZ","duration":4211000,"reason":"RBAC: allowed by ClusterRoleBinding \"system:controller:deployment-controller\" of ClusterRole \"system:controller:deployment-controller\" to ServiceAccount \"deployment-controller/kube-system\""},"user":{"name":"system:serviceaccount:kube-system:deployment-controller","id":"0b5e8f1c-1d2a-4e7b-8a39-5c2d1f7e9a%02d","roles":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"related":{"user":["system:serviceaccount:kube-system:deployment-controller"],"ip":["10.0.%d.%d"]},"source":{"ip":"10.0.%d.%d","address":"10.0.%d.%d"},"user_agent":{"original":"kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:deployment-controller","name":"kube-controller-manager","version":"v1.31.2","os":{"name":"linux"}},"url":{"original":"/apis/apps/v1/namespaces/payments/replicasets/checkout-7d9c6b5f4%d/status","path":"/apis/apps/v1/namespaces/payments/replicasets/checkout-7d9c6b5f4%d/status"},"http":{"request":{"method":"PATCH"},"response":{"status_code":200}},"orchestrator":{"type":"kubernetes","cluster":{"name":"prod-eu-west-1"},"namespace":"payments","resource":{"type":"replicasets","name":"checkout-7d9c6b5f4%d","id":"c1f3a2b4-5d6e-4f70-8a9b-0c1d2e3f4a%02d"},"api_version":"apps/v1"},"kubernetes":{"audit":{"level":"Metadata","stage":"ResponseComplete","annotations":{"authorization_k8s_io/decision":"allow"}}},"labels":{"redacted":false}}`,
			i/60%60, i%60, i*7919%1000000, i, i, i, i, i/60%60, i%60, i*7919%1000000, i/60%60, i%60, (i*7919+4211)%1000000,
			i%100, i%250, i%200, i%250, i%200, i%250, i%200, i%10, i%10, i%10, i%100),
			Meta{AuditID: fmt.Appendf(nil, "6f0c%04x-2b1e-4c8a-9f4d-%012x", i, i), Stage: []byte("ResponseComplete"), Time: 1773478800e9 + int64(i)*1e9 + 123456789})
	}
	return d
}

// nopPoster accepts everything and keeps nothing: the batching and gzip path alone.
type nopPoster struct{}

func (nopPoster) Post(context.Context, []byte, string) Answer { return Answer{Status: 200} }

func benchSender(tb testing.TB, compress bool) *Sender {
	s, err := New(Options{Poster: nopPoster{}, Compress: compress, TLSVerify: true})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Batching, framing, hashing and gzip allocate nothing once the pool is warm, however
// many documents the chunk holds.
func TestDeliverAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	for _, compress := range []bool{false, true} {
		s := benchSender(t, compress)
		allocs := map[int]float64{}
		for _, n := range []int{1000, 2000, 8000} { // 8000 docs: three requests
			docs := realisticDocs(n)
			allocs[n] = testing.AllocsPerRun(20, func() {
				s.mem.reset() // or every run after the first would be skipped as already delivered
				if r := s.Deliver(context.Background(), docs); r != Delivered {
					t.Fatal(r)
				}
			})
		}
		if allocs[1000] != 0 || allocs[2000] != 0 || allocs[8000] != 0 {
			t.Errorf("compress=%v: allocations per Deliver %v, want 0", compress, allocs)
		}
	}
}

func BenchmarkDeliverGzip(b *testing.B) {
	s := benchSender(b, true)
	docs := realisticDocs(1500) // one chunk of about 2 MB, as Fluent Bit hands them
	b.SetBytes(int64(docs.Bytes() + docs.Len()))
	b.ReportAllocs()
	for b.Loop() {
		s.mem.reset()
		s.Deliver(context.Background(), docs)
	}
	b.ReportMetric(float64(docs.Bytes())/float64(docs.Len()), "B/doc")
	st := s.Stats()
	b.ReportMetric(float64(st.BytesRaw)/float64(st.BytesSent), "ratio")
}

func BenchmarkDeliverPlain(b *testing.B) {
	s := benchSender(b, false)
	docs := realisticDocs(1500)
	b.SetBytes(int64(docs.Bytes() + docs.Len()))
	b.ReportAllocs()
	for b.Loop() {
		s.mem.reset()
		s.Deliver(context.Background(), docs)
	}
}

// Every intake's framing (action lines, envelopes, escaping, timestamps, hash ids)
// allocates nothing per document.
func TestFramingAllocations(t *testing.T) {
	docs := realisticDocs(500)
	noID := new(Docs)
	for k := 0; k < 100; k++ {
		noID.Append(docs.Doc(k), Meta{})
	}
	sel := make([]int32, docs.Len())
	for k := range sel {
		sel[k] = int32(k)
	}
	for _, fr := range testFramings(t) {
		buf := frame(nil, fr, docs, sel)
		allocs := testing.AllocsPerRun(10, func() {
			for i := 0; i < docs.Len(); {
				i = nextBatch(fr, docs, i, 200_000, 1000, 300_000, nil)
			}
			buf = frame(buf[:0], fr, docs, sel)
			buf = frame(buf[:0], fr, noID, sel[:100])
		})
		if allocs != 0 {
			t.Errorf("%T: %v allocations per chunk", fr, allocs)
		}
	}
}

// The Elasticsearch framing hashes every document for its _id (SHA-256, collision-safe
// ids): this is its cost on the same chunk as BenchmarkDeliverGzip.
func BenchmarkDeliverGzipElasticsearch(b *testing.B) {
	s, err := New(Options{Intake: "elasticsearch", Index: "logs-k8s", Poster: esOKPoster{}, Compress: true, TLSVerify: true})
	if err != nil {
		b.Fatal(err)
	}
	docs := realisticDocs(1500)
	b.SetBytes(int64(docs.Bytes() + docs.Len()))
	b.ReportAllocs()
	for b.Loop() {
		s.mem.reset()
		s.Deliver(context.Background(), docs)
	}
}

// esOKPoster answers every bulk request as wholly indexed.
type esOKPoster struct{}

func (esOKPoster) Post(context.Context, []byte, string) Answer {
	return Answer{Status: 200, Body: []byte(`{"errors":false}`)}
}

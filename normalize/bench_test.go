package normalize

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/valyala/fastjson"
)

// The benchmarks run on the same bytes: every line of the real/ fixtures
// (.log and .jsonl, 156 lines, 0.9 MB, 80% of it request and response
// bodies), and b.SetBytes counts input bytes on both sides, so MB/s compare.

func benchLines(b testing.TB) ([][]byte, int64) {
	lines := realLines(b)
	var total int64
	for _, l := range lines {
		total += int64(len(l))
	}
	return lines, total
}

var benchFormats = []struct {
	name string
	o    Options
}{{"ecs", Options{ClusterName: "test"}}, {"raw", Options{Format: Raw}}}

// BenchmarkNormalize normalizes every real fixture line.
func BenchmarkNormalize(b *testing.B) {
	for _, c := range benchFormats {
		b.Run(c.name, func(b *testing.B) { benchNormalize(b, c.o) })
	}
	// The same lines with the GCE policy and redaction on: their cost next
	// to the bare normalizer.
	for _, c := range benchFormats {
		o := c.o
		o.Redact = true
		b.Run(c.name+"+redact", func(b *testing.B) { benchNormalize(b, o) })
		o.Policy = gcePolicy(b)
		b.Run(c.name+"+policy+redact", func(b *testing.B) { benchNormalize(b, o) })
	}
}

func benchNormalize(b *testing.B, o Options) {
	lines, total := benchLines(b)
	benchNormalizeLines(b, o, lines, total)
}

func benchNormalizeLines(b *testing.B, o Options, lines [][]byte, total int64) {
	n := New(o)
	for _, l := range lines { // warm-up: grow buffers and caches
		n.Normalize(l, testRecordTime)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			n.Normalize(l, testRecordTime)
		}
	}
}

// BenchmarkFastjsonParseOnly parses the same lines with a reused parser: the
// floor that BenchmarkNormalize is compared with.
func BenchmarkFastjsonParseOnly(b *testing.B) {
	lines, total := benchLines(b)
	benchParseLines(b, lines, total)
}

// webhookBatch is the EventList of 20 events the webhook backend sent in the
// chunk fixtures: a record with many documents.
func webhookBatch(b testing.TB) ([][]byte, int64) {
	needFixtures(b)
	rec, err := os.ReadFile(filepath.Join(fixtureRoot, "chunks", "webhook-eventlist.json"))
	if err != nil {
		b.Fatal(err)
	}
	rec = bytes.TrimSpace(rec)
	return [][]byte{rec}, int64(len(rec))
}

// BenchmarkNormalizeWebhookBatch and BenchmarkFastjsonParseOnlyWebhookBatch
// are the two above on the webhook batch.
func BenchmarkNormalizeWebhookBatch(b *testing.B) {
	lines, total := webhookBatch(b)
	benchNormalizeLines(b, Options{ClusterName: "test"}, lines, total)
}

func BenchmarkFastjsonParseOnlyWebhookBatch(b *testing.B) {
	lines, total := webhookBatch(b)
	benchParseLines(b, lines, total)
}

func benchParseLines(b *testing.B, lines [][]byte, total int64) {
	var p fastjson.Parser
	for _, l := range lines {
		p.ParseBytes(l)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			if _, err := p.ParseBytes(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestNormalizeRatio prints normalize and parse-only throughput and their
// ratio (K8SAUDIT_BENCH=1; the goal is a ratio of at least 0.6). The two run
// alternately, several rounds, and the best round of each counts, so that a
// busy machine slows both rather than one.
func TestNormalizeRatio(t *testing.T) {
	if os.Getenv("K8SAUDIT_BENCH") != "1" {
		t.Skip("set K8SAUDIT_BENCH=1 to measure")
	}
	mbps := func(r testing.BenchmarkResult) float64 {
		return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	cases := append(benchFormats[:len(benchFormats):len(benchFormats)], struct {
		name string
		o    Options
	}{"ecs+redact (the plugin's default)", Options{ClusterName: "test", Redact: true}})
	for _, c := range cases {
		var norm, parse float64
		for round := 0; round < 5; round++ {
			norm = max(norm, mbps(testing.Benchmark(func(b *testing.B) { benchNormalize(b, c.o) })))
			parse = max(parse, mbps(testing.Benchmark(BenchmarkFastjsonParseOnly)))
		}
		t.Logf("%s: normalize %.0f MB/s, parse-only %.0f MB/s, ratio %.2f", c.name, norm, parse, ratioOf(t, c.name, norm, parse))
	}
	var norm, parse float64
	for round := 0; round < 5; round++ {
		norm = max(norm, mbps(testing.Benchmark(BenchmarkNormalizeWebhookBatch)))
		parse = max(parse, mbps(testing.Benchmark(BenchmarkFastjsonParseOnlyWebhookBatch)))
	}
	t.Logf("ecs, the webhook batch (one EventList of 20 events): normalize %.0f MB/s, parse-only %.0f MB/s, ratio %.2f", norm, parse, ratioOf(t, "webhook batch", norm, parse))
	logDetectCost(t)
}

// ratioOf returns a/b, or fails the test when either throughput is not a positive
// number: a benchmark that failed or skipped inside testing.Benchmark reports no
// iterations, and the report would print "ratio NaN" and pass.
func ratioOf(t testing.TB, what string, a, b float64) float64 {
	t.Helper()
	r := a / b
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) || math.IsNaN(r) {
		t.Fatalf("%s: cannot compute the ratio (%g MB/s against %g MB/s): a benchmark reported no iterations", what, a, b)
	}
	return r
}

// fatalRecorder is a testing.TB whose Fatalf only records, so that ratioOf's refusal can
// be observed without ending the test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (r *fatalRecorder) Helper()               {}
func (r *fatalRecorder) Fatalf(string, ...any) { r.failed = true }

// TestRatioOfRefusesMissingThroughput: a benchmark with no iterations (0 MB/s, NaN) or an
// infinite rate makes the report fail instead of printing "ratio NaN"; real rates pass.
func TestRatioOfRefusesMissingThroughput(t *testing.T) {
	for _, c := range []struct{ a, b float64 }{{0, 5}, {5, 0}, {0, 0}, {math.NaN(), 5}, {5, math.Inf(1)}, {-1, 5}} {
		r := &fatalRecorder{TB: t}
		ratioOf(r, "case", c.a, c.b)
		if !r.failed {
			t.Errorf("ratioOf(%g, %g) passed", c.a, c.b)
		}
	}
	r := &fatalRecorder{TB: t}
	if got := ratioOf(r, "case", 3, 6); r.failed || got != 0.5 {
		t.Errorf("ratioOf(3, 6) = %g, failed %v", got, r.failed)
	}
}

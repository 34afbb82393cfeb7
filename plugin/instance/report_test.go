package instance

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fastjson"

	"github.com/k8saudit/k8saudit/plugin/chunk"
	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// TestThroughputReport is what `make bench` prints: the whole flush path (chunk bytes to
// gzipped batches, no network) against the machine's own limits on the same bytes —
// fastjson parsing every event and nothing else, and gzip of the raw lines and nothing
// else. The ratios, not the absolute times, say where the plugin stands. The floor is
// gzip of the documents the flush sends, alone, against the same yardstick: ECS
// documents are larger than the events they come from, and compress at their own speed.
func TestThroughputReport(t *testing.T) {
	if os.Getenv("K8SAUDIT_BENCH") == "" {
		t.Skip("set K8SAUDIT_BENCH=1 (make bench) to print the throughput report")
	}
	type fixture struct {
		name, note string
		data       []byte
	}
	var fixtures []fixture
	for _, name := range []string{"v5-tail-raw", "v5-tail-json", "v5-http-eventlist"} {
		fixtures = append(fixtures, fixture{name: name, data: readFixture(t, "chunks", name+".msgpack")})
	}
	// The webhook's EventList again, as the raw line its JSON is: the same events and
	// bytes, without the msgpack map to render. What separates its ratio from the
	// EventList's is the msgpack road; what separates it from v5-tail-raw's is the
	// shape (small events whose ECS documents grow more, a batch gzip compresses far
	// better than the documents made of it).
	_, list := eventsOf(t, fixtures[2].data)
	fixtures = append(fixtures, fixture{"eventlist-as-line", " (the EventList's JSON as a raw log line)",
		chunktest.RawLines(list, "log", time.Unix(1700000000, 0))})
	for _, fx := range fixtures {
		name, data := fx.name, fx.data
		events, lines := eventsOf(t, data)
		inputBytes := 0
		for _, l := range lines {
			inputBytes += len(l)
		}

		flush := testing.Benchmark(func(b *testing.B) {
			in := newInstance(b, config.Map{"url": "http://intake.invalid/"}, discard{})
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				in.shipper.(*deliver.Sender).ForgetDelivered() // take the whole path every time, as a new chunk would
				in.Flush(data)
			}
		})
		// The same flush without gzip: the difference is what gzip costs inside the flush,
		// which is more than gzip-only below, a loop over the same bytes: between two
		// compressions the reader and the normalizer evict the compressor's tables and
		// retrain the branch predictors a loop over one input keeps trained.
		plain := testing.Benchmark(func(b *testing.B) {
			in := newInstance(b, config.Map{"url": "http://intake.invalid/", "compress": "none"}, discard{})
			for i := 0; i < b.N; i++ {
				in.shipper.(*deliver.Sender).ForgetDelivered()
				in.Flush(data)
			}
		})
		parse := testing.Benchmark(func(b *testing.B) {
			var p fastjson.Parser
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					if _, err := p.ParseBytes(l); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		zip := gzipOnly(lines)
		// gzip of the documents the flush sends, alone: the part of the flush path no
		// reading or normalizing can remove while the documents stay what they are.
		rec := &recorder{}
		newInstance(t, config.Map{"url": "http://intake.invalid/"}, rec).Flush(data)
		var docs [][]byte
		for _, body := range rec.bodies {
			docs = append(docs, bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))...)
		}
		zipDocs := gzipOnly(docs)
		mbps := func(r testing.BenchmarkResult) float64 {
			return float64(inputBytes) * float64(r.N) / r.T.Seconds() / 1e6
		}
		evps := func(r testing.BenchmarkResult) float64 { return float64(events*r.N) / r.T.Seconds() }
		fmt.Printf("%-18s %4d events, %7d input bytes (JSON lines)%s\n", name, events, inputBytes, fx.note)
		fmt.Printf("  flush path (read+normalize+batch+gzip) %8.1f MB/s %9.0f events/s  %6.2f allocs/event\n",
			mbps(flush), evps(flush), float64(flush.AllocsPerOp())/float64(events))
		fmt.Printf("  fastjson parse-only                   %8.1f MB/s %9.0f events/s\n", mbps(parse), evps(parse))
		fmt.Printf("  gzip-only (level 1)                   %8.1f MB/s\n", mbps(zip))
		fmt.Printf("  ratio flush/parse-only %.2f   ratio flush/gzip-only %.2f\n",
			ratioOf(t, name+" flush/parse-only", mbps(flush), mbps(parse)), ratioOf(t, name+" flush/gzip-only", mbps(flush), mbps(zip)))
		// Issue 20's yardstick: the flush path's time against parse-only plus gzip-only on
		// the same bytes (time, not throughput: >1 means the flush costs more than both).
		parseThenZip := 1 / (1/mbps(parse) + 1/mbps(zip))
		fmt.Printf("  flush time / (parse-only + gzip-only) time %.2f (goal <= 1.30)\n",
			ratioOf(t, name+" flush/(parse+gzip)", parseThenZip, mbps(flush)))
		docBytes := 0
		for _, d := range docs {
			docBytes += len(d) + 1
		}
		fmt.Printf("  floor: gzip-only of the %d documents sent (%d bytes) / (parse-only + gzip-only) time %.2f\n",
			len(docs), docBytes, ratioOf(t, name+" gzip(documents)/(parse+gzip)", parseThenZip, mbps(zipDocs)))
		// Where the flush's time goes: gzip inside it (flush minus the flush without gzip)
		// against the same documents gzipped alone, and everything else against a parse.
		perOp := func(r testing.BenchmarkResult) float64 { return float64(r.T.Nanoseconds()) / float64(r.N) / 1e3 }
		// Without gzip the memory of accepted requests hashes each whole body; with it, the
		// compressed body: that difference is taken out of the rest.
		rest := perOp(plain) - hashTime(rec.bodies) + hashTime(zipEach(rec.bodies))
		inFlushZip := perOp(flush) - rest
		fmt.Printf("  where the time goes: %.0f µs a chunk: gzip %.0f µs (%.2fx the documents gzipped alone in a loop), the rest %.0f µs (%.2fx parse-only)\n\n",
			perOp(flush), inFlushZip, inFlushZip/perOp(zipDocs), rest, rest/perOp(parse))
	}
}

// ratioOf returns a/b, or fails the test when either throughput is not a positive
// number: a benchmark that failed inside testing.Benchmark reports no iterations, and the
// report would print "ratio NaN" and pass.
func ratioOf(t testing.TB, what string, a, b float64) float64 {
	t.Helper()
	r := a / b
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) || math.IsNaN(r) {
		t.Fatalf("%s: cannot compute the ratio (%g MB/s against %g MB/s): a benchmark reported no iterations", what, a, b)
	}
	return r
}

// eventsOf returns how many audit events a chunk holds and the JSON text of each record.
func eventsOf(t testing.TB, data []byte) (int, [][]byte) {
	var r chunk.Reader
	r.Reset(data, "log")
	var lines [][]byte
	events := 0
	var p fastjson.Parser
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		line := bytes.Clone(rec.Body)
		lines = append(lines, line)
		v, err := p.ParseBytes(line)
		if err != nil {
			t.Fatal(err)
		}
		if items := v.GetArray("items"); items != nil {
			events += len(items)
		} else {
			events++
		}
	}
	return events, lines
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

// answering is a Poster that answers every request with 200 and the intake's body of
// success (per-item intakes read one).
type answering struct{ body []byte }

func (a answering) Post(context.Context, []byte, string) deliver.Answer {
	return deliver.Answer{Status: 200, Body: a.body}
}

// TestIntakeFlushReport prints, per HTTP intake, the whole flush path (read, normalize,
// frame, gzip; no network) on the real tail chunk against gzip alone on the same lines:
// the framings should all sit in the same range (make bench).
func TestIntakeFlushReport(t *testing.T) {
	if os.Getenv("K8SAUDIT_BENCH") == "" {
		t.Skip("set K8SAUDIT_BENCH=1 (make bench) to print the per-intake report")
	}
	data := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	_, lines := eventsOf(t, data)
	zip := gzipOnly(lines)
	ndjsonNs := 0.0
	for _, base := range propIntakes {
		props := config.Map{"url": "http://intake.invalid/"}
		for k, v := range base {
			props[k] = v
		}
		flush := testing.Benchmark(func(b *testing.B) {
			in := newInstance(b, props, answering{okBody(base["intake"])})
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				in.shipper.(*deliver.Sender).ForgetDelivered()
				in.Flush(data)
			}
		})
		label := base["intake"]
		if e := base["otlp_encoding"]; e != "" {
			label += "/" + e
		}
		if ndjsonNs == 0 {
			ndjsonNs = float64(flush.NsPerOp()) // propIntakes begins with ndjson: the yardstick of the others
		}
		perEvent := float64(flush.NsPerOp()) / float64(len(lines))
		fmt.Printf("intake %-14s flush path %6.0f µs/chunk  %5.1f µs/event  %6.0f events/s/core  x%.2f ndjson  ratio flush/gzip-only %.2f  %.2f allocs/event\n", label,
			float64(flush.NsPerOp())/1e3, perEvent/1e3, 1e9/perEvent, float64(flush.NsPerOp())/ndjsonNs,
			ratioOf(t, label+" flush/gzip-only", float64(zip.NsPerOp()), float64(flush.NsPerOp())),
			float64(flush.AllocsPerOp())/float64(len(lines)))
	}
}

// gzipOnly benchmarks gzip (level 1, the plugin's default) of the lines as NDJSON and
// nothing else: the machine's own limit the flush path is measured against.
func gzipOnly(lines [][]byte) testing.BenchmarkResult {
	return testing.Benchmark(func(b *testing.B) {
		zw, _ := gzip.NewWriterLevel(io.Discard, 1)
		for i := 0; i < b.N; i++ {
			zw.Reset(io.Discard)
			for _, l := range lines {
				_, _ = zw.Write(l)
				_, _ = zw.Write([]byte{'\n'})
			}
			_ = zw.Close()
		}
	})
}

// hashTime estimates the µs the memory of accepted requests spends keying bodies with two
// maphash passes over each; deliver's one GMAC pass costs about 0.6 of that, so the
// correction it gives the where-the-time-goes row is an upper bound.
func hashTime(bodies [][]byte) float64 {
	s0, s1 := maphash.MakeSeed(), maphash.MakeSeed()
	var sum uint64
	r := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, body := range bodies {
				sum ^= maphash.Bytes(s0, body) ^ maphash.Bytes(s1, body)
			}
		}
	})
	hashSink = sum
	return float64(r.T.Nanoseconds()) / float64(r.N) / 1e3
}

var hashSink uint64

// zipEach returns each body gzipped at level 1, as the flush sends it.
func zipEach(bodies [][]byte) [][]byte {
	out := make([][]byte, len(bodies))
	for i, body := range bodies {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, 1)
		_, _ = zw.Write(body)
		_ = zw.Close()
		out[i] = buf.Bytes()
	}
	return out
}

package normalize

import (
	"testing"

	"github.com/valyala/fastjson"
)

func benchLines(b *testing.B) ([][]byte, int64) {
	lines := realLines(b)
	var total int64
	for _, l := range lines {
		total += int64(len(l))
	}
	return lines, total
}

// BenchmarkNormalize normalizes every real fixture line (format ecs).
func BenchmarkNormalize(b *testing.B) {
	for _, c := range []struct {
		name string
		o    Options
	}{{"ecs", Options{ClusterName: "test"}}, {"raw", Options{Format: Raw}}} {
		b.Run(c.name, func(b *testing.B) {
			lines, total := benchLines(b)
			n := New(c.o)
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
		})
	}
}

// BenchmarkFastjsonParseOnly parses the same lines with a reused parser: the
// floor that BenchmarkNormalize is compared with.
func BenchmarkFastjsonParseOnly(b *testing.B) {
	lines, total := benchLines(b)
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

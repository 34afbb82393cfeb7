package otlp

import (
	"github.com/k8saudit/k8saudit/normalize"
	"testing"
)

// BenchmarkFraming: framing alone (no gzip, no network), both encodings, on the fixtures.
func BenchmarkFraming(b *testing.B) {
	d := realDocs(b, normalize.ECS)
	for _, enc := range encodings {
		f := newFraming("kube-apiserver", "n", enc.pb)
		b.Run(enc.name, func(b *testing.B) {
			dst := make([]byte, 0, 8<<20)
			for i := 0; i < b.N; i++ {
				dst = f.AppendOpen(dst[:0])
				for k := 0; k < d.Len(); k++ {
					_ = f.DocLen(d, k, k == 0)
					dst = f.AppendDoc(dst, d, k, k == 0)
				}
				dst = f.AppendClose(dst)
			}
			b.ReportMetric(float64(len(dst)), "bytes")
		})
	}
}

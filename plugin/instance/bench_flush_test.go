package instance

import (
	"testing"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// BenchmarkFlush is the flush path TestThroughputReport measures (read, normalize, batch,
// gzip; no network), one sub-benchmark per fixture, so that a CPU profile can be taken of
// exactly what the report's ratio counts.
func BenchmarkFlush(b *testing.B) {
	for _, name := range []string{"v5-tail-raw", "v5-tail-json", "v5-http-eventlist"} {
		b.Run(name, func(b *testing.B) {
			data := readFixture(b, "chunks", name+".msgpack")
			in := newInstance(b, config.Map{"url": "http://intake.invalid/"}, discard{})
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				in.shipper.(*deliver.Sender).ForgetDelivered()
				in.Flush(data)
			}
		})
	}
}

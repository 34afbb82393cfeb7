package instance

import (
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/logging"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

// BenchmarkFlushMetrics is the flush path (every detection on) outside any hub and
// registered in one: the difference is what the metrics cost per chunk.
func BenchmarkFlushMetrics(b *testing.B) {
	chunk := readFixture(b, "chunks", "v5-tail-raw.msgpack")
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			cfg, _, err := config.Parse(config.Map{"url": "http://intake.invalid/", "detect_rules": "all", "stats_interval": "0"})
			if err != nil {
				b.Fatal(err)
			}
			w := With{Poster: discard{}, Name: "k8saudit.0"}
			if on {
				w.Metrics = metrics.NewHub()
			}
			in, err := NewWith(cfg, logging.Discard(), w)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			in.Flush(chunk)
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in.shipper.(*deliver.Sender).ForgetDelivered()
				in.Flush(chunk)
			}
		})
	}
}

// BenchmarkPendingTracker is what the oldest-undelivered gauge adds per flush.
func BenchmarkPendingTracker(b *testing.B) {
	var p pending
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.end(p.start(time.Now().UnixNano()))
	}
}

//go:build unix

package instance

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// TestSyslogBenchReport prints the `make bench` rows of intake syslog: the whole flush path
// (chunk to normalized documents to syslog messages on a loopback TCP connection, the
// receiver discarding, each flush waiting for the receiver's acknowledgements) against the
// ndjson intake's flush path on the same chunk (gzipped batches handed to a transport that
// discards them). Events/s and CPU per event (the process's user+system time, the receiver
// included: an upper bound for the plugin). Kafka's rows come from
// plugin/intake/kafka (TestKafkaBenchReport).
func TestSyslogBenchReport(t *testing.T) {
	if os.Getenv("K8SAUDIT_BENCH") == "" {
		t.Skip("set K8SAUDIT_BENCH=1 (make bench) to print the syslog rows")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	data := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	events, _ := eventsOf(t, data)
	row := func(name string, props config.Map, p deliver.Poster) float64 {
		c0, runs := cpuTime(), 0
		res := testing.Benchmark(func(b *testing.B) {
			in := newInstance(b, props, p)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if s, ok := in.shipper.(*deliver.Sender); ok {
					s.ForgetDelivered() // the whole path every time, as a new chunk would
				}
				if code := in.Flush(data); code != OK {
					b.Fatalf("flush = %v", code)
				}
			}
			runs += b.N
		})
		cpu := float64((cpuTime() - c0).Nanoseconds()) / float64(runs*events) / 1e3 // warm-up runs included
		fmt.Printf("bench syslog %-22s %9.0f events/s  %6.2f µs CPU/event  %5.2f allocs/event\n",
			name, float64(res.N*events)/res.T.Seconds(), cpu, float64(res.AllocsPerOp())/float64(events))
		return cpu
	}
	ref := row("ndjson+gzip (no network)", config.Map{"url": "http://intake.invalid/"}, discard{})
	s := row("syslog (loopback TCP)", config.Map{"intake": "syslog", "url": "tcp://" + ln.Addr().String()}, nil)
	fmt.Printf("bench syslog %-22s CPU per event %.2fx the ndjson intake's\n", "syslog", ratioOf(t, "syslog/ndjson CPU", s, ref))
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

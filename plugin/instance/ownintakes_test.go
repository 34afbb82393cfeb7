package instance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/logging"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

// The registered intakes with their own transport, driven as Fluent Bit drives the
// plugin: a real chunk through `intake kafka` into franz-go's in-process cluster, and
// through `intake syslog` into a TCP receiver, metrics included.

// newMetered builds an instance from props with its own metrics hub on a free port.
func newMetered(t *testing.T, props config.Map) (*Instance, string) {
	t.Helper()
	props["metrics_listen"], props["stats_interval"] = "127.0.0.1:0", "0"
	cfg, warns, err := config.Parse(props)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Parse: %v %q", err, warns)
	}
	hub := metrics.NewHub()
	in, err := NewWith(cfg, logging.Discard(), With{Name: "k8saudit.0", Metrics: hub})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in, hub.Addr()
}

// requests is k8saudit_requests_total of output k8saudit.0 for intake and class.
func requests(t *testing.T, addr, intake, class string) float64 {
	t.Helper()
	return scrape(t, addr)[`k8saudit_requests_total{code_class="`+class+`",intake="`+intake+`",output="k8saudit.0"}`]
}

// TestKafkaIntakeThroughTheInstance: min.insync.replicas not met (NOT_ENOUGH_REPLICAS on
// every produce) makes the flush RETRY, never OK; once the replicas are back the same
// chunk is OK, and the topics hold every document exactly once — detections in their own
// topic, the one document above max_record_bytes in dead_letter_file instead.
func TestKafkaIntakeThroughTheInstance(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, "k8s-audit", "k8s-audit-alerts"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	// max_record_bytes just under the largest document: exactly one is set aside.
	largest := largestDoc(t, chunk)
	in, addr := newMetered(t, config.Map{"intake": "kafka", "brokers": strings.Join(c.ListenAddrs(), ","), "topic_alerts": "k8s-audit-alerts",
		"detect_rules": "all", "retry_budget": "1s", "dead_letter_file": dl, "max_record_bytes": strconv.Itoa(largest - 1)})

	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
	if code := in.Flush(chunk); code != Retry {
		t.Fatalf("flush with min.insync.replicas not met = %v, want retry", code)
	}
	if h.Hits() == 0 {
		t.Fatal("the fault never fired")
	}
	if n := requests(t, addr, "kafka", "error"); n < 1 {
		t.Errorf("requests_total{error} = %v after a retried flush", n)
	}
	h.Remove()
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush once the replicas are back = %v, want ok", code)
	}
	st := in.shipper.Stats()
	sum := in.Summary()
	if st.DeadLettered != 1 || !strings.Contains(sum, "documents=142 ") {
		t.Fatalf("stats %+v, summary %s", st, sum)
	}
	events, alerts := consumeTopic(t, c.ListenAddrs(), "k8s-audit"), consumeTopic(t, c.ListenAddrs(), "k8s-audit-alerts")
	if len(alerts) == 0 {
		t.Error("no detection reached topic_alerts")
	}
	keys := map[string]int{}
	for topic, recs := range map[string][]*kgo.Record{"k8s-audit": events, "k8s-audit-alerts": alerts} {
		for _, r := range recs {
			keys[string(r.Key)]++
			var doc struct{ Event struct{ Kind string } }
			if err := json.Unmarshal(r.Value, &doc); err != nil {
				t.Fatalf("%s: a record is not JSON: %v", topic, err)
			}
			if (doc.Event.Kind == "alert") != (topic == "k8s-audit-alerts") {
				t.Errorf("a document of kind %s in %s", doc.Event.Kind, topic)
			}
		}
	}
	for k, n := range keys {
		if n != 1 {
			t.Errorf("key %s produced %d times", k, n)
		}
	}
	if got := len(events) + len(alerts); got != 141 || uint64(got) != st.Delivered {
		t.Errorf("%d records in the topics, %d delivered, want 141 (142 documents, 1 dead-lettered)", got, st.Delivered)
	}
	b, err := os.ReadFile(dl)
	if err != nil || bytes.Count(b, []byte("\n")) != 1 || !bytes.Contains(b, []byte("larger than max_record_bytes")) {
		t.Errorf("dead_letter_file: %v %.300s", err, b)
	}
	if n := requests(t, addr, "kafka", "2xx"); n < 1 {
		t.Errorf("requests_total{2xx} = %v after a delivered flush", n)
	}
}

// largestDoc is the size of the largest document the instance makes of chunk (through
// a discard intake with the same detections).
func largestDoc(t *testing.T, chunk []byte) int {
	t.Helper()
	r := &recorder{}
	in := newInstance(t, config.Map{"url": "http://127.0.0.1:1/", "detect_rules": "all", "compress": "none"}, r)
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	max := 0
	for _, b := range r.bodies {
		for _, l := range lines(b) {
			max = maxInt(max, len(l))
		}
	}
	return max
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func consumeTopic(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for quiet := 0; quiet < 5; {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			quiet++
		}
	}
	return out
}

// syslogReceiver accepts connections and splits octet-counted frames. The first
// connection is reset after its first 8 KiB when resetFirst is set.
type syslogReceiver struct {
	ln         net.Listener
	resetFirst bool
	mu         sync.Mutex
	conns      [][]string // the messages of each connection
}

func newSyslogReceiver(t *testing.T, resetFirst bool) *syslogReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &syslogReceiver{ln: ln, resetFirst: resetFirst}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, nil)
			r.mu.Unlock()
			go r.serve(c, i, resetFirst && i == 0)
		}
	}()
	return r
}

func (r *syslogReceiver) serve(c net.Conn, i int, reset bool) {
	defer c.Close()
	if reset {
		_, _ = io.CopyN(io.Discard, c, 8<<10)
		_ = c.(*net.TCPConn).SetLinger(0) // close with unread data: RST
		return
	}
	br := bufio.NewReaderSize(c, 1<<20)
	for {
		n, err := br.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil {
			return
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(br, msg); err != nil {
			return
		}
		r.mu.Lock()
		r.conns[i] = append(r.conns[i], string(msg))
		r.mu.Unlock()
	}
}

func (r *syslogReceiver) messages(conn int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if conn >= len(r.conns) {
		return nil
	}
	return append([]string(nil), r.conns[conn]...)
}

// TestSyslogIntakeThroughTheInstance: a real chunk through `intake syslog` arrives as one
// RFC 5424 message per document, each with its structured data and the whole ECS
// document as body; a receiver that resets the first connection part way through the
// chunk costs a reconnect and a resend, not a document.
func TestSyslogIntakeThroughTheInstance(t *testing.T) {
	for _, reset := range []bool{false, true} {
		t.Run("reset="+strconv.FormatBool(reset), func(t *testing.T) {
			rcv := newSyslogReceiver(t, reset)
			in, addr := newMetered(t, config.Map{"intake": "syslog", "url": "tcp://" + rcv.ln.Addr().String(),
				"syslog_hostname": "cp-1", "retry_budget": "20s", "timeout": "5s"})
			if code := in.Flush(readFixture(t, "chunks", "v5-tail-raw.msgpack")); code != OK {
				t.Fatalf("flush = %v", code)
			}
			last := 0
			if reset {
				last = 1
			}
			// Delivered means the receiver's kernel acknowledged every byte; the reader
			// may still be splitting them.
			var msgs []string
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if msgs = rcv.messages(last); len(msgs) >= 142 {
					break
				}
			}
			if len(msgs) != 142 {
				t.Fatalf("connection %d carried %d messages, want the 142 documents", last, len(msgs))
			}
			seen := map[string]bool{}
			for _, m := range msgs {
				// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BODY
				f := strings.SplitN(m, " ", 7)
				if len(f) < 7 || !strings.HasSuffix(f[0], ">1") || f[2] != "cp-1" || f[3] != "k8saudit" {
					t.Fatalf("header: %.200s", m)
				}
				sd, body, ok := strings.Cut(f[6], "] ")
				if !ok || !strings.HasPrefix(sd, "[k8saudit@32473 ") {
					t.Fatalf("structured data: %.300s", f[6])
				}
				var doc struct {
					Kubernetes struct {
						Audit struct{ AuditID, Stage string } `json:"audit"`
					} `json:"kubernetes"`
				}
				if err := json.Unmarshal([]byte(body), &doc); err != nil {
					t.Fatalf("body is not JSON: %v: %.200s", err, body)
				}
				id := doc.Kubernetes.Audit.AuditID + "/" + doc.Kubernetes.Audit.Stage
				if !strings.Contains(sd, `auditID="`+doc.Kubernetes.Audit.AuditID+`"`) {
					t.Errorf("structured data %s does not carry the body's auditID", sd)
				}
				if seen[id] {
					t.Errorf("%s twice on one connection", id)
				}
				seen[id] = true
			}
			if s := in.Summary(); !strings.Contains(s, "documents=142 ") || !strings.Contains(s, "delivered=142 ") {
				t.Errorf("summary: %s", s)
			}
			if n := requests(t, addr, "syslog", "2xx"); n != 1 {
				t.Errorf("requests_total{2xx} = %v, want 1", n)
			}
			if n := requests(t, addr, "syslog", "error"); (n > 0) != reset {
				t.Errorf("requests_total{error} = %v with reset=%t", n, reset)
			}
		})
	}
}

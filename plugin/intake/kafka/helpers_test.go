package kafka

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/k8saudit/k8saudit/internal/testfix"
	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// The tests run against franz-go's in-process cluster (kfake). The ones that inject no
// fault run against a real cluster when KAFKA_BROKERS is set (host:port[,host:port]):
// each makes its own topic (3 partitions, replication factor min(3, brokers)), e.g.
//
//	KAFKA_BROKERS=127.0.0.1:9092 go test -run 'Real|Once|Concurrent|Keys' ./plugin/intake/kafka
//
// with KAFKA_SASL_MECHANISM/KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD and KAFKA_TLS=on
// for a secured cluster. Fault tests need kfake's control hooks and always use it.

// realBrokers returns KAFKA_BROKERS split, or nil.
func realBrokers() []string {
	v := os.Getenv("KAFKA_BROKERS")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// newFake starts a 3-broker kfake cluster with topic "k8s-audit" (3 partitions).
func newFake(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(3), kfake.SeedTopics(3, DefaultTopic, "k8s-alerts", "k8s-errors")}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// target is where a test produces: kfake, or a real cluster with a fresh topic.
type target struct {
	brokers []string
	topic   string
	real    bool
}

func newTarget(t *testing.T) target {
	t.Helper()
	if b := realBrokers(); b != nil {
		topic := fmt.Sprintf("k8saudit-test-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().UnixNano())
		createTopic(t, b, topic)
		return target{brokers: b, topic: topic, real: true}
	}
	c := newFake(t)
	return target{brokers: c.ListenAddrs(), topic: DefaultTopic}
}

func (tg target) options(o Options) Options {
	o.Brokers = tg.brokers
	o.Topic = tg.topic
	if tg.real {
		o.SASLMechanism = os.Getenv("KAFKA_SASL_MECHANISM")
		o.SASLUsername = os.Getenv("KAFKA_SASL_USERNAME")
		o.SASLPassword = os.Getenv("KAFKA_SASL_PASSWORD")
		o.TLS = os.Getenv("KAFKA_TLS") == "on"
		o.TLSVerify = true
		o.TLSCAFile = os.Getenv("KAFKA_TLS_CA_FILE")
	}
	return o
}

func createTopic(t *testing.T, brokers []string, topic string) {
	t.Helper()
	o := Options{Brokers: brokers, SASLMechanism: os.Getenv("KAFKA_SASL_MECHANISM"), SASLUsername: os.Getenv("KAFKA_SASL_USERNAME"), SASLPassword: os.Getenv("KAFKA_SASL_PASSWORD"), TLS: os.Getenv("KAFKA_TLS") == "on", TLSVerify: true, TLSCAFile: os.Getenv("KAFKA_TLS_CA_FILE")}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	opts, err := clientOpts(&o)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	rf := int16(min(3, len(meta.Brokers)))
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, 3, rf
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create topic %s: %v (code %v)", topic, err, resp)
	}
}

var (
	fixtureOnce sync.Once
	fixtureDocs [][]byte
	fixtureMeta []deliver.Meta
)

// loadFixtures normalizes the real audit logs of testdata/fixtures (ECS, redaction on)
// into documents with their metadata: the corpus every test and the benchmark use.
func loadFixtures(tb testing.TB) {
	tb.Helper()
	files := [][]string{
		{"elastic", "test-kube-audit.log"},
		{"elastic", "test-audit.log"},
		{"real", "audit2rbac_testdata_demo.log"},
		{"real", "openshift-clo_apiaudit_audit.log"},
		{"real", "kube-oidc-proxy_issue70_401_anonymous.jsonl"},
		{"real", "openshift-clo_logsamples_raw_audit_kubernetes.json"},
		{"real", "openshift-clo_logsamples_raw_audit_openshift.json"},
		{"real", "openshift-clo_logsamples_raw_audit_oauth-apiserver.json"},
		{"real", "openshift-clo_apiaudit_vrl_audit_in.log"},
	}
	var raws [][]byte
	for _, f := range files {
		raws = append(raws, testfix.Read(tb, f...))
	}
	fixtureOnce.Do(func() {
		n := normalize.New(normalize.Options{Format: normalize.ECS, Redact: true})
		for _, raw := range raws {
			s := bufio.NewScanner(bytes.NewReader(raw))
			s.Buffer(nil, 1<<24)
			for s.Scan() {
				for _, d := range n.Normalize(s.Bytes(), 0) {
					fixtureDocs = append(fixtureDocs, bytes.Clone(d.JSON))
					fixtureMeta = append(fixtureMeta, deliver.Meta{AuditID: bytes.Clone(d.AuditID), Stage: bytes.Clone(d.Stage), Time: d.Time})
				}
			}
		}
	})
	if len(fixtureDocs) < 100 {
		tb.Fatalf("only %d fixture documents", len(fixtureDocs))
	}
}

// chunk builds a chunk of n distinct documents from the fixtures: document i is fixture
// i%len with its auditID suffixed by tag and i, so that every document of every chunk
// (and of every goroutine) is a different event.
func chunk(tb testing.TB, tag string, n int) *deliver.Docs {
	tb.Helper()
	loadFixtures(tb)
	d := new(deliver.Docs)
	for i := 0; i < n; i++ {
		k := i % len(fixtureDocs)
		m := fixtureMeta[k]
		id := fmt.Sprintf("%s-%s-%d", m.AuditID, tag, i)
		doc := bytes.Replace(fixtureDocs[k], m.AuditID, []byte(id), -1)
		if len(m.AuditID) == 0 {
			doc = append(doc[:len(doc)-1:len(doc)-1], []byte(fmt.Sprintf(`,"labels":{"test":%q}}`, id))...)
		}
		d.Append(doc, deliver.Meta{AuditID: []byte(id), Stage: m.Stage, Time: m.Time})
	}
	return d
}

// consumed is what was read back: how many times each (key, value) was seen.
type consumed map[string]int

// consumeAll reads topic from the start until want records arrived, then keeps reading a
// little longer so that a duplicate past the count would be seen too.
func consumeAll(t *testing.T, tg target, topic string, want int) consumed {
	t.Helper()
	o := tg.options(Options{})
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	opts, _ := clientOpts(&o)
	opts = append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := consumed{}
	total := 0
	deadline := time.Now().Add(20 * time.Second)
	extra := time.Time{}
	for time.Now().Before(deadline) {
		if total >= want && extra.IsZero() {
			extra = time.Now().Add(500 * time.Millisecond)
		}
		if !extra.IsZero() && time.Now().After(extra) {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			got[string(r.Key)+"\x00"+string(r.Value)]++
			total++
		})
	}
	return got
}

// assertOnce checks that every document of the chunks was read back exactly once, under
// its event id key, and nothing else.
func assertOnce(t *testing.T, got consumed, chunks ...*deliver.Docs) {
	t.Helper()
	want := map[string]bool{}
	for _, d := range chunks {
		for i := 0; i < d.Len(); i++ {
			key := appendEventID(nil, d.Key(i), docDigest(d.Doc(i)))
			want[string(key)+"\x00"+string(d.Doc(i))] = true
		}
	}
	missing, dup := 0, 0
	for k := range want {
		switch n := got[k]; {
		case n == 0:
			missing++
		case n > 1:
			dup += n - 1
		}
	}
	stray := 0
	for k := range got {
		if !want[k] {
			stray++
		}
	}
	if missing != 0 || dup != 0 || stray != 0 {
		t.Fatalf("of %d events: %d missing, %d duplicates, %d stray records", len(want), missing, dup, stray)
	}
}

// recLog records log lines for the secret and wording checks.
type recLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLog) add(level, f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(f, a...))
	l.mu.Unlock()
}
func (l *recLog) Errorf(f string, a ...any) { l.add("error", f, a...) }
func (l *recLog) Warnf(f string, a ...any)  { l.add("warn", f, a...) }
func (l *recLog) Infof(f string, a ...any)  { l.add("info", f, a...) }
func (l *recLog) Debugf(f string, a ...any) { l.add("debug", f, a...) }
func (l *recLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newShipper(t testing.TB, o Options) *Shipper {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

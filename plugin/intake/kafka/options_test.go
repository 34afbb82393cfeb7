package kafka

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

const secretPW = "s3cr3t-Pa55word-do-not-log"

func TestOptionsValidation(t *testing.T) {
	bad := []struct {
		o    Options
		want string
	}{
		{Options{}, "brokers"},
		{Options{Brokers: []string{"nohost"}}, "host:port"},
		{Options{Brokers: []string{"a:1"}, Topic: "bad topic"}, "topic"},
		{Options{Brokers: []string{"a:1"}, TopicAlerts: "x/y"}, "topic_alerts"},
		{Options{Brokers: []string{"a:1"}, KeyMode: "auditid"}, "key"},
		{Options{Brokers: []string{"a:1"}, Acks: "0"}, "acks 0"},
		{Options{Brokers: []string{"a:1"}, Compression: "brotli"}, "compression"},
		{Options{Brokers: []string{"a:1"}, SASLMechanism: "GSSAPI"}, "sasl_mechanism"},
		{Options{Brokers: []string{"a:1"}, SASLMechanism: "PLAIN", SASLUsername: "u"}, "sasl_password"},
		{Options{Brokers: []string{"a:1"}, SASLPassword: secretPW}, "without sasl_mechanism"},
		{Options{Brokers: []string{"a:1"}, SASLMechanism: "PLAIN", SASLUsername: "u", SASLPassword: secretPW + "\n"}, "line break"},
		{Options{Brokers: []string{"a:1"}, TLSCAFile: "/x"}, "tls is off"},
		{Options{Brokers: []string{"a:1"}, TLS: true, TLSCrtFile: "/x"}, "go together"},
		{Options{Brokers: []string{"a:1"}, RetryBudget: -time.Second}, "negative"},
	}
	for _, c := range bad {
		_, err := New(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want it to name %q", c.o, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secretPW) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	s, err := New(Options{Brokers: []string{"127.0.0.1:1, 127.0.0.1:2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.o.Topic != DefaultTopic || s.o.KeyMode != KeyEvent || s.o.Acks != "all" || s.o.Compression != "zstd" || len(s.o.Brokers) != 2 || s.o.RetryBudget != DefaultRetryBudget {
		t.Fatalf("defaults: %v", s.o)
	}
}

// The password never appears in a rendering of the options, an error or a log line,
// including when the broker refuses it.
func TestSecretsNeverLogged(t *testing.T) {
	o := Options{Brokers: []string{"a:1"}, SASLMechanism: "SCRAM-SHA-256", SASLUsername: "u", SASLPassword: secretPW}
	for _, s := range []string{o.String(), fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o)} {
		if strings.Contains(s, secretPW) {
			t.Fatalf("options render the password: %s", s)
		}
	}
	c := newFake(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "admin", "right-password"))
	log := new(recLog)
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), SASLMechanism: "SCRAM-SHA-256", SASLUsername: "admin", SASLPassword: secretPW, RetryBudget: time.Second, Logger: log})
	if r := s.Deliver(context.Background(), chunk(t, "sasl-bad", 5)); r != deliver.Retry {
		t.Fatalf("Deliver with a wrong password = %v, want retry (never dropped)", r)
	}
	t.Log(log.String())
	if l := log.String(); strings.Contains(l, secretPW) || l == "" {
		t.Fatalf("log lines (want some, without the password):\n%s", l)
	}
}

// Each SASL mechanism authenticates against kfake and delivers.
func TestSASLMechanisms(t *testing.T) {
	for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(m, func(t *testing.T) {
			c := newFake(t, kfake.EnableSASL(), kfake.Superuser(m, "k8saudit", secretPW))
			s := newShipper(t, Options{Brokers: c.ListenAddrs(), SASLMechanism: m, SASLUsername: "k8saudit", SASLPassword: secretPW, RetryBudget: 5 * time.Second})
			if r := s.Deliver(context.Background(), chunk(t, "sasl-"+m, 20)); r != deliver.Delivered {
				t.Fatalf("Deliver = %v", r)
			}
		})
	}
}

// The declaration covers every configurable option once (its own keys, plus the common
// keys the Opener reads from deliver.Options), with defaults that normalize agrees with,
// and marks the password secret.
func TestKeysTable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Intake.Keys {
		if seen[k.Name] {
			t.Fatalf("key %q duplicated", k.Name)
		}
		seen[k.Name] = true
		if k.Secret != (k.Name == "sasl_password") {
			t.Fatalf("key %q: Secret %t", k.Name, k.Secret)
		}
	}
	common := []string{"tls_verify", "tls_ca_file", "tls_crt_file", "tls_key_file", "tls_server_name", "timeout", "retry_budget"}
	// Options fields that are not keys: hooks set by the plugin.
	notKeys := map[string]bool{"DeadLetter": true, "Logger": true, "Observer": true}
	rt := reflect.TypeOf(Options{})
	if n := rt.NumField() - len(notKeys); n != len(Intake.Keys)+len(common) {
		t.Fatalf("%d option fields, %d keys", n, len(Intake.Keys)+len(common))
	}
	var o Options
	o.Brokers = []string{"a:1"}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	for _, k := range Intake.Keys {
		var got string
		switch k.Name {
		case "topic":
			got = o.Topic
		case "key":
			got = o.KeyMode
		case "acks":
			got = o.Acks
		case "kafka_compression":
			got = o.Compression
		case "client_id":
			got = o.ClientID
		case "kafka_tls":
			got = map[bool]string{true: "on", false: "off"}[o.TLS]
		case "max_record_bytes":
			got = fmt.Sprint(o.MaxRecordBytes)
		default:
			if k.Default != "" {
				t.Errorf("key %s: a default not checked here", k.Name)
			}
			continue
		}
		if got != k.Default {
			t.Fatalf("key %s: table default %q, normalize gives %q", k.Name, k.Default, got)
		}
	}
}

// Keys and topics: key event is auditID-stage-digest (the digest changes with the
// document, so a reused auditID gets another key); key object is namespace/resource/name
// with the event id in a header; alerts and pipeline errors go to their own topics.
func TestKeysAndTopics(t *testing.T) {
	c := newFake(t)
	loadFixtures(t)
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), KeyMode: KeyObject, TopicAlerts: "k8s-alerts", TopicErrors: "k8s-errors"})
	d := new(deliver.Docs)
	var lease int = -1
	for i, doc := range fixtureDocs {
		if strings.Contains(string(doc), `"namespace":"kube-system","resource":{"type":"leases","name":"kubelet-serving-csr-approver"`) {
			lease = i
			break
		}
	}
	if lease < 0 {
		t.Fatal("fixture lease event not found")
	}
	d.Append(fixtureDocs[lease], fixtureMeta[lease])
	alert := `{"@timestamp":"2026-01-01T00:00:00Z","event":{"kind":"alert","id":"a1"},"orchestrator":{"namespace":"ns","resource":{"type":"secrets","name":"x"}}}`
	perr := `{"@timestamp":"2026-01-01T00:00:00Z","event":{"kind":"pipeline_error"},"error":{"message":"\"event\":{\"kind\":\"alert\""}}`
	d.Append([]byte(alert), deliver.Meta{AuditID: []byte("a1"), Stage: []byte("ResponseComplete")})
	d.Append([]byte(perr), deliver.Meta{})
	if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(DefaultTopic, "k8s-alerts", "k8s-errors"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]*kgo.Record{}
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got[r.Topic] = r })
		cancel()
	}
	id := func(i int) string { return string(appendEventID(nil, d.Key(i), docDigest(d.Doc(i)))) }
	check := func(topic, key, hdr string) {
		t.Helper()
		r := got[topic]
		if r == nil {
			t.Fatalf("nothing on topic %s", topic)
		}
		if string(r.Key) != key || len(r.Headers) != 1 || r.Headers[0].Key != idHeader || string(r.Headers[0].Value) != hdr {
			t.Fatalf("topic %s: key %q headers %v, want key %q, %s=%q", topic, r.Key, r.Headers, key, idHeader, hdr)
		}
	}
	check(DefaultTopic, "kube-system/leases/kubelet-serving-csr-approver", id(0))
	check("k8s-alerts", "ns/secrets/x", id(1))
	check("k8s-errors", id(2), id(2)) // no object: keyed by the event id
	if !strings.HasPrefix(id(1), "a1-ResponseComplete-") || len(id(2)) != digestLen {
		t.Fatalf("event ids %q %q", id(1), id(2))
	}
	// A reused auditID on a different document gets a different id.
	other := string(appendEventID(nil, []byte("a1-ResponseComplete"), docDigest([]byte(alert+" "))))
	if other == id(1) {
		t.Fatal("a different document with the same auditID got the same event id")
	}
}

// Every key of the table has a row in the README's Kafka section.
func TestREADMEKafkaRows(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "### Kafka")
	if i < 0 {
		t.Fatal("README has no Kafka section")
	}
	text = text[i:]
	if j := strings.Index(text[1:], "\n## "); j > 0 {
		text = text[:j]
	}
	for _, k := range Intake.Keys {
		if !strings.Contains(text, "`"+k.Name+"`") {
			t.Errorf("key %s has no row in the README's Kafka section", k.Name)
		}
	}
}

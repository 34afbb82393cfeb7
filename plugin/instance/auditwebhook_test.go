package instance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	kjson "sigs.k8s.io/json"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// strictList decodes one request body strictly into the official EventList type: an
// unknown, duplicated or miscased member fails the test.
func strictList(t *testing.T, body []byte) auditv1.EventList {
	t.Helper()
	var list auditv1.EventList
	strict, err := kjson.UnmarshalStrict(body, &list)
	if err != nil || len(strict) != 0 {
		t.Fatalf("a request does not decode strictly as an audit.k8s.io/v1 EventList: %v %v\n%.300s", err, strict, body)
	}
	if list.Kind != "EventList" || list.APIVersion != "audit.k8s.io/v1" {
		t.Fatalf("kind %q apiVersion %q", list.Kind, list.APIVersion)
	}
	return list
}

// expectedEvent is what an input line should arrive as: the line decoded into the
// official type, a legacy timestamp (API servers before 1.9) standing for the missing
// requestReceivedTimestamp and stageTimestamp, rendered back to JSON for comparison.
func expectedEvent(t *testing.T, line []byte) string {
	t.Helper()
	var ev auditv1.Event
	var legacy struct{ Timestamp string }
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(line, &legacy); err != nil {
		t.Fatal(err)
	}
	if legacy.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, legacy.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		if ev.RequestReceivedTimestamp.IsZero() {
			ev.RequestReceivedTimestamp = metav1.NewMicroTime(ts)
		}
		if ev.StageTimestamp.IsZero() {
			ev.StageTimestamp = metav1.NewMicroTime(ts)
		}
	}
	return render(t, ev)
}

func render(t *testing.T, ev auditv1.Event) string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAuditWebhookBatchesAreTheEvents is the acceptance of intake audit_webhook: a real
// chunk (142 events of a real cluster) through the instance with a policy that drops the
// list and watch events; every request decodes strictly into the official EventList,
// and its items are exactly the events the policy kept, in order, equal to the input
// events decoded the same way.
func TestAuditWebhookBatchesAreTheEvents(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: [list, watch]\n- level: RequestResponse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	_, records := eventsOf(t, chunk)
	var want []string
	legacy := 0
	for _, l := range records {
		if v := fastjson.GetString(l, "verb"); v != "list" && v != "watch" {
			want = append(want, expectedEvent(t, l))
			if fastjson.Exists(l, "timestamp") {
				legacy++
			}
		}
	}
	if legacy == 0 {
		t.Fatal("no legacy event (metadata, timestamp) is kept: the conversion is not tested")
	}
	if len(want) == len(records) || len(want) == 0 {
		t.Fatalf("the policy keeps %d of %d events: the test proves nothing", len(want), len(records))
	}
	rec := &recorder{}
	in := newInstance(t, config.Map{"intake": "audit_webhook", "url": "http://intake.invalid/", "policy_file": pol, "batch_events": "25"}, rec)
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	var got []auditv1.Event
	for _, b := range rec.bodies {
		list := strictList(t, b)
		if len(list.Items) > 25 {
			t.Errorf("%d items in one request, batch_events 25", len(list.Items))
		}
		got = append(got, list.Items...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d events shipped, want %d (the policy's)", len(got), len(want))
	}
	for i := range want {
		if g := render(t, got[i]); g != want[i] {
			t.Errorf("item %d differs from the input event:\n got %.400s\nwant %.400s", i, g, want[i])
		}
	}
}

// TestAuditWebhookRedactsAndSetsAsidePipelineErrors: with the secret events, redaction
// stays on (no secret shipped; the events say k8saudit.io/redacted), and a line that is
// no event goes to the dead-letter file, not into a list.
func TestAuditWebhookRedactsAndSetsAsidePipelineErrors(t *testing.T) {
	b, err := os.ReadFile(secretEvents)
	if err != nil {
		t.Fatal(err)
	}
	evs := lines(b)
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	input := append(append([][]byte{}, evs...), []byte("not json at all"))
	chunk := chunktest.RawLines(input, "log", time.Unix(1700000000, 0))
	rec := &recorder{}
	in := newInstance(t, config.Map{"intake": "audit_webhook", "url": "http://intake.invalid/", "redact_paths": "data.password", "dead_letter_file": dl}, rec)
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	shipped := bytes.Join(rec.bodies, nil)
	for _, s := range secretStrings {
		if bytes.Contains(shipped, []byte(s)) {
			t.Errorf("%q shipped", s)
		}
	}
	var items []auditv1.Event
	for _, body := range rec.bodies {
		items = append(items, strictList(t, body).Items...)
	}
	if len(items) != len(evs) {
		t.Fatalf("%d items, want the %d events (the pipeline error set aside)", len(items), len(evs))
	}
	redacted := 0
	for _, ev := range items {
		if ev.Annotations["k8saudit.io/redacted"] == "true" {
			redacted++
		}
	}
	if redacted == 0 {
		t.Error("no shipped event carries the k8saudit.io/redacted annotation")
	}
	dead, err := os.ReadFile(dl)
	if err != nil || bytes.Count(dead, []byte("\n")) != 1 || !bytes.Contains(dead, []byte("pipeline_error document is not an audit event")) {
		t.Errorf("dead letter: %v %q", err, dead)
	}
}

// TestAuditWebhookConfig: format is raw and detection off with this intake; asking
// otherwise is an error naming the key.
func TestAuditWebhookConfig(t *testing.T) {
	c, _, err := config.Parse(config.Map{"intake": "audit_webhook", "url": "https://falco.example:9765/k8s-audit"})
	if err != nil || c.Format != "raw" || c.Detection.On {
		t.Fatalf("defaults: format %q detect %v, %v", c.Format, c.Detection.On, err)
	}
	for key, m := range map[string]config.Map{
		"format":             {"format": "ecs"},
		"detect":             {"detect": "on"},
		"detect_alerts_only": {"detect_alerts_only": "on", "detect": "off"},
	} {
		m["intake"], m["url"] = "audit_webhook", "https://falco.example:9765/k8s-audit"
		if _, _, err := config.Parse(m); err == nil || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("%v: err = %v, want one naming %s", m, err, key)
		}
	}
	if _, _, err := config.Parse(config.Map{"intake": "audit_webhook", "url": "https://x.example/", "format": "raw", "detect": "off"}); err != nil {
		t.Errorf("format raw, detect off: %v", err)
	}
}

// TestAuditWebhookFlakyReceiver: a receiver that answers 503, 429 with Retry-After,
// resets a connection and is slow once: every event arrives exactly once, in lists that
// decode strictly.
func TestAuditWebhookFlakyReceiver(t *testing.T) {
	var mu sync.Mutex
	n := 0
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		switch i {
		case 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		case 2:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		case 4:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // a reset: no answer
			}
			return
		case 6:
			time.Sleep(300 * time.Millisecond)
		}
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("bad gzip: %v", err)
				return
			}
			body, _ = io.ReadAll(zr)
		}
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("headers: %v", r.Header)
		}
		list := strictList(t, body)
		mu.Lock()
		for _, ev := range list.Items {
			seen[string(ev.AuditID)+"/"+string(ev.Stage)]++
		}
		mu.Unlock()
	}))
	defer srv.Close()
	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	_, records := eventsOf(t, chunk)
	cfg, _, err := config.Parse(config.Map{"intake": "audit_webhook", "url": srv.URL + "/k8s-audit", "api_key": "tok", "batch_events": "20", "retry_budget": "30s"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(cfg, logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	code := in.Flush(chunk)
	for tries := 0; code == Retry && tries < 5; tries++ {
		code = in.Flush(chunk) // Fluent Bit's retry of the chunk
	}
	if code != OK {
		t.Fatalf("flush = %v", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(records) {
		t.Errorf("%d distinct events received, want %d", len(seen), len(records))
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("event %s received %d times", k, c)
		}
	}
}

package instance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// mezmoLine is one line of Mezmo's ingestion contract, decoded strictly.
type mezmoLine struct {
	Timestamp int64          `json:"timestamp"`
	Line      string         `json:"line"`
	App       string         `json:"app"`
	Env       string         `json:"env"`
	Level     string         `json:"level"`
	Meta      map[string]any `json:"meta"`
}

// mezmoReceiver checks every request against Mezmo's ingestion contract (POST
// /logs/ingest, hostname and now in the query, the key in the apikey header, gzip, a
// {"lines":[…]} body of lines with these types) and answers as fail(i) says (0 = 200).
type mezmoReceiver struct {
	t     *testing.T
	mu    sync.Mutex
	n     int
	fail  func(i int, w http.ResponseWriter) bool
	lines []mezmoLine
	tags  []string
}

func (m *mezmoReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	i := m.n
	m.n++
	m.mu.Unlock()
	if m.fail != nil && m.fail(i, w) {
		return
	}
	t := m.t
	q := r.URL.Query()
	now, err := strconv.ParseInt(q.Get("now"), 10, 64)
	if r.Method != http.MethodPost || r.URL.Path != "/logs/ingest" || q.Get("hostname") != "cp-1" || err != nil ||
		time.Since(time.UnixMilli(now)).Abs() > time.Minute {
		t.Errorf("request %s %s: not the ingestion contract", r.Method, r.URL)
	}
	if r.Header.Get("apikey") != "ingest-key" || r.Header.Get("Authorization") != "" || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("headers %v", r.Header)
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		t.Errorf("not gzip: %v", err)
		return
	}
	body, _ := io.ReadAll(zr)
	var req struct {
		Lines []mezmoLine `json:"lines"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Lines) == 0 {
		t.Errorf("body: %v: %.200s", err, body)
		return
	}
	m.mu.Lock()
	m.lines = append(m.lines, req.Lines...)
	m.tags = append(m.tags, q.Get("tags"))
	m.mu.Unlock()
}

func newMezmo(t *testing.T, url string) *Instance {
	cfg, _, err := config.Parse(config.Map{"intake": "mezmo", "url": url, "api_key": "ingest-key", "mezmo_hostname": "cp-1",
		"mezmo_tags": "k8s,prod", "mezmo_env": "prod", "batch_events": "25", "retry_budget": "30s"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(cfg, logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// TestMezmoContract: a real chunk through intake mezmo reaches a receiver that checks
// Mezmo's contract on every request; each line is one document (the ECS document as its
// text), with the event's time in ms, the app, env and tags, a level, and the event id.
func TestMezmoContract(t *testing.T) {
	rcv := &mezmoReceiver{t: t}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	events, _ := eventsOf(t, chunk)
	if code := newMezmo(t, srv.URL).Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	if len(rcv.lines) != events {
		t.Fatalf("%d lines, want %d", len(rcv.lines), events)
	}
	levels := map[string]int{}
	for i, l := range rcv.lines {
		var doc struct {
			Timestamp string `json:"@timestamp"`
			Event     struct{ ID string }
		}
		if err := json.Unmarshal([]byte(l.Line), &doc); err != nil {
			t.Fatalf("line %d is not the ECS document: %v", i, err)
		}
		ts, err := time.Parse(time.RFC3339Nano, doc.Timestamp)
		if err != nil || ts.UnixMilli() != l.Timestamp {
			t.Errorf("line %d: timestamp %d, the document's @timestamp %s", i, l.Timestamp, doc.Timestamp)
		}
		if l.App != "k8saudit" || l.Env != "prod" || l.Meta["k8saudit_id"] == nil {
			t.Errorf("line %d: app %q env %q meta %v", i, l.App, l.Env, l.Meta)
		}
		levels[l.Level]++
	}
	if levels["INFO"] == 0 || levels["WARN"] == 0 {
		t.Errorf("levels %v: want INFO lines and WARN (detection) lines", levels)
	}
	for _, tags := range rcv.tags {
		if tags != "k8s,prod" {
			t.Errorf("tags %q", tags)
		}
	}
}

// TestMezmoFlakyReceiver: 503, 429 with Retry-After, a reset and a slow answer lose and
// duplicate nothing.
func TestMezmoFlakyReceiver(t *testing.T) {
	rcv := &mezmoReceiver{t: t, fail: func(i int, w http.ResponseWriter) bool {
		switch i {
		case 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		case 2:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		case 4:
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return true
		case 6:
			time.Sleep(300 * time.Millisecond)
		}
		return false
	}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	events, _ := eventsOf(t, chunk)
	in := newMezmo(t, srv.URL+"/")
	code := in.Flush(chunk)
	for tries := 0; code == Retry && tries < 5; tries++ {
		code = in.Flush(chunk)
	}
	if code != OK {
		t.Fatalf("flush = %v", code)
	}
	seen := map[string]int{}
	for _, l := range rcv.lines {
		seen[l.Line]++
	}
	if len(seen) != events {
		t.Errorf("%d distinct lines, want %d", len(seen), events)
	}
	for line, n := range seen {
		if n != 1 {
			t.Errorf("a line arrived %d times: %.100s", n, line)
		}
	}
}

// TestMezmoConfig: the ingestion key is required and never echoed; a host name with a
// space is refused naming the key.
func TestMezmoConfig(t *testing.T) {
	_, _, err := config.Parse(config.Map{"intake": "mezmo", "url": "https://logs.mezmo.com"})
	if err == nil || !strings.Contains(err.Error(), `"api_key"`) {
		t.Errorf("no api_key: %v", err)
	}
	_, _, err = config.Parse(config.Map{"intake": "mezmo", "url": "https://logs.mezmo.com", "api_key": "s3cr3t-key", "mezmo_hostname": "a b"})
	if err == nil || !strings.Contains(err.Error(), `"mezmo_hostname"`) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad hostname: %v", err)
	}
	c, _, err := config.Parse(config.Map{"intake": "mezmo", "url": "https://logs.mezmo.com", "api_key": "s3cr3t-key"})
	if err != nil || strings.Contains(c.String(), "s3cr3t") {
		t.Errorf("good config: %v; startup line %q", err, c.String())
	}
}

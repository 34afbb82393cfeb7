package instance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/logging"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

// scriptedIntake is an ndjson intake that answers request i with status(i) and keeps its
// own count of what it was sent and what it accepted.
type scriptedIntake struct {
	mu        sync.Mutex
	status    func(i int) int
	requests  int
	byStatus  map[int]int
	bytesWire int // bodies as received (gzip)
	bytesRaw  int // the same, decompressed
	sentDocs  int // documents in every request, every attempt
	accepted  [][]byte
}

func (s *scriptedIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status(s.requests)
	s.requests++
	s.byStatus[st]++
	s.bytesWire += len(body)
	raw := gunzip(body, r.Header.Get("Content-Encoding"))
	s.bytesRaw += len(raw)
	docs := lines(raw)
	s.sentDocs += len(docs)
	if st/100 == 2 {
		s.accepted = append(s.accepted, docs...)
	}
	w.WriteHeader(st)
}

// scrape reads /metrics into series name{labels} -> value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("series line %q: %v", l, err)
		}
		out[l[:i]] = v
	}
	return out
}

// series is one k8saudit series of output o (intake ndjson) with extra labels.
func series(m map[string]float64, t *testing.T, name, extra string) float64 {
	t.Helper()
	k := name + `{intake="ndjson",output="k8saudit.0"` + extra + `}`
	if strings.HasPrefix(extra, ",code_class") { // labels come sorted by name
		k = name + `{` + extra[1:] + `,intake="ndjson",output="k8saudit.0"}`
	}
	v, ok := m[k]
	if !ok {
		t.Fatalf("no series %s", k)
	}
	return v
}

// TestMetricsAddUpThroughAFlakyIntake is the acceptance of the metrics: a chunk shipped
// through an intake that answers 503 once (the chunk goes back to Fluent Bit and is
// flushed again) and 400 once (a batch dead-lettered), with a policy that drops the list
// and watch events. Scraped from /metrics, it proves
//
//	events in the chunk   == documents_total + policy_dropped_total  (no pipeline errors)
//	documents_total       == delivered_total + dead_lettered_total
//	delivered_total       == the documents the intake accepted (its own count)
//	dead_lettered_total   == the lines of dead_letter_file
//	sum requests_total    == the requests the intake received, and per class as scripted
//	bytes_sent/raw_total  == the bodies the intake received, as sent and decompressed
//	batch_documents sum   == the documents the intake was sent, every attempt
//	alerts_total{rule}    == the rule ids of the documents accepted or dead-lettered
//
// and that nothing is pending once the chunk is done, while something was in between.
func TestMetricsAddUpThroughAFlakyIntake(t *testing.T) {
	intake := &scriptedIntake{byStatus: map[int]int{}, status: func(i int) int {
		switch i {
		case 1:
			return 503
		case 3:
			return 400
		}
		return 200
	}}
	srv := httptest.NewServer(intake)
	defer srv.Close()
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: [list, watch]\n- level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dl := filepath.Join(dir, "dead.ndjson")
	cfg, _, err := config.Parse(config.Map{"url": srv.URL, "batch_events": "10", "retry_budget": "1ms", "policy_file": pol,
		"dead_letter_file": dl, "metrics_listen": "127.0.0.1:0", "stats_interval": "0", "detect_rules": "all"})
	if err != nil {
		t.Fatal(err)
	}
	hub := metrics.NewHub()
	in, err := NewWith(cfg, logging.Discard(), With{Name: "k8saudit.0", Metrics: hub})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	addr := hub.Addr()

	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	events, records := eventsOf(t, chunk)
	wantDropped := 0
	for _, l := range records {
		if v := fastjson.GetString(l, "verb"); v == "list" || v == "watch" {
			wantDropped++
		}
	}
	if code := in.Flush(chunk); code != Retry {
		t.Fatalf("first flush = %v, want retry (the 503)", code)
	}
	m := scrape(t, addr)
	if age := series(m, t, "k8saudit_oldest_undelivered_seconds", ""); age <= 0 {
		t.Errorf("a chunk in retry: oldest_undelivered_seconds = %v, want > 0", age)
	}
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("second flush = %v, want ok", code)
	}
	m = scrape(t, addr)
	get := func(name string) float64 { return series(m, t, name, "") }

	deadLines := 0
	rulesSeen := map[string]int{}
	countRules := func(doc map[string]any) {
		r, _ := doc["rule"].(map[string]any)
		ids, _ := r["id"].([]any)
		for _, id := range ids {
			rulesSeen[id.(string)]++
		}
	}
	if b, err := os.ReadFile(dl); err == nil {
		for _, l := range lines(b) {
			deadLines++
			var e struct{ Document map[string]any }
			if err := json.Unmarshal(l, &e); err != nil {
				t.Fatal(err)
			}
			countRules(e.Document)
		}
	}
	for _, l := range intake.accepted {
		var d map[string]any
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatal(err)
		}
		countRules(d)
	}

	if got := get("k8saudit_records_total"); got != float64(len(records)) {
		t.Errorf("records_total %v, want %d (the chunk's records, once despite the retry)", got, len(records))
	}
	if get("k8saudit_pipeline_errors_total") != 0 {
		t.Fatalf("pipeline errors in a clean fixture")
	}
	byReason := func(name string, reasons ...string) (sum float64, each []float64) {
		for _, r := range reasons {
			v := series(m, t, name, `,reason="`+r+`"`)
			sum, each = sum+v, append(each, v)
		}
		return sum, each
	}
	docs := get("k8saudit_documents_total")
	dropped, dropBy := byReason("k8saudit_policy_dropped_total", "rule_1", "rule_2", "no_rule", "detect_alerts_only")
	if dropBy[0] != float64(wantDropped) || dropped != dropBy[0] {
		t.Errorf("policy_dropped_total by reason %v, want all %d on rule_1 (the policy's list/watch rule)", dropBy, wantDropped)
	}
	if docs+dropped != float64(events) || dropped != float64(wantDropped) || wantDropped == 0 {
		t.Errorf("documents %v + policy_dropped %v, want %d events, %d dropped", docs, dropped, events, wantDropped)
	}
	delivered := get("k8saudit_delivered_total")
	dead, deadBy := byReason("k8saudit_dead_lettered_total", "too_large", "refused", "refused_item")
	if deadBy[1] != dead {
		t.Errorf("dead_lettered_total by reason %v, want all on refused (the 400)", deadBy)
	}
	if delivered != float64(len(intake.accepted)) {
		t.Errorf("delivered_total %v, the intake accepted %d", delivered, len(intake.accepted))
	}
	if dead != float64(deadLines) || deadLines != 10 {
		t.Errorf("dead_lettered_total %v, dead_letter_file has %d lines, want 10", dead, deadLines)
	}
	if docs != delivered+dead {
		t.Errorf("documents %v != delivered %v + dead_lettered %v", docs, delivered, dead)
	}
	var reqs float64
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx", "error"} {
		reqs += series(m, t, "k8saudit_requests_total", `,code_class="`+c+`"`)
	}
	if reqs != float64(intake.requests) || series(m, t, "k8saudit_requests_total", `,code_class="5xx"`) != 1 ||
		series(m, t, "k8saudit_requests_total", `,code_class="4xx"`) != 1 ||
		series(m, t, "k8saudit_requests_total", `,code_class="2xx"`) != float64(intake.requests-2) {
		t.Errorf("requests_total %v, the intake received %d (%v)", reqs, intake.requests, intake.byStatus)
	}
	if get("k8saudit_retries_total") != 0 {
		t.Errorf("retries_total %v with a 1ms retry budget", get("k8saudit_retries_total"))
	}
	if get("k8saudit_bytes_sent_total") != float64(intake.bytesWire) || get("k8saudit_bytes_raw_total") != float64(intake.bytesRaw) ||
		intake.bytesWire >= intake.bytesRaw {
		t.Errorf("bytes_sent %v bytes_raw %v, the intake received %d gzip, %d raw",
			get("k8saudit_bytes_sent_total"), get("k8saudit_bytes_raw_total"), intake.bytesWire, intake.bytesRaw)
	}
	if get("k8saudit_batch_documents_count") != float64(intake.requests) || get("k8saudit_batch_documents_sum") != float64(intake.sentDocs) {
		t.Errorf("batch_documents count %v sum %v, the intake got %d requests with %d documents",
			get("k8saudit_batch_documents_count"), get("k8saudit_batch_documents_sum"), intake.requests, intake.sentDocs)
	}
	if get("k8saudit_request_duration_seconds_count") != float64(intake.requests) {
		t.Errorf("request_duration_seconds_count %v, want %d", get("k8saudit_request_duration_seconds_count"), intake.requests)
	}
	redacted := get("k8saudit_redacted_total")
	var where float64
	for _, kind := range []string{"body", "uri"} { // labels come sorted by name: kind before output
		v, ok := m[`k8saudit_redactions_total{intake="ndjson",kind="`+kind+`",output="k8saudit.0"}`]
		if !ok {
			t.Fatalf("no redactions_total series of kind %s", kind)
		}
		where += v
	}
	if where < redacted || where > 2*redacted {
		t.Errorf("redactions_total by kind add up to %v for %v redacted documents", where, redacted)
	}
	if len(rulesSeen) == 0 {
		t.Fatal("no detection matched the fixture: the per-rule check proves nothing")
	}
	for id, n := range rulesSeen {
		if got := series(m, t, "k8saudit_alerts_total", `,rule="`+id+`"`); got != float64(n) {
			t.Errorf("alerts_total{rule=%s} %v, the documents name it %d times", id, got, n)
		}
	}
	if get("k8saudit_oldest_undelivered_seconds") != 0 || get("k8saudit_inflight_requests") != 0 {
		t.Errorf("after the chunk is done: oldest_undelivered %v, inflight %v", get("k8saudit_oldest_undelivered_seconds"), get("k8saudit_inflight_requests"))
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	_ = in.Close()
	if hub.Addr() != "" {
		t.Errorf("listener still up after the last output closed")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("/healthz answers after the last output closed")
	}
}

// TestStatsLine: every stats_interval the log gets one info line with the counters since
// the previous line: a flush's documents once, then zeros.
func TestStatsLine(t *testing.T) {
	var buf syncBuffer
	cfg, _, err := config.Parse(config.Map{"url": "http://intake.invalid/", "stats_interval": "100ms"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewWith(cfg, logging.NewTo(&buf, nil, logging.LevelInfo, "k8saudit.0"), With{Poster: discard{}})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if code := in.Flush(readFixture(t, "chunks", "v5-tail-raw.msgpack")); code != OK {
		t.Fatalf("flush = %v", code)
	}
	// Lines may fall in the middle of the flush (a slow machine, the race detector): what
	// the lines say adds up to the flush once, and the lines after it say nothing happened.
	sum := func(stats []string, key string) (total int, last int) {
		for _, l := range stats {
			i := strings.Index(l, " "+key+"=")
			if i < 0 {
				t.Fatalf("no %s= in %s", key, l)
			}
			v := l[i+len(key)+2:]
			if j := strings.IndexByte(v, ' '); j >= 0 {
				v = v[:j]
			}
			last, _ = strconv.Atoi(v)
			total += last
		}
		return total, last
	}
	var stats []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		stats = stats[:0]
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.Contains(l, "stats last 100ms: ") {
				stats = append(stats, l)
			}
		}
		if len(stats) > 0 {
			if d, last := sum(stats, "delivered"); d == 142 && last == 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(stats) == 0 || !strings.Contains(stats[0], "[ info]") {
		t.Fatalf("no info stats line in 10s with stats_interval 100ms:\n%s", buf.String())
	}
	for _, key := range []string{"records", "documents", "delivered", "requests"} {
		total, last := sum(stats, key)
		want := 142
		if key == "requests" {
			want = 1
		}
		if total != want || last != 0 {
			t.Errorf("%s: the lines add up to %d (want %d), the last says %d (want 0):\n%s", key, total, want, last, strings.Join(stats, "\n"))
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFlushPathWithMetricsAllocatesNothingPerEvent: the hot-path promise holds with the
// instance registered in a hub (the sender's observer on every request, per-rule counts
// with every detection on) and a scrape between flushes.
func TestFlushPathWithMetricsAllocatesNothingPerEvent(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector; the CGO_ENABLED=0 run checks them")
	}
	hub := metrics.NewHub()
	for i, name := range []string{"v5-tail-raw", "v5-tail-json", "v4-http-eventlist"} {
		chunk := readFixture(t, "chunks", name+".msgpack")
		cfg, _, err := config.Parse(config.Map{"url": "http://intake.invalid/", "detect_rules": "all", "stats_interval": "0"})
		if err != nil {
			t.Fatal(err)
		}
		in, err := NewWith(cfg, logging.Discard(), With{Poster: discard{}, Name: "k8saudit." + strconv.Itoa(i), Metrics: hub})
		if err != nil {
			t.Fatal(err)
		}
		in.Flush(chunk)
		if in.Counts().Alerts == 0 && name == "v5-tail-raw" {
			t.Fatalf("%s: no alert: the per-rule counting is not exercised", name)
		}
		allocs := testing.AllocsPerRun(20, func() {
			in.shipper.(*deliver.Sender).ForgetDelivered()
			in.Flush(chunk)
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per flush with metrics, want 0", name, allocs)
		}
		_ = in.Close()
	}
}

// Records an OTLP receiver accepts but says it dropped (partial success) are counted in
// k8saudit_partial_rejected_total and in the exit line, and in delivered too: they must
// not be sent again.
func TestPartialRejectedIsServedAndSummed(t *testing.T) {
	var requests int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		mu.Lock()
		requests++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		// ExportLogsServiceResponse{partial_success: {rejected_log_records: 2}}
		_, _ = w.Write([]byte{1<<3 | 2, 2, 1 << 3, 2})
	}))
	defer srv.Close()
	in, addr := newMetered(t, config.Map{"intake": "otlp", "url": srv.URL, "batch_events": "10"})
	if r := in.Flush(readFixture(t, "chunks", "v5-tail-raw.msgpack")); r != deliver.Delivered {
		t.Fatalf("flush = %v", r)
	}
	m := scrape(t, addr)
	k := `{intake="otlp",output="k8saudit.0"}`
	if got, want := m["k8saudit_partial_rejected_total"+k], float64(2*requests); got != want || requests == 0 {
		t.Errorf("partial_rejected_total %v, want 2 per request (%d requests)", got, requests)
	}
	if got := m["k8saudit_delivered_total"+k]; got != m["k8saudit_documents_total"+k] {
		t.Errorf("delivered %v, documents %v: the dropped records still count as delivered (never resent)", got, m["k8saudit_documents_total"+k])
	}
	if s := in.Summary(); !strings.Contains(s, "partial_rejected="+strconv.Itoa(2*requests)+" ") {
		t.Errorf("exit line %q lacks partial_rejected=%d", s, 2*requests)
	}
}

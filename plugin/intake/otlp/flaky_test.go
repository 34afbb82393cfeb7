package otlp

import (
	"bytes"
	"context"
	"fmt"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// A receiver that resets connections, answers 5xx, 429 with Retry-After and 408 before
// accepting: every document arrives exactly once, whether the flush retried it or Fluent
// Bit handed the chunk back (Retry) and the memory of accepted requests skipped what was
// done. (A receiver that accepts and then loses its answer gets the request again:
// at-least-once, as for every intake without ids.)
func TestFlakyReceiverLosesAndDuplicatesNothing(t *testing.T) {
	rv := newReceiver(t)
	rv.script = func(n int, w http.ResponseWriter, _ *http.Request) bool {
		switch n % 7 {
		case 0:
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Fatal("no hijacker")
			}
			c, _, err := hj.Hijack()
			if err == nil {
				_ = c.Close() // reset: the request read, no answer
			}
			return true
		case 1:
			w.WriteHeader(503)
			return true
		case 2:
			if n == 9 {
				// Longer than what is left of the retry budget: the chunk goes back to
				// Fluent Bit, and the next flush must skip what was accepted.
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(429)
			return true
		case 3:
			w.WriteHeader(502)
			return true
		case 5:
			w.WriteHeader(504)
			return true
		}
		return false // 4, 6: accepted
	}
	o := baseOptions()
	o.BatchEvents, o.RetryBudget = 9, 300*time.Millisecond
	o = configure(t, rv.URL, nil, o)
	s := openHTTP(t, o)
	d := realDocs(t, normalize.ECS)
	start := time.Now()
	calls := 0
	for r := deliver.Retry; r != deliver.Delivered; calls++ {
		if calls == 100 {
			t.Fatal("chunk not delivered after 100 flushes")
		}
		r = s.Deliver(context.Background(), d)
	}
	if calls < 2 {
		t.Errorf("delivered in %d flush: the faults did not hand the chunk back", calls)
	}
	want := map[string]int{}
	for k := 0; k < d.Len(); k++ {
		want[fmt.Sprintf("%d/%s", d.Observed(k), d.Doc(k))]++
	}
	got := map[string]int{}
	for _, r := range rv.recs {
		got[fmt.Sprintf("%d/%s", r.ObservedTimestamp(), mustJSON(r.Body().Map().AsRaw()))]++
	}
	if len(rv.recs) != d.Len() {
		t.Errorf("%d records received, want %d (each document once)", len(rv.recs), d.Len())
	}
	for k := 0; k < d.Len(); k++ {
		key := fmt.Sprintf("%d/%s", d.Observed(k), mustJSON(jsonValue(t, d.Doc(k))))
		if got[key] != want[fmt.Sprintf("%d/%s", d.Observed(k), d.Doc(k))] {
			t.Fatalf("document %d received %d times", k, got[key])
		}
	}
	st := s.Stats()
	t.Logf("%d flushes, %d requests (%d retries, %d skipped), %s", calls, st.Requests, st.Retries, st.Skipped, time.Since(start))
	if st.Skipped == 0 {
		t.Error("no accepted request was skipped on the chunk's retry: the scenario did not exercise the memory")
	}
	if st.Delivered != uint64(d.Len()) || st.DeadLettered != 0 {
		t.Errorf("stats %+v, want %d delivered, none dead-lettered", st, d.Len())
	}
}

// recLogger keeps the log lines.
type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLogger) add(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}
func (l *recLogger) Errorf(f string, a ...any) { l.add("error "+f, a...) }
func (l *recLogger) Warnf(f string, a ...any)  { l.add("warn "+f, a...) }
func (l *recLogger) Infof(f string, a ...any)  { l.add("info "+f, a...) }
func (l *recLogger) Debugf(f string, a ...any) { l.add("debug "+f, a...) }

// A 200 with partialSuccess: the rejected records are counted and logged once per
// request, the message cleaned of the credential it echoes; nothing is resent.
func TestPartialSuccessIsCountedAndLogged(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) { partialSuccessIsCountedAndLogged(t, enc.name, enc.contentType) })
	}
}

// partialAnswer is a receiver's ExportLogsServiceResponse with a partial success, in the
// encoding named, made by pdata.
func partialAnswer(t *testing.T, encoding string, rejected int64, msg string) []byte {
	resp := plogotlp.NewExportResponse()
	resp.PartialSuccess().SetRejectedLogRecords(rejected)
	resp.PartialSuccess().SetErrorMessage(msg)
	marshal := resp.MarshalProto
	if encoding == "json" {
		marshal = resp.MarshalJSON
	}
	b, err := marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func partialSuccessIsCountedAndLogged(t *testing.T, encoding, contentType string) {
	rv := newReceiver(t)
	rv.contentType = contentType
	rv.answer = partialAnswer(t, encoding, 3, "3 records too old (Authorization: Bearer s3cr3t-t0ken)")
	log := &recLogger{}
	o := baseOptions()
	o.BatchEvents, o.APIKey, o.Logger = 20, "s3cr3t-t0ken", log
	o = configure(t, rv.URL, map[string]string{"otlp_encoding": encoding}, o)
	s := openHTTP(t, o)
	d := realDocs(t, normalize.ECS)
	if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	reqs := (d.Len() + 19) / 20
	st := s.Stats()
	if st.PartialRejected != uint64(3*reqs) || st.Requests != uint64(reqs) || st.Delivered != uint64(d.Len()) {
		t.Errorf("stats %+v, want %d partially rejected over %d requests, nothing resent", st, 3*reqs, reqs)
	}
	warned := 0
	for _, l := range log.lines {
		if strings.Contains(l, "s3cr3t") {
			t.Errorf("the credential reached a log line: %s", l)
		}
		if strings.HasPrefix(l, "warn ") && strings.Contains(l, "dropped 3 of them: 3 records too old") {
			warned++
		}
	}
	if warned != reqs {
		t.Errorf("%d warnings, want one per request (%d): %q", warned, reqs, log.lines)
	}
}

func TestPartialSuccessAnswers(t *testing.T) {
	for body, want := range map[string]int{
		`{}`: 0, `{"partialSuccess":{}}`: 0, `{"partialSuccess":{"rejectedLogRecords":"12"}}`: 12,
		`{"partialSuccess":{"rejectedLogRecords":5,"errorMessage":"x"}}`: 5, `not json`: 0, ``: 0,
	} {
		if n, _ := partialSuccess([]byte(body)); n != want {
			t.Errorf("%s: %d rejected, want %d", body, n, want)
		}
	}
	if _, msg := partialSuccess([]byte(`{"partialSuccess":{"errorMessage":"slow down"}}`)); msg != "slow down" {
		t.Errorf("message %q", msg)
	}
	// Protobuf answers, as pdata writes them; damaged ones say nothing.
	pb := partialAnswer(t, "protobuf", 7, "slow down")
	if n, msg := partialSuccess(pb); n != 7 || msg != "slow down" {
		t.Errorf("protobuf answer: %d %q, want 7 \"slow down\"", n, msg)
	}
	for cut := range len(pb) {
		if n, _ := partialSuccess(pb[:cut]); n != 0 && n != 7 {
			t.Errorf("answer cut at %d: %d rejected", cut, n)
		}
	}
	if n, _ := partialSuccess(partialAnswer(t, "protobuf", -4, "")); n != 0 {
		t.Errorf("a negative count read as %d", n)
	}
}

// OTLP/HTTP retries only 429, 502, 503 and 504: a 500 (the Collector's answer to a
// pipeline's permanent error) or a 408 is permanent for the request, which goes to the
// dead-letter file at once instead of being retried forever; the other requests arrive.
func TestOnlyTheSpecifiedStatusesAreRetried(t *testing.T) {
	rv := newReceiver(t)
	rv.script = func(n int, w http.ResponseWriter, _ *http.Request) bool {
		switch n {
		case 1:
			w.WriteHeader(500)
			return true
		case 3:
			w.WriteHeader(408)
			return true
		}
		return false
	}
	o := baseOptions()
	o.BatchEvents, o.DeadLetterFile = 10, filepath.Join(t.TempDir(), "dead.ndjson")
	o = configure(t, rv.URL, nil, o)
	s := openHTTP(t, o)
	d := realDocs(t, normalize.ECS)
	if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	st := s.Stats()
	if st.Retries != 0 || st.DeadLettered != 20 || len(rv.recs) != d.Len()-20 {
		t.Errorf("stats %+v, %d received: want no retry, two batches of 10 dead-lettered, the rest (%d) received", st, len(rv.recs), d.Len()-20)
	}
	data, err := os.ReadFile(o.DeadLetterFile)
	if err != nil || bytes.Count(data, []byte("\n")) != 20 {
		t.Errorf("dead-letter file: %d lines (%v), want 20", bytes.Count(data, []byte("\n")), err)
	}
}

// FuzzPartialSuccess: any answer body (the receiver's bytes are not ours) reads without a
// panic, and never as a negative count (make fuzz).
func FuzzPartialSuccess(f *testing.F) {
	for _, s := range []string{`{"partialSuccess":{"rejectedLogRecords":"3"}}`, "\x0a\x02\x08\x03", "\x0a\x05\x12\x03abc", "\x0a\xff\xff\xff\xff\x0f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, _ := partialSuccess(b); n < 0 {
			t.Fatalf("%d rejected for %q", n, b)
		}
	})
}

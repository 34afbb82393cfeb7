package deliver

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Scripted fault sequences, run against the strict double of every intake. Each test
// ends with expectOnce: every document accepted exactly once, or in the dead-letter file
// once with its reason.

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// The doubles refuse what their intake refuses: a wrong credential, a body not gzipped,
// a wrong framing, and a body over the limit (413).
func TestIntakeDoublesAreStrict(t *testing.T) {
	cred := map[string][2]string{
		"elasticsearch": {"Authorization", "ApiKey " + esTestKey},
		"datadog":       {"DD-API-KEY", ddTestKey},
		"splunk":        {"Authorization", "Splunk " + splunkTestToken},
		"sekoia":        {"X-SEKOIAIO-INTAKE-KEY", sekoiaTestKey},
	}
	ctype := map[string]string{"elasticsearch": "application/x-ndjson", "datadog": "application/json", "splunk": "application/json", "sekoia": "application/json"}
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			d := newDoubleFor(t, name)
			url := d.URL + d.path
			if name == "elasticsearch" {
				url += "?filter_path=" + strings.ReplaceAll(esFilterPath, ",", "%2C") + "&pipeline=k8s-audit"
			}
			post := func(body []byte, gzipped bool, withCred bool) int {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", ctype[name])
				if gzipped {
					req.Header.Set("Content-Encoding", "gzip")
				}
				if withCred {
					req.Header.Set(cred[name][0], cred[name][1])
				} else {
					req.Header.Set(cred[name][0], "wrong")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if st := post(gz([]byte("{}")), true, false); st != 401 && st != 403 {
				t.Errorf("wrong credential: %d", st)
			}
			if st := post([]byte("[]"), false, true); st != 415 {
				t.Errorf("not gzipped: %d", st)
			}
			if st := post(gz([]byte(`not the framing`)), true, true); st != 400 {
				t.Errorf("wrong framing: %d", st)
			}
			d.setMax(10)
			if st := post(gz(bytes.Repeat([]byte("x"), 11)), true, true); st != 413 {
				t.Errorf("oversize: %d", st)
			}
			d.mu.Lock()
			if len(d.problems) != 3 {
				t.Errorf("problems %q", d.problems)
			}
			d.problems = nil // recorded as they should be
			d.mu.Unlock()
		})
	}
}

// Every intake, healthy: one request per batch, every document once, with its metadata
// (the doubles check the envelope fields, timestamps and ids).
func TestIntakeHealthy(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			d := newDoubleFor(t, name)
			o := doubleOptions(t, name, d.URL)
			o.BatchEvents = 40
			s := mustNew(t, o)
			deliverOK(t, s, mkDocs(0, 100, 400))
			expectOnce(t, d, o.DeadLetterFile, 0, 100, nil)
			if st := s.Stats(); st.Requests != 3 || st.Delivered != 100 {
				t.Errorf("stats %s", st)
			}
		})
	}
}

func TestIntake500Then200(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			d := newDoubleFor(t, name)
			d.fault = func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n == 0 {
					http.Error(w, `{"error":"internal"}`, 500)
					return true
				}
				return false
			}
			o := doubleOptions(t, name, d.URL)
			s := mustNew(t, o)
			deliverOK(t, s, mkDocs(0, 30, 300))
			expectOnce(t, d, o.DeadLetterFile, 0, 30, nil)
			if st := s.Stats(); st.Retries != 1 || st.Requests != 2 {
				t.Errorf("stats %s", st)
			}
		})
	}
}

func TestIntake429RetryAfter(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDoubleFor(t, name)
			d.fault = func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n == 0 {
					w.Header().Set("Retry-After", "1")
					http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
					return true
				}
				return false
			}
			o := doubleOptions(t, name, d.URL)
			o.RetryBudget = 3 * time.Second
			s := mustNew(t, o)
			start := time.Now()
			deliverOK(t, s, mkDocs(0, 20, 300))
			if el := time.Since(start); el < 950*time.Millisecond {
				t.Errorf("Retry-After: 1 not honoured: %s", el)
			}
			expectOnce(t, d, o.DeadLetterFile, 0, 20, nil)
		})
	}
}

// The intake takes half of what the batch is: every batch is split, in order.
func TestIntake413AtHalfSize(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			d := newDoubleFor(t, name)
			o := doubleOptions(t, name, d.URL)
			o.BatchEvents = 32
			s := mustNew(t, o)
			docs := mkDocs(0, 96, 300)
			d.setMax(len(frameRange(s.in.fr, docs, 0, 32)) / 2)
			deliverOK(t, s, docs)
			expectOnce(t, d, o.DeadLetterFile, 0, 96, nil)
			// The chunk again: every request is remembered, nothing is sent.
			before := d.requests()
			deliverOK(t, s, docs)
			if d.requests() != before {
				t.Errorf("a done chunk sent %d requests", d.requests()-before)
			}
		})
	}
}

func TestIntakeResetMidBody(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			d := newDoubleFor(t, name)
			d.fault = func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 || n == 2 {
					hijackReset(w, r)
					return true
				}
				return false
			}
			o := doubleOptions(t, name, d.URL)
			o.BatchEvents = 50
			s := mustNew(t, o)
			deliverOK(t, s, mkDocs(0, 100, 2000))
			expectOnce(t, d, o.DeadLetterFile, 0, 100, nil)
			if st := s.Stats(); st.Retries != 2 {
				t.Errorf("stats %s", st)
			}
		})
	}
}

// The intake answers later than the timeout. Without ids the slow request must not have
// been taken (an intake that takes it and answers late duplicates; nothing can tell); the
// Elasticsearch double indexes it and answers late: the resend is answered 409.
func TestIntakeSlowerThanTimeout(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var d *double
			if name == "elasticsearch" {
				e := newESDouble(t)
				e.slow = func(n int) time.Duration {
					if n == 0 {
						return 600 * time.Millisecond
					}
					return 0
				}
				d = e.double
			} else {
				d = newDoubleFor(t, name)
				d.fault = func(n int, w http.ResponseWriter, r *http.Request) bool {
					if n == 0 {
						sleepUnlessGone(r, time.Second)
						http.Error(w, "late", http.StatusGatewayTimeout)
						return true
					}
					return false
				}
			}
			o := doubleOptions(t, name, d.URL)
			o.Timeout = 200 * time.Millisecond
			o.RetryBudget = 3 * time.Second
			s := mustNew(t, o)
			deliverOK(t, s, mkDocs(0, 20, 300))
			expectOnce(t, d, o.DeadLetterFile, 0, 20, nil)
			if st := s.Stats(); st.Retries < 1 {
				t.Errorf("stats %s", st)
			}
			if name == "elasticsearch" && s.Stats().Already != 20 {
				t.Errorf("the resend should be answered 409 for all 20: %s", s.Stats())
			}
		})
	}
}

// A chunk partly accepted when the retry budget runs out: when Fluent Bit retries it,
// only what was not accepted is sent (a 413 split with its first half accepted).
func TestIntakeChunkRetrySendsOnlyTheRest(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) {
			d := newDoubleFor(t, name)
			var down atomic.Bool
			o := doubleOptions(t, name, d.URL)
			o.BatchEvents = 40
			o.RetryBudget = 100 * time.Millisecond
			s := mustNew(t, o)
			docs := mkDocs(0, 40, 300)
			d.setMax(len(frameRange(s.in.fr, docs, 0, 40))/2 + 50)
			// Request 0: 413; request 1: first half, accepted; then the intake is down.
			d.fault = func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n >= 2 && down.Load() {
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return true
				}
				return false
			}
			down.Store(true)
			if r := s.Deliver(context.Background(), docs); r != Retry {
				t.Fatalf("result %v, want retry", r)
			}
			d.mu.Lock()
			accepted := len(d.accepted)
			d.mu.Unlock()
			if accepted != 20 {
				t.Fatalf("%d accepted before the outage, want 20", accepted)
			}
			down.Store(false)
			before := d.requests()
			deliverOK(t, s, docs)
			if sent := d.requests() - before; sent != 1 {
				t.Errorf("the retried chunk took %d requests, want 1 (the second half only, no 413 round)", sent)
			}
			expectOnce(t, d, o.DeadLetterFile, 0, 40, nil)
		})
	}
}

// Datadog and Sekoia: a document over the per-event limit is never sent (Datadog would
// truncate it, Sekoia drop it): it is dead-lettered with the reason, the rest delivered.
func TestIntakeOversizeDocumentDeadLettered(t *testing.T) {
	for _, c := range []struct {
		name string
		size int
	}{{"datadog", 1_000_100}, {"sekoia", 250_100}} {
		t.Run(c.name, func(t *testing.T) {
			d := newDoubleFor(t, c.name)
			o := doubleOptions(t, c.name, d.URL)
			s := mustNew(t, o)
			docs := mkDocs(0, 3, 300)
			docs.Append(mkDocs(3, 1, c.size).Doc(0), Meta{AuditID: []byte("audit-3"), Stage: []byte("ResponseComplete"), Time: 1773478800e9 + 3e6})
			more := mkDocs(4, 3, 300)
			for k := 0; k < more.Len(); k++ {
				docs.Append(more.Doc(k), Meta{AuditID: []byte("x"), Time: 1773478800e9 + int64(4+k)*1e6})
			}
			deliverOK(t, s, docs)
			expectOnce(t, d, o.DeadLetterFile, 0, 7, map[int]string{3: "not sent: the document is"})
			deliverOK(t, s, docs) // the chunk again: not dead-lettered twice
			expectOnce(t, d, o.DeadLetterFile, 0, 7, map[int]string{3: "per event"})
			if st := s.Stats(); st.DeadLetteredBy != [NumDeadLetterReasons]uint64{DeadTooLarge: 1} {
				t.Errorf("dead-lettered by reason %v, want the one document as too_large", st.DeadLetteredBy)
			}
		})
	}
}

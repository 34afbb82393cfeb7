package deliver

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A bulk answer mixing 201, 409, 429 and 400: 409 is delivered (indexed before), 429
// items are retried alone until taken, 400 items are dead-lettered with their reason.
func TestESBulkMixedItems(t *testing.T) {
	e := newESDouble(t)
	o := doubleOptions(t, "elasticsearch", e.URL)
	s := mustNew(t, o)
	deliverOK(t, s, mkDocs(0, 10, 300)) // ids 0..9 indexed: they come back 409
	e.item = func(id, seen int) int {
		switch {
		case id%10 == 3 && id >= 10:
			return 400
		case id%10 == 5 && seen < 2:
			return 429
		case id%10 == 7 && seen < 1:
			return 503
		}
		return 0
	}
	deliverOK(t, s, mkDocs(0, 60, 300))
	dead := map[int]string{}
	for id := 13; id < 60; id += 10 {
		dead[id] = "bulk item 400 mapper_parsing_exception: scripted 400"
	}
	expectOnce(t, e.double, o.DeadLetterFile, 0, 60, dead)
	st := s.Stats()
	if st.Already != 10 || st.DeadLettered != 5 || st.Delivered != 10+55 || st.DeadLetteredBy != [NumDeadLetterReasons]uint64{DeadRefusedItem: 5} {
		t.Errorf("stats %s", st)
	}
	// Request 2: 50 new + 10 old; then the 429/503 items alone; then the last 429s.
	if st.Requests != 4 {
		t.Errorf("%d requests, want 4 (the retried items alone each time)", st.Requests)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen[15] != 3 || e.seen[17] != 2 || e.seen[11] != 1 {
		t.Errorf("retries resent more than the retried items: seen %v", e.seen)
	}
}

// Items still 429 when the budget runs out: Retry; the chunk again sends only them.
func TestESItemsRetriedAcrossChunkRetries(t *testing.T) {
	e := newESDouble(t)
	var busy atomic.Bool
	busy.Store(true)
	e.item = func(id, _ int) int {
		if id >= 25 && busy.Load() {
			return 429
		}
		return 0
	}
	o := doubleOptions(t, "elasticsearch", e.URL)
	o.RetryBudget = 50 * time.Millisecond
	s := mustNew(t, o)
	docs := mkDocs(0, 50, 300)
	if r := s.Deliver(context.Background(), docs); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	busy.Store(false)
	deliverOK(t, s, docs)
	expectOnce(t, e.double, o.DeadLetterFile, 0, 50, nil)
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := 0; id < 25; id++ {
		if e.seen[id] != 1 {
			t.Fatalf("document %d sent %d times: the retried chunk resent indexed documents", id, e.seen[id])
		}
	}
	if s.Stats().Already != 0 {
		t.Errorf("stats %s", s.Stats())
	}
}

// An item refused for permission (403) keeps the chunk and says so; nothing is dropped.
func TestESItemForbiddenKeepsChunk(t *testing.T) {
	e := newESDouble(t)
	e.item = func(id, _ int) int {
		if id == 4 {
			return 403
		}
		return 0
	}
	log := new(recLogger)
	o := doubleOptions(t, "elasticsearch", e.URL)
	o.Logger = log
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 10, 300)); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	if log.count("error", "PERMISSION REFUSED") != 1 || s.Stats().DeadLettered != 0 {
		t.Errorf("log %v stats %s", log.lines, s.Stats())
	}
	e.item = nil
	deliverOK(t, s, mkDocs(0, 10, 300))
	expectOnce(t, e.double, o.DeadLetterFile, 0, 10, nil)
}

// An answer that cannot be read per item (cut short) retries the request: what it had
// indexed comes back 409.
func TestESUnreadableAnswerRetried(t *testing.T) {
	e := newESDouble(t)
	var once atomic.Bool
	inner := e.double.accept
	e.double.accept = func(d *double, body []byte, w http.ResponseWriter) {
		if once.CompareAndSwap(false, true) {
			rec := &cutWriter{ResponseWriter: w}
			inner(d, body, rec)
			return
		}
		inner(d, body, w)
	}
	o := doubleOptions(t, "elasticsearch", e.URL)
	s := mustNew(t, o)
	deliverOK(t, s, mkDocs(0, 10, 300))
	expectOnce(t, e.double, o.DeadLetterFile, 0, 10, nil)
	if st := s.Stats(); st.Already != 10 || st.Retries != 1 {
		t.Errorf("stats %s", st)
	}
}

// cutWriter writes only the first 20 bytes of the answer body.
type cutWriter struct {
	http.ResponseWriter
	n int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.n >= 20 {
		return len(p), nil
	}
	k := min(len(p), 20-c.n)
	c.n += k
	c.ResponseWriter.Write(p[:k])
	return len(p), nil
}

// A document without an auditID gets a hash _id: the same document twice is one.
func TestESHashIDWithoutAuditID(t *testing.T) {
	e := newESDouble(t)
	o := doubleOptions(t, "elasticsearch", e.URL)
	s := mustNew(t, o)
	docs := new(Docs)
	src := mkDocs(0, 3, 200)
	for k := 0; k < 3; k++ {
		docs.Append(src.Doc(k), Meta{})
	}
	docs.Append(src.Doc(1), Meta{}) // the same document again
	deliverOK(t, s, docs)
	expectOnce(t, e.double, o.DeadLetterFile, 0, 3, nil)
	if s.Stats().Already != 1 {
		t.Errorf("stats %s", s.Stats())
	}
}

// HEC's invalid-event-number N: events before N are in, N is dead-lettered with the
// code, the rest is sent again at once.
func TestSplunkInvalidEventNumber(t *testing.T) {
	sp := newSplunkDouble(t)
	bad := map[int]bool{3: true, 17: true, 18: true, 39: true}
	sp.invalid = func(id int) bool { return bad[id] }
	o := doubleOptions(t, "splunk", sp.URL)
	o.BatchEvents = 20
	s := mustNew(t, o)
	deliverOK(t, s, mkDocs(0, 40, 300))
	dead := map[int]string{}
	for id := range bad {
		dead[id] = "HEC code 6: Invalid data format (invalid-event-number"
	}
	expectOnce(t, sp.double, o.DeadLetterFile, 0, 40, dead)
	// batch 0..19: 3 bad, then 17 bad, then 18 bad, then 19; batch 20..39: 39 bad, last.
	if st := s.Stats(); st.Requests != 5 || st.DeadLettered != 4 || st.Delivered != 36 {
		t.Errorf("stats %s", st)
	}
}

// An invalid event, then the intake busy until the budget runs out: the chunk again
// sends neither the events indexed before N nor N.
func TestSplunkPartialThenChunkRetry(t *testing.T) {
	sp := newSplunkDouble(t)
	sp.invalid = func(id int) bool { return id == 5 }
	var busy atomic.Bool
	busy.Store(true)
	sp.fault = func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n >= 1 && busy.Load() {
			w.WriteHeader(503)
			w.Write([]byte(`{"text":"Server is busy","code":9}`))
			return true
		}
		return false
	}
	o := doubleOptions(t, "splunk", sp.URL)
	o.RetryBudget = 50 * time.Millisecond
	s := mustNew(t, o)
	docs := mkDocs(0, 20, 300)
	if r := s.Deliver(context.Background(), docs); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	busy.Store(false)
	deliverOK(t, s, docs)
	expectOnce(t, sp.double, o.DeadLetterFile, 0, 20, map[int]string{5: "invalid-event-number 5"})
}

// HEC codes that name a configuration error (7: incorrect index) keep the chunk.
func TestSplunkConfigCodeKeepsChunk(t *testing.T) {
	sp := newSplunkDouble(t)
	sp.fault = func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(400)
		w.Write([]byte(`{"text":"Incorrect index","code":7,"invalid-event-number":0}`))
		return true
	}
	log := new(recLogger)
	o := doubleOptions(t, "splunk", sp.URL)
	o.Logger = log
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 100)); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	if s.Stats().DeadLettered != 0 || log.count("error", "refused the configuration") != 1 || !strings.Contains(strings.Join(log.lines, "\n"), "Incorrect index") {
		t.Errorf("stats %s log %v", s.Stats(), log.lines)
	}
}

package deliver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDelivered2xx(t *testing.T) {
	for _, status := range []int{200, 202, 204} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int { return status })
			s := mustNew(t, testOptions(in.URL, nil))
			if r := s.Deliver(context.Background(), mkDocs(0, 50, 300)); r != Delivered {
				t.Fatalf("result %v, want delivered", r)
			}
			in.exactlyOnce(t, 0, 50)
			if st := s.Stats(); st.Delivered != 50 || st.Requests != 1 || st.Retries != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestRetryThenDelivered(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504, 408, 429} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			in := newIntake(t, func(n int, _ request, _ http.ResponseWriter, _ *http.Request) int {
				if n == 0 {
					return status
				}
				return 200
			})
			s := mustNew(t, testOptions(in.URL, nil))
			if r := s.Deliver(context.Background(), mkDocs(0, 20, 200)); r != Delivered {
				t.Fatalf("result %v, want delivered", r)
			}
			in.exactlyOnce(t, 0, 20)
			if st := s.Stats(); st.Requests != 2 || st.Retries != 1 || st.Delivered != 20 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	in := newIntake(t, func(n int, _ request, w http.ResponseWriter, _ *http.Request) int {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			return 429
		}
		return 200
	})
	o := testOptions(in.URL, nil)
	o.RetryBudget = 3 * time.Second
	s := mustNew(t, o)
	start := time.Now()
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 100)); r != Delivered {
		t.Fatalf("result %v", r)
	}
	if d := time.Since(start); d < 950*time.Millisecond || d > 5*time.Second {
		t.Errorf("took %s, want about 1s (Retry-After: 1)", d)
	}
	in.exactlyOnce(t, 0, 5)
}

func TestRetryAfterBeyondBudget(t *testing.T) {
	in := newIntake(t, func(n int, _ request, w http.ResponseWriter, _ *http.Request) int {
		w.Header().Set("Retry-After", "120")
		return 503
	})
	s := mustNew(t, testOptions(in.URL, nil))
	start := time.Now()
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 100)); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waited %s although Retry-After exceeds the budget", d)
	}
	if len(in.requests()) != 1 {
		t.Errorf("%d requests, want 1", len(in.requests()))
	}
}

// An intake that fails part way: the batches it accepted are not sent again when the
// chunk comes back, and every document is accepted exactly once across both calls.
func TestBudgetSpentThenResumeWithoutDuplicates(t *testing.T) {
	var mu sync.Mutex
	down := false
	in := newIntake(t, func(n int, _ request, _ http.ResponseWriter, _ *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if n == 2 {
			down = true // batches 0 and 1 accepted, then the intake goes down
		}
		if down {
			return 503
		}
		return 200
	})
	o := testOptions(in.URL, nil)
	o.BatchEvents = 10
	o.RetryBudget = 100 * time.Millisecond
	s := mustNew(t, o)
	docs := mkDocs(0, 50, 200)
	start := time.Now()
	if r := s.Deliver(context.Background(), docs); r != Retry {
		t.Fatalf("first result %v, want retry", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("first Deliver took %s with a 100ms budget", d)
	}
	st := s.Stats()
	if st.Delivered != 20 || st.Retries == 0 {
		t.Errorf("after outage: %+v", st)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	before := len(in.requests())
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("second result %v, want delivered", r)
	}
	if sent := len(in.requests()) - before; sent != 3 {
		t.Errorf("second Deliver sent %d requests, want 3 (batches 2..4)", sent)
	}
	if st := s.Stats(); st.Skipped != 2 || st.SkippedDocs != 20 || st.Delivered != 50 {
		t.Errorf("after recovery: %+v", st)
	}
	in.exactlyOnce(t, 0, 50)
}

func Test413SplitsUntilAccepted(t *testing.T) {
	const limit = 3000
	in := newIntake(t, func(_ int, req request, _ http.ResponseWriter, _ *http.Request) int {
		if len(req.body) > limit {
			return 413
		}
		return 200
	})
	s := mustNew(t, testOptions(in.URL, nil))
	docs := mkDocs(0, 37, 250)
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("result %v", r)
	}
	in.exactlyOnce(t, 0, 37)
	// Order is kept: ids of accepted requests, concatenated, are 0..36.
	var got []int
	for _, req := range in.requests() {
		if len(req.body) <= limit {
			got = append(got, req.ids(t)...)
		}
	}
	for i, id := range got {
		if id != i {
			t.Fatalf("accepted order %v", got)
		}
	}
	// The chunk retried: everything is remembered, down to the unsplit batch.
	before := len(in.requests())
	if r := s.Deliver(context.Background(), docs); r != Delivered || len(in.requests()) != before {
		t.Errorf("resent %d requests for a done chunk (result %v)", len(in.requests())-before, r)
	}
}

func readDeadLetters(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("dead-letter line is not JSON: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func Test413SingleDocumentDeadLettered(t *testing.T) {
	const limit = 2000
	in := newIntake(t, func(_ int, req request, _ http.ResponseWriter, _ *http.Request) int {
		if len(req.body) > limit {
			return 413
		}
		return 200
	})
	o := testOptions(in.URL, nil)
	o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
	s := mustNew(t, o)
	docs := mkDocs(0, 4, 300)
	big := mkDocs(4, 1, 5000)
	docs.Append(big.Doc(0), Meta{})
	docs.Append(mkDocs(5, 1, 300).Doc(0), Meta{})
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("result %v", r)
	}
	dl := readDeadLetters(t, o.DeadLetterFile)
	if len(dl) != 1 {
		t.Fatalf("dead letters %v", dl)
	}
	if reason, _ := dl[0]["reason"].(string); !strings.HasPrefix(reason, "too large") {
		t.Errorf("reason %q", reason)
	}
	if dl[0]["status"] != 413.0 || dl[0]["document"].(map[string]any)["id"] != 4.0 {
		t.Errorf("dead letter %v", dl[0])
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, id := range []int{0, 1, 2, 3, 5} {
		if in.accepted[id] != 1 {
			t.Errorf("doc %d accepted %d times", id, in.accepted[id])
		}
	}
	if st := s.Stats(); st.DeadLettered != 1 || st.Delivered != 5 || st.DeadLetteredBy != [NumDeadLetterReasons]uint64{DeadTooLarge: 1} {
		t.Errorf("stats %+v", st)
	}
}

func Test400DeadLettersTheBatchAndGoesOn(t *testing.T) {
	in := newIntake(t, func(n int, _ request, w http.ResponseWriter, _ *http.Request) int {
		if n == 1 {
			w.WriteHeader(400)
			w.Write([]byte("{\"error\":\"mapper_parsing_exception\",\n \"reason\":\"bad field\"}"))
			return 0
		}
		return 200
	})
	log := new(recLogger)
	o := testOptions(in.URL, log)
	o.BatchEvents = 10
	o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
	s := mustNew(t, o)
	docs := mkDocs(0, 30, 200)
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("result %v", r)
	}
	dl := readDeadLetters(t, o.DeadLetterFile)
	if len(dl) != 10 {
		t.Fatalf("%d dead letters, want 10", len(dl))
	}
	for k, m := range dl {
		if m["status"] != 400.0 || m["document"].(map[string]any)["id"] != float64(10+k) {
			t.Errorf("dead letter %d: %v", k, m)
		}
		reason, _ := m["reason"].(string)
		if !strings.Contains(reason, "400") || !strings.Contains(reason, "mapper_parsing_exception") || strings.Contains(reason, "\n") {
			t.Errorf("reason %q", reason)
		}
		if _, err := time.Parse(time.RFC3339, m["time"].(string)); err != nil {
			t.Errorf("time: %v", err)
		}
	}
	if n := log.count("warn", "rejected 10 document(s)"); n != 1 {
		t.Errorf("%d warnings for the rejected batch, want 1: %v", n, log.lines)
	}
	if st := s.Stats(); st.DeadLettered != 10 || st.Delivered != 20 || st.DeadLetteredBy != [NumDeadLetterReasons]uint64{DeadRefused: 10} {
		t.Errorf("stats %+v", st)
	}
	// Retried chunk: nothing sent again, nothing dead-lettered twice.
	before := len(in.requests())
	s.Deliver(context.Background(), docs)
	if len(in.requests()) != before || len(readDeadLetters(t, o.DeadLetterFile)) != 10 {
		t.Errorf("a done chunk was sent or dead-lettered again")
	}
}

func TestRejectWithoutDeadLetterFile(t *testing.T) {
	in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int { return 422 })
	log := new(recLogger)
	s := mustNew(t, testOptions(in.URL, log))
	if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Delivered {
		t.Fatalf("result %v", r)
	}
	if st := s.Stats(); st.DeadLettered != 3 || st.DeadLetteredBy[DeadRefused] != 3 || log.count("warn", "no dead_letter_file") != 1 {
		t.Errorf("stats %+v, log %v", s.Stats(), log.lines)
	}
}

func TestDeadLetterWriteFailureFails(t *testing.T) {
	in := newIntake(t, func(n int, _ request, _ http.ResponseWriter, _ *http.Request) int {
		if n == 0 {
			return 400
		}
		return 200
	})
	log := new(recLogger)
	o := testOptions(in.URL, log)
	o.BatchEvents = 5
	o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
	s := mustNew(t, o)
	s.dl.f.Close() // the next write fails
	if r := s.Deliver(context.Background(), mkDocs(0, 10, 100)); r != Failed {
		t.Fatalf("result %v, want failed", r)
	}
	// The batch after the rejected one is still delivered before giving up.
	if s.Stats().Delivered != 5 || log.count("error", "dead_letter_file") != 1 {
		t.Errorf("stats %+v, log %v", s.Stats(), log.lines)
	}
}

func TestCredentialRefused(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int { return status })
			log := new(recLogger)
			o := testOptions(in.URL, log)
			o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
			s := mustNew(t, o)
			if r := s.Deliver(context.Background(), mkDocs(0, 5, 100)); r != Retry {
				t.Fatalf("result %v, want retry", r)
			}
			if log.count("error", "CREDENTIAL") != 1 {
				t.Errorf("no loud error line: %v", log.lines)
			}
			if len(in.requests()) != 1 || s.Stats().DeadLettered != 0 || len(readDeadLetters(t, o.DeadLetterFile)) != 0 {
				t.Errorf("credential failure was retried in the flush or dropped: %+v", s.Stats())
			}
		})
	}
}

func TestRedirectIsConfigError(t *testing.T) {
	in := newIntake(t, func(_ int, _ request, w http.ResponseWriter, _ *http.Request) int {
		w.Header().Set("Location", "/elsewhere")
		return 301
	})
	log := new(recLogger)
	s := mustNew(t, testOptions(in.URL, log))
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 100)); r != Retry {
		t.Fatalf("result %v", r)
	}
	if len(in.requests()) != 1 || log.count("error", "redirect") != 1 {
		t.Errorf("requests %d, log %v", len(in.requests()), log.lines)
	}
}

func TestConnectionResetRetried(t *testing.T) {
	in := newIntake(t, func(n int, _ request, w http.ResponseWriter, _ *http.Request) int {
		if n == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return 500
			}
			conn.Close() // the request was read; the answer never comes
			return 0
		}
		return 200
	})
	s := mustNew(t, testOptions(in.URL, nil))
	if r := s.Deliver(context.Background(), mkDocs(0, 10, 200)); r != Delivered {
		t.Fatalf("result %v", r)
	}
	in.exactlyOnce(t, 0, 10)
	if s.Stats().Retries < 1 {
		t.Errorf("stats %+v", s.Stats())
	}
}

func TestSlowIntakeTimesOut(t *testing.T) {
	in := newIntake(t, func(_ int, _ request, _ http.ResponseWriter, r *http.Request) int {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
		return 200
	})
	o := testOptions(in.URL, nil)
	o.Timeout = 100 * time.Millisecond
	o.RetryBudget = 300 * time.Millisecond
	s := mustNew(t, o)
	start := time.Now()
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 100)); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %s", d)
	}
	if st := s.Stats(); st.Requests < 2 || st.Retries < 1 {
		t.Errorf("not retried: %+v", st)
	}
}

func TestContextCancelAbortsWait(t *testing.T) {
	in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int { return 503 })
	o := testOptions(in.URL, nil)
	o.RetryBudget = time.Minute
	o.BackoffInitial, o.BackoffMax = 10*time.Second, 10*time.Second
	s := mustNew(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if r := s.Deliver(ctx, mkDocs(0, 5, 100)); r != Retry {
		t.Fatalf("result %v", r)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("cancel did not abort the wait: %s", d)
	}
}

func TestGzipAppliedAndLevelHonoured(t *testing.T) {
	sizes := map[int]int{}
	for _, level := range []int{1, 9} {
		in := newIntake(t, nil)
		o := testOptions(in.URL, nil)
		o.CompressLevel = level
		s := mustNew(t, o)
		docs := realisticDocs(200)
		if r := s.Deliver(context.Background(), docs); r != Delivered {
			t.Fatalf("result %v", r)
		}
		req := in.requests()[0]
		if req.header.Get("Content-Encoding") != "gzip" || req.header.Get("Content-Type") != "application/x-ndjson" {
			t.Errorf("headers %v", req.header)
		}
		if len(req.body) != docs.Bytes()+docs.Len() || len(req.raw) >= len(req.body)/3 {
			t.Errorf("level %d: raw %d decoded %d docs %d", level, len(req.raw), len(req.body), docs.Bytes())
		}
		// XFL in the gzip header: 4 = fastest, 2 = best compression.
		if want := map[int]byte{1: 4, 9: 2}[level]; req.raw[8] != want {
			t.Errorf("level %d: XFL %d, want %d", level, req.raw[8], want)
		}
		sizes[level] = len(req.raw)
		if st := s.Stats(); st.BytesSent != uint64(len(req.raw)) || st.BytesRaw != uint64(len(req.body)) {
			t.Errorf("stats %+v", st)
		}
	}
	if sizes[9] >= sizes[1] {
		t.Errorf("level 9 (%d bytes) not smaller than level 1 (%d)", sizes[9], sizes[1])
	}

	in := newIntake(t, nil)
	o := testOptions(in.URL, nil)
	o.Compress = false
	s := mustNew(t, o)
	s.Deliver(context.Background(), mkDocs(0, 3, 100))
	if req := in.requests()[0]; req.header.Get("Content-Encoding") != "" || req.raw[0] != '{' {
		t.Errorf("uncompressed request: %v %q", req.header, req.raw[:10])
	}
}

func TestBatchCaps(t *testing.T) {
	in := newIntake(t, nil)
	o := testOptions(in.URL, nil)
	o.BatchBytes = 5000
	o.BatchEvents = 7
	s := mustNew(t, o)
	docs := new(Docs)
	for i := 0; i < 100; i++ { // mixed sizes, with one larger than BatchBytes
		size := 100 + (i*137)%900
		if i == 50 {
			size = 8000
		}
		docs.Append(mkDocs(i, 1, size).Doc(0), Meta{})
	}
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("result %v", r)
	}
	in.exactlyOnce(t, 0, 100)
	var order []int
	for _, req := range in.requests() {
		ids := req.ids(t)
		order = append(order, ids...)
		if len(ids) > 7 {
			t.Errorf("request with %d documents", len(ids))
		}
		if len(req.body) > 5000 && len(ids) != 1 {
			t.Errorf("request of %d bytes with %d documents", len(req.body), len(ids))
		}
	}
	for i, id := range order {
		if id != i {
			t.Fatalf("order %v", order)
		}
	}
}

func TestAuthAndExtraHeaders(t *testing.T) {
	cases := []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"bearer", func(o *Options) { o.APIKey = "k3y" }, "Bearer k3y"},
		{"basic", func(o *Options) { o.HTTPUser, o.HTTPPasswd = "u", "p:w" }, "Basic dTpwOnc="},
		{"api key wins", func(o *Options) { o.APIKey, o.HTTPUser, o.HTTPPasswd = "k3y", "u", "p" }, "Bearer k3y"},
		{"none", func(*Options) {}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newIntake(t, nil)
			o := testOptions(in.URL, nil)
			o.Headers = [][2]string{{"X-Tenant", "blue"}, {"x-scope-orgid", "7"}}
			c.set(&o)
			s := mustNew(t, o)
			s.Deliver(context.Background(), mkDocs(0, 1, 100))
			h := in.requests()[0].header
			if h.Get("Authorization") != c.want || h.Get("X-Tenant") != "blue" || h.Get("X-Scope-Orgid") != "7" {
				t.Errorf("headers %v", h)
			}
		})
	}
}

func TestConcurrentDeliver(t *testing.T) {
	in := newIntake(t, func(n int, _ request, _ http.ResponseWriter, _ *http.Request) int {
		if n%7 == 3 {
			return 503 // some retries in the mix
		}
		return 200
	})
	o := testOptions(in.URL, nil)
	o.BatchEvents = 25
	s := mustNew(t, o)
	const workers, chunks, perChunk = 8, 5, 100
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := 0; c < chunks; c++ {
				docs := mkDocs((w*chunks+c)*perChunk, perChunk, 300)
				if r := s.Deliver(context.Background(), docs); r != Delivered {
					t.Errorf("worker %d chunk %d: %v", w, c, r)
				}
			}
		}()
	}
	wg.Wait()
	in.exactlyOnce(t, 0, workers*chunks*perChunk)
	if st := s.Stats(); st.Delivered != workers*chunks*perChunk {
		t.Errorf("stats %+v", st)
	}
}

// With gzip on, a request is keyed by the hash of its compressed bytes (frameZipHash),
// without gzip by the body's: either way a chunk delivered again skips exactly the bodies
// already accepted, a chunk differing by one document is sent again whole, and the
// bytes posted are the body hashed (the intake decompresses and checks each request).
func TestAcceptedBodiesSkippedWithAndWithoutGzip(t *testing.T) {
	for _, compress := range []bool{true, false} {
		t.Run(map[bool]string{true: "gzip", false: "none"}[compress], func(t *testing.T) {
			in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int { return 200 })
			o := testOptions(in.URL, nil)
			o.Compress = compress
			o.BatchEvents = 10
			s := mustNew(t, o)
			if r := s.Deliver(context.Background(), mkDocs(0, 30, 200)); r != Delivered {
				t.Fatalf("first result %v", r)
			}
			if r := s.Deliver(context.Background(), mkDocs(0, 30, 200)); r != Delivered {
				t.Fatalf("second result %v", r)
			}
			if st := s.Stats(); st.Requests != 3 || st.Skipped != 3 || st.SkippedDocs != 30 {
				t.Fatalf("the same chunk again: %+v, want 3 requests and 3 skipped", st)
			}
			// Documents 0..19 as before (two bodies skipped), then 10 others (sent).
			if r := s.Deliver(context.Background(), mkDocs(0, 20, 200)); r != Delivered {
				t.Fatalf("third result %v", r)
			}
			if r := s.Deliver(context.Background(), mkDocs(30, 10, 200)); r != Delivered {
				t.Fatalf("fourth result %v", r)
			}
			if st := s.Stats(); st.Requests != 4 || st.Skipped != 5 {
				t.Fatalf("after a new batch: %+v, want 4 requests and 5 skipped", st)
			}
			for i, rq := range in.requests() {
				if got := rq.header.Get("Content-Encoding") == "gzip"; got != compress {
					t.Errorf("request %d: gzip %v, want %v", i, got, compress)
				}
			}
			in.exactlyOnce(t, 0, 40)
		})
	}
}

// frameZipHash keys a body by its gzip output, which holds only while the same body
// compresses to the same bytes in every scratch: fresh or reused, after any other body.
func TestGzipDeterministicAcrossScratches(t *testing.T) {
	p := newScratchPool(1)
	a, b := frameRange(testFramings(t)[0], mkDocs(0, 40, 3000), 0, 40), frameRange(testFramings(t)[0], mkDocs(40, 7, 100), 0, 7)
	fresh, reused := p.get(), p.get()
	if _, err := p.gzip(reused, b); err != nil {
		t.Fatal(err)
	}
	za, err := p.gzip(fresh, a)
	if err != nil {
		t.Fatal(err)
	}
	za = bytes.Clone(za)
	zb, err := p.gzip(reused, a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(za, zb) {
		t.Fatal("the same body compressed to different bytes in two scratches")
	}
}

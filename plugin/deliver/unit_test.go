package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		a    Answer
		want verdict
	}{
		{Answer{Status: 200}, vDelivered}, {Answer{Status: 201}, vDelivered}, {Answer{Status: 202}, vDelivered}, {Answer{Status: 204}, vDelivered},
		{Answer{Status: 408}, vRetry}, {Answer{Status: 429}, vRetry}, {Answer{Status: 500}, vRetry}, {Answer{Status: 502}, vRetry},
		{Answer{Status: 503}, vRetry}, {Answer{Status: 504}, vRetry}, {Answer{Status: 599}, vRetry},
		{Answer{Status: 413}, vSplit},
		{Answer{Status: 400}, vReject}, {Answer{Status: 409}, vReject}, {Answer{Status: 422}, vReject}, {Answer{Status: 410}, vReject},
		{Answer{Status: 401}, vAuth}, {Answer{Status: 403}, vAuth}, {Answer{Status: 407}, vAuth},
		{Answer{Status: 404}, vConfig}, {Answer{Status: 405}, vConfig},
		{Answer{Status: 301}, vConfig}, {Answer{Status: 308}, vConfig},
		{Answer{Err: syscall.ECONNRESET}, vRetry}, {Answer{Err: syscall.ECONNREFUSED}, vRetry},
		{Answer{Err: context.DeadlineExceeded}, vRetry}, {Answer{Err: io.ErrUnexpectedEOF}, vRetry},
		{Answer{}, vRetry},
	}
	for _, c := range cases {
		if got := classify(c.a); got != c.want {
			t.Errorf("classify(%+v) = %d, want %d", c.a, got, c.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"1":                             time.Second,
		" 30 ":                          30 * time.Second,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Sat, 14 Mar 2026 09:00:07 GMT": 7 * time.Second,
		"Sat, 14 Mar 2026 08:59:00 GMT": 0,
		"99999999999":                   24 * time.Hour,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	initial, max := 250*time.Millisecond, 2*time.Second
	for attempt, nominal := range []time.Duration{250, 500, 1000, 2000, 2000, 2000} {
		nominal *= time.Millisecond
		for range 50 {
			d := backoff(attempt, initial, max)
			if d < nominal/2 || d > nominal {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, nominal/2, nominal)
			}
		}
	}
	if d := backoff(1000, initial, max); d > max {
		t.Errorf("no cap: %s", d)
	}
}

func TestMemory(t *testing.T) {
	m := newMemory(64)
	ref := map[bodyKey]bool{}
	var order []bodyKey
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		// Small key space with clustered low bits to exercise probing and shifts; the
		// second word varies on its own, so keys that agree on the first word differ.
		h := bodyKey{uint64(rng.IntN(300))<<20 | uint64(rng.IntN(4)) + 1, uint64(rng.IntN(3))}
		if m.has(h) != ref[h] {
			t.Fatalf("step %d: has(%x) = %v, want %v", i, h, !ref[h], ref[h])
		}
		if ref[h] {
			continue
		}
		m.add(h)
		ref[h] = true
		order = append(order, h)
		if len(order) > 64 { // FIFO: the oldest goes
			delete(ref, order[0])
			order = order[1:]
		}
	}
	for h := range ref {
		if !m.has(h) {
			t.Fatalf("lost %x", h)
		}
	}
	m.reset()
	if m.has(order[len(order)-1]) {
		t.Error("reset kept entries")
	}
}

func TestMemorySeesBodiesNotDocs(t *testing.T) {
	m := newMemory(8)
	a, b := m.hash([]byte("{\"a\":1}\n")), m.hash([]byte("{\"a\":2}\n"))
	if a == b || a == (bodyKey{}) || a[0] == a[1] {
		t.Fatal("hash")
	}
}

// The key is GMAC under the memory's own secret key (one pass over the body), the
// two-maphash fallback where GCM is refused; both key equal bodies alike, different ones
// (even one byte or one length apart) differently, two memories differently (each has
// its own secret), and keying with a scratch's tag buffer allocates nothing.
func TestMemoryKeys(t *testing.T) {
	m := newMemory(8)
	if m.mac == nil {
		t.Fatal("no GMAC: the keys take the slower maphash pair")
	}
	fallback := newMemory(8)
	fallback.mac = nil
	big := bytes.Repeat([]byte(`{"a":"0123456789abcdef"}`+"\n"), 50_000)
	for name, m := range map[string]*memory{"gmac": m, "maphash": fallback} {
		bodies := [][]byte{nil, []byte("\n"), []byte("\n\x00"), []byte(`{"a":1}` + "\n"), []byte(`{"a":2}` + "\n"), big, big[:len(big)-1]}
		seen := map[bodyKey]int{}
		for i, b := range bodies {
			k := m.hash(b)
			if k != m.hash(append([]byte(nil), b...)) {
				t.Errorf("%s: body %d keyed twice differently", name, i)
			}
			if k[0] == 0 {
				t.Errorf("%s: body %d has the empty slot's key", name, i)
			}
			if j, ok := seen[k]; ok {
				t.Errorf("%s: bodies %d and %d share a key", name, j, i)
			}
			seen[k] = i
		}
	}
	if newMemory(8).hash(big) == m.hash(big) {
		t.Error("two memories key the same body alike: the secret is not per memory")
	}
	var tag [16]byte
	if n := testing.AllocsPerRun(100, func() { m.sum(&tag, big) }); n != 0 {
		t.Errorf("sum allocates %v times", n)
	}
}

// A body whose first hash word collides with a remembered body's is not skipped: only
// the full 128-bit key, under two independent secret seeds, makes a body "already done".
// (With the former 64-bit key such a collision skipped a different body, that is,
// dropped its events silently.)
func TestMemoryKeyCollisionOnOneWordIsNoMatch(t *testing.T) {
	m := newMemory(8)
	done := m.hash([]byte("{\"a\":1}\n"))
	m.add(done)
	forged := bodyKey{done[0], done[1] ^ 1}
	if m.has(forged) {
		t.Fatal("a key equal on its first 64 bits only is taken as done")
	}
	if !m.has(done) {
		t.Fatal("the remembered key is lost")
	}
}

// frameRange frames documents [i, j).
func frameRange(fr Framing, docs *Docs, i, j int) []byte {
	sel := make([]int32, 0, j-i)
	for k := i; k < j; k++ {
		sel = append(sel, int32(k))
	}
	return frame(nil, fr, docs, sel)
}

// testFramings are the framings of every intake with their metadata fields set.
func testFramings(t *testing.T) []Framing {
	t.Helper()
	var out []Framing
	for _, o := range []Options{
		{Intake: "ndjson"},
		{Intake: "elasticsearch", Index: "logs-k8s.audit-default"},
		{Intake: "datadog", APIKey: "k", DDService: "kube-apiserver", DDTags: "env:prod", DDHostname: "cp-1"},
		{Intake: "datadog", APIKey: "k"},
		{Intake: "splunk", APIKey: "k", SplunkIndex: "audit", SplunkSource: "kube", SplunkHost: "cp-1"},
		{Intake: "sekoia", APIKey: "k"},
	} {
		in, err := builders[o.Intake](&o)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, in.fr)
	}
	return out
}

func TestBatchingWithFraming(t *testing.T) {
	docs := new(Docs)
	for i, d := range []string{`{"a":1}`, `{"b":22}`, `{"c":"3\"3\u00e9"}`, `{"d":4444}`, strings.Repeat("x", 40), `{}`, "\"\x01\u2028\xff"} {
		m := Meta{Time: int64(i) * 1_500_000_123}
		if i%2 == 0 {
			m.AuditID, m.Stage = []byte(fmt.Sprintf("id-%d\"", i)), []byte("ResponseComplete")
		}
		docs.Append([]byte(d), m)
	}
	for _, fr := range testFramings(t) {
		for _, maxBytes := range []int{1, 10, 20, 25, 40, 1000} {
			for _, maxEvents := range []int{1, 2, 3, 100} {
				var all []byte
				for i := 0; i < docs.Len(); {
					j := nextBatch(fr, docs, i, maxBytes, maxEvents, 0, nil)
					if j <= i {
						t.Fatalf("no progress at %d", i)
					}
					body := frameRange(fr, docs, i, j)
					if want := fr.EnvelopeLen() + sumDocLen(fr, docs, i, j); len(body) != want {
						t.Errorf("%T: body of %d bytes, docLen says %d", fr, len(body), want)
					}
					if j-i > maxEvents || (len(body) > maxBytes && j-i != 1) {
						t.Errorf("%T bytes %d events %d: batch [%d,%d) of %d bytes", fr, maxBytes, maxEvents, i, j, len(body))
					}
					// Greedy: the next document would not have fitted.
					if j < docs.Len() && j-i < maxEvents && len(frameRange(fr, docs, i, j+1)) <= maxBytes {
						t.Errorf("%T: batch [%d,%d) stopped early", fr, i, j)
					}
					all = append(all, body...)
					i = j
				}
				if _, ok := fr.(ndjsonFraming); ok && !bytes.Equal(all, frameRange(fr, docs, 0, docs.Len())) {
					t.Errorf("batches do not add up to the documents")
				}
			}
		}
	}
}

func sumDocLen(fr Framing, docs *Docs, i, j int) int {
	n := 0
	for k := i; k < j; k++ {
		n += fr.DocLen(docs, k, k == i)
	}
	return n
}

func TestDocs(t *testing.T) {
	var d Docs
	d.Append([]byte(`{"a":1}`+"\n"), Meta{AuditID: []byte("a1"), Stage: []byte("RequestReceived"), Time: 7})
	d.AppendWith(func(dst []byte) []byte { return append(dst, `{"b":2}`...) }, Meta{AuditID: []byte("b2")})
	d.Append([]byte(`{"c":3}`), Meta{})
	if string(d.Key(0)) != "a1-RequestReceived" || string(d.Key(1)) != "b2" || d.Key(2) != nil && len(d.Key(2)) != 0 || d.Time(0) != 7 || d.Time(2) != 0 {
		t.Errorf("meta %q %q %q %d", d.Key(0), d.Key(1), d.Key(2), d.Time(0))
	}
	if d.Len() != 3 || string(d.Doc(0)) != `{"a":1}` || string(d.Doc(1)) != `{"b":2}` || string(d.Doc(2)) != `{"c":3}` {
		t.Errorf("docs %q %q %q", d.Doc(0), d.Doc(1), d.Doc(2))
	}
	// Doc must not let a caller's append overwrite the next document.
	_ = append(d.Doc(0), 'X')
	if string(d.Doc(1)) != `{"b":2}` {
		t.Error("Doc aliases past its end")
	}
	if d.Bytes() != 3*len(`{"a":1}`) {
		t.Errorf("Bytes = %d, want the documents' bytes without separators", d.Bytes())
	}
	d.Reset()
	if d.Len() != 0 || d.Bytes() != 0 {
		t.Error("reset")
	}
}

// Lines is the NDJSON framing of a run of documents, as the ndjson intake would frame it
// by copy, whatever was appended (trailing newlines, AppendWith), and appending to it
// cannot reach the next document.
func TestDocsLines(t *testing.T) {
	d := mkDocs(0, 9, 120)
	d.Append([]byte(`{"crlf":1}`+"\r\n"), Meta{})
	d.AppendWith(func(dst []byte) []byte { return append(dst, `{"with":1}`+"\n"...) }, Meta{})
	d.Append([]byte(`{"last":1}`), Meta{})
	fr := ndjsonFraming{}
	for i := 0; i < d.Len(); i++ {
		for j := i + 1; j <= d.Len(); j++ {
			if got, want := d.Lines(i, j), frameRange(fr, d, i, j); !bytes.Equal(got, want) {
				t.Fatalf("Lines(%d, %d) = %q, want %q", i, j, got, want)
			}
		}
	}
	next := string(d.Doc(4))
	_ = append(d.Lines(1, 4), 'X')
	if string(d.Doc(4)) != next {
		t.Error("Lines aliases past its end")
	}
}

// The ndjson intake posts runs of documents straight from Docs: the scratch's body
// buffer is never filled (no copy of the chunk's documents), and the bodies are the
// documents framed (the intake checks each one), split halves included.
func TestNDJSONBodiesAreNotCopied(t *testing.T) {
	for _, compress := range []bool{false, true} {
		in := newIntake(t, func(n int, _ request, _ http.ResponseWriter, _ *http.Request) int {
			if n == 0 {
				return 413 // the first request is split in halves: runs too
			}
			return 200
		})
		o := testOptions(in.URL, nil)
		o.Compress = compress
		o.BatchEvents = 10
		s := mustNew(t, o)
		if r := s.Deliver(context.Background(), mkDocs(0, 35, 300)); r != Delivered {
			t.Fatalf("compress %v: result %v", compress, r)
		}
		in.exactlyOnce(t, 0, 35)
		sc := s.pool.get()
		if cap(sc.body) != 0 {
			t.Errorf("compress %v: the scratch's body buffer grew to %d bytes: bodies were copied", compress, cap(sc.body))
		}
		s.pool.put(sc)
	}
}

func TestAppendJSONString(t *testing.T) {
	got := string(appendJSONString(nil, "a\"b\\c\nd\x01e\xffé"))
	want := `"a\"b\\c\nd\u0001e\ufffdé"`
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

type failWriter struct{ fail bool }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

func TestStdout(t *testing.T) {
	var buf bytes.Buffer
	s, err := New(Options{Intake: "stdout", Stdout: &buf, Compress: true, BatchEvents: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	docs := mkDocs(0, 5, 50)
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("result %v", r)
	}
	if want := string(frameRange(ndjsonFraming{}, docs, 0, 5)); buf.String() != want {
		t.Errorf("stdout %q, want %q", buf.String(), want)
	}
	if st := s.Stats(); st.Requests != 3 || st.Delivered != 5 {
		t.Errorf("stats %+v (one write per batch)", st)
	}

	w := &failWriter{fail: true}
	s2, _ := New(Options{Intake: "stdout", Stdout: w})
	defer s2.Close()
	start := time.Now()
	if r := s2.Deliver(context.Background(), docs); r != Retry {
		t.Fatalf("failed write: %v, want retry", r)
	}
	if time.Since(start) > time.Second || s2.Stats().Requests != 1 {
		t.Errorf("a failed stdout write was retried in the flush")
	}
	w.fail = false
	if r := s2.Deliver(context.Background(), docs); r != Delivered {
		t.Errorf("after recovery: %v", r)
	}
}

func TestPoolCeiling(t *testing.T) {
	p := newScratchPool(1)
	sc := &scratch{body: make([]byte, 0, maxPooled+1), zout: sink{b: make([]byte, 0, 1024)}, dl: make([]byte, 0, maxPooled+1)}
	p.put(sc)
	if sc.body != nil || sc.dl != nil || cap(sc.zout.b) != 1024 {
		t.Errorf("oversized buffers kept in the pool: %d %d %d", cap(sc.body), cap(sc.dl), cap(sc.zout.b))
	}
}

// lockedBuffer fails the test if two writes overlap.
type lockedBuffer struct {
	busy atomic.Bool
	buf  bytes.Buffer
	t    *testing.T
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	if !w.busy.CompareAndSwap(false, true) {
		w.t.Error("concurrent writes to stdout")
	}
	defer w.busy.Store(false)
	return w.buf.Write(p)
}

func TestStdoutConcurrent(t *testing.T) {
	w := &lockedBuffer{t: t}
	s, err := New(Options{Intake: "stdout", Stdout: w, BatchEvents: 3})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := s.Deliver(context.Background(), mkDocs(g*100, 40, 80)); r != Delivered {
				t.Error(r)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	if len(lines) != 240 {
		t.Fatalf("%d lines, want 240", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"id":`) || !strings.HasSuffix(l, `"}`) {
			t.Fatalf("torn line %q", l)
		}
	}
}

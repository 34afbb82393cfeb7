package test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// flakyIntake is an NDJSON intake that fails on purpose: a share of requests answered 5xx,
// a share cut by a connection reset before any answer, and large bodies refused with 413
// at random. It counts the documents of the requests it accepted by event.id, without
// decoding them, so that 100,000 events stay cheap to check.
type flakyIntake struct {
	mu                                    sync.Mutex
	rng                                   *rand.Rand
	seen                                  map[string]int
	requests, fails, resets, tooLarge, ok int
	problems                              []string
}

var eventIDRE = regexp.MustCompile(`"id":"([^"]*)"`)

func (f *flakyIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if err != nil {
		f.problems = append(f.problems, "reading body: "+err.Error())
		return
	}
	switch p := f.rng.Float64(); {
	case p < 0.20:
		f.fails++
		w.WriteHeader([]int{500, 502, 503, 504}[f.rng.Intn(4)])
		return
	case p < 0.25:
		f.resets++
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
				_ = tc.SetLinger(0) // RST, not FIN
			}
			conn.Close()
		}
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err == nil {
		body, err = io.ReadAll(zr)
	}
	if err != nil {
		f.problems = append(f.problems, "gzip: "+err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if len(body) > 256<<10 && f.rng.Float64() < 0.3 {
		f.tooLarge++
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		m := eventIDRE.FindSubmatch(sc.Bytes())
		if m == nil {
			f.problems = append(f.problems, "a document without event.id")
			continue
		}
		f.seen[string(m[1])]++
	}
	f.ok++
	w.WriteHeader(http.StatusOK)
}

// soakLog writes n audit events, each with its own auditID, made from the real lines of
// audit2rbac's demo log (small Metadata-level events, ~600 bytes each).
func soakLog(t *testing.T, n int) string {
	src, err := os.ReadFile(filepath.Join(fixtures(t), "real", "audit2rbac_testdata_demo.log"))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(src, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	auditID := regexp.MustCompile(`"auditID":"[^"]*"`)
	path := filepath.Join(t.TempDir(), "soak-audit.log")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf(`"auditID":"soak-%08d"`, i)
		w.Write(auditID.ReplaceAllLiteral(lines[i%len(lines)], []byte(id)))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return path
}

// TestSoakFlakyIntake drives the built .so through the proxy harness with 100,000 events
// (10,000 with -short) into an intake that fails a quarter of the requests and refuses
// large bodies at random, re-flushing every chunk the plugin hands back with FLB_RETRY as
// Fluent Bit would. Every event must arrive exactly once, in bounded memory.
func TestSoakFlakyIntake(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	logPath := soakLog(t, n)
	fl := &flakyIntake{rng: rand.New(rand.NewSource(1)), seen: make(map[string]int, n)}
	srv := httptest.NewServer(fl)
	defer srv.Close()
	deadLetter := filepath.Join(t.TempDir(), "dead-letter.ndjson")

	r := runHarness(t, 3*time.Minute, "-p", "url="+srv.URL+"/ingest", "-p", "batch_bytes=1M",
		"-p", "retry_budget=300ms", "-p", "timeout=5s", "-p", "dead_letter_file="+deadLetter,
		"-r", "500", "-w", "5", "-l", logPath)
	r.mustExit(t, 0)

	fl.mu.Lock()
	defer fl.mu.Unlock()
	delivered, dups := 0, 0
	for id, c := range fl.seen {
		if !bytes.HasPrefix([]byte(id), []byte("soak-")) {
			t.Errorf("unexpected document id %q", id)
		}
		delivered++
		if c > 1 {
			dups += c - 1
		}
	}
	deadLettered := 0
	if b, err := os.ReadFile(deadLetter); err == nil {
		deadLettered = bytes.Count(b, []byte("\n"))
	}
	var maxRSS int64
	if ru, ok := r.rusage.(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss / 1024 // kilobytes on Linux
	}
	var s summary
	if len(r.summaries) == 1 {
		s = r.summaries[0]
	}
	t.Logf("soak: sent=%d delivered=%d dead_lettered=%d duplicates=%d | chunks=%d flb_retry=%d | requests=%d accepted=%d 5xx=%d resets=%d 413=%d | harness max RSS %d MiB | %s",
		n, delivered, deadLettered, dups, s.Chunks, s.Retry, fl.requests, fl.ok, fl.fails, fl.resets, fl.tooLarge, maxRSS, r.elapsed.Round(time.Millisecond))
	for _, p := range fl.problems {
		t.Error(p)
	}
	if delivered+deadLettered != n {
		t.Errorf("delivered %d + dead-lettered %d != sent %d", delivered, deadLettered, n)
	}
	if dups != 0 {
		t.Errorf("%d duplicates", dups)
	}
	if fl.fails == 0 || fl.resets == 0 || fl.tooLarge == 0 || s.Retry == 0 {
		t.Errorf("the soak did not exercise every fault (5xx=%d resets=%d 413=%d flb_retry=%d)", fl.fails, fl.resets, fl.tooLarge, s.Retry)
	}
	// The harness holds the input log and one chunk; the plugin's own memory must not grow
	// with the number of events.
	if maxRSS > 400 {
		t.Errorf("harness max RSS %d MiB: memory is not bounded", maxRSS)
	}
}

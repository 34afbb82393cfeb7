package deliver

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recLogger records log lines by level.
type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLogger) add(level, format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(format, args...))
	l.mu.Unlock()
}
func (l *recLogger) Errorf(f string, a ...any) { l.add("error", f, a...) }
func (l *recLogger) Warnf(f string, a ...any)  { l.add("warn", f, a...) }
func (l *recLogger) Infof(f string, a ...any)  { l.add("info", f, a...) }
func (l *recLogger) Debugf(f string, a ...any) { l.add("debug", f, a...) }

func (l *recLogger) count(level, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.HasPrefix(s, level+" ") && strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

// mkDocs returns n distinct documents of about size bytes, with ids from first.
func mkDocs(first, n, size int) *Docs {
	d := new(Docs)
	for i := 0; i < n; i++ {
		doc := fmt.Sprintf(`{"id":%d,"pad":"`, first+i)
		if pad := size - len(doc) - 2; pad > 0 {
			doc += strings.Repeat("x", pad)
		}
		d.Append([]byte(doc+`"}`), Meta{AuditID: fmt.Appendf(nil, "audit-%d", first+i), Stage: []byte("ResponseComplete"), Time: 1773478800e9 + int64(first+i)*1e6})
	}
	return d
}

// request is what a scripted intake received.
type request struct {
	header http.Header
	raw    []byte // as on the wire
	body   []byte // decoded
}

func (r request) ids(t *testing.T) []int {
	t.Helper()
	var ids []int
	for _, line := range bytes.Split(bytes.TrimSuffix(r.body, []byte("\n")), []byte("\n")) {
		var v struct{ ID int }
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("intake got a line that is not JSON: %q: %v", line, err)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

// intake is a scripted httptest server: script is called for each request (n counts from
// 0) and answers it; the intake records every request and the ids it accepted with 2xx.
type intake struct {
	*httptest.Server
	t        *testing.T
	mu       sync.Mutex
	reqs     []request
	accepted map[int]int // id -> times accepted
	script   func(n int, req request, w http.ResponseWriter, r *http.Request) int
}

func newIntake(t *testing.T, script func(n int, req request, w http.ResponseWriter, r *http.Request) int) *intake {
	in := &intake{t: t, accepted: map[int]int{}, script: script}
	in.Server = httptest.NewServer(in)
	t.Cleanup(in.Close)
	return in
}

func (in *intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	req := request{header: r.Header.Clone(), raw: raw, body: raw}
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			http.Error(w, "bad gzip", 400)
			return
		}
		if req.body, err = io.ReadAll(zr); err != nil {
			http.Error(w, "bad gzip", 400)
			return
		}
	}
	in.mu.Lock()
	n := len(in.reqs)
	in.reqs = append(in.reqs, req)
	in.mu.Unlock()
	status := 200
	if in.script != nil {
		status = in.script(n, req, w, r)
	}
	if status == 0 { // the script wrote the answer itself (or hijacked)
		return
	}
	if status >= 200 && status < 300 {
		in.mu.Lock()
		for _, id := range req.ids(in.t) {
			in.accepted[id]++
		}
		in.mu.Unlock()
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":%d}`, status)
}

func (in *intake) requests() []request {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]request(nil), in.reqs...)
}

// exactlyOnce checks that ids [first, first+n) were each accepted exactly once, and no
// other id.
func (in *intake) exactlyOnce(t *testing.T, first, n int) {
	t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	for id := first; id < first+n; id++ {
		if c := in.accepted[id]; c != 1 {
			t.Errorf("document %d accepted %d times, want 1", id, c)
		}
	}
	if len(in.accepted) != n {
		t.Errorf("intake accepted %d distinct documents, want %d", len(in.accepted), n)
	}
}

// testOptions are fast defaults for tests: short backoffs and budget.
func testOptions(url string, log Logger) Options {
	return Options{
		Intake:         "ndjson",
		URL:            url,
		Compress:       true,
		TLSVerify:      true,
		Timeout:        10 * time.Second, // long: a loaded CI machine must not turn an accepted request into a lost answer
		RetryBudget:    time.Second,
		BackoffInitial: 5 * time.Millisecond,
		BackoffMax:     20 * time.Millisecond,
		Logger:         log,
	}
}

func mustNew(t *testing.T, o Options) *Sender {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

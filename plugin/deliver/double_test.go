package deliver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// double is a strict httptest intake: it enforces its intake's documented contract
// (path, credential header, gzip, content type, framing, size limits answered with 413)
// and records which documents it accepted, by the id field of mkDocs' documents. Each
// intake's file fills in check (the headers and query it wants) and accept (parse the
// framing and take the documents, or answer per item).
type double struct {
	*httptest.Server
	t        *testing.T
	name     string
	path     string
	maxBody  int // uncompressed; above it the answer is 413 (tests may lower it)
	check    func(r *http.Request) (status int, answer string)
	accept   func(d *double, body []byte, w http.ResponseWriter) // parses, calls take, answers
	fault    func(n int, w http.ResponseWriter, r *http.Request) bool
	mu       sync.Mutex
	n        int
	accepted map[int]int // document id -> times accepted
	problems []string
}

func newDouble(t *testing.T, d *double) *double {
	d.t = t
	d.accepted = map[int]int{}
	d.Server = httptest.NewServer(d)
	t.Cleanup(func() {
		d.Close()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, p := range d.problems {
			t.Errorf("%s double: contract broken: %s", d.name, p)
		}
	})
	return d
}

// problem records a contract violation by the client: the test fails at cleanup.
func (d *double) problem(format string, args ...any) {
	d.mu.Lock()
	if len(d.problems) < 10 {
		d.problems = append(d.problems, fmt.Sprintf(format, args...))
	}
	d.mu.Unlock()
}

func (d *double) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	n := d.n
	d.n++
	fault := d.fault
	d.mu.Unlock()
	if fault != nil && fault(n, w, r) {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != d.path {
		d.problem("%s %s, want POST %s", r.Method, r.URL.Path, d.path)
		http.Error(w, "not found", 404)
		return
	}
	if status, answer := d.check(r); status != 0 {
		d.problem("request refused with %d: %s", status, answer)
		w.WriteHeader(status)
		io.WriteString(w, answer)
		return
	}
	if r.Header.Get("Content-Encoding") != "gzip" {
		d.problem("body not gzipped (Content-Encoding %q)", r.Header.Get("Content-Encoding"))
		http.Error(w, "gzip expected", http.StatusUnsupportedMediaType)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		d.problem("bad gzip: %v", err)
		http.Error(w, "bad gzip", 400)
		return
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		d.problem("bad gzip: %v", err)
		http.Error(w, "bad gzip", 400)
		return
	}
	d.mu.Lock()
	max := d.maxBody
	d.mu.Unlock()
	if len(body) > max {
		w.WriteHeader(413)
		fmt.Fprintf(w, `{"error":"request entity too large: %d > %d"}`, len(body), max)
		return
	}
	d.accept(d, body, w)
}

// take records the ids of accepted documents.
func (d *double) take(ids ...int) {
	d.mu.Lock()
	for _, id := range ids {
		d.accepted[id]++
	}
	d.mu.Unlock()
}

func (d *double) setMax(n int) {
	d.mu.Lock()
	d.maxBody = n
	d.mu.Unlock()
}

func (d *double) requests() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// docID reads the id of one of mkDocs' documents.
func docID(t *testing.T, doc []byte) (int, bool) {
	var v struct {
		ID *int `json:"id"`
	}
	if err := json.Unmarshal(doc, &v); err != nil || v.ID == nil {
		return 0, false
	}
	return *v.ID, true
}

// expectOnce checks the end state of a test: every id in [first, first+n) was accepted
// exactly once, or (only the ids in deadWant) is in the dead-letter file exactly once
// with a reason containing deadWant[id]; nothing else was accepted or dead-lettered.
func expectOnce(t *testing.T, d *double, dlPath string, first, n int, deadWant map[int]string) {
	t.Helper()
	dead := map[int][]string{}
	if dlPath != "" {
		if _, err := os.Stat(dlPath); err == nil {
			for _, m := range readDeadLetters(t, dlPath) {
				doc, _ := json.Marshal(m["document"])
				id, ok := docID(t, doc)
				if !ok {
					t.Errorf("dead letter without a document id: %v", m)
					continue
				}
				reason, _ := m["reason"].(string)
				dead[id] = append(dead[id], reason)
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := first; id < first+n; id++ {
		acc, dl := d.accepted[id], dead[id]
		want, shouldDie := deadWant[id]
		switch {
		case shouldDie && (acc != 0 || len(dl) != 1):
			t.Errorf("document %d: accepted %d times, dead-lettered %d times; want dead-lettered once", id, acc, len(dl))
		case shouldDie && !strings.Contains(dl[0], want):
			t.Errorf("document %d: dead-letter reason %q does not contain %q", id, dl[0], want)
		case !shouldDie && (acc != 1 || len(dl) != 0):
			t.Errorf("document %d: accepted %d times, dead-lettered %d times; want accepted once", id, acc, len(dl))
		}
	}
	for id := range d.accepted {
		if id < first || id >= first+n {
			t.Errorf("document %d accepted but never sent", id)
		}
	}
}

// doubleOptions are testOptions for an intake and its double.
func doubleOptions(t *testing.T, intake, url string) Options {
	o := testOptions(url, nil)
	o.Intake = intake
	o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
	switch intake {
	case "elasticsearch":
		o.Index, o.APIKey, o.Pipeline = "logs-kubernetes.audit-test", esTestKey, "k8s-audit"
	case "datadog":
		o.APIKey, o.DDService, o.DDTags, o.DDHostname = ddTestKey, "kube-apiserver", "env:test,team:sec", "cp-1"
	case "splunk":
		o.APIKey, o.SplunkIndex, o.SplunkSource, o.SplunkHost = splunkTestToken, "k8s_audit", "apiserver", "cp-1"
	case "sekoia":
		o.APIKey = sekoiaTestKey
	}
	return o
}

// newDoubleFor builds the strict double of an intake.
func newDoubleFor(t *testing.T, intake string) *double {
	switch intake {
	case "elasticsearch":
		return newESDouble(t).double
	case "datadog":
		return newDDDouble(t)
	case "splunk":
		return newSplunkDouble(t).double
	case "sekoia":
		return newSekoiaDouble(t)
	}
	t.Fatalf("no double for %s", intake)
	return nil
}

var doubleIntakes = []string{"elasticsearch", "datadog", "splunk", "sekoia"}

// deliverOK runs Deliver and wants Delivered.
func deliverOK(t *testing.T, s *Sender, docs *Docs) {
	t.Helper()
	if r := s.Deliver(context.Background(), docs); r != Delivered {
		t.Fatalf("result %v, want delivered (stats %s)", r, s.Stats())
	}
}

// hijackReset reads a little of the body, then drops the connection: a reset mid-body.
func hijackReset(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 16)
	io.ReadFull(r.Body, buf)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0) // RST, not FIN
	}
	conn.Close()
}

// sleepUnlessGone waits d or until the client gives up.
func sleepUnlessGone(r *http.Request, d time.Duration) {
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

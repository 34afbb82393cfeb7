package deliver

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// wrapFraming is an intake framing written outside the core, as a Wire carries one: a
// JSON array of {"w":<document>} objects.
type wrapFraming struct{}

func (wrapFraming) ContentType() string           { return "application/vnd.test+json" }
func (wrapFraming) AppendOpen(dst []byte) []byte  { return append(dst, '[') }
func (wrapFraming) AppendClose(dst []byte) []byte { return append(dst, ']') }
func (wrapFraming) EnvelopeLen() int              { return 2 }
func (wrapFraming) DocLen(d *Docs, k int, first bool) int {
	n := len(`{"w":}`) + len(d.Doc(k))
	if !first {
		n++
	}
	return n
}
func (wrapFraming) AppendDoc(dst []byte, d *Docs, k int, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, `{"w":`...)
	dst = append(dst, d.Doc(k)...)
	return append(dst, '}')
}
func (wrapFraming) Limits() Limits {
	return Limits{DefaultBytes: 1 << 20, DefaultEvents: 3, MaxBytes: 2 << 20, MaxEvents: 10, Source: "the test intake's documentation"}
}

func TestWireIntakeFramesAddressesAndAuthenticates(t *testing.T) {
	in := newIntake(t, func(_ int, _ request, w http.ResponseWriter, _ *http.Request) int {
		w.WriteHeader(202) // written here: the helper would read the wrapped lines as ids
		return 0
	})
	o := testOptions(in.URL, nil)
	o.Intake, o.APIKey = "wired", "k3y"
	o.Wire = &Wire{Name: "wired", Framing: wrapFraming{}, Path: "/v1/ingest", Query: "source=k8saudit", Credential: "X-Api-Key", Scheme: "Key "}
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 7, 50)); r != Delivered {
		t.Fatalf("Deliver = %v, want Delivered", r)
	}
	reqs := in.requests()
	// batch_events defaults to the framing's DefaultEvents (3): 7 documents in 3 requests.
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (the framing's default of 3 documents each)", len(reqs))
	}
	var all []byte
	for _, r := range reqs {
		if got := r.header.Get("X-Api-Key"); got != "Key k3y" {
			t.Errorf("credential header = %q, want %q", got, "Key k3y")
		}
		if got := r.header.Get("Authorization"); got != "" {
			t.Errorf("Authorization = %q, want none: the Wire names its own header", got)
		}
		if got := r.header.Get("Content-Type"); got != "application/vnd.test+json" {
			t.Errorf("Content-Type = %q", got)
		}
		if !bytes.HasPrefix(r.body, []byte(`[{"w":{"id":`)) || !bytes.HasSuffix(r.body, []byte(`}}]`)) {
			t.Errorf("body is not the Wire's framing: %.80s", r.body)
		}
		all = append(all, r.body...)
	}
	if n := bytes.Count(all, []byte(`{"w":{"id":`)); n != 7 {
		t.Errorf("%d framed documents across the requests, want 7", n)
	}
}

func TestWireIntakePathAndQuery(t *testing.T) {
	var paths []string
	in := newIntake(t, nil)
	in.script = func(_ int, _ request, w http.ResponseWriter, r *http.Request) int {
		paths = append(paths, r.URL.RequestURI())
		w.WriteHeader(200)
		return 0
	}
	o := testOptions(in.URL, nil)
	o.Intake = "wired"
	o.Wire = &Wire{Name: "wired", Framing: wrapFraming{}, Path: "/v1/ingest", Query: "source=k8saudit"}
	if r := mustNew(t, o).Deliver(context.Background(), mkDocs(0, 1, 50)); r != Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	if len(paths) != 1 || paths[0] != "/v1/ingest?source=k8saudit" {
		t.Errorf("request URIs %q, want [/v1/ingest?source=k8saudit]", paths)
	}
}

func TestWireIntakeLimitsAreTheFramings(t *testing.T) {
	o := testOptions("http://127.0.0.1:1", nil)
	o.Intake, o.BatchEvents = "wired", 11
	o.Wire = &Wire{Name: "wired", Framing: wrapFraming{}}
	_, err := New(o)
	if err == nil || !strings.Contains(err.Error(), "batch_events") || !strings.Contains(err.Error(), "the test intake's documentation") {
		t.Errorf("batch_events above the framing's maximum: err = %v, want one naming the key and the source", err)
	}
}

func TestWireMustBeTheNamedIntake(t *testing.T) {
	o := testOptions("http://127.0.0.1:1", nil)
	o.Intake = "ndjson"
	o.Wire = &Wire{Name: "wired", Framing: wrapFraming{}}
	if _, err := New(o); err == nil {
		t.Error("a Wire named differently from the intake key was accepted")
	}
	o.Intake, o.Wire = "wired", &Wire{Name: "wired"}
	if _, err := New(o); err == nil {
		t.Error("a Wire without a framing was accepted")
	}
}

// A Wire's Answer hook reads an accepted answer for documents dropped all the same (OTLP
// partial success): counted, logged with the secret scrubbed, never resent.
func TestWireAnswerCountsPartialRejections(t *testing.T) {
	in := newIntake(t, func(n int, _ request, w http.ResponseWriter, _ *http.Request) int {
		w.WriteHeader(200)
		if n == 0 {
			_, _ = w.Write([]byte("rejected=2 reason=bad record Authorization: Bearer k3y"))
		}
		return 0
	})
	log := &recLogger{}
	o := testOptions(in.URL, log)
	o.Intake, o.APIKey, o.BatchEvents = "wired", "k3y", 3
	o.Wire = &Wire{Name: "wired", Framing: wrapFraming{}, Answer: func(body []byte) (int, string) {
		if !bytes.HasPrefix(body, []byte("rejected=2 ")) {
			return 0, ""
		}
		return 2, string(body[len("rejected=2 "):])
	}}
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 50)); r != Delivered {
		t.Fatalf("Deliver = %v, want Delivered", r)
	}
	st := s.Stats()
	if st.PartialRejected != 2 || st.Delivered != 5 || st.Requests != 2 || st.Retries != 0 {
		t.Errorf("stats %+v, want PartialRejected 2, Delivered 5 in 2 requests, no retry", st)
	}
	if log.count("warn", "dropped 2 of them: reason=bad record") != 1 {
		t.Errorf("no warning naming the partial rejection: %q", log.lines)
	}
	for _, l := range log.lines {
		if strings.Contains(l, "k3y") {
			t.Errorf("the credential reached a log line: %q", l)
		}
	}
}

// TestWireRefuseSetsAsideBeforeBatching: documents the Wire refuses (here the
// pipeline_error ones) go to the dead-letter file with the reason, counted as refused,
// never to the intake; the others are delivered; a retried chunk sets nothing aside twice.
func TestWireRefuseSetsAsideBeforeBatching(t *testing.T) {
	in := newIntake(t, nil)
	o := testOptions(in.URL, nil)
	o.Intake = "ndjsonish"
	o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
	o.Wire = &Wire{Name: "ndjsonish", Framing: ndjsonFraming{}, Refuse: func(d *Docs, k int) string {
		if d.IsError(k) {
			return "not an audit event"
		}
		return ""
	}}
	s := mustNew(t, o)
	src := mkDocs(0, 10, 80)
	docs := new(Docs)
	for k := 0; k < src.Len(); k++ {
		docs.Append(src.Doc(k), Meta{AuditID: src.Key(k), Time: src.Time(k), Error: k%4 == 1})
	}
	for round := 0; round < 2; round++ {
		if r := s.Deliver(context.Background(), docs); r != Delivered {
			t.Fatalf("round %d: Deliver = %v", round, r)
		}
	}
	in.mu.Lock()
	for id := 0; id < 10; id++ {
		want := 1
		if id%4 == 1 {
			want = 0
		}
		if in.accepted[id] != want {
			t.Errorf("document %d accepted %d times, want %d", id, in.accepted[id], want)
		}
	}
	in.mu.Unlock()
	dead := readDeadLetters(t, o.DeadLetterFile)
	if len(dead) != 3 {
		t.Fatalf("%d dead letters, want the 3 refused documents once each", len(dead))
	}
	for _, d := range dead {
		if r, _ := d["reason"].(string); !strings.Contains(r, "not an audit event") {
			t.Errorf("dead letter reason %q", r)
		}
	}
	if st := s.Stats(); st.DeadLetteredBy != [NumDeadLetterReasons]uint64{DeadRefused: 3} || st.Delivered != 7 {
		t.Errorf("stats %+v", st)
	}
}

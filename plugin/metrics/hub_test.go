package metrics

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeSource is pending since a set time, or not pending.
type fakeSource struct {
	pending bool
	since   time.Time
}

func (f *fakeSource) Counts() Counts { return Counts{} }
func (f *fakeSource) Pending(time.Time) (bool, time.Time) {
	return f.pending, f.since
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyz: ready while nothing is pending; with documents pending, ready only while
// the intake accepted a request within ReadyWindow; a failing answer does not count.
func TestReadyz(t *testing.T) {
	h := NewHub()
	src := &fakeSource{}
	o, err := h.Register("k8saudit.0", "ndjson", 0, src)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Unregister(o)
	addr, err := h.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	readyz := "http://" + addr + "/readyz"
	if st, body := get(t, readyz); st != 200 {
		t.Fatalf("nothing pending: %d %s", st, body)
	}
	src.pending, src.since = true, time.Now().Add(-time.Minute)
	if st, body := get(t, readyz); st != 503 || !strings.Contains(body, "k8saudit.0: the intake has accepted no request") {
		t.Fatalf("pending, no answer yet: %d %s", st, body)
	}
	o.RequestStarted()
	o.RequestDone(503, 10, time.Millisecond)
	if st, _ := get(t, readyz); st != 503 {
		t.Fatalf("pending after a 503: %d, want 503", st)
	}
	o.RequestStarted()
	o.RequestDone(200, 10, time.Millisecond)
	if st, body := get(t, readyz); st != 200 {
		t.Fatalf("pending, 2xx just now: %d %s", st, body)
	}
	h.mu.Lock()
	h.now = func() time.Time { return time.Now().Add(ReadyWindow + time.Minute) }
	h.mu.Unlock()
	if st, body := get(t, readyz); st != 503 || !strings.Contains(body, "last accepted a request 6m") {
		t.Fatalf("pending, last 2xx beyond the window: %d %s", st, body)
	}
	if st, body := get(t, "http://"+addr+"/healthz"); st != 200 || body != "ok\n" {
		t.Fatalf("/healthz %d %s", st, body)
	}
}

// TestOneListenerPerProcess: the same address is shared, another one is refused with
// ErrOtherAddress (the instance logs it as a warning), a duplicate output name is an error.
func TestOneListenerPerProcess(t *testing.T) {
	h := NewHub()
	o, _ := h.Register("k8saudit.0", "ndjson", 0, &fakeSource{})
	defer h.Unregister(o)
	a, err := h.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := h.Listen("127.0.0.1:0"); err != nil || b != a {
		t.Fatalf("same address again: %s %v", b, err)
	}
	if b, err := h.Listen("127.0.0.1:1"); !errors.Is(err, ErrOtherAddress) || b != a {
		t.Fatalf("other address: %s %v", b, err)
	}
	if _, err := h.Register("k8saudit.0", "splunk", 0, &fakeSource{}); err == nil {
		t.Fatal("a second output named k8saudit.0 was registered")
	}
	if _, err := NewHub().Listen(a); err == nil {
		t.Fatal("a second hub bound the address in use")
	}
}

// TestClassOf: the code_class of every answer.
func TestClassOf(t *testing.T) {
	for st, want := range map[int]string{0: "error", 102: "error", 200: "2xx", 204: "2xx", 302: "3xx", 400: "4xx", 429: "4xx", 503: "5xx", 599: "5xx", 600: "error"} {
		if got := classes[classOf(st)]; got != want {
			t.Errorf("status %d: %s, want %s", st, got, want)
		}
	}
}

// TestObserverAllocatesNothing: what runs per request allocates nothing.
func TestObserverAllocatesNothing(t *testing.T) {
	h := NewHub()
	o, _ := h.Register("k8saudit.0", "ndjson", 0, &fakeSource{})
	if n := testing.AllocsPerRun(100, func() {
		o.RequestStarted()
		o.RequestDone(200, 100, time.Millisecond)
	}); n != 0 {
		t.Fatalf("%.1f allocations per request", n)
	}
}

// BenchmarkObserver is what the metrics add per request: RequestStarted and RequestDone.
func BenchmarkObserver(b *testing.B) {
	o, _ := NewHub().Register("k8saudit.0", "ndjson", 0, &fakeSource{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		o.RequestStarted()
		o.RequestDone(200, 100, time.Millisecond)
	}
}

package instance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/internal/testfix"
	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// readFixture returns a file of the repository's testdata/fixtures, failing the test when
// it cannot be read.
func readFixture(t testing.TB, parts ...string) []byte {
	t.Helper()
	return testfix.Read(t, parts...)
}

// recorder is a Poster that keeps every request body, decompressed, and answers as told.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	answer func(n int) deliver.Answer
}

func (r *recorder) Post(_ context.Context, body []byte, enc string) deliver.Answer {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.bodies)
	a := deliver.Answer{Status: 200}
	if r.answer != nil {
		a = r.answer(n)
	}
	if a.Status >= 200 && a.Status < 300 && a.Err == nil {
		r.bodies = append(r.bodies, gunzip(body, enc))
	} else {
		r.bodies = append(r.bodies, nil)
	}
	return a
}

func (r *recorder) docs(t *testing.T) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, b := range r.bodies {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("delivered line is not JSON: %v: %.200s", err, sc.Bytes())
			}
			out = append(out, m)
		}
	}
	return out
}

func newInstance(t testing.TB, props config.Map, p deliver.Poster) *Instance {
	t.Helper()
	cfg, _, err := config.Parse(props)
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(cfg, logging.Discard(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

func lines(b []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

func TestFlushDeliversEveryRealChunkEvent(t *testing.T) {
	want := map[string]int{"v4-tail-raw": 142, "v5-tail-raw": 142, "v4-tail-json": 142, "v5-tail-json": 142, "v4-http-eventlist": 20, "v5-http-eventlist": 20}
	for name, n := range want {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			in := newInstance(t, config.Map{"url": "http://intake.invalid/", "cluster_name": "c1"}, rec)
			if code := in.Flush(readFixture(t, "chunks", name+".msgpack")); code != OK {
				t.Fatalf("flush = %v", code)
			}
			docs := rec.docs(t)
			if len(docs) != n {
				t.Fatalf("delivered %d documents, want %d", len(docs), n)
			}
			for _, d := range docs {
				ev, _ := d["event"].(map[string]any)
				// alert: an event a detection matched (detect is on by default)
				if ev["kind"] != "event" && ev["kind"] != "alert" || ev["id"] == nil {
					t.Fatalf("not a normalized audit event: %v", d)
				}
			}
		})
	}
}

func TestMalformedLineBecomesPipelineErrorAndDoesNotBlock(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, config.Map{"url": "http://intake.invalid/"}, rec)
	real := lines(readFixture(t, "real", "kube-oidc-proxy_issue70_401_anonymous.jsonl"))
	chunk := chunktest.RawLines([][]byte{[]byte("this is not json {"), real[0]}, "log", time.Unix(1700000000, 0))
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	docs := rec.docs(t)
	if len(docs) != 2 {
		t.Fatalf("got %d docs, want 2", len(docs))
	}
	if ev := docs[0]["event"].(map[string]any); ev["kind"] != "pipeline_error" {
		t.Errorf("first doc should be a pipeline_error: %v", docs[0])
	}
	if ev := docs[1]["event"].(map[string]any); ev["kind"] != "event" {
		t.Errorf("second doc should be the event: %v", docs[1])
	}
}

func TestRetryableAnswerGivesRetryAndNoDuplicateOnReflush(t *testing.T) {
	healthy := false
	rec := &recorder{answer: func(n int) deliver.Answer {
		if !healthy && n > 0 {
			return deliver.Answer{Status: 503}
		}
		return deliver.Answer{Status: 200}
	}}
	in := newInstance(t, config.Map{"url": "http://intake.invalid/", "batch_events": "50", "retry_budget": "100ms"}, rec)
	chunk := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	if code := in.Flush(chunk); code != Retry {
		t.Fatalf("flush against a failing intake = %v, want retry", code)
	}
	healthy = true
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("re-flush = %v, want ok", code)
	}
	seen := map[string]int{}
	for _, d := range rec.docs(t) {
		ev := d["event"].(map[string]any)
		k := d["@timestamp"].(string) + ev["id"].(string)
		seen[k]++
		if seen[k] > 1 {
			t.Fatalf("document delivered twice: %s", k)
		}
	}
	if len(seen) != 142 {
		t.Fatalf("delivered %d distinct documents, want 142", len(seen))
	}
}

func TestConcurrentFlushes(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, config.Map{"url": "http://intake.invalid/"}, rec)
	chunk := readFixture(t, "chunks", "v5-http-eventlist.msgpack")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each copy differs by its bytes only in nothing: the dedup memory may skip
			// repeats, so assert the outcome, not the count.
			if code := in.Flush(chunk); code != OK {
				t.Errorf("flush = %v", code)
			}
		}()
	}
	wg.Wait()
	if n := len(rec.docs(t)); n < 20 {
		t.Fatalf("delivered %d documents, want at least 20", n)
	}
}

// TestFlushPathAllocatesNothingPerEvent holds the hot-path promise: chunk reading,
// normalizing, batching and gzip allocate nothing per event once the scratch is warm.
func TestFlushPathAllocatesNothingPerEvent(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector; the CGO_ENABLED=0 run checks them")
	}
	for _, name := range []string{"v5-tail-raw", "v5-tail-json", "v4-http-eventlist"} {
		chunk := readFixture(t, "chunks", name+".msgpack")
		in := newInstance(t, config.Map{"url": "http://intake.invalid/"}, discard{})
		in.Flush(chunk)
		// Forgetting what was delivered makes every run take the whole path (batch, gzip,
		// post) instead of skipping the already-accepted request.
		allocs := testing.AllocsPerRun(20, func() {
			in.shipper.(*deliver.Sender).ForgetDelivered()
			in.Flush(chunk)
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per flush, want 0", name, allocs)
		}
	}
}

type discard struct{}

func (discard) Post(context.Context, []byte, string) deliver.Answer {
	return deliver.Answer{Status: 200}
}

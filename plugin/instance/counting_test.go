package instance

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// summaryField reads one counter from the exit line.
func summaryField(t *testing.T, in *Instance, name string) int {
	t.Helper()
	m := regexp.MustCompile(`\b` + name + `=(\d+)`).FindStringSubmatch(in.Summary())
	if m == nil {
		t.Fatalf("no %s in %q", name, in.Summary())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// A chunk Fluent Bit hands back after Retry is counted once: records= and documents= on
// the exit line are the chunk's, not the chunk's times the attempts. An identical chunk
// arriving after the first one is done is new input and counts again.
func TestRetriedChunkCountedOnce(t *testing.T) {
	healthy := false
	rec := &recorder{answer: func(int) deliver.Answer {
		if !healthy {
			return deliver.Answer{Status: 503}
		}
		return deliver.Answer{Status: 200}
	}}
	in := newInstance(t, config.Map{"url": "http://intake.invalid/", "retry_budget": "10ms"}, rec)
	data := chunktest.RawLines([][]byte{[]byte("not json 1"), []byte("not json 2"), []byte("not json 3")}, "log", time.Unix(1700000000, 0))
	for i := 0; i < 3; i++ {
		if code := in.Flush(data); code != Retry {
			t.Fatalf("attempt %d: %v, want retry", i, code)
		}
	}
	healthy = true
	if code := in.Flush(data); code != OK {
		t.Fatalf("last attempt: %v", code)
	}
	for _, f := range []string{"records", "documents", "pipeline_errors"} {
		if n := summaryField(t, in, f); n != 3 {
			t.Errorf("%s=%d after four attempts of one 3-record chunk, want 3 (%s)", f, n, in.Summary())
		}
	}
	// The same bytes again, after the chunk was done: new input, counted.
	if code := in.Flush(data); code != OK {
		t.Fatal(code)
	}
	if n := summaryField(t, in, "records"); n != 6 {
		t.Errorf("records=%d, want 6", n)
	}
}

// The error line of an unreadable chunk gives the size of the part skipped, not of the
// whole chunk.
func TestUnreadableChunkRestBytes(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	cfg, _, err := config.Parse(config.Map{"url": "http://intake.invalid/"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(cfg, logging.NewTo(&buf, &mu, logging.LevelError, "t"), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	good := chunktest.RawLines([][]byte{[]byte("a"), []byte("b")}, "log", time.Unix(1700000000, 0))
	garbage := []byte{0x92, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1}
	data := append(append([]byte(nil), good...), garbage...)
	if code := in.Flush(data); code != OK {
		t.Fatalf("flush %v", code)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	want := "(" + strconv.Itoa(len(garbage)) + " of " + strconv.Itoa(len(data)) + " bytes)"
	if !strings.Contains(out, want) {
		t.Errorf("log %q does not say %q", out, want)
	}
}

// The exit line of issue 19 (records=258 for a 43-line file): a chunk of 43 real events,
// cut into several requests, of which the first is accepted and the rest refused through
// five attempts, then all accepted. records=, documents= and delivered= are 43, not the
// chunk's count times the six attempts, and no document reaches the intake twice.
func TestRetriedRealChunkExitLine(t *testing.T) {
	all := lines(readFixture(t, "real", "openshift-clo_apiaudit_vrl_audit_in.log"))
	if len(all) < 43 {
		t.Fatalf("%d lines in the fixture, want at least 43", len(all))
	}
	evs := all[:43]
	var mu sync.Mutex
	healthy := false
	rec := &recorder{answer: func(n int) deliver.Answer {
		mu.Lock()
		defer mu.Unlock()
		if n == 0 || healthy {
			return deliver.Answer{Status: 200}
		}
		return deliver.Answer{Status: 503}
	}}
	in := newInstance(t, config.Map{"url": "http://intake.invalid/", "batch_events": "10", "retry_budget": "10ms"}, rec)
	data := chunktest.RawLines(evs, "log", time.Unix(1700000000, 0))
	for i := 0; i < 5; i++ {
		if code := in.Flush(data); code != Retry {
			t.Fatalf("attempt %d: %v, want retry", i+1, code)
		}
	}
	mu.Lock()
	healthy = true
	mu.Unlock()
	if code := in.Flush(data); code != OK {
		t.Fatalf("sixth attempt: %v", code)
	}
	for _, f := range []string{"records", "documents", "delivered"} {
		if n := summaryField(t, in, f); n != 43 {
			t.Errorf("%s=%d after six attempts of one 43-event chunk, want 43 (%s)", f, n, in.Summary())
		}
	}
	if n := summaryField(t, in, "pipeline_errors"); n != 0 {
		t.Errorf("pipeline_errors=%d, want 0", n)
	}
	// alerts= too: the same chunk flushed once, to a healthy intake, raises as many.
	once := newInstance(t, config.Map{"url": "http://intake.invalid/", "batch_events": "10"}, &recorder{})
	if code := once.Flush(data); code != OK {
		t.Fatal(code)
	}
	if a, b := summaryField(t, in, "alerts"), summaryField(t, once, "alerts"); a != b || b == 0 {
		t.Errorf("alerts=%d after six attempts, %d after one, want equal and not 0", a, b)
	}
	seen := map[string]bool{}
	for _, d := range rec.docs(t) {
		id := d["event"].(map[string]any)["id"].(string) + d["@timestamp"].(string)
		if seen[id] {
			t.Errorf("document delivered twice: %s", id)
		}
		seen[id] = true
	}
	if len(seen) != 43 {
		t.Errorf("%d distinct documents delivered, want 43", len(seen))
	}
}

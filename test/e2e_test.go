package test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const runTimeout = 45 * time.Second

// ndjson returns the harness arguments of one ndjson instance shipping to url.
func ndjson(url string, props ...string) []string {
	args := []string{"-p", "intake=ndjson", "-p", "url=" + url}
	for _, p := range props {
		args = append(args, "-p", p)
	}
	return args
}

// realLogs lists the line-per-event files of fixtures/real (.log and .jsonl).
func realLogs(t testing.TB) []string {
	t.Helper()
	dir := filepath.Join(fixtures(t), "real")
	var files []string
	for _, pat := range []string{"*.log", "*.jsonl"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no .log or .jsonl files in %s", dir)
	}
	return files
}

// 1. Every real event, each file through its own harness run, arrives exactly once.
func TestRealEventsExactlyOnce(t *testing.T) {
	files := realLogs(t)
	pluginSO(t)
	harnessBin(t)
	var mu sync.Mutex
	total := 0
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				want := expectedFromLines(t, f)
				in := newIntake(t, func(in *intake) { in.wantAuth = "Bearer e2e-secret-key" })
				r := runHarness(t, runTimeout, append(ndjson(in.url(), "api_key=e2e-secret-key", "cluster_name=e2e"), "-l", f)...)
				r.mustExit(t, 0)
				in.mustBeClean(t)
				docs, _, _ := in.snapshot()
				exactlyOnce(t, filepath.Base(f), docs, want)
				if len(r.summaries) != 1 || r.summaries[0].Records != len(want) || r.summaries[0].OK != r.summaries[0].Chunks {
					t.Errorf("harness summary %+v, want one instance with %d records, every chunk OK", r.summaries, len(want))
				}
				for _, d := range docs {
					if got := lookupString(d.m, "orchestrator.cluster.name"); got != "e2e" {
						t.Errorf("orchestrator.cluster.name = %q, want e2e: %.300s", got, d.raw)
						break
					}
				}
				mu.Lock()
				total += len(want)
				mu.Unlock()
			})
		}
	})
	t.Logf("%d real events in %d files", total, len(files))
}

// 2. The chunks real Fluent Bit v4 and v5 handed to a Go plugin, flushed as they are.
func TestCapturedChunks(t *testing.T) {
	dir := filepath.Join(fixtures(t), "chunks")
	tailKeys := expectedFromLines(t, filepath.Join(dir, "tail-input.log"))
	webhookKeys := expectedFromEventList(t, filepath.Join(dir, "webhook-eventlist.json"))
	if len(tailKeys) != 142 || len(webhookKeys) != 20 {
		t.Fatalf("fixtures changed: %d tail events (want 142), %d webhook events (want 20)", len(tailKeys), len(webhookKeys))
	}
	cases := []struct {
		file, tag string
		want      []string
	}{
		{"v4-tail-raw.msgpack", "kube.audit", tailKeys},
		{"v5-tail-raw.msgpack", "kube.audit", tailKeys},
		{"v4-tail-json.msgpack", "kube.audit", tailKeys},
		{"v5-tail-json.msgpack", "kube.audit", tailKeys},
		{"v4-http-eventlist.msgpack", "kube.audit.webhook", webhookKeys},
		{"v5-http-eventlist.msgpack", "kube.audit.webhook", webhookKeys},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, c.file)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("fixture missing: %v", err)
			}
			in := newIntake(t, nil)
			r := runHarness(t, runTimeout, append(ndjson(in.url()), "-t", c.tag, "-c", path)...)
			r.mustExit(t, 0)
			in.mustBeClean(t)
			docs, _, _ := in.snapshot()
			exactlyOnce(t, c.file, docs, c.want)
		})
	}
}

// 3a. An intake that fails the first request with 500 and then recovers: the plugin's
// in-flush retry delivers everything exactly once.
func TestIntake500ThenOK(t *testing.T) {
	f := filepath.Join(fixtures(t), "chunks", "tail-input.log")
	want := expectedFromLines(t, f)
	in := newIntake(t, func(in *intake) {
		in.answer = func(n int, _ []byte) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
	})
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "batch_events=40"), "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	docs, reqs, _ := in.snapshot()
	exactlyOnce(t, "500 then 200", docs, want)
	if reqs < 2 {
		t.Errorf("%d requests: the 500 was never retried", reqs)
	}
}

// 3b. An intake answering 503 for about a second after accepting the first batch: the
// plugin spends its retry budget, returns FLB_RETRY, the harness re-flushes the chunk,
// and the batch accepted before the outage is not sent again.
func TestIntake503ThenFLBRetry(t *testing.T) {
	f := filepath.Join(fixtures(t), "chunks", "tail-input.log")
	want := expectedFromLines(t, f)
	var outageStart time.Time
	in := newIntake(t, func(in *intake) {
		in.answer = func(n int, _ []byte) int {
			if n == 1 {
				return http.StatusOK
			}
			if outageStart.IsZero() {
				outageStart = time.Now()
			}
			if time.Since(outageStart) < time.Second {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
	})
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "batch_events=20", "retry_budget=300ms", "timeout=5s"),
		"-r", "30", "-w", "200", "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	docs, reqs, _ := in.snapshot()
	exactlyOnce(t, "503 outage", docs, want)
	if len(r.summaries) != 1 || r.summaries[0].Retry == 0 {
		t.Errorf("the plugin never returned FLB_RETRY during a 1 s outage with retry_budget 300ms (summaries %+v, %d requests)\n%s", r.summaries, reqs, r)
	}
}

// 3c. The same chunk flushed twice in a row to a healthy intake (as after a host retry
// whose FLB_OK got lost): the plugin remembers the bodies it delivered and skips them.
func TestSameChunkTwiceDeliveredOnce(t *testing.T) {
	dir := filepath.Join(fixtures(t), "chunks")
	want := append(expectedFromLines(t, filepath.Join(dir, "tail-input.log")),
		expectedFromEventList(t, filepath.Join(dir, "webhook-eventlist.json"))...)
	in := newIntake(t, nil)
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "batch_events=25"),
		"-x", "2", "-c", filepath.Join(dir, "v4-tail-raw.msgpack"), "-c", filepath.Join(dir, "v5-http-eventlist.msgpack"))...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "each chunk flushed twice", docs, want)
}

// 4. Two [OUTPUT] sections side by side: each gets every event with its own settings.
func TestTwoInstances(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "audit2rbac_testdata_demo.log")
	want := expectedFromLines(t, f)
	a := newIntake(t, func(in *intake) { in.wantAuth = "Bearer key-a" })
	b := newIntake(t, func(in *intake) { in.wantAuth = "Bearer key-b" })
	args := []string{"-o"}
	args = append(args, ndjson(a.url(), "cluster_name=alpha", "api_key=key-a")...)
	args = append(args, "-o")
	args = append(args, ndjson(b.url(), "cluster_name=beta", "api_key=key-b", "batch_events=7")...)
	r := runHarness(t, runTimeout, append(args, "-l", f)...)
	r.mustExit(t, 0)
	if len(r.summaries) != 2 {
		t.Fatalf("%d instance summaries, want 2\n%s", len(r.summaries), r)
	}
	for _, c := range []struct {
		in      *intake
		cluster string
	}{{a, "alpha"}, {b, "beta"}} {
		c.in.mustBeClean(t)
		docs, _, _ := c.in.snapshot()
		exactlyOnce(t, "instance "+c.cluster, docs, want)
		for _, d := range docs {
			if got := lookupString(d.m, "orchestrator.cluster.name"); got != c.cluster {
				t.Errorf("intake %s got orchestrator.cluster.name %q: %.300s", c.cluster, got, d.raw)
				break
			}
		}
	}
}

// 5. intake stdout: the harness's standard output holds one JSON document per event.
func TestStdoutIntake(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "openshift-clo_apiaudit_vrl_audit_in.log")
	want := expectedFromLines(t, f)
	r := runHarness(t, runTimeout, "-p", "intake=stdout", "-p", "cluster_name=out", "-l", f)
	r.mustExit(t, 0)
	var problems []string
	docs := parseNDJSON(r.stdout, func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) })
	for _, p := range problems {
		t.Errorf("stdout: %s", p)
	}
	if n := bytes.Count(r.stdout, []byte("\n")); n != len(want) {
		t.Errorf("stdout has %d lines, want %d (one per event)", n, len(want))
	}
	exactlyOnce(t, "stdout", docs, want)
}

// 6. A configuration that cannot work stops Fluent Bit (Init fails: harness exit 3), and
// the plugin's message names the key.
func TestBadConfigFailsInit(t *testing.T) {
	cases := []struct {
		name  string
		props []string
		key   string
	}{
		{"unknown intake", []string{"intake=bogus", "url=http://127.0.0.1:1/"}, "intake"},
		{"missing url", []string{"intake=ndjson"}, "url"},
		{"url without scheme", []string{"intake=ndjson", "url=intake.example.com/x"}, "url"},
		{"unknown format", []string{"intake=ndjson", "url=http://127.0.0.1:1/", "format=xml"}, "format"},
		{"unknown compression", []string{"intake=ndjson", "url=http://127.0.0.1:1/", "compress=zip"}, "compress"},
		{"bad batch_bytes", []string{"intake=ndjson", "url=http://127.0.0.1:1/", "batch_bytes=lots"}, "batch_bytes"},
		{"bad timeout", []string{"intake=ndjson", "url=http://127.0.0.1:1/", "timeout=soon"}, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			for _, p := range c.props {
				args = append(args, "-p", p)
			}
			r := runHarness(t, runTimeout, args...)
			r.mustExit(t, 3)
			var pluginLines []string
			for _, l := range strings.Split(string(r.stderr), "\n") {
				if l != "" && !strings.HasPrefix(l, "harness: ") {
					pluginLines = append(pluginLines, l)
				}
			}
			if !strings.Contains(strings.Join(pluginLines, "\n"), c.key) {
				t.Errorf("the plugin's own messages do not name the key %q:\n%s", c.key, r)
			}
		})
	}
}

// 7. The chunk is poisoned and freed (or unmapped, -g) right after each flush, several
// chunks and repeated flushes, from a worker thread: a plugin that kept a pointer into it
// would ship garbage or crash. Everything must arrive intact, exactly once.
func TestChunkMemoryNotKeptAfterFlush(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "openshift-clo_apiaudit_vrl_audit_in.log")
	want := expectedFromLines(t, f)
	for _, mode := range []struct {
		name  string
		flags []string
	}{
		{"poison", []string{"-x", "3", "-m", "150000"}},
		{"guard-thread-v5", []string{"-g", "-T", "-S", "-x", "3", "-m", "150000"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			in := newIntake(t, nil)
			args := append(ndjson(in.url(), "batch_events=16"), mode.flags...)
			r := runHarness(t, runTimeout, append(args, "-l", f)...)
			r.mustExit(t, 0)
			if len(r.summaries) != 1 || r.summaries[0].Chunks < 6 {
				t.Errorf("summaries %+v: want several chunks flushed three times", r.summaries)
			}
			in.mustBeClean(t)
			docs, _, _ := in.snapshot()
			exactlyOnce(t, mode.name, docs, want)
			for _, d := range docs {
				if bytes.Contains(d.raw, []byte{0xAA, 0xAA}) || bytes.Contains(d.raw, []byte(`\ufffd\ufffd`)) ||
					bytes.Contains(d.raw, []byte("\uFFFD\uFFFD")) || bytes.Contains(d.raw, []byte("ªª")) {
					t.Errorf("a document holds the 0xAA poison of a freed chunk: %.300s", d.raw)
					break
				}
			}
		})
	}
}

// Basic auth and compress none reach the intake as configured.
func TestBasicAuthUncompressed(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "openshift-clo_apiaudit_audit.log")
	want := expectedFromLines(t, f)
	in := newIntake(t, func(in *intake) {
		in.plain = true
		in.wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte("auditor:s3cret"))
	})
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "http_user=auditor", "http_passwd=s3cret", "compress=none"), "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "basic auth, no compression", docs, want)
}

// Several flush threads at once (workers 4): one instance flushes different chunks
// concurrently with the same context, each chunk twice in a row.
func TestConcurrentFlushes(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "openshift-clo_apiaudit_vrl_audit_in.log")
	want := expectedFromLines(t, f)
	a := newIntake(t, nil)
	b := newIntake(t, nil)
	args := append([]string{"-j", "4", "-x", "2", "-m", "100000", "-o"}, ndjson(a.url(), "batch_events=9", "cluster_name=a")...)
	args = append(append(args, "-o"), ndjson(b.url(), "batch_events=13", "cluster_name=b")...)
	r := runHarness(t, runTimeout, append(args, "-l", f)...)
	r.mustExit(t, 0)
	if len(r.summaries) != 2 || r.summaries[0].Chunks < 10 {
		t.Errorf("summaries %+v: want two instances with several chunks flushed twice", r.summaries)
	}
	for _, c := range []struct {
		in      *intake
		cluster string
	}{{a, "a"}, {b, "b"}} {
		c.in.mustBeClean(t)
		docs, _, _ := c.in.snapshot()
		exactlyOnce(t, "instance "+c.cluster, docs, want)
		for _, d := range docs {
			if got := lookupString(d.m, "orchestrator.cluster.name"); got != c.cluster {
				t.Errorf("intake %s got orchestrator.cluster.name %q", c.cluster, got)
				break
			}
		}
	}
}

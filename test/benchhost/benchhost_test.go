package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"github.com/k8saudit/k8saudit/internal/testfix"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The quick tests of the benchmark's parts, so that make bench-host (which CI does not run)
// does not rot: the corpus generator, the measurement of a child's CPU and peak RSS, and the
// sink's count.

func fixturesReal(t *testing.T) string {
	t.Helper()
	return testfix.Path(t, "real")
}

// A tiny corpus: every line is a distinct audit event (its own auditID and timestamps),
// the same length as its real template, and two runs give the same bytes.
func TestCorpusIsRealShapedDistinctAndDeterministic(t *testing.T) {
	templates, err := Templates(fixturesReal(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(templates) < 100 {
		t.Fatalf("%d templates: the real fixtures hold more than 100 audit events", len(templates))
	}
	n := 2*len(templates) + 7
	var a, b bytes.Buffer
	size, err := WriteCorpus(&a, templates, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteCorpus(&b, templates, n); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || size != int64(a.Len()) {
		t.Fatalf("two corpora of %d lines differ (or the size %d is not %d)", n, size, a.Len())
	}
	lines := strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	ids := map[string]bool{}
	bodies := 0
	for i, line := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		if len(line) != len(templates[i%len(templates)]) {
			t.Fatalf("line %d: %d bytes, its template %d", i, len(line), len(templates[i%len(templates)]))
		}
		if id, _ := ev["auditID"].(string); id != "" {
			if ids[id] {
				t.Fatalf("line %d repeats auditID %s", i, id)
			}
			ids[id] = true
		}
		if ts, _ := ev["stageTimestamp"].(string); ts != "" {
			want := corpusBase.Add(time.Duration(i) * 10 * time.Millisecond).Format("2006-01-02T15:04:05")
			if !strings.HasPrefix(ts, want) {
				t.Fatalf("line %d: stageTimestamp %s, want it to start with %s", i, ts, want)
			}
		}
		if ev["requestObject"] != nil || ev["responseObject"] != nil {
			bodies++
		}
	}
	if len(ids) < n/2 || bodies < n/4 {
		t.Fatalf("%d distinct auditIDs and %d events with bodies in %d lines: not the real mix", len(ids), bodies, n)
	}
}

// The measurement: a child that burns CPU and touches 64 MB must be seen doing both, from
// wait4's rusage and from VmHWM.
func TestMeasureChildCPUAndPeakRSS(t *testing.T) {
	if os.Getenv("BENCHHOST_CHILD") == "burn" {
		burn()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMeasureChildCPUAndPeakRSS$")
	cmd.Env = append(os.Environ(), "BENCHHOST_CHILD=burn")
	c, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.Wait(60 * time.Second)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if u.CPU() < 300*time.Millisecond {
		t.Errorf("cpu %v for a child that spins 400 ms", u.CPU())
	}
	const mb = 1 << 20
	if u.MaxRSS < 64*mb || u.Peak() < 64*mb {
		t.Errorf("ru_maxrss %d MB, peak %d MB for a child that touched 64 MB", u.MaxRSS/mb, u.Peak()/mb)
	}
	if u.HWM == 0 {
		t.Errorf("VmHWM never read while the child ran %v", u.Wall)
	}
	if u.Peak() > u.MaxRSS+8*mb {
		t.Errorf("VmHWM %d MB above ru_maxrss %d MB", u.Peak()/mb, u.MaxRSS/mb)
	}
}

// burn is the child of TestMeasureChildCPUAndPeakRSS: 64 MB touched and kept, 400 ms of
// CPU on one thread.
func burn() {
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 400*time.Millisecond; {
		for i := 0; i < 1<<16; i++ {
			x += i * int(buf[i])
		}
	}
	buf[0] = byte(x)
	time.Sleep(150 * time.Millisecond) // at least one VmHWM sample with everything touched
	os.Stdout.Write(buf[:1])
}

// The sink counts documents in gzipped and plain bodies, with or without a final newline.
func TestSinkCountsDocuments(t *testing.T) {
	s, err := NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	post := func(body []byte, gz bool) {
		t.Helper()
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(body)
			_ = zw.Close()
			body = b.Bytes()
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/x", bytes.NewReader(body))
		if gz {
			req.Header.Set("Content-Encoding", "gzip")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	post([]byte("{\"a\":1}\n{\"a\":2}\n"), true)
	post([]byte("{\"a\":3}\n{\"a\":4}"), false)
	post(bytes.Repeat([]byte("{\"long\":\""+strings.Repeat("x", 1000)+"\"}\n"), 1000), true)
	if got := s.Docs(); got != 1004 {
		t.Fatalf("sink counted %d documents, want 1004", got)
	}
	s.Reset()
	if s.Docs() != 0 {
		t.Fatal("Reset kept the count")
	}
}

// The runtime's figures are read from the plugin's heap profile in text form.
func TestReadMemStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.txt")
	text := "heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 5\n# TotalAlloc = 48060480\n# Sys = 30251272\n# NumGC = 7\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var u Usage
	readMemStats(path, &u)
	if u.GoSys != 30251272 || u.GoNumGC != 7 || u.GoAlloc != 48060480 {
		t.Fatalf("read %+v", u)
	}
	readMemStats(filepath.Join(t.TempDir(), "absent"), &u)
	if u.GoSys != 30251272 {
		t.Fatal("a missing file changed the figures")
	}
}

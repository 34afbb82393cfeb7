package test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The delivery contract of docs/design.md ("Delivery contract"), through the real .so.

// 413: the batch is split and the halves resent until the intake takes them.
func TestIntake413SplitsBatches(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "audit2rbac_testdata_demo.log")
	want := expectedFromLines(t, f)
	in := newIntake(t, func(in *intake) {
		in.answer = func(_ int, body []byte) int {
			if bytes.Count(body, []byte("\n")) > 5 {
				return http.StatusRequestEntityTooLarge
			}
			return http.StatusOK
		}
	})
	r := runHarness(t, runTimeout, append(ndjson(in.url()), "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	docs, reqs, _ := in.snapshot()
	exactlyOnce(t, "413 split", docs, want)
	t.Logf("%d requests for %d events", reqs, len(want))
}

// Other 4xx: permanent for the batch; the documents go to the dead-letter file with the
// reason, and the chunk is acknowledged (nothing is silently dropped).
func TestIntake400GoesToDeadLetter(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "openshift-clo_apiaudit_audit.log")
	want := expectedFromLines(t, f)
	in := newIntake(t, func(in *intake) {
		in.answer = func(int, []byte) int { return http.StatusBadRequest }
	})
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "dead_letter_file="+dl), "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	data, err := os.ReadFile(dl)
	if err != nil {
		t.Fatalf("dead-letter file: %v\n%s", err, r)
	}
	var docs []doc
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var entry struct {
			Reason   string         `json:"reason"`
			Status   int            `json:"status"`
			Document map[string]any `json:"document"`
		}
		if err := json.Unmarshal(line, &entry); err != nil {
			t.Fatalf("dead-letter line %d is not JSON: %v: %.300s", i+1, err, line)
		}
		if entry.Reason == "" || entry.Document == nil {
			t.Errorf("dead-letter line %d lacks the reason or the document: %.300s", i+1, line)
		}
		if entry.Status != 0 && entry.Status != http.StatusBadRequest {
			t.Errorf("dead-letter line %d: status %d, want 400", i+1, entry.Status)
		}
		docs = append(docs, doc{raw: line, m: entry.Document})
	}
	exactlyOnce(t, "dead letter", docs, want)
}

// 401/403: the credential is wrong; the chunk goes back (FLB_RETRY) with a loud log line,
// never FLB_OK and never FLB_ERROR.
func TestIntake401RetriesLoudly(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "kube-oidc-proxy_issue70_401_anonymous.jsonl")
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			in := newIntake(t, func(in *intake) {
				in.answer = func(int, []byte) int { return status }
			})
			r := runHarness(t, runTimeout, append(ndjson(in.url(), "api_key=wrong", "retry_budget=200ms"), "-r", "2", "-w", "50", "-l", f)...)
			r.mustExit(t, 1)
			if len(r.summaries) != 1 || r.summaries[0].GaveUp != 1 || r.summaries[0].Error != 0 {
				t.Errorf("want the chunk still FLB_RETRY at the end, never FLB_ERROR: %+v\n%s", r.summaries, r)
			}
			var loud bool
			for _, l := range strings.Split(string(r.stderr), "\n") {
				if !strings.HasPrefix(l, "harness: ") && strings.Contains(l, "error") && strings.Contains(l, itoa(status)) {
					loud = true
				}
			}
			if !loud {
				t.Errorf("no error-level log line naming the %d answer:\n%s", status, r)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A malformed line never blocks its chunk: it is shipped as event.kind pipeline_error and
// the good events around it arrive exactly once.
func TestMalformedLineShippedAsPipelineError(t *testing.T) {
	src := filepath.Join(fixtures(t), "real", "openshift-clo_apiaudit_audit.log")
	want := expectedFromLines(t, src)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitN(data, []byte("\n"), 3)
	mixed := bytes.Join([][]byte{lines[0], []byte(`{"kind":"Event","auditID":"broken`), []byte("not json at all"), lines[1], lines[2]}, []byte("\n"))
	f := filepath.Join(t.TempDir(), "mixed.log")
	if err := os.WriteFile(f, mixed, 0o644); err != nil {
		t.Fatal(err)
	}
	in := newIntake(t, nil)
	r := runHarness(t, runTimeout, append(ndjson(in.url()), "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	var good []doc
	errorsSeen := 0
	for _, d := range docs {
		if lookupString(d.m, "event.kind") == "pipeline_error" {
			errorsSeen++
			continue
		}
		good = append(good, d)
	}
	if errorsSeen != 2 {
		t.Errorf("%d pipeline_error documents, want 2 (one per malformed line)", errorsSeen)
	}
	exactlyOnce(t, "good events around malformed lines", good, want)
}

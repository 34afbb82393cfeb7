package test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// doc is one delivered document.
type doc struct {
	raw []byte
	m   map[string]any
}

// intake is a scripted NDJSON intake: it checks the framing of every request, answers
// with the status its script picks, and keeps the documents of the requests it accepted.
type intake struct {
	srv *httptest.Server

	// answer picks the status of the n-th request (1-based) given its decoded body;
	// nil answers 200. Only 2xx answers keep the documents.
	answer func(n int, body []byte) int
	// wantAuth, when set, is the Authorization header every request must carry.
	wantAuth string
	// plain: the plugin is configured with compress none.
	plain bool

	mu       sync.Mutex
	requests int
	statuses []int
	docs     []doc
	problems []string
}

func newIntake(t testing.TB, configure func(*intake)) *intake {
	in := &intake{}
	if configure != nil {
		configure(in)
	}
	in.srv = httptest.NewServer(http.HandlerFunc(in.serve))
	t.Cleanup(in.srv.Close)
	return in
}

func (in *intake) url() string { return in.srv.URL + "/ingest" }

func (in *intake) problem(format string, args ...any) {
	if len(in.problems) < 20 {
		in.problems = append(in.problems, fmt.Sprintf(format, args...))
	}
}

func (in *intake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	in.mu.Lock()
	defer in.mu.Unlock()
	in.requests++
	n := in.requests
	if err != nil {
		in.problem("request %d: reading the body: %v", n, err)
	}
	if r.Method != http.MethodPost {
		in.problem("request %d: method %s, want POST", n, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ndjson") {
		in.problem("request %d: Content-Type %q, want application/x-ndjson", n, ct)
	}
	if in.wantAuth != "" && r.Header.Get("Authorization") != in.wantAuth {
		in.problem("request %d: Authorization %q, want %q", n, r.Header.Get("Authorization"), in.wantAuth)
	}
	switch enc := r.Header.Get("Content-Encoding"); {
	case in.plain && enc != "":
		in.problem("request %d: Content-Encoding %q with compress none", n, enc)
	case !in.plain && enc != "gzip":
		in.problem("request %d: Content-Encoding %q, want gzip", n, enc)
	case enc == "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			in.problem("request %d: bad gzip body: %v", n, err)
			in.statuses = append(in.statuses, http.StatusBadRequest)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	status := http.StatusOK
	if in.answer != nil {
		status = in.answer(n, body)
	}
	in.statuses = append(in.statuses, status)
	if status < 200 || status > 299 {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":"scripted %d"}`, status)
		return
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		in.problem("request %d: NDJSON body does not end with a newline", n)
	}
	in.docs = append(in.docs, parseNDJSON(body, func(format string, args ...any) {
		in.problem("request %d: "+format, append([]any{n}, args...)...)
	})...)
	w.WriteHeader(status)
}

// parseNDJSON splits lines and decodes each as one JSON object.
func parseNDJSON(body []byte, problem func(string, ...any)) []doc {
	var out []doc
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			problem("line %d is not a JSON object: %v: %.200s", line, err, b)
			continue
		}
		out = append(out, doc{raw: append([]byte(nil), b...), m: m})
	}
	if err := sc.Err(); err != nil {
		problem("reading NDJSON: %v", err)
	}
	return out
}

func (in *intake) snapshot() (docs []doc, requests int, problems []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]doc(nil), in.docs...), in.requests, append([]string(nil), in.problems...)
}

// mustBeClean fails the test when a request broke the intake's framing.
func (in *intake) mustBeClean(t testing.TB) {
	t.Helper()
	_, _, problems := in.snapshot()
	for _, p := range problems {
		t.Errorf("intake: %s", p)
	}
}

// ---------------------------------------------------------------- identity --

// lookup reads a field by its dotted ECS path, nested ({"event":{"id":..}}) or flat
// ({"event.id":..}), whichever the document uses.
func lookup(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i >= 1; i-- {
		head := strings.Join(parts[:i], ".")
		if sub, ok := m[head].(map[string]any); ok {
			if v, ok := lookup(sub, strings.Join(parts[i:], ".")); ok {
				return v, true
			}
		}
	}
	return nil, false
}

func lookupString(m map[string]any, path string) string {
	v, _ := lookup(m, path)
	s, _ := v.(string)
	return s
}

// docKey identifies a delivered ECS document the way eventKey identifies an input event:
// the auditID and the stage.
func docKey(d doc) string {
	id := lookupString(d.m, "event.id")
	stage := lookupString(d.m, "kubernetes.audit.stage")
	return id + "|" + stage
}

// eventKey is the identity of an audit event as the API server wrote it.
func eventKey(ev map[string]any) string {
	id, _ := ev["auditID"].(string)
	stage, _ := ev["stage"].(string)
	return id + "|" + stage
}

// expectedFromLines parses an audit log file with encoding/json: one key per non-empty line.
func expectedFromLines(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("%s:%d: not JSON: %v", path, i+1, err)
		}
		keys = append(keys, eventKey(ev))
	}
	return keys
}

// expectedFromEventList parses an EventList JSON file.
func expectedFromEventList(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	keys := make([]string, 0, len(list.Items))
	for _, ev := range list.Items {
		keys = append(keys, eventKey(ev))
	}
	return keys
}

// exactlyOnce compares the multiset of delivered documents with the expected keys and
// reports missing, duplicated and unexpected documents.
func exactlyOnce(t testing.TB, what string, got []doc, want []string) {
	t.Helper()
	wantN := map[string]int{}
	for _, k := range want {
		wantN[k]++
	}
	gotN := map[string]int{}
	for _, d := range got {
		gotN[docKey(d)]++
	}
	var missing, dup, extra []string
	for k, w := range wantN {
		switch g := gotN[k]; {
		case g < w:
			missing = append(missing, fmt.Sprintf("%s (%d of %d)", k, g, w))
		case g > w:
			dup = append(dup, fmt.Sprintf("%s (%d times, want %d)", k, g, w))
		}
	}
	for k, g := range gotN {
		if wantN[k] == 0 {
			extra = append(extra, fmt.Sprintf("%s (%d times)", k, g))
		}
	}
	if len(got) == len(want) && len(missing)+len(dup)+len(extra) == 0 {
		return
	}
	show := func(s []string) string {
		sort.Strings(s)
		if len(s) > 8 {
			s = append(s[:8], fmt.Sprintf("... %d more", len(s)-8))
		}
		return strings.Join(s, "; ")
	}
	msg := fmt.Sprintf("%s: %d documents delivered, want %d exactly once", what, len(got), len(want))
	if len(missing) > 0 {
		msg += fmt.Sprintf("\n  missing %d: %s", len(missing), show(missing))
	}
	if len(dup) > 0 {
		msg += fmt.Sprintf("\n  duplicated %d: %s", len(dup), show(dup))
	}
	if len(extra) > 0 {
		msg += fmt.Sprintf("\n  unexpected %d: %s", len(extra), show(extra))
		if len(got) > 0 {
			msg += fmt.Sprintf("\n  first document: %.600s", got[0].raw)
		}
	}
	t.Error(msg)
}

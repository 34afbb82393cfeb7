package test

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
	"sync/atomic"
	"testing"
	"time"
)

// esIntake is an idempotent Elasticsearch _bulk endpoint: `create` with an _id indexes the
// document once; a second create of the same _id is answered 409 per item, as Elasticsearch
// does. "No duplicate" is then checkable: a document indexed twice under two different _ids
// shows up as two created documents with the same identity (docKey). It asserts nothing
// about the _id's format.
type esIntake struct {
	srv *httptest.Server
	// delay, when set, is slept before answering each request (a slow intake); tests change
	// it while Fluent Bit runs.
	delay atomic.Int64 // time.Duration
	// down, when it returns true, answers the request 503 without indexing.
	down func() bool

	mu       sync.Mutex
	byID     map[string]bool
	created  []doc
	conflict int
	requests int
	problems []string
}

func newESIntake(t testing.TB, configure func(*esIntake)) *esIntake {
	e := &esIntake{byID: map[string]bool{}}
	if configure != nil {
		configure(e)
	}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *esIntake) url() string { return e.srv.URL }

func (e *esIntake) problem(format string, args ...any) {
	if len(e.problems) < 20 {
		e.problems = append(e.problems, fmt.Sprintf(format, args...))
	}
}

func (e *esIntake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err == nil && r.Header.Get("Content-Encoding") == "gzip" {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
			body, err = io.ReadAll(zr)
		}
	}
	if d := time.Duration(e.delay.Load()); d > 0 {
		time.Sleep(d)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests++
	if err != nil || r.URL.Path != "/_bulk" || len(body) == 0 || body[len(body)-1] != '\n' {
		e.problem("request %d: %s %s: bad bulk request (%v)", e.requests, r.Method, r.URL.Path, err)
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	if e.down != nil && e.down() {
		http.Error(w, `{"error":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	if len(lines)%2 != 0 {
		e.problem("request %d: %d lines, not action/document pairs", e.requests, len(lines))
		http.Error(w, `{"error":"odd lines"}`, http.StatusBadRequest)
		return
	}
	var items []string
	errs := false
	for i := 0; i < len(lines); i += 2 {
		var act struct {
			Create *struct {
				ID string `json:"_id"`
			} `json:"create"`
		}
		var m map[string]any
		if json.Unmarshal(lines[i], &act) != nil || act.Create == nil || act.Create.ID == "" || json.Unmarshal(lines[i+1], &m) != nil {
			e.problem("request %d: bad pair %.200s / %.200s", e.requests, lines[i], lines[i+1])
			items = append(items, `{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad"}}}`)
			errs = true
			continue
		}
		if e.byID[act.Create.ID] {
			e.conflict++
			errs = true
			items = append(items, `{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"document already exists"}}}`)
			continue
		}
		e.byID[act.Create.ID] = true
		e.created = append(e.created, doc{raw: append([]byte(nil), lines[i+1]...), m: m})
		items = append(items, `{"create":{"status":201}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"errors":%t,"items":[%s]}`, errs, strings.Join(items, ","))
}

// createdCount is a poll function: documents indexed so far.
func (e *esIntake) createdCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.created)
}

func (e *esIntake) snapshot() (created []doc, conflicts, requests int, problems []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]doc(nil), e.created...), e.conflict, e.requests, append([]string(nil), e.problems...)
}

func (e *esIntake) mustBeClean(t testing.TB) {
	t.Helper()
	_, _, _, problems := e.snapshot()
	for _, p := range problems {
		t.Errorf("es intake: %s", p)
	}
}

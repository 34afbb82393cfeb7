package test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12 through the real .so: what the plugin writes to Fluent Bit's log holds no
// credential, configuration errors name the key and not the value, and answers that
// mean "misconfigured" keep the chunk.

// The startup line, the retry warnings (transport errors quote the request URL) and the
// exit line: no userinfo, query, api_key or header value.
func TestPluginLogHoldsNoSecret(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "kube-oidc-proxy_issue70_401_anonymous.jsonl")
	secrets := []string{"alice", "urlsecret99", "querysecret99", "apisecret99", "hdrsecret99"}
	// Nothing listens on port 1: every attempt fails with an error quoting the URL.
	u := "http://alice:urlsecret99@127.0.0.1:1/ingest?token=querysecret99"
	r := runHarness(t, runTimeout, append(ndjson(u, "api_key=apisecret99", "headers=X-Auth: hdrsecret99", "retry_budget=100ms"),
		"-r", "1", "-w", "10", "-l", f)...)
	r.mustExit(t, 1) // the chunk is still FLB_RETRY at the end: nothing delivered, nothing dropped
	log := string(r.stderr)
	if !strings.Contains(log, "config: intake=ndjson url=http://127.0.0.1:1/ingest ") || !strings.Contains(log, "api_key=<redacted>") {
		t.Errorf("no redacted startup line:\n%s", r)
	}
	if !strings.Contains(log, "127.0.0.1:1/ingest") || !strings.Contains(log, "connection refused") {
		t.Errorf("no retry warning naming the intake:\n%s", r)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the plugin's log shows %q:\n%s", s, r)
		}
	}
}

// A value that can never work stops Init (exit 3) with a message naming the key, and
// never showing the value.
func TestConfigErrorsHideTheValue(t *testing.T) {
	cases := []struct {
		props  []string
		key    string
		secret string
	}{
		{[]string{"-p", "url=ftp://alice:urlsecret99@intake.example/x"}, `"url"`, "urlsecret99"},
		{[]string{"-p", "url=http://intake.example/x", "-p", "api_key=apisecret99\x01"}, `"api_key"`, "apisecret99"},
		{[]string{"-p", "url=http://intake.example/x", "-p", "headers=Authorization: Bearer hdrsecret99\x7f"}, `"headers"`, "hdrsecret99"},
	}
	for _, c := range cases {
		r := runHarness(t, runTimeout, c.props...)
		r.mustExit(t, 3)
		if !strings.Contains(string(r.stderr), c.key) || strings.Contains(string(r.stderr), c.secret) {
			t.Errorf("want an error naming %s without %q:\n%s", c.key, c.secret, r)
		}
	}
}

// 404 (a wrong path, a proxy in front): the chunk is kept (FLB_RETRY until the harness
// gives up), one error line per flush names the status, nothing goes to the dead-letter
// file.
func TestIntake404KeepsChunk(t *testing.T) {
	f := filepath.Join(fixtures(t), "real", "kube-oidc-proxy_issue70_401_anonymous.jsonl")
	in := newIntake(t, func(in *intake) {
		in.answer = func(int, []byte) int { return http.StatusNotFound }
	})
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "dead_letter_file="+dl), "-r", "2", "-w", "10", "-l", f)...)
	r.mustExit(t, 1)
	if len(r.summaries) != 1 || r.summaries[0].GaveUp != 1 || r.summaries[0].Error != 0 {
		t.Errorf("want the chunk still FLB_RETRY at the end: %+v\n%s", r.summaries, r)
	}
	if n := strings.Count(string(r.stderr), "CONFIGURATION ERROR: intake ndjson answered HTTP 404"); n != 3 {
		t.Errorf("%d error lines for 3 flushes:\n%s", n, r)
	}
	if b, err := os.ReadFile(dl); err != nil || len(b) != 0 {
		t.Errorf("dead-letter file: %d bytes, %v", len(b), err)
	}
}

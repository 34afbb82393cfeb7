package config

import (
	"errors"
	"strings"
	"testing"
)

// Config errors name the key and the rule, never the value: a url carries a password, a
// header a bearer token, an api_key with a pasted newline is still the key.
func TestErrorsNeverShowTheValue(t *testing.T) {
	cases := []struct {
		props  Map
		key    string
		secret string
	}{
		{Map{"url": "ftp://alice:hunter2hunter2@h/p"}, "url", "hunter2hunter2"},
		{Map{"url": "http://alice:hunter2hunter2@h:port/p"}, "url", "hunter2hunter2"},
		{Map{"url": "http://h/p", "headers": "Authorization Bearer-hunter2hunter2: x\x01"}, "headers", "hunter2hunter2"},
		{Map{"url": "http://h/p", "headers": "Authorization: Bearer hunter2hunter2\x7f"}, "headers", "hunter2hunter2"},
		{Map{"url": "http://h/p", "api_key": "hunter2hunter2\r\nX-Injected: 1"}, "api_key", "hunter2hunter2"},
		{Map{"url": "http://h/p", "http_user": "bob", "http_passwd": "hunter2\nhunter2"}, "http_passwd", "hunter2"},
		{Map{"url": "http://h/p", "http_user": "bob:hunter2hunter2"}, "http_user", "hunter2hunter2"},
		{Map{"intake": "elasticsearch", "url": "http://h/p", "index": "Not A Token hunter2hunter2"}, "index", "hunter2hunter2"},
		{Map{"url": "http://h/p", "tls_ca_file": "/nonexistent/hunter2hunter2.pem"}, "tls_ca_file", "hunter2hunter2"},
	}
	for _, tc := range cases {
		_, _, err := Parse(tc.props)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%q: error %v, want one naming %s", tc.key, err, tc.key)
			continue
		}
		if strings.Contains(err.Error(), tc.secret) {
			t.Errorf("error shows the value: %s", err)
		}
	}
}

// The startup line shows no character of a secret: no userinfo (not even percent-encoded
// asterisks), no query, no header value, no two-character hint of a key.
func TestStringShowsNoSecretCharacters(t *testing.T) {
	c, _, err := Parse(Map{"url": "https://alice:hunter2pass@h/p?token=abcdef123456", "api_key": "top-secret-key",
		"http_user": "bob", "http_passwd": "another-secret", "headers": "X-Auth: tokentokentoken, X-Tenant: blue"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, leak := range []string{"alice", "hunter2pass", "abcdef123456", "token=", "%2A", "****", "to****", "an****", "tokentokentoken", "blue", "@h"} {
		if strings.Contains(s, leak) {
			t.Errorf("String() shows %q: %s", leak, s)
		}
	}
	for _, want := range []string{"url=https://h/p ", "api_key=<redacted>", "http_passwd=<redacted>", "header=X-Auth: <redacted>", "header=X-Tenant: <redacted>"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q: %s", want, s)
		}
	}
}

// Each warning once: "apikey" is both a misspelling of api_key and a synonym of it.
func TestEachWarningOnce(t *testing.T) {
	_, warns, err := Parse(Map{"url": "https://h/p", "apikey": "k", "tls_verify": "off"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range warns {
		if strings.Contains(w, `"apikey"`) {
			n++
		}
		// tls_verify off is said by the sender when it starts, with the same words.
		if strings.Contains(w, "tls_verify") {
			t.Errorf("warning repeated by the sender: %q", w)
		}
	}
	if n != 1 {
		t.Errorf("%d warnings about apikey, want 1: %v", n, warns)
	}
}

// A header value may hold ", ": it stays one header.
func TestHeaderValueWithComma(t *testing.T) {
	cases := map[string][][2]string{
		"Accept: application/json, text/plain":             {{"Accept", "application/json, text/plain"}},
		"X-Sig: a=1, b=2; c=3, X-Env: prod":                {{"X-Sig", "a=1, b=2; c=3"}, {"X-Env", "prod"}},
		"X-Tenant: a, X-Env: prod":                         {{"X-Tenant", "a"}, {"X-Env", "prod"}},
		"X-Tenant a, X-Env prod":                           {{"X-Tenant", "a"}, {"X-Env", "prod"}}, // Fluent Bit's space form
		"Authorization: Bearer abc, def":                   {{"Authorization", "Bearer abc, def"}},
		"X-List: one,two,three; X-Time: 10:30, X-Other: x": {{"X-List", "one,two,three"}, {"X-Time", "10:30"}, {"X-Other", "x"}},
	}
	for in, want := range cases {
		got, err := parseHeaders("headers", in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%q: %q, want %q", in, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%q: %q, want %q", in, got, want)
			}
		}
	}
}

func TestDeadLetterMaxBytes(t *testing.T) {
	c, _, err := Parse(Map{"url": "http://h/p", "dead_letter_file": "/tmp/dl"})
	if err != nil || c.DeadLetterMaxBytes != 100_000_000 {
		t.Errorf("default: %v %d", err, c.DeadLetterMaxBytes)
	}
	c, _, err = Parse(Map{"url": "http://h/p", "dead_letter_file": "/tmp/dl", "dead_letter_max_bytes": "10M"})
	if err != nil || c.DeadLetterMaxBytes != 10_000_000 || !strings.Contains(c.String(), "dead_letter_max_bytes=10000000") {
		t.Errorf("10M: %v %d", err, c.DeadLetterMaxBytes)
	}
	if _, _, err := Parse(Map{"url": "http://h/p", "dead_letter_max_bytes": "lots"}); err == nil {
		t.Error("a bad size was accepted")
	}
}

// Misspelled core keys reach the plugin (Fluent Bit hands on what it does not know) and
// are warned about, once each; the correct core keys never reach it, and a plugin key
// is not mistaken for one.
func TestWarnsAboutMisspelledCoreKeys(t *testing.T) {
	_, warns, err := Parse(Map{"url": "http://h/p", "worker": "1", "retry_limits": "no_limits",
		"storage.total_limit": "2G", "Log-Level": "debug"})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(warns, "\n")
	for _, want := range []string{`"worker"`, `"workers"`, `"retry_limits"`, `"retry_limit"`,
		`"storage.total_limit"`, `"storage.total_limit_size"`, `"log-level"`, `"log_level"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("no warning naming %s in %q", want, joined)
		}
	}
	if len(warns) != 4 {
		t.Errorf("%d warnings, want 4 (one each): %q", len(warns), warns)
	}
	_, warns, err = Parse(Map{"url": "http://h/p", "batch_events": "10"})
	if err != nil || len(warns) != 0 {
		t.Errorf("warnings without a typo: %q, %v", warns, err)
	}
}

package config

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
	"github.com/k8saudit/k8saudit/plugin/intake/discard"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// registerDiscard is the "one registry line" of a new intake, done by the test.
func registerDiscard(t *testing.T) {
	t.Helper()
	intake.Register(discard.Intake)
	t.Cleanup(func() { intake.Unregister(discard.Intake.Name) })
}

// TestNewIntakeIsOnePackageAndOneLine: plugin/intake/discard, registered, is parsed,
// validated, shown on the startup line with its secret masked, warned about when
// misspelled or set for another intake, and opened as the instance's Shipper — with no
// edit to the config package.
func TestNewIntakeIsOnePackageAndOneLine(t *testing.T) {
	if _, _, err := Parse(Map{"intake": "discard"}); err == nil {
		t.Fatal("intake discard accepted before it is registered")
	}
	registerDiscard(t)
	const secret = "tok-6f1e-secret"
	c, warns, err := Parse(Map{"intake": "discard", "discard_token": secret, "discard-note": "x"})
	if err != nil {
		t.Fatal(err)
	}
	line := c.String()
	if !strings.Contains(line, "discard_note=dropped discard_token=<redacted>") || strings.Contains(line, secret) {
		t.Errorf("startup line: %s", line)
	}
	if c.BatchEvents != deliver.DefaultBatchEvents {
		t.Errorf("batch_events = %d, want the intake's declared default", c.BatchEvents)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `"discard-note" is not known and is ignored: did you mean "discard_note"?`) {
		t.Errorf("warnings: %q", warns)
	}
	sh, err := c.Open(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var docs deliver.Docs
	docs.Append([]byte(`{"a":1}`), deliver.Meta{})
	docs.Append([]byte(`{"a":2}`), deliver.Meta{})
	if r := sh.Deliver(context.Background(), &docs); r != deliver.Delivered || sh.Stats().Delivered != 2 {
		t.Errorf("Deliver = %v, stats %+v", r, sh.Stats())
	}
	if err := sh.Close(); err != nil || !sh.(*discard.Shipper).Closed() {
		t.Errorf("Close = %v", err)
	}

	// The intake's own validation names the key, never the value.
	_, _, err = Parse(Map{"intake": "discard", "discard_note": "refuse"})
	var ke *Error
	if !errors.As(err, &ke) || ke.Key != "discard_note" || strings.Contains(err.Error(), "refuse") {
		t.Errorf("refused value: %v", err)
	}
	// Its keys, set for another intake, are warned about.
	_, warns, err = Parse(Map{"url": "http://h/", "discard_note": "x"})
	if err != nil || len(warns) != 1 || warns[0] != `key "discard_note" is only used by intake discard and is ignored with intake ndjson` {
		t.Errorf("warnings: %q %v", warns, err)
	}
	// It takes no url: one set is warned about, as with stdout.
	_, warns, _ = Parse(Map{"intake": "discard", "url": "http://h/"})
	if len(warns) != 1 || warns[0] != "url is ignored with intake discard" {
		t.Errorf("warnings: %q", warns)
	}
}

// TestIntakeListFromRegistry: the intake key accepts exactly the registered intakes,
// in the registry's order.
func TestIntakeListFromRegistry(t *testing.T) {
	_, _, err := Parse(Map{"intake": "nope"})
	if err == nil || !strings.HasSuffix(err.Error(), "accepted: ndjson, elasticsearch, datadog, splunk, sekoia, syslog, kafka, audit_webhook, otlp, mezmo, stdout") {
		t.Errorf("error: %v", err)
	}
}

// TestDefaultsAgreeWithDeliver: the config layer's defaults (declared in keys.go and
// parsed like a user's value) are the values deliver takes for a zero option, so a
// Sender built by hand behaves as one built from an empty [OUTPUT] section.
func TestDefaultsAgreeWithDeliver(t *testing.T) {
	c, _, err := Parse(Map{"url": "http://h/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != deliver.DefaultTimeout || c.RetryBudget != deliver.DefaultRetryBudget ||
		c.CompressLevel != deliver.DefaultCompressLevel || c.DeadLetterMaxBytes != deliver.DefaultDeadLetterMaxBytes ||
		c.BatchBytes != deliver.DefaultBatchBytes || c.BatchEvents != deliver.DefaultBatchEvents {
		t.Errorf("defaults differ from deliver's: %+v", c.Options)
	}
}

// TestSecretKeysNeverShown: every key declared secret is masked on the startup line.
func TestSecretKeysNeverShown(t *testing.T) {
	const secret = "Zq9-secret-value"
	c, _, err := Parse(Map{"url": "https://h/", "api_key": secret, "http_user": "u", "http_passwd": secret, "headers": "X-Token: " + secret})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range common {
		if k.Secret && !strings.Contains(c.String(), deliver.Redacted) {
			t.Errorf("%s: nothing masked", k.Name)
		}
	}
	if strings.Contains(c.String(), secret) {
		t.Errorf("a secret is shown: %s", c)
	}
}

// TestSharedRulesNameTheKey: the rules deliver owns (credentials, the TLS pair) are the
// ones Parse applies, and their errors are KeyErrors naming the key, never the value.
func TestSharedRulesNameTheKey(t *testing.T) {
	crt := t.TempDir() + "/c.pem"
	if err := os.WriteFile(crt, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		props Map
		key   string
	}{
		{Map{"url": "https://h/", "tls_crt_file": crt}, "tls_key_file"},
		{Map{"url": "https://h/", "tls_key_file": crt}, "tls_crt_file"},
		{Map{"url": "https://h/", "api_key": "k\nsecret-tail"}, "api_key"},
		{Map{"url": "https://h/", "http_user": "a:secret-tail"}, "http_user"},
	} {
		_, _, err := Parse(tc.props)
		var ke *Error
		if !errors.As(err, &ke) || ke.Key != tc.key || strings.Contains(err.Error(), "secret-tail") || strings.Contains(err.Error(), crt) {
			t.Errorf("%v: %v", tc.props, err)
		}
		// deliver applies the same rule to hand-built options.
		var de *deliver.KeyError
		o := deliver.Options{URL: "https://h/", TLSVerify: true, APIKey: tc.props["api_key"], HTTPUser: tc.props["http_user"], TLSCrtFile: tc.props["tls_crt_file"], TLSKeyFile: tc.props["tls_key_file"]}
		if _, err := deliver.New(o); !errors.As(err, &de) || de.Key != tc.key {
			t.Errorf("deliver.New %v: %v", tc.props, err)
		}
	}
}

// TestIntakeOwnURLCheck: an intake whose url is not an http URL (a broker list) checks it
// itself; the url is then required and never quoted in the error.
func TestIntakeOwnURLCheck(t *testing.T) {
	intake.Register(&intake.Intake{
		Name:   "brokers",
		Limits: deliver.Limits{DefaultBytes: 1000, DefaultEvents: 10},
		CheckURL: func(v string) error {
			if !strings.Contains(v, ":") {
				return intake.Invalid("url", "host:port pairs separated by commas")
			}
			return nil
		},
		Configure: func(intake.Getter, *deliver.Options) (intake.Opener, error) { return nil, nil },
	})
	t.Cleanup(func() { intake.Unregister("brokers") })
	if c, w, err := Parse(Map{"intake": "brokers", "url": "k1:9092,k2:9092"}); err != nil || len(w) != 0 || c.URL != "k1:9092,k2:9092" {
		t.Errorf("broker list: %v %q", err, w)
	}
	for _, m := range []Map{{"intake": "brokers"}, {"intake": "brokers", "url": "secret-host-no-port"}} {
		_, _, err := Parse(m)
		var ke *Error
		if !errors.As(err, &ke) || ke.Key != "url" || strings.Contains(err.Error(), "secret-host") {
			t.Errorf("%v: %v", m, err)
		}
	}
}

// TestNoKeyDeclaredTwice: a key is declared once, by the common table or by one intake,
// and its misspellings are not themselves keys.
func TestNoKeyDeclaredTwice(t *testing.T) {
	seen := map[string]string{}
	for _, k := range declared() {
		if owner, dup := seen[k.Name]; dup {
			t.Errorf("key %s declared by %q and %q", k.Name, owner, k.owner)
		}
		seen[k.Name] = k.owner
	}
	for _, k := range declared() {
		for _, alt := range k.Misspellings() {
			if _, isKey := seen[alt]; isKey {
				t.Errorf("%s: misspelling %s is a key", k.Name, alt)
			}
		}
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

func TestDefaults(t *testing.T) {
	c, warns, err := Parse(Map{"url": "https://intake.example/ingest"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("unexpected warnings: %v", warns)
	}
	want := Config{Options: deliver.Options{Intake: "ndjson", URL: "https://intake.example/ingest", Compress: true, CompressLevel: 1,
		BatchBytes: 5_000_000, BatchEvents: 10_000, Timeout: 30 * time.Second, RetryBudget: 10 * time.Second,
		TLSVerify: true}, Format: "ecs", SourceKey: "log", Redact: true, StatsInterval: time.Minute,
		Detection: Detection{On: true, Options: detect.Options{Rules: detect.DefaultRules()}}}
	if c.String() != want.String() {
		t.Errorf("defaults:\n got %s\nwant %s", c, &want)
	}
}

func TestParsesEveryKey(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Parse(Map{
		"Intake": "NDJSON", "url": "https://h:8443/p", "format": "raw", "api_key": "secret-key-123",
		"headers": "X-Tenant: a, X-Env: prod", "compress": "none", "compress_level": "9",
		"batch_bytes": "2M", "batch_events": "500", "timeout": "5s", "retry_budget": "1500ms",
		"tls_verify": "off", "tls_ca_file": ca, "tls_crt_file": ca, "tls_key_file": ca, "tls_server_name": "intake",
		"source_key": "message", "cluster_name": "prod-eu", "dead_letter_file": "/tmp/dl.ndjson", "event_original": "on",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Intake != "ndjson" || c.Format != "raw" || c.APIKey != "secret-key-123" || c.Compress || c.CompressLevel != 9 ||
		c.BatchBytes != 2_000_000 || c.BatchEvents != 500 || c.Timeout != 5*time.Second || c.RetryBudget != 1500*time.Millisecond ||
		c.TLSVerify || c.TLSCAFile != ca || c.TLSServerName != "intake" || c.SourceKey != "message" ||
		c.ClusterName != "prod-eu" || c.DeadLetterFile != "/tmp/dl.ndjson" || !c.EventOriginal {
		t.Errorf("parsed wrong: %+v", c)
	}
	if len(c.Headers) != 2 || c.Headers[0] != [2]string{"X-Tenant", "a"} || c.Headers[1] != [2]string{"X-Env", "prod"} {
		t.Errorf("headers: %v", c.Headers)
	}
}

func TestBadValuesNameKeyValueAndAccepted(t *testing.T) {
	cases := []struct {
		props      Map
		key, value string
	}{
		{Map{"intake": "pulsar", "url": "http://x"}, "intake", "pulsar"},
		{Map{"url": "ftp://x"}, "url", "ftp://x"},
		{Map{"url": ""}, "url", ""},
		{Map{"url": "http://x", "format": "cef"}, "format", "cef"},
		{Map{"url": "http://x", "compress": "zstd"}, "compress", "zstd"},
		{Map{"url": "http://x", "compress_level": "11"}, "compress_level", "11"},
		{Map{"url": "http://x", "batch_bytes": "lots"}, "batch_bytes", "lots"},
		{Map{"url": "http://x", "batch_bytes": "-5"}, "batch_bytes", "-5"},
		{Map{"url": "http://x", "batch_events": "0"}, "batch_events", "0"},
		{Map{"url": "http://x", "timeout": "soon"}, "timeout", "soon"},
		{Map{"url": "http://x", "retry_budget": "-1s"}, "retry_budget", "-1s"},
		{Map{"url": "http://x", "tls_verify": "maybe"}, "tls_verify", "maybe"},
		{Map{"url": "http://x", "event_original": "2"}, "event_original", "2"},
		{Map{"url": "http://x", "headers": "no-colon-here"}, "headers", "no-colon-here"},
		{Map{"url": "http://x", "tls_ca_file": "/nonexistent/ca.pem"}, "tls_ca_file", "/nonexistent/ca.pem"},
		{Map{"url": "http://x", "http_passwd": "pw"}, "http_user", ""},
	}
	for _, tc := range cases {
		_, _, err := Parse(tc.props)
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%v: want *Error, got %v", tc.props, err)
			continue
		}
		if ce.Key != tc.key || ce.Accepted == "" {
			t.Errorf("%v: got key=%q accepted=%q", tc.props, ce.Key, ce.Accepted)
		}
		if !strings.Contains(err.Error(), tc.key) {
			t.Errorf("message %q does not name the key", err)
		}
		if tc.value != "" && strings.Contains(err.Error(), tc.value) {
			t.Errorf("message %q shows the value", err)
		}
	}
	if _, _, err := Parse(Map{"url": "http://x", "tls_crt_file": "config.go"}); err == nil {
		t.Error("a client certificate without its key must fail")
	}
}

func TestStdoutNeedsNoURL(t *testing.T) {
	c, _, err := Parse(Map{"intake": "stdout"})
	if err != nil || c.Intake != IntakeStdout {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestSizesAndDurations(t *testing.T) {
	for in, want := range map[string]int{"512": 512, "5k": 5000, "5KB": 5000, "1.5M": 1_500_000, "2g": 2_000_000_000} {
		if got, err := parseSize("k", in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]time.Duration{"30": 30 * time.Second, "2m": 2 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "250ms": 250 * time.Millisecond, "0.5": 500 * time.Millisecond} {
		if got, err := parseDuration("k", in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestWarnsAboutMisspelledKeys(t *testing.T) {
	_, warns, err := Parse(Map{"url": "http://x", "api-key": "k", "batchbytes": "1M", "endpoint": "http://y"})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(warns, "\n")
	for _, want := range []string{`"api-key"`, `"batchbytes"`, `"endpoint"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("no warning for %s in %q", want, joined)
		}
	}
}

func TestStringMasksSecrets(t *testing.T) {
	c, _, err := Parse(Map{"url": "https://user:hunter2pass@h/p?token=abcdef123456", "api_key": "supersecretkey",
		"http_user": "bob", "http_passwd": "anothersecret", "headers": "X-Auth: tokentokentoken"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"hunter2pass", "abcdef123456", "supersecretkey", "anothersecret", "tokentokentoken"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() leaks %q: %s", secret, s)
		}
	}
	if !strings.Contains(s, "http_user=bob") {
		t.Errorf("String() should show the user name: %s", s)
	}
}

func TestIntakeDefaultsFromDocumentedLimits(t *testing.T) {
	cases := []struct {
		props         Map
		bytes, events int
	}{
		{Map{"url": "http://x"}, 5_000_000, 10_000},
		{Map{"intake": "elasticsearch", "url": "http://x", "index": "logs-k8s.audit-default"}, 10_000_000, 10_000},
		{Map{"intake": "datadog", "url": "https://http-intake.logs.datadoghq.eu", "api_key": "k"}, 5_000_000, 1000},
		{Map{"intake": "splunk", "url": "https://hec:8088", "api_key": "k"}, 1_000_000, 10_000},
		{Map{"intake": "sekoia", "url": "https://intake.sekoia.io", "api_key": "k"}, 9_437_184, 10_000},
		{Map{"intake": "datadog", "url": "http://x", "api_key": "k", "batch_bytes": "1M", "batch_events": "200"}, 1_000_000, 200},
	}
	for _, tc := range cases {
		c, _, err := Parse(tc.props)
		if err != nil {
			t.Fatalf("%v: %v", tc.props, err)
		}
		if c.BatchBytes != tc.bytes || c.BatchEvents != tc.events {
			t.Errorf("%v: batch_bytes %d batch_events %d, want %d %d", tc.props, c.BatchBytes, c.BatchEvents, tc.bytes, tc.events)
		}
	}
}

func TestIntakeMaximaCannotBeExceeded(t *testing.T) {
	cases := []struct {
		props      Map
		key, limit string
	}{
		{Map{"intake": "datadog", "url": "http://x", "api_key": "k", "batch_bytes": "6M"}, "batch_bytes", "5000000"},
		{Map{"intake": "datadog", "url": "http://x", "api_key": "k", "batch_events": "1001"}, "batch_events", "1000"},
		{Map{"intake": "sekoia", "url": "http://x", "api_key": "k", "batch_bytes": "11M"}, "batch_bytes", "10485760"},
		{Map{"intake": "elasticsearch", "url": "http://x", "index": "a", "batch_bytes": "200M"}, "batch_bytes", "104857600"},
		{Map{"intake": "splunk", "url": "http://x", "api_key": "k", "batch_bytes": "1g"}, "batch_bytes", "838860800"},
	}
	for _, tc := range cases {
		_, _, err := Parse(tc.props)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(err.Error(), tc.limit) {
			t.Errorf("%v: error %v, want one naming %s and the limit %s", tc.props, err, tc.key, tc.limit)
		}
	}
	// The maxima themselves are accepted.
	if _, _, err := Parse(Map{"intake": "datadog", "url": "http://x", "api_key": "k", "batch_bytes": "5M", "batch_events": "1000"}); err != nil {
		t.Error(err)
	}
}

func TestIntakeKeys(t *testing.T) {
	c, warns, err := Parse(Map{"intake": "elasticsearch", "url": "https://es:9200", "index": "logs-kubernetes.audit-prod", "pipeline": "k8s-audit", "dd_tags": "env:x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Index != "logs-kubernetes.audit-prod" || c.Pipeline != "k8s-audit" {
		t.Errorf("%+v", c)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `"dd_tags" is only used by intake datadog`) {
		t.Errorf("warnings %v", warns)
	}
	if !strings.Contains(c.String(), "index=logs-kubernetes.audit-prod") || !strings.Contains(c.String(), "pipeline=k8s-audit") {
		t.Errorf("String() %s", c)
	}
	// Sematext: the token is the index, and it is masked in the log.
	tok := "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	c, _, err = Parse(Map{"intake": "elasticsearch", "url": "https://logsene-receiver.sematext.com", "index": tok})
	if err != nil || c.Index != tok || strings.Contains(c.String(), tok) {
		t.Errorf("sematext: %v %s", err, c)
	}

	c, _, err = Parse(Map{"intake": "datadog", "url": "https://http-intake.logs.datadoghq.com", "api_key": "k", "dd_service": "kube-apiserver", "dd_tags": "env:prod,team:sec", "dd_hostname": "cp-1"})
	if err != nil || c.DDSource != "kubernetes.audit" || c.DDService != "kube-apiserver" || c.DDTags != "env:prod,team:sec" || c.DDHostname != "cp-1" {
		t.Errorf("datadog: %v %+v", err, c)
	}
	c, _, err = Parse(Map{"intake": "splunk", "url": "https://hec:8088", "api_key": "k", "splunk_index": "k8s", "splunk_source": "apiserver", "splunk_host": "cp-1"})
	if err != nil || c.SplunkSourcetype != "kube:apiserver:audit" || c.SplunkIndex != "k8s" || c.SplunkSource != "apiserver" || c.SplunkHost != "cp-1" {
		t.Errorf("splunk: %v %+v", err, c)
	}
	c, _, err = Parse(Map{"intake": "splunk", "url": "https://hec:8088", "api_key": "k", "splunk_sourcetype": "_json"})
	if err != nil || c.SplunkSourcetype != "_json" {
		t.Errorf("splunk sourcetype: %v %+v", err, c)
	}
	if _, warns, _ := Parse(Map{"intake": "splunk", "url": "http://x", "api_key": "k", "event_index": "main"}); len(warns) != 1 || !strings.Contains(warns[0], `"splunk_index"`) {
		t.Errorf("out_splunk's key name not flagged: %v", warns)
	}
}

func TestIntakeRequirements(t *testing.T) {
	cases := []struct {
		props Map
		key   string
	}{
		{Map{"intake": "elasticsearch", "url": "http://x"}, "index"},
		{Map{"intake": "elasticsearch", "url": "http://x", "index": "Bad Index"}, "index"},
		{Map{"intake": "datadog", "url": "http://x"}, "api_key"},
		{Map{"intake": "datadog", "url": "http://x", "api_key": "k", "http_user": "u"}, "http_user"},
		{Map{"intake": "splunk", "url": "http://x"}, "api_key"},
		{Map{"intake": "sekoia", "url": "http://x"}, "api_key"},
	}
	for _, tc := range cases {
		_, _, err := Parse(tc.props)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%v: error %v, want one naming %s", tc.props, err, tc.key)
		}
	}
	// Splunk and Sekoia also take the key as a basic-auth password.
	for _, in := range []string{"splunk", "sekoia"} {
		if _, _, err := Parse(Map{"intake": in, "url": "http://x", "http_user": "x", "http_passwd": "key"}); err != nil {
			t.Errorf("%s with basic auth: %v", in, err)
		}
	}
}

func TestPolicyRedactionAndEventSizeKeys(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Parse(Map{"intake": "stdout", "policy_file": policy, "redact": "off", "redact_paths": "data.password, spec.credentials.token", "max_event_bytes": "2M"})
	if err != nil {
		t.Fatal(err)
	}
	if c.PolicyFile != policy || c.Redact || c.MaxEventBytes != 2_000_000 || len(c.RedactPaths) != 2 || c.RedactPaths[1] != "spec.credentials.token" {
		t.Errorf("parsed wrong: %+v", c)
	}
	for _, bad := range []Map{
		{"intake": "stdout", "policy_file": "/nonexistent/policy.yaml"},
		{"intake": "stdout", "redact": "sometimes"},
		{"intake": "stdout", "redact_paths": "data..password"},
		{"intake": "stdout", "max_event_bytes": "1k"},
	} {
		var ce *Error
		if _, _, err := Parse(bad); !errors.As(err, &ce) {
			t.Errorf("%v: want a config error, got %v", bad, err)
		}
	}
}

func TestMetricsListenAndStatsInterval(t *testing.T) {
	c, _, err := Parse(Map{"url": "http://intake.invalid/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsListen != "" || c.StatsInterval != 60*time.Second {
		t.Fatalf("defaults: metrics_listen %q stats_interval %s", c.MetricsListen, c.StatsInterval)
	}
	c, _, err = Parse(Map{"url": "http://intake.invalid/", "metrics_listen": "127.0.0.1:2021", "stats_interval": "0"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsListen != "127.0.0.1:2021" || c.StatsInterval != 0 {
		t.Fatalf("metrics_listen %q stats_interval %s", c.MetricsListen, c.StatsInterval)
	}
	if c, _, err = Parse(Map{"url": "http://intake.invalid/", "stats_interval": "2m"}); err != nil || c.StatsInterval != 2*time.Minute {
		t.Fatalf("stats_interval 2m: %v %v", c, err)
	}
	for _, bad := range []Map{{"metrics_listen": "2021"}, {"metrics_listen": "host name:80"}, {"metrics_listen": "127.0.0.1:99999"}, {"stats_interval": "-1"}} {
		bad["url"] = "http://intake.invalid/"
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

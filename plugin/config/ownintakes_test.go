package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/k8saudit/k8saudit/plugin/intake/kafka"
	"github.com/k8saudit/k8saudit/plugin/intake/syslog"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// The intakes with their own transport, syslog and kafka, are registered: their keys parse,
// their errors name the key and never the value, and Open builds their Shipper.

func TestSyslogIntakeParsesAndOpens(t *testing.T) {
	c, warns, err := Parse(Map{"intake": "syslog", "url": "tcp://127.0.0.1:6514", "syslog_framing": "newline", "syslog_rfc": "3164",
		"syslog_facility": "local4", "syslog_severity_map": "read=debug,denied=err", "syslog_app_name": "kube-audit",
		"syslog_hostname": "cp-1", "syslog_sd_id": "audit@99999", "syslog_max_message_bytes": "64k", "timeout": "5s", "retry_budget": "20s"})
	if err != nil || len(warns) != 0 {
		t.Fatalf("Parse: %v %q", err, warns)
	}
	for _, want := range []string{"intake=syslog", "url=tcp://127.0.0.1:6514", "syslog_framing=newline", "syslog_rfc=3164", "syslog_facility=local4",
		"syslog_max_message_bytes=64k", "syslog_severity_map=read=debug,denied=err", "syslog_hostname=cp-1"} {
		if !strings.Contains(c.String(), want) {
			t.Errorf("startup line lacks %s: %s", want, c)
		}
	}
	sh, err := c.Open(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if _, ok := sh.(*syslog.Shipper); !ok {
		t.Fatalf("Open gave %T", sh)
	}
	// The defaults alone, over TLS.
	if _, w, err := Parse(Map{"intake": "syslog", "url": "tls://siem.example:6514", "tls_server_name": "siem"}); err != nil || len(w) != 0 {
		t.Errorf("tls url: %v %q", err, w)
	}
}

func TestSyslogBadValuesNameTheKey(t *testing.T) {
	const v = "Zsecretish"
	ok := Map{"intake": "syslog", "url": "tcp://127.0.0.1:514"}
	with := func(k, val string) Map {
		m := Map{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = val
		return m
	}
	ca := filepath.Join(t.TempDir(), "ca"+v+".pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		props Map
		key   string
	}{
		{Map{"intake": "syslog"}, "url"},
		{with("url", "https://"+v+":514"), "url"},
		{with("url", v+":514"), "url"},
		{with("url", "tcp://"+v), "url"},
		{with("url", "tcp://u:"+v+"@h:514"), "url"},
		{with("url", "tcp://h:514/"+v), "url"},
		{with("syslog_framing", v), "syslog_framing"},
		{with("syslog_rfc", v), "syslog_rfc"},
		{with("syslog_facility", v), "syslog_facility"},
		{with("syslog_severity_map", "read="+v), "syslog_severity_map"},
		{with("syslog_app_name", v+" x"), "syslog_app_name"},
		{with("syslog_hostname", v+" x"), "syslog_hostname"},
		{with("syslog_sd_id", v), "syslog_sd_id"},
		{with("syslog_max_message_bytes", "1k"), "syslog_max_message_bytes"},
		{with("syslog_max_message_bytes", v), "syslog_max_message_bytes"},
		{with("tls_ca_file", ca), "tls_ca_file"}, // tcp:// takes no TLS settings
	} {
		_, _, err := Parse(tc.props)
		var ke *Error
		if !errors.As(err, &ke) || ke.Key != tc.key || strings.Contains(err.Error(), v) {
			t.Errorf("%v: %v (want a KeyError naming %s, without the value)", tc.props, err, tc.key)
		}
	}
	// A 3164 TAG is shorter than a 5424 APP-NAME.
	m := with("syslog_rfc", "3164")
	m["syslog_app_name"] = strings.Repeat("a", 40)
	if _, _, err := Parse(m); err == nil || !strings.Contains(err.Error(), `"syslog_app_name"`) {
		t.Errorf("a 40-character TAG: %v", err)
	}
}

func TestKafkaIntakeParsesAndOpens(t *testing.T) {
	const pw = "Kpw-9f3-secret"
	c, warns, err := Parse(Map{"intake": "kafka", "brokers": "k1:9092, k2:9092", "topic": "audit", "topic_alerts": "audit-alerts",
		"key": "object", "acks": "1", "kafka_compression": "lz4", "client_id": "cp", "sasl_mechanism": "SCRAM-SHA-512",
		"sasl_username": "u", "sasl_password": pw, "max_record_bytes": "500k", "dead_letter_file": filepath.Join(t.TempDir(), "dl.ndjson")})
	if err != nil || len(warns) != 0 {
		t.Fatalf("Parse: %v %q", err, warns)
	}
	line := c.String()
	if strings.Contains(line, pw) || !strings.Contains(line, "sasl_password=<redacted>") || !strings.Contains(line, "brokers=k1:9092, k2:9092") ||
		!strings.Contains(line, "kafka_compression=lz4") || !strings.Contains(line, "kafka_tls=off") {
		t.Errorf("startup line: %s", line)
	}
	sh, err := c.Open(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sh.(*kafka.Shipper); !ok {
		t.Fatalf("Open gave %T", sh)
	}
	if err := sh.Close(); err != nil {
		t.Fatal(err)
	}
	// url is not kafka's: set, it is warned about (the brokers key holds the list).
	if _, w, err := Parse(Map{"intake": "kafka", "brokers": "k:9092", "url": "http://x"}); err != nil || len(w) != 1 || w[0] != "url is ignored with intake kafka" {
		t.Errorf("url with kafka: %v %q", err, w)
	}
	// TLS on, with the common tls_* keys.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, w, err := Parse(Map{"intake": "kafka", "brokers": "k:9093", "kafka_tls": "on", "tls_ca_file": ca}); err != nil || len(w) != 0 {
		t.Errorf("kafka_tls on: %v %q", err, w)
	}
}

func TestKafkaBadValuesNameTheKey(t *testing.T) {
	const v = "Zsecretish"
	ok := Map{"intake": "kafka", "brokers": "k:9092"}
	with := func(kv ...string) Map {
		m := Map{}
		for a, b := range ok {
			m[a] = b
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		props Map
		key   string
	}{
		{Map{"intake": "kafka"}, "brokers"},
		{with("brokers", v), "brokers"},
		{with("brokers", "tcp://"+v+":9092"), "brokers"},
		{with("topic", v+" x"), "topic"},
		{with("topic_errors", v+"/x"), "topic_errors"},
		{with("key", v), "key"},
		{with("acks", "0"), "acks"},
		{with("acks", v), "acks"},
		{with("kafka_compression", v), "kafka_compression"},
		{with("kafka_tls", v), "kafka_tls"},
		{with("sasl_mechanism", v), "sasl_mechanism"},
		{with("sasl_password", v), "sasl_mechanism"},
		{with("sasl_mechanism", "PLAIN", "sasl_username", "u"), "sasl_password"},
		{with("sasl_mechanism", "PLAIN", "sasl_username", "u", "sasl_password", v+"\nx"), "sasl_password"},
		{with("max_record_bytes", "200M"), "max_record_bytes"},
		{with("max_record_bytes", v), "max_record_bytes"},
		{with("tls_ca_file", ca), "tls_ca_file"}, // kafka_tls off takes no TLS settings
	} {
		_, _, err := Parse(tc.props)
		var ke *Error
		if !errors.As(err, &ke) || ke.Key != tc.key || strings.Contains(err.Error(), v) {
			t.Errorf("%v: %v (want a KeyError naming %s, without the value)", tc.props, err, tc.key)
		}
	}
}

// TestOwnIntakeKeysWarnedElsewhere: their keys, set for another intake, are warned about;
// their misspellings too.
func TestOwnIntakeKeysWarnedElsewhere(t *testing.T) {
	_, w, err := Parse(Map{"url": "http://h/", "brokers": "k:9092", "syslog_facility": "local0"})
	if err != nil || len(w) != 2 || !strings.Contains(strings.Join(w, "\n"), "only used by intake kafka") || !strings.Contains(strings.Join(w, "\n"), "only used by intake syslog") {
		t.Errorf("warnings: %q %v", w, err)
	}
	_, w, _ = Parse(Map{"intake": "syslog", "url": "tcp://h:514", "facility": "local0", "syslog-rfc": "3164"})
	if len(w) != 2 || !strings.Contains(w[0]+w[1], `did you mean "syslog_facility"`) || !strings.Contains(w[0]+w[1], `did you mean "syslog_rfc"`) {
		t.Errorf("warnings: %q", w)
	}
}

// TestConfExamplesParse: the [OUTPUT] of every conf/*.example for an intake of this kind
// (classic and YAML) is accepted as written, ${VAR}s expanded, file paths replaced by
// files that exist, with no warning.
func TestConfExamplesParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "conf", "*.example"))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	vars := regexp.MustCompile(`\$\{[A-Za-z0-9_]+\}`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		props := exampleOutput(t, f, string(b))
		in := strings.ToLower(props["intake"])
		if in != "kafka" && in != "syslog" && in != "audit_webhook" && in != "otlp" && in != "mezmo" {
			continue
		}
		m := Map{}
		for k, v := range props {
			if fluentBitKey(k) {
				continue
			}
			v = vars.ReplaceAllString(v, "x1")
			if strings.HasSuffix(k, "_file") && k != "dead_letter_file" {
				v = ca
			}
			m[k] = v
		}
		_, w, err := Parse(m)
		if err != nil || len(w) != 0 {
			t.Errorf("%s: %v %q", f, err, w)
		}
		seen[filepath.Base(f)] = true
	}
	for _, want := range []string{"kafka.conf.example", "kafka.yaml.example", "syslog.conf.example", "syslog.yaml.example", "audit_webhook.conf.example", "audit_webhook.yaml.example", "otlp.conf.example", "otlp.yaml.example", "mezmo.conf.example", "mezmo.yaml.example"} {
		if !seen[want] {
			t.Errorf("conf/%s: missing, or not an intake kafka/syslog/audit_webhook/otlp/mezmo [OUTPUT]", want)
		}
	}
}

// exampleOutput reads the k8saudit [OUTPUT] of an example, classic or YAML.
func exampleOutput(t *testing.T, name, text string) map[string]string {
	out := map[string]string{}
	if strings.Contains(name, ".yaml") {
		var doc struct {
			Pipeline struct {
				Outputs []map[string]any `json:"outputs"`
			} `json:"pipeline"`
		}
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, o := range doc.Pipeline.Outputs {
			if o["name"] == "k8saudit" {
				for k, v := range o {
					switch v := v.(type) {
					case string:
						out[k] = v
					case bool:
						out[k] = map[bool]string{true: "on", false: "off"}[v]
					default:
						b, _ := yaml.Marshal(v)
						out[k] = strings.TrimSpace(string(b))
					}
				}
			}
		}
		return out
	}
	in := false
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "["):
			in = strings.EqualFold(l, "[OUTPUT]")
		case in:
			k, v, _ := strings.Cut(l, " ")
			out[strings.ToLower(k)] = strings.TrimSpace(v)
		}
	}
	if !strings.EqualFold(out["name"], "k8saudit") {
		return map[string]string{}
	}
	return out
}

// fluentBitKey: the keys Fluent Bit keeps for itself (README, Configuration).
func fluentBitKey(k string) bool {
	switch k {
	case "name", "match", "match_regex", "alias", "workers", "retry_limit", "log_level", "host", "port", "tls":
		return true
	}
	return strings.HasPrefix(k, "storage.") || strings.HasPrefix(k, "net.") || strings.HasPrefix(k, "tls.")
}

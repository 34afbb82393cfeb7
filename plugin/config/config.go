package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Getter reads one property of the [OUTPUT] section; "" means absent.
type Getter interface {
	Get(key string) string
}

// Map is a Getter over a map, for tests and the harness; keys match case-insensitively, as
// Fluent Bit matches them.
type Map map[string]string

// Get returns the value of key, ignoring case.
func (m Map) Get(key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// Intakes the plugin can ship to.
const (
	IntakeNDJSON = "ndjson"
	IntakeStdout = "stdout"
)

// Config is the validated configuration of one output instance.
type Config struct {
	Intake         string
	URL            string // empty for stdout
	Format         string // "ecs" or "raw"
	APIKey         string
	HTTPUser       string
	HTTPPasswd     string
	Headers        [][2]string
	Compress       bool
	CompressLevel  int
	BatchBytes     int
	BatchEvents    int
	Timeout        time.Duration
	RetryBudget    time.Duration
	TLSVerify      bool
	TLSCAFile      string
	TLSCrtFile     string
	TLSKeyFile     string
	TLSServerName  string
	SourceKey      string
	ClusterName    string
	DeadLetterFile string
	EventOriginal  bool
}

// Keys lists every key Parse reads, in the order the README documents them.
var Keys = []string{
	"intake", "url", "format", "api_key", "http_user", "http_passwd", "headers",
	"compress", "compress_level", "batch_bytes", "batch_events", "timeout", "retry_budget",
	"tls_verify", "tls_ca_file", "tls_crt_file", "tls_key_file", "tls_server_name",
	"source_key", "cluster_name", "dead_letter_file", "event_original",
}

// Defaults per intake: the documented request limits of the intake (generic NDJSON
// receivers commonly cap bodies near 5 MB).
const (
	defaultBatchBytes  = 5_000_000
	defaultBatchEvents = 10_000
	defaultTimeout     = 30 * time.Second
	defaultRetryBudget = 10 * time.Second
)

// Parse reads and validates the properties. The warnings are worth logging but do not
// stop the plugin (a probable misspelling, a TLS key on a plain-http URL).
func Parse(g Getter) (*Config, []string, error) {
	get := func(key string) string { return strings.TrimSpace(g.Get(key)) }
	c := &Config{
		Intake:        IntakeNDJSON,
		Format:        "ecs",
		Compress:      true,
		CompressLevel: 1,
		BatchBytes:    defaultBatchBytes,
		BatchEvents:   defaultBatchEvents,
		Timeout:       defaultTimeout,
		RetryBudget:   defaultRetryBudget,
		TLSVerify:     true,
		SourceKey:     "log",
	}
	var err error
	if v := get("intake"); v != "" {
		if c.Intake, err = oneOf("intake", v, IntakeNDJSON, IntakeStdout); err != nil {
			return nil, nil, err
		}
	}
	if v := get("format"); v != "" {
		if c.Format, err = oneOf("format", v, "ecs", "raw"); err != nil {
			return nil, nil, err
		}
	}
	if c.URL, err = parseURL(get("url"), c.Intake); err != nil {
		return nil, nil, err
	}
	c.APIKey, c.HTTPUser, c.HTTPPasswd = get("api_key"), get("http_user"), get("http_passwd")
	if c.HTTPPasswd != "" && c.HTTPUser == "" {
		return nil, nil, invalid("http_user", "", "a user name whenever http_passwd is set")
	}
	if c.Headers, err = parseHeaders("headers", get("headers")); err != nil {
		return nil, nil, err
	}
	if v := get("compress"); v != "" {
		var mode string
		if mode, err = oneOf("compress", v, "gzip", "none"); err != nil {
			return nil, nil, err
		}
		c.Compress = mode == "gzip"
	}
	if v := get("compress_level"); v != "" {
		if c.CompressLevel, err = parseCount("compress_level", v); err != nil || c.CompressLevel > 9 {
			return nil, nil, invalid("compress_level", v, "a gzip level from 1 (fastest) to 9 (smallest)")
		}
	}
	if v := get("batch_bytes"); v != "" {
		if c.BatchBytes, err = parseSize("batch_bytes", v); err != nil {
			return nil, nil, err
		}
	}
	if v := get("batch_events"); v != "" {
		if c.BatchEvents, err = parseCount("batch_events", v); err != nil {
			return nil, nil, err
		}
	}
	if v := get("timeout"); v != "" {
		if c.Timeout, err = parseDuration("timeout", v); err != nil {
			return nil, nil, err
		}
	}
	if v := get("retry_budget"); v != "" {
		if c.RetryBudget, err = parseDuration("retry_budget", v); err != nil {
			return nil, nil, err
		}
	}
	if v := get("tls_verify"); v != "" {
		if c.TLSVerify, err = parseBool("tls_verify", v); err != nil {
			return nil, nil, err
		}
	}
	if v := get("event_original"); v != "" {
		if c.EventOriginal, err = parseBool("event_original", v); err != nil {
			return nil, nil, err
		}
	}
	c.TLSCAFile, c.TLSCrtFile, c.TLSKeyFile, c.TLSServerName = get("tls_ca_file"), get("tls_crt_file"), get("tls_key_file"), get("tls_server_name")
	for _, f := range [][2]string{{"tls_ca_file", c.TLSCAFile}, {"tls_crt_file", c.TLSCrtFile}, {"tls_key_file", c.TLSKeyFile}} {
		if f[1] == "" {
			continue
		}
		if _, statErr := os.Stat(f[1]); statErr != nil {
			return nil, nil, invalid(f[0], f[1], "a readable file ("+statErr.Error()+")")
		}
	}
	if (c.TLSCrtFile == "") != (c.TLSKeyFile == "") {
		return nil, nil, fmt.Errorf("tls_crt_file and tls_key_file go together: a client certificate needs its key")
	}
	if v := get("source_key"); v != "" {
		c.SourceKey = v
	}
	c.ClusterName, c.DeadLetterFile = get("cluster_name"), get("dead_letter_file")
	return c, warnings(g, c), nil
}

func parseURL(v, intake string) (string, error) {
	if intake == IntakeStdout {
		return v, nil
	}
	if v == "" {
		return "", invalid("url", v, "the intake's endpoint, http:// or https:// (required unless intake is stdout)")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalid("url", v, "an absolute http:// or https:// URL with a host")
	}
	return v, nil
}

// warnings reports settings that will not do what the user probably meant.
func warnings(g Getter, c *Config) []string {
	var out []string
	for _, key := range Keys {
		for _, alt := range misspellings(key) {
			if g.Get(alt) != "" {
				out = append(out, fmt.Sprintf("key %q is not known and is ignored: did you mean %q?", alt, key))
			}
		}
	}
	if strings.HasPrefix(c.URL, "http://") && (c.TLSCAFile != "" || c.TLSCrtFile != "" || c.TLSServerName != "") {
		out = append(out, "tls_* keys are set but url is plain http://: TLS is used only for https:// URLs")
	}
	if c.Intake == IntakeStdout && c.URL != "" {
		out = append(out, "url is ignored with intake stdout")
	}
	if !c.TLSVerify {
		out = append(out, "tls_verify is off: the intake's certificate is not checked")
	}
	return out
}

// synonyms are names other outputs use for our keys.
var synonyms = map[string][]string{
	"url":         {"uri", "endpoint"},
	"api_key":     {"apikey", "http_api_key", "token"},
	"http_passwd": {"http_password"},
	"headers":     {"header"},
	"compress":    {"compression"},
}

// misspellings lists the spellings of key that Fluent Bit would silently ignore.
func misspellings(key string) []string {
	var out []string
	if strings.Contains(key, "_") {
		out = append(out, strings.ReplaceAll(key, "_", "-"), strings.ReplaceAll(key, "_", ""))
	}
	return append(out, synonyms[key]...)
}

// String renders the effective configuration on one line, secrets masked.
func (c *Config) String() string {
	var b strings.Builder
	kv := func(k string, v any) { fmt.Fprintf(&b, " %s=%v", k, v) }
	kv("intake", c.Intake)
	if c.URL != "" {
		kv("url", maskURL(c.URL))
	}
	kv("format", c.Format)
	if c.APIKey != "" {
		kv("api_key", mask(c.APIKey))
	}
	if c.HTTPUser != "" {
		kv("http_user", c.HTTPUser)
		kv("http_passwd", mask(c.HTTPPasswd))
	}
	for _, h := range c.Headers {
		kv("header", h[0]+": "+mask(h[1]))
	}
	if c.Compress {
		kv("compress", fmt.Sprintf("gzip(level %d)", c.CompressLevel))
	} else {
		kv("compress", "none")
	}
	kv("batch_bytes", c.BatchBytes)
	kv("batch_events", c.BatchEvents)
	kv("timeout", c.Timeout)
	kv("retry_budget", c.RetryBudget)
	if strings.HasPrefix(c.URL, "https://") {
		kv("tls_verify", c.TLSVerify)
		for _, f := range [][2]string{{"tls_ca_file", c.TLSCAFile}, {"tls_crt_file", c.TLSCrtFile}, {"tls_key_file", c.TLSKeyFile}, {"tls_server_name", c.TLSServerName}} {
			if f[1] != "" {
				kv(f[0], f[1])
			}
		}
	}
	kv("source_key", c.SourceKey)
	if c.ClusterName != "" {
		kv("cluster_name", c.ClusterName)
	}
	if c.DeadLetterFile != "" {
		kv("dead_letter_file", c.DeadLetterFile)
	}
	kv("event_original", c.EventOriginal)
	return strings.TrimSpace(b.String())
}

// mask keeps enough of a secret to tell two apart in a log, never enough to use it.
func mask(s string) string {
	if len(s) <= 8 {
		return "****"
	}
	return s[:2] + "****" + s[len(s)-2:]
}

// maskURL hides a password or a query (tokens often travel there) in a URL.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "****"
	}
	if u.User != nil {
		u.User = url.UserPassword(u.User.Username(), "****")
	}
	if u.RawQuery != "" {
		u.RawQuery = "****"
	}
	return u.String()
}

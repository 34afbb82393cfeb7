package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/k8saudit/k8saudit/plugin/deliver"
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
	IntakeNDJSON        = "ndjson"
	IntakeElasticsearch = "elasticsearch" // also OpenSearch and Sematext
	IntakeDatadog       = "datadog"
	IntakeSplunk        = "splunk"
	IntakeSekoia        = "sekoia"
	IntakeStdout        = "stdout"
)

var intakes = []string{IntakeNDJSON, IntakeElasticsearch, IntakeDatadog, IntakeSplunk, IntakeSekoia, IntakeStdout}

// intakeKeys are the keys that only mean something for one intake.
var intakeKeys = map[string]string{
	"index": IntakeElasticsearch, "pipeline": IntakeElasticsearch,
	"dd_source": IntakeDatadog, "dd_service": IntakeDatadog, "dd_tags": IntakeDatadog, "dd_hostname": IntakeDatadog,
	"splunk_index": IntakeSplunk, "splunk_sourcetype": IntakeSplunk, "splunk_source": IntakeSplunk, "splunk_host": IntakeSplunk,
}

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
	// DeadLetterMaxBytes rotates dead_letter_file to <file>.1 past this size.
	DeadLetterMaxBytes int
	EventOriginal      bool
	MaxEventBytes      int      // 0 = the normalizer's default
	PolicyFile         string   // an audit.k8s.io/v1 Policy applied before shipping; "" = none
	Redact             bool     // strip secret material from bodies and URIs (on by default)
	RedactPaths        []string // the user's own body paths to redact, dotted (data.password)
	// KeepUnparsedText ships the text of a record that could not be read as an event
	// (bounded, unredacted) instead of its length and SHA-256 only.
	KeepUnparsedText bool
	Detection        Detection // the detect_* keys (detect.go)
	// MetricsListen is host:port of the process's metrics and health listener ("" = off).
	MetricsListen string
	// StatsInterval is the period of the stats line in the log (0 = off).
	StatsInterval time.Duration

	// elasticsearch
	Index    string // index, data stream or alias; for Sematext the Logs App token
	Pipeline string // ingest pipeline (empty: the index's default)
	// datadog
	DDSource, DDService, DDTags, DDHostname string
	// splunk
	SplunkIndex, SplunkSourcetype, SplunkSource, SplunkHost string
}

// Keys lists every key Parse reads, in the order the README documents them.
var Keys = []string{
	"intake", "url", "format", "api_key", "http_user", "http_passwd", "headers",
	"compress", "compress_level", "batch_bytes", "batch_events", "timeout", "retry_budget",
	"tls_verify", "tls_ca_file", "tls_crt_file", "tls_key_file", "tls_server_name",
	"source_key", "cluster_name", "dead_letter_file", "dead_letter_max_bytes", "event_original",
	"max_event_bytes", "policy_file", "redact", "redact_paths", "keep_unparsed_text",
	"metrics_listen", "stats_interval",
	"detect", "detect_rules", "detect_alerts_only",
	"detect_allow_users", "detect_allow_service_accounts", "detect_allow_namespaces", "detect_allow_images",
	"detect_allow_defaults", "detect_known_users", "detect_denial_window", "detect_secret_window",
	"index", "pipeline",
	"dd_source", "dd_service", "dd_tags", "dd_hostname",
	"splunk_index", "splunk_sourcetype", "splunk_source", "splunk_host",
}

// Defaults. batch_bytes and batch_events default to the intake's documented request
// limits (deliver.IntakeLimits), and may be lowered but not raised above its maxima.
const (
	defaultTimeout     = 30 * time.Second
	defaultRetryBudget = 10 * time.Second
	// defaultStatsInterval: a line a minute says the plugin is alive and what it did.
	defaultStatsInterval = 60 * time.Second
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
		Timeout:       defaultTimeout,
		RetryBudget:   defaultRetryBudget,
		TLSVerify:     true,
		SourceKey:     "log",
		Redact:        true,
		StatsInterval: defaultStatsInterval,
	}
	var err error
	if v := get("intake"); v != "" {
		if c.Intake, err = oneOf("intake", v, intakes...); err != nil {
			return nil, nil, err
		}
	}
	lim, _ := deliver.IntakeLimits(c.Intake)
	c.BatchBytes, c.BatchEvents = lim.DefaultBytes, lim.DefaultEvents
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
		return nil, nil, invalid("http_user", "a user name whenever http_passwd is set")
	}
	if err := checkCredentials(c); err != nil {
		return nil, nil, err
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
			return nil, nil, invalid("compress_level", "a gzip level from 1 (fastest) to 9 (smallest)")
		}
	}
	if v := get("batch_bytes"); v != "" {
		if c.BatchBytes, err = parseSize("batch_bytes", v); err != nil {
			return nil, nil, err
		}
		if lim.MaxBytes > 0 && c.BatchBytes > lim.MaxBytes {
			return nil, nil, invalid("batch_bytes", "at most "+strconv.Itoa(lim.MaxBytes)+" bytes for intake "+c.Intake+" ("+lim.Source+")")
		}
	}
	if v := get("batch_events"); v != "" {
		if c.BatchEvents, err = parseCount("batch_events", v); err != nil {
			return nil, nil, err
		}
		if lim.MaxEvents > 0 && c.BatchEvents > lim.MaxEvents {
			return nil, nil, invalid("batch_events", "at most "+strconv.Itoa(lim.MaxEvents)+" documents for intake "+c.Intake+" ("+lim.Source+")")
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
	if v := get("max_event_bytes"); v != "" {
		if c.MaxEventBytes, err = parseSize("max_event_bytes", v); err != nil {
			return nil, nil, err
		}
		if c.MaxEventBytes < minEventBytes {
			return nil, nil, invalid("max_event_bytes", "a size of at least 16k: every document must keep its metadata")
		}
	}
	if v := get("redact"); v != "" {
		if c.Redact, err = parseBool("redact", v); err != nil {
			return nil, nil, err
		}
	}
	if c.RedactPaths, err = parsePaths("redact_paths", get("redact_paths")); err != nil {
		return nil, nil, err
	}
	if v := get("keep_unparsed_text"); v != "" {
		if c.KeepUnparsedText, err = parseBool("keep_unparsed_text", v); err != nil {
			return nil, nil, err
		}
	}
	if err := parseDetect(get, c); err != nil {
		return nil, nil, err
	}
	if c.PolicyFile = get("policy_file"); c.PolicyFile != "" {
		if _, statErr := os.Stat(c.PolicyFile); statErr != nil {
			return nil, nil, invalid("policy_file", "a readable audit.k8s.io/v1 Policy file ("+cause(statErr)+")")
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
			return nil, nil, invalid(f[0], "a readable file ("+cause(statErr)+")")
		}
	}
	if (c.TLSCrtFile == "") != (c.TLSKeyFile == "") {
		return nil, nil, fmt.Errorf("tls_crt_file and tls_key_file go together: a client certificate needs its key")
	}
	if v := get("source_key"); v != "" {
		c.SourceKey = v
	}
	c.ClusterName, c.DeadLetterFile = get("cluster_name"), get("dead_letter_file")
	c.DeadLetterMaxBytes = deliver.DefaultDeadLetterMaxBytes
	if v := get("dead_letter_max_bytes"); v != "" {
		if c.DeadLetterMaxBytes, err = parseSize("dead_letter_max_bytes", v); err != nil {
			return nil, nil, err
		}
	}
	if err := parseObservability(get, c); err != nil {
		return nil, nil, err
	}
	if err := parseIntakeKeys(get, c); err != nil {
		return nil, nil, err
	}
	return c, warnings(g, c), nil
}

// parseIntakeKeys reads the keys of one intake and checks what that intake needs.
func parseIntakeKeys(get func(string) string, c *Config) error {
	c.Index, c.Pipeline = get("index"), get("pipeline")
	c.DDSource, c.DDService, c.DDTags, c.DDHostname = get("dd_source"), get("dd_service"), get("dd_tags"), get("dd_hostname")
	c.SplunkIndex, c.SplunkSourcetype, c.SplunkSource, c.SplunkHost = get("splunk_index"), get("splunk_sourcetype"), get("splunk_source"), get("splunk_host")
	switch c.Intake {
	case IntakeElasticsearch:
		if c.Index == "" {
			return invalid("index", "the index, data stream or alias to write to (required for intake elasticsearch; for Sematext, the Logs App token)")
		}
		if strings.ContainsAny(c.Index, " \"\\/*?<>|,#") || c.Index != strings.ToLower(c.Index) && !looksLikeToken(c.Index) {
			return invalid("index", "a lowercase index or data stream name without spaces or \\/*?\"<>|,#")
		}
	case IntakeDatadog:
		if c.DDSource == "" {
			c.DDSource = deliver.DefaultDDSource
		}
		if c.APIKey == "" {
			return invalid("api_key", "the Datadog API key (required for intake datadog; sent as DD-API-KEY)")
		}
		if c.HTTPUser != "" {
			return invalid("http_user", "nothing: Datadog takes api_key only")
		}
	case IntakeSplunk:
		if c.SplunkSourcetype == "" {
			c.SplunkSourcetype = deliver.DefaultSplunkSourcetype
		}
		if c.APIKey == "" && c.HTTPUser == "" {
			return invalid("api_key", "the HEC token (required for intake splunk; sent as Authorization: Splunk <token>)")
		}
	case IntakeSekoia:
		if c.APIKey == "" && c.HTTPUser == "" {
			return invalid("api_key", "the Sekoia intake key (required for intake sekoia; sent as X-SEKOIAIO-INTAKE-KEY)")
		}
	}
	return nil
}

// looksLikeToken: Sematext's Logs App tokens (UUIDs) are used as the index name; accept
// them in any case.
func looksLikeToken(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func parseURL(v, intake string) (string, error) {
	if intake == IntakeStdout {
		return v, nil
	}
	if v == "" {
		return "", invalid("url", "the intake's endpoint, http:// or https:// (required unless intake is stdout)")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalid("url", "an absolute http:// or https:// URL with a host")
	}
	return v, nil
}

// checkCredentials refuses credentials that could never be sent: a control character (a
// newline pasted with a key) makes every request fail locally, and the chunk would be
// retried forever. Neither the error nor anything else shows the value.
func checkCredentials(c *Config) error {
	for _, k := range [][2]string{{"api_key", c.APIKey}, {"http_user", c.HTTPUser}, {"http_passwd", c.HTTPPasswd}} {
		for i := 0; i < len(k[1]); i++ {
			if b := k[1][i]; b < ' ' || b == 0x7f {
				return invalid(k[0], "a value without control characters (a newline or tab pasted with it?): it is sent in an HTTP header")
			}
		}
	}
	if strings.Contains(c.HTTPUser, ":") {
		return invalid("http_user", "a user name without a colon: basic auth cannot carry one")
	}
	return nil
}

// cause is the reason of a file error without the path (the key names the file).
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// warnings reports settings that will not do what the user probably meant. Warnings the
// sender gives itself when it starts (tls_verify off, tls_* keys with an http:// url,
// credentials over plain http) are not repeated here: each is printed once.
func warnings(g Getter, c *Config) []string {
	var out []string
	seen := map[string]bool{}
	for _, key := range Keys {
		for _, alt := range misspellings(key) {
			if !seen[alt] && g.Get(alt) != "" {
				seen[alt] = true
				out = append(out, fmt.Sprintf("key %q is not known and is ignored: did you mean %q?", alt, key))
			}
		}
	}
	if c.Intake == IntakeStdout && c.URL != "" {
		out = append(out, "url is ignored with intake stdout")
	}
	for _, key := range Keys {
		if owner, ok := intakeKeys[key]; ok && owner != c.Intake && g.Get(key) != "" {
			out = append(out, fmt.Sprintf("key %q is only used by intake %s and is ignored with intake %s", key, owner, c.Intake))
		}
	}
	return out
}

// synonyms are names other outputs use for our keys.
var synonyms = map[string][]string{
	"url":         {"uri", "endpoint"},
	"api_key":     {"apikey", "http_api_key", "token", "splunk_token", "intake_key"},
	"http_passwd": {"http_password"},
	"headers":     {"header"},
	"compress":    {"compression"},
	// Fluent Bit's out_es and out_splunk names
	"index":             {"logstash_prefix"},
	"splunk_index":      {"event_index"},
	"splunk_sourcetype": {"event_sourcetype"},
	"splunk_source":     {"event_source"},
	"splunk_host":       {"event_host"},
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
		kv("url", deliver.RedactURL(c.URL))
	}
	kv("format", c.Format)
	if c.APIKey != "" {
		kv("api_key", deliver.Redacted)
	}
	if c.HTTPUser != "" {
		kv("http_user", c.HTTPUser)
		kv("http_passwd", deliver.Redacted)
	}
	for _, h := range c.Headers {
		// Any header may be the credential (X-Api-Key, X-Auth-Token, a tenant secret):
		// only the names are shown.
		kv("header", h[0]+": "+deliver.Redacted)
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
	if c.MetricsListen != "" {
		kv("metrics_listen", c.MetricsListen)
	}
	kv("stats_interval", c.StatsInterval)
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
		kv("dead_letter_max_bytes", c.DeadLetterMaxBytes)
	}
	kv("event_original", c.EventOriginal)
	if c.MaxEventBytes > 0 {
		kv("max_event_bytes", c.MaxEventBytes)
	}
	if c.PolicyFile != "" {
		kv("policy_file", c.PolicyFile)
	}
	kv("redact", c.Redact)
	if len(c.RedactPaths) > 0 {
		kv("redact_paths", strings.Join(c.RedactPaths, ","))
	}
	if c.KeepUnparsedText {
		kv("keep_unparsed_text", true)
	}
	c.Detection.detectString(kv)
	switch c.Intake {
	case IntakeElasticsearch:
		if looksLikeToken(c.Index) {
			kv("index", deliver.Redacted) // a Sematext token
		} else {
			kv("index", c.Index)
		}
		if c.Pipeline != "" {
			kv("pipeline", c.Pipeline)
		}
	case IntakeDatadog:
		kv("dd_source", c.DDSource)
		for _, f := range [][2]string{{"dd_service", c.DDService}, {"dd_tags", c.DDTags}, {"dd_hostname", c.DDHostname}} {
			if f[1] != "" {
				kv(f[0], f[1])
			}
		}
	case IntakeSplunk:
		kv("splunk_sourcetype", c.SplunkSourcetype)
		for _, f := range [][2]string{{"splunk_index", c.SplunkIndex}, {"splunk_source", c.SplunkSource}, {"splunk_host", c.SplunkHost}} {
			if f[1] != "" {
				kv(f[0], f[1])
			}
		}
	}
	return strings.TrimSpace(b.String())
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
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

// Names of the built-in intakes (plugin/intake/<name> declares each).
const (
	IntakeNDJSON        = "ndjson"
	IntakeElasticsearch = "elasticsearch" // also OpenSearch and Sematext
	IntakeDatadog       = "datadog"
	IntakeSplunk        = "splunk"
	IntakeSekoia        = "sekoia"
	IntakeStdout        = "stdout"
)

// Config is the validated configuration of one output instance: the options of the
// layers below, filled once here (deliver.Options for the delivery layer, the normalizer's
// settings, the chosen intake's own keys), never copied into a second struct.
type Config struct {
	// Options is what the intake's Opener gets (Logger and Poster are set by Open).
	// deliver.Options' own checks are a library's guard for direct callers: Parse has
	// checked everything before, with errors that name the key.
	deliver.Options
	Format        string   // "ecs" or "raw"
	SourceKey     string   // the record key holding the raw audit line
	ClusterName   string   // orchestrator.cluster.name
	EventOriginal bool     // keep event.original
	MaxEventBytes int      // 0 = the normalizer's default
	PolicyFile    string   // an audit.k8s.io/v1 Policy applied before shipping; "" = none
	Redact        bool     // strip secret material from bodies and URIs (on by default)
	RedactPaths   []string // the user's own body paths to redact, dotted (data.password)
	// KeepUnparsedText ships the text of a record that could not be read as an event
	// (bounded, unredacted) instead of its length and SHA-256 only.
	KeepUnparsedText bool
	Detection        Detection // the detect_* keys (detect.go)
	// IntakeValues are the chosen intake's own keys (plugin/intake/<name>), defaults
	// applied, for the startup line.
	IntakeValues map[string]string
	// MetricsListen is host:port of the process's metrics and health listener ("" = off).
	MetricsListen string
	// StatsInterval is the period of the stats line in the log (0 = off).
	StatsInterval time.Duration

	def  *intake.Intake
	open intake.Opener
}

// Open opens the configured intake with the given logger; poster, when non-nil, replaces
// the network transport of an HTTP intake (tests and benchmarks).
func (c *Config) Open(log deliver.Logger, poster deliver.Poster) (intake.Shipper, error) {
	if c.open == nil {
		return nil, fmt.Errorf("config: intake %s is not configured (a Config from Parse is needed)", c.Intake)
	}
	o := c.Options
	o.Logger, o.Poster = log, poster
	return c.open(o)
}

// NormalizeOptions are the normalizer's settings; the instance adds the runtime parts
// (the loaded policy, the detection engine).
func (c *Config) NormalizeOptions() (normalize.Options, error) {
	format, err := normalize.ParseFormat(c.Format)
	if err != nil {
		return normalize.Options{}, fmt.Errorf("config: %w", err)
	}
	return normalize.Options{
		Format: format, ClusterName: c.ClusterName, EventOriginal: c.EventOriginal, MaxEventBytes: c.MaxEventBytes,
		Redact: c.Redact, RedactPaths: c.RedactPaths, KeepUnparsedText: c.KeepUnparsedText,
	}, nil
}

// Parse reads and validates the properties. The warnings are worth logging but do not
// stop the plugin (a probable misspelling, a TLS key on a plain-http URL).
func Parse(g Getter) (*Config, []string, error) {
	defaults := map[string]string{}
	for _, k := range common {
		defaults[k.Name] = k.Default
	}
	get := func(key string) string {
		if v := strings.TrimSpace(g.Get(key)); v != "" {
			return v
		}
		return defaults[key]
	}
	c := &Config{}
	var err error
	if c.Intake, err = oneOf("intake", get("intake"), intake.Names()...); err != nil {
		return nil, nil, err
	}
	c.def, _ = intake.Lookup(c.Intake)
	lim := c.def.Limits
	c.BatchBytes, c.BatchEvents = lim.DefaultBytes, lim.DefaultEvents
	if c.Format, err = oneOf("format", get("format"), "ecs", "raw"); err != nil {
		return nil, nil, err
	}
	if c.URL, err = parseURL(get("url"), c.def); err != nil {
		return nil, nil, err
	}
	c.APIKey, c.HTTPUser, c.HTTPPasswd = get("api_key"), get("http_user"), get("http_passwd")
	if c.HTTPPasswd != "" && c.HTTPUser == "" {
		return nil, nil, invalid("http_user", "a user name whenever http_passwd is set")
	}
	if err := deliver.CheckCredentials(c.APIKey, c.HTTPUser, c.HTTPPasswd); err != nil {
		return nil, nil, err
	}
	if c.Headers, err = parseHeaders("headers", get("headers")); err != nil {
		return nil, nil, err
	}
	var mode string
	if mode, err = oneOf("compress", get("compress"), "gzip", "none"); err != nil {
		return nil, nil, err
	}
	c.Compress = mode == "gzip"
	if c.CompressLevel, err = parseCount("compress_level", get("compress_level")); err != nil || c.CompressLevel > 9 {
		return nil, nil, invalid("compress_level", "a gzip level from 1 (fastest) to 9 (smallest)")
	}
	if v := get("batch_bytes"); v != "" {
		if c.BatchBytes, err = parseSize("batch_bytes", v); err != nil {
			return nil, nil, err
		}
		if err := deliver.CheckCap("batch_bytes", c.BatchBytes, lim.MaxBytes, "bytes", c.Intake, lim.Source); err != nil {
			return nil, nil, err
		}
	}
	if v := get("batch_events"); v != "" {
		if c.BatchEvents, err = parseCount("batch_events", v); err != nil {
			return nil, nil, err
		}
		if err := deliver.CheckCap("batch_events", c.BatchEvents, lim.MaxEvents, "documents", c.Intake, lim.Source); err != nil {
			return nil, nil, err
		}
	}
	if c.Timeout, err = parseDuration("timeout", get("timeout")); err != nil {
		return nil, nil, err
	}
	if c.RetryBudget, err = parseDuration("retry_budget", get("retry_budget")); err != nil {
		return nil, nil, err
	}
	if c.TLSVerify, err = parseBool("tls_verify", get("tls_verify")); err != nil {
		return nil, nil, err
	}
	if v := get("max_event_bytes"); v != "" {
		if c.MaxEventBytes, err = parseSize("max_event_bytes", v); err != nil {
			return nil, nil, err
		}
		if c.MaxEventBytes < minEventBytes {
			return nil, nil, invalid("max_event_bytes", "a size of at least 16k: every document must keep its metadata")
		}
	}
	if c.Redact, err = parseBool("redact", get("redact")); err != nil {
		return nil, nil, err
	}
	if c.RedactPaths, err = parsePaths("redact_paths", get("redact_paths")); err != nil {
		return nil, nil, err
	}
	if err := normalize.CheckRedactPaths(c.RedactPaths); err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	if c.KeepUnparsedText, err = parseBool("keep_unparsed_text", get("keep_unparsed_text")); err != nil {
		return nil, nil, err
	}
	if err := parseDetect(get, c); err != nil {
		return nil, nil, err
	}
	if c.def.AuditEvents {
		if err := auditEventsOnly(g, c); err != nil {
			return nil, nil, err
		}
	}
	if c.PolicyFile = get("policy_file"); c.PolicyFile != "" {
		if _, statErr := os.Stat(c.PolicyFile); statErr != nil {
			return nil, nil, invalid("policy_file", "a readable audit.k8s.io/v1 Policy file ("+cause(statErr)+")")
		}
	}
	if c.EventOriginal, err = parseBool("event_original", get("event_original")); err != nil {
		return nil, nil, err
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
	if err := deliver.CheckTLSPair(c.TLSCrtFile, c.TLSKeyFile); err != nil {
		return nil, nil, err
	}
	c.SourceKey = get("source_key")
	c.ClusterName, c.DeadLetterFile = get("cluster_name"), get("dead_letter_file")
	dlMax, err := parseSize("dead_letter_max_bytes", get("dead_letter_max_bytes"))
	if err != nil {
		return nil, nil, err
	}
	if err := parseObservability(get, c); err != nil {
		return nil, nil, err
	}
	c.DeadLetterMaxBytes = int64(dlMax)
	if err := configureIntake(g, c); err != nil {
		return nil, nil, err
	}
	return c, warnings(g, c), nil
}

// auditEventsOnly sets what an intake that ships audit events needs (intake.AuditEvents):
// format raw and no detection, refusing what the user asked otherwise.
func auditEventsOnly(g Getter, c *Config) error {
	if c.Format != "raw" && strings.TrimSpace(g.Get("format")) != "" {
		return invalid("format", "raw (or unset) with intake "+c.Intake+": it ships the audit events themselves")
	}
	if c.Detection.AlertsOnly {
		return invalid("detect_alerts_only", "off with intake "+c.Intake+": its events carry no detections")
	}
	if v := strings.TrimSpace(g.Get("detect")); c.Detection.On && v != "" {
		return invalid("detect", "off (or unset) with intake "+c.Intake+": an audit.k8s.io/v1 Event has no place for detections; ship them with a second [OUTPUT]")
	}
	c.Format, c.Detection.On = "raw", false
	return nil
}

// configureIntake reads the chosen intake's own keys (defaults from its declarations) and
// lets it check what it needs.
func configureIntake(g Getter, c *Config) error {
	c.IntakeValues = map[string]string{}
	for _, k := range c.def.Keys {
		v := strings.TrimSpace(g.Get(k.Name))
		if v == "" {
			v = k.Default
		}
		c.IntakeValues[k.Name] = v
	}
	open, err := c.def.Configure(func(key string) string { return c.IntakeValues[key] }, &c.Options)
	if err != nil {
		var ke *intake.KeyError
		if errors.As(err, &ke) {
			return err // names the key already
		}
		return fmt.Errorf("intake %s: %w", c.Intake, err)
	}
	c.open = open
	return nil
}

func parseURL(v string, in *intake.Intake) (string, error) {
	if in.CheckURL != nil {
		if v == "" {
			return "", invalid("url", "the intake's endpoint (required for intake "+in.Name+")")
		}
		return v, in.CheckURL(v)
	}
	if in.URL == nil {
		return v, nil
	}
	if v == "" {
		return "", invalid("url", "the intake's endpoint, "+schemes(in.URL)+" (required unless intake is stdout)")
	}
	u, err := url.Parse(v)
	if err != nil || !slices.Contains(in.URL, u.Scheme) || u.Host == "" {
		return "", invalid("url", "an absolute "+schemes(in.URL)+" URL with a host")
	}
	return v, nil
}

// schemes renders accepted url schemes: "http:// or https://".
func schemes(s []string) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x + "://"
	}
	return strings.Join(out, " or ")
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
// credentials over plain http) are not repeated here: each is printed once. Everything
// here derives from the key declarations (keys.go and each intake's).
func warnings(g Getter, c *Config) []string {
	var out []string
	seen := map[string]bool{}
	keys := declared()
	for _, k := range keys {
		for _, alt := range k.Misspellings() {
			if !seen[alt] && g.Get(alt) != "" {
				seen[alt] = true
				out = append(out, fmt.Sprintf("key %q is not known and is ignored: did you mean %q?", alt, k.Name))
			}
		}
	}
	out = append(out, coreWarnings(g)...)
	if c.def.URL == nil && c.def.CheckURL == nil && c.URL != "" {
		out = append(out, "url is ignored with intake "+c.Intake)
	}
	for _, k := range keys {
		if k.owner != "" && k.owner != c.Intake && g.Get(k.Name) != "" {
			out = append(out, fmt.Sprintf("key %q is only used by intake %s and is ignored with intake %s", k.Name, k.owner, c.Intake))
		}
	}
	return out
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
		kv("api_key", masked(commonKey("api_key"), c.APIKey))
	}
	if c.HTTPUser != "" {
		kv("http_user", masked(commonKey("http_user"), c.HTTPUser))
		kv("http_passwd", masked(commonKey("http_passwd"), c.HTTPPasswd))
	}
	for _, h := range c.Headers {
		// Any header may be the credential (X-Api-Key, X-Auth-Token, a tenant secret):
		// only the names are shown.
		kv("header", h[0]+": "+masked(commonKey("headers"), h[1]))
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
	if strings.HasPrefix(c.URL, "https://") || strings.HasPrefix(c.URL, "tls://") || c.TLSCAFile != "" || c.TLSCrtFile != "" || c.TLSServerName != "" { // a TLS url (syslog tls://), or TLS settings (kafka_tls)
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
	c.intakeString(kv)
	return strings.TrimSpace(b.String())
}

// masked is v, or deliver.Redacted when k declares it secret.
func masked(k intake.Key, v string) string {
	if k.IsSecret(v) {
		return deliver.Redacted
	}
	return v
}

// intakeString renders the intake's own keys from its declarations: those with a default
// always, then the others when set, secrets masked.
func (c *Config) intakeString(kv func(string, any)) {
	def := c.def
	if def == nil {
		def, _ = intake.Lookup(c.Intake)
	}
	if def == nil {
		return
	}
	for _, withDefault := range []bool{true, false} {
		for _, k := range def.Keys {
			if v := c.IntakeValues[k.Name]; (k.Default != "") == withDefault && (withDefault || v != "") {
				kv(k.Name, masked(k, v))
			}
		}
	}
}

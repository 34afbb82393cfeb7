package kafka

import (
	"fmt"
	"strings"
	"time"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// Defaults. DefaultMaxRecordBytes stays under the broker's default max.message.bytes
// (1,048,588) with room for the batch and record headers.
const (
	DefaultTopic          = "k8s-audit"
	DefaultClientID       = "k8saudit"
	DefaultTimeout        = 10 * time.Second
	DefaultRetryBudget    = 30 * time.Second
	DefaultMaxRecordBytes = 1_000_000
	DefaultCompression    = "zstd"
)

// Key modes (Options.KeyMode), see the package doc.
const (
	KeyEvent  = "event"  // auditID-stage-digest: unique per event, the dedup id
	KeyObject = "object" // namespace/resource/name of the object: per-object order
)

// Options configure one Shipper (one [OUTPUT] instance). The zero value of each field
// takes the default named in Keys.
type Options struct {
	Brokers     []string // host:port seeds
	Topic       string   // documents of kind "event"
	TopicAlerts string   // documents of event.kind "alert" ("" = Topic)
	TopicErrors string   // documents of event.kind "pipeline_error" ("" = Topic)
	KeyMode     string   // KeyEvent (default) or KeyObject
	Acks        string   // "all" (default, idempotent) or "1" (leader only, idempotence off)
	Compression string   // zstd (default), lz4, gzip, snappy, none
	ClientID    string

	TLS           bool // TLS to the brokers
	TLSVerify     bool // check the brokers' certificates (set by default through Keys)
	TLSCAFile     string
	TLSCrtFile    string
	TLSKeyFile    string
	TLSServerName string

	SASLMechanism string // "", PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	SASLUsername  string
	SASLPassword  string // secret: never logged, never in an error

	Timeout        time.Duration // one produce request (broker side and the wait for it)
	RetryBudget    time.Duration // how long one Deliver keeps unacknowledged records before Retry
	MaxRecordBytes int           // a larger document is set aside, never produced

	// DeadLetter, when set, receives each permanently refused document with the reason
	// (the coordinator wires the HTTP core's dead-letter file here). Its error makes the
	// chunk Failed. Without it the document is logged (count and reason, not the content)
	// and counted in Stats.DeadLettered.
	DeadLetter func(doc []byte, reason string) error

	// Logger receives the log lines (nil = nothing is logged).
	Logger deliver.Logger

	// Observer hears of each flush that produces records, as one request (nil = none):
	// the metrics' requests by class (2xx: every record acknowledged; error: the chunk
	// goes back), latency and records per flush.
	Observer deliver.Observer
}

// String renders the options for a log line with the password replaced.
func (o Options) String() string {
	pw := ""
	if o.SASLPassword != "" {
		pw = "<redacted>"
	}
	return fmt.Sprintf("brokers=%s topic=%s key=%s acks=%s compression=%s tls=%t sasl_mechanism=%s sasl_username=%s sasl_password=%s",
		strings.Join(o.Brokers, ","), o.Topic, o.KeyMode, o.Acks, o.Compression, o.TLS, o.SASLMechanism, o.SASLUsername, pw)
}

// GoString keeps %#v from printing the password too.
func (o Options) GoString() string { return "kafka.Options{" + o.String() + "}" }

// normalize fills the defaults and checks every value. Errors name the key and the rule,
// never the value of a secret.
func (o *Options) normalize() error {
	var seeds []string
	for _, b := range o.Brokers {
		for _, s := range strings.Split(b, ",") {
			if s = strings.TrimSpace(s); s != "" {
				seeds = append(seeds, s)
			}
		}
	}
	if len(seeds) == 0 {
		return fmt.Errorf("brokers is empty: give host:port[,host:port...]")
	}
	for _, s := range seeds {
		if i := strings.LastIndexByte(s, ':'); i <= 0 || i == len(s)-1 {
			return fmt.Errorf("brokers: %q is not host:port", s)
		}
	}
	o.Brokers = seeds
	if o.Topic == "" {
		o.Topic = DefaultTopic
	}
	for _, t := range [...]struct{ key, v string }{{"topic", o.Topic}, {"topic_alerts", o.TopicAlerts}, {"topic_errors", o.TopicErrors}} {
		if err := checkTopic(t.v); t.v != "" && err != nil {
			return fmt.Errorf("%s: %w", t.key, err)
		}
	}
	switch o.KeyMode = strings.ToLower(o.KeyMode); o.KeyMode {
	case "":
		o.KeyMode = KeyEvent
	case KeyEvent, KeyObject:
	default:
		return fmt.Errorf("key %q: want event or object", o.KeyMode)
	}
	switch o.Acks = strings.ToLower(o.Acks); o.Acks {
	case "", "all", "-1":
		o.Acks = "all"
	case "1", "leader":
		o.Acks = "1"
	case "0", "none":
		return fmt.Errorf("acks 0: refused, a chunk is OK only once the broker acknowledged it (use all or 1)")
	default:
		return fmt.Errorf("acks %q: want all or 1", o.Acks)
	}
	if o.Compression = strings.ToLower(o.Compression); o.Compression == "" {
		o.Compression = DefaultCompression
	}
	if _, err := codec(o.Compression); err != nil {
		return err
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	switch o.SASLMechanism = strings.ToUpper(o.SASLMechanism); o.SASLMechanism {
	case "":
		if o.SASLUsername != "" || o.SASLPassword != "" {
			return fmt.Errorf("sasl_username/sasl_password set without sasl_mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if o.SASLUsername == "" || o.SASLPassword == "" {
			return fmt.Errorf("sasl_mechanism %s needs sasl_username and sasl_password", o.SASLMechanism)
		}
		if strings.ContainsAny(o.SASLUsername, "\x00\r\n") || strings.ContainsAny(o.SASLPassword, "\x00\r\n") {
			return fmt.Errorf("sasl_username or sasl_password holds a NUL or line break: it could never authenticate")
		}
	default:
		return fmt.Errorf("sasl_mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", o.SASLMechanism)
	}
	if !o.TLS && (o.TLSCAFile != "" || o.TLSCrtFile != "" || o.TLSKeyFile != "" || o.TLSServerName != "") {
		return fmt.Errorf("tls_* keys set but tls is off: set tls on")
	}
	if (o.TLSCrtFile == "") != (o.TLSKeyFile == "") {
		return fmt.Errorf("tls_crt_file and tls_key_file go together")
	}
	if o.Timeout < 0 || o.RetryBudget < 0 || o.MaxRecordBytes < 0 {
		return fmt.Errorf("timeout, retry_budget and max_record_bytes must not be negative")
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RetryBudget == 0 {
		o.RetryBudget = DefaultRetryBudget
	}
	if o.MaxRecordBytes == 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxRecordBytes > 100_000_000 {
		return fmt.Errorf("max_record_bytes %d: at most 100000000", o.MaxRecordBytes)
	}
	return nil
}

// checkTopic applies Kafka's rule: 1..249 characters of [a-zA-Z0-9._-].
func checkTopic(t string) error {
	if len(t) > 249 || t == "." || t == ".." {
		return fmt.Errorf("topic name %q is not valid", t)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("topic name %q: only a-z A-Z 0-9 . _ - are allowed", t)
		}
	}
	return nil
}

package kafka

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the kafka intake's declaration. The common keys do the rest: tls_verify,
// tls_ca_file, tls_crt_file, tls_key_file and tls_server_name (with kafka_tls on),
// timeout (one produce request), retry_budget, dead_letter_file. Fluent Bit keeps `tls`
// for itself (a Go output that gets `tls on` is refused at start), hence kafka_tls; the
// common key compress (gzip or none, for HTTP bodies) has the synonym compression, hence
// kafka_compression.
var Intake = &intake.Intake{
	Name: "kafka",
	Keys: []intake.Key{
		{Name: "topic", Default: DefaultTopic, Synonyms: []string{"topics"}},
		{Name: "key", Default: KeyEvent},
		{Name: "acks", Default: "all"},
		{Name: "kafka_compression", Default: DefaultCompression},
		{Name: "client_id", Default: DefaultClientID},
		{Name: "kafka_tls", Default: "off"},
		{Name: "max_record_bytes", Default: strconv.Itoa(DefaultMaxRecordBytes)},
		{Name: "brokers", Synonyms: []string{"bootstrap_servers"}},
		{Name: "topic_alerts"},
		{Name: "topic_errors"},
		{Name: "sasl_mechanism"},
		{Name: "sasl_username"},
		{Name: "sasl_password", Secret: true},
	},
	// Not used: a record per document, batched by franz-go per partition.
	Limits:    deliver.Limits{DefaultBytes: deliver.DefaultBatchBytes, DefaultEvents: deliver.DefaultBatchEvents},
	Configure: configure,
}

// configure checks every key with an error that names it, never its value, and returns
// the Opener that builds the Shipper from the common options (TLS files, timeout,
// retry_budget, dead letter, Logger, Observer).
func configure(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
	k := Options{
		Topic: get("topic"), TopicAlerts: get("topic_alerts"), TopicErrors: get("topic_errors"),
		KeyMode: get("key"), Acks: get("acks"), Compression: get("kafka_compression"), ClientID: get("client_id"),
		SASLMechanism: get("sasl_mechanism"), SASLUsername: get("sasl_username"), SASLPassword: get("sasl_password"),
	}
	for _, b := range strings.Split(get("brokers"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			if i := strings.LastIndexByte(b, ':'); i <= 0 || i == len(b)-1 || strings.Contains(b, "://") {
				return nil, intake.Invalid("brokers", "host:port seed brokers separated by commas, without a scheme")
			}
			k.Brokers = append(k.Brokers, b)
		}
	}
	if len(k.Brokers) == 0 {
		return nil, intake.Invalid("brokers", "host:port seed brokers separated by commas (required for intake kafka)")
	}
	for _, t := range [...]string{"topic", "topic_alerts", "topic_errors"} {
		if v := get(t); v != "" && checkTopic(v) != nil {
			return nil, intake.Invalid(t, "a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -")
		}
	}
	switch strings.ToLower(k.KeyMode) {
	case KeyEvent, KeyObject:
	default:
		return nil, intake.Invalid("key", "event or object")
	}
	switch strings.ToLower(k.Acks) {
	case "all", "-1", "1", "leader":
	default:
		return nil, intake.Invalid("acks", "all or 1 (0 is refused: a chunk is OK only once the broker acknowledged it)")
	}
	if _, err := codec(strings.ToLower(k.Compression)); err != nil {
		return nil, intake.Invalid("kafka_compression", "zstd, lz4, gzip, snappy or none")
	}
	var err error
	if k.TLS, err = intake.ParseBool("kafka_tls", get("kafka_tls")); err != nil {
		return nil, err
	}
	if !k.TLS {
		for _, f := range [...][2]string{{"tls_ca_file", o.TLSCAFile}, {"tls_crt_file", o.TLSCrtFile}, {"tls_key_file", o.TLSKeyFile}, {"tls_server_name", o.TLSServerName}} {
			if f[1] != "" {
				return nil, intake.Invalid(f[0], "set only with kafka_tls on (intake kafka)")
			}
		}
	}
	switch strings.ToUpper(k.SASLMechanism) {
	case "":
		if k.SASLUsername != "" || k.SASLPassword != "" {
			return nil, intake.Invalid("sasl_mechanism", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 whenever sasl_username or sasl_password is set")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		for _, c := range [...][2]string{{"sasl_username", k.SASLUsername}, {"sasl_password", k.SASLPassword}} {
			if c[1] == "" {
				return nil, intake.Invalid(c[0], "a value whenever sasl_mechanism is set")
			}
			if strings.ContainsAny(c[1], "\x00\r\n") {
				return nil, intake.Invalid(c[0], "a value without NUL or line breaks (one pasted with it?): it could never authenticate")
			}
		}
	default:
		return nil, intake.Invalid("sasl_mechanism", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}
	if k.MaxRecordBytes, err = intake.ParseSize("max_record_bytes", get("max_record_bytes")); err != nil || k.MaxRecordBytes > 100_000_000 {
		return nil, intake.Invalid("max_record_bytes", "a size from 1 to 100000000 bytes (100M), under the topic's max.message.bytes")
	}
	// The rules above are normalize's: a value they pass and it refuses is a bug here.
	if check := k; check.normalize() != nil {
		return nil, intake.Invalid("brokers", "a configuration the kafka intake can use (check every kafka key)")
	}
	return func(o deliver.Options) (intake.Shipper, error) {
		k := k
		k.TLSVerify, k.TLSCAFile, k.TLSCrtFile, k.TLSKeyFile, k.TLSServerName = o.TLSVerify, o.TLSCAFile, o.TLSCrtFile, o.TLSKeyFile, o.TLSServerName
		k.Timeout, k.RetryBudget = o.Timeout, o.RetryBudget
		k.Logger, k.Observer = o.Logger, o.Observer
		if o.RetryBudget < 0 {
			k.RetryBudget = 0 // deliver's "no in-flush retries"; Kafka waits for at least one answer: its default
		}
		var dl *deliver.DeadLetterFile
		if o.DeadLetterFile != "" {
			var err error
			if dl, err = deliver.OpenDeadLetterFile(o.DeadLetterFile, o.DeadLetterMaxBytes); err != nil {
				return nil, err
			}
			k.DeadLetter = dl.Write
		}
		s, err := New(k)
		if err != nil {
			if dl != nil {
				_ = dl.Close()
			}
			return nil, fmt.Errorf("intake kafka: %w", err)
		}
		if o.APIKey != "" || o.HTTPUser != "" || len(o.Headers) > 0 {
			s.log.Warnf("kafka: api_key, http_user/http_passwd and headers are not used by intake kafka (SASL: sasl_mechanism, sasl_username, sasl_password)")
		}
		s.dl = dl
		return s, nil
	}, nil
}

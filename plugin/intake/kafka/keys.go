package kafka

// Key declares one configuration key of the kafka intake, for the plugin's registry: the
// coordinator maps this table into plugin/config, so the README, the validation and the
// secret handling come from one place.
type Key struct {
	Name    string
	Default string
	Doc     string
	Secret  bool // the value is a credential: never logged, never echoed in an error
}

// Keys are the [OUTPUT] keys of `intake kafka`.
var Keys = []Key{
	{Name: "brokers", Doc: "comma-separated host:port seed brokers (required)"},
	{Name: "topic", Default: DefaultTopic, Doc: "topic of the audit events"},
	{Name: "topic_alerts", Doc: "topic of the documents with event.kind alert (detections); empty = topic"},
	{Name: "topic_errors", Doc: "topic of the pipeline_error documents; empty = topic"},
	{Name: "key", Default: KeyEvent, Doc: "record key: event (auditID-stage-digest, unique per event, the dedup id) or object (namespace/resource/name: one object's events in one partition, in order; the event id then rides in header k8saudit.id)"},
	{Name: "acks", Default: "all", Doc: "all (idempotent producer, every in-sync replica) or 1 (leader only, idempotence off); 0 is refused"},
	{Name: "compression", Default: DefaultCompression, Doc: "record batch compression: zstd, lz4, gzip, snappy or none"},
	{Name: "client_id", Default: DefaultClientID, Doc: "Kafka client.id (broker logs, quotas)"},
	{Name: "tls", Default: "off", Doc: "TLS to the brokers"},
	{Name: "tls_verify", Default: "on", Doc: "check the brokers' certificates"},
	{Name: "tls_ca_file", Doc: "PEM CA bundle for the brokers' certificates (default: the system pool)"},
	{Name: "tls_crt_file", Doc: "PEM client certificate (mutual TLS)"},
	{Name: "tls_key_file", Doc: "PEM client key (mutual TLS)"},
	{Name: "tls_server_name", Doc: "name checked in the brokers' certificates (default: the broker host)"},
	{Name: "sasl_mechanism", Doc: "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty = no SASL"},
	{Name: "sasl_username", Doc: "SASL user"},
	{Name: "sasl_password", Doc: "SASL password", Secret: true},
	{Name: "timeout", Default: DefaultTimeout.String(), Doc: "one produce request, broker side"},
	{Name: "retry_budget", Default: DefaultRetryBudget.String(), Doc: "how long one flush waits for every record's acknowledgement before handing the chunk back (Retry)"},
	{Name: "max_record_bytes", Default: "1000000", Doc: "a larger document is never produced: dead-lettered (or logged and counted); keep it under the topic's max.message.bytes"},
}

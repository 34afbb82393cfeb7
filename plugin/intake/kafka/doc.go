// Package kafka is the `intake kafka` of k8saudit: it produces the normalized documents
// of one Fluent Bit chunk to a Kafka topic with github.com/twmb/franz-go (pure Go, no
// cgo), and returns to Fluent Bit only once the brokers acknowledged them.
//
// The intake registry knows it as `intake kafka` (intake.go): brokers, topic*, key, acks,
// client_id, sasl_*, max_record_bytes, kafka_compression and kafka_tls are its own keys
// (Fluent Bit keeps `tls` for itself; `compression` is a synonym of the common compress
// key); the common keys tls_*, timeout, retry_budget and dead_letter_file apply.
//
// # Contract
//
// New(Options) builds one Shipper per [OUTPUT] instance: one kgo.Client, safe for
// concurrent Deliver calls (Fluent Bit `workers`). Deliver(ctx, *deliver.Docs) produces
// every document as one record and waits for each record's outcome (ProduceSync):
//
//   - Delivered: every record was acknowledged (acks all: by every in-sync replica), or
//     was acknowledged by an earlier attempt of the same chunk, or was refused for good
//     and set aside (below).
//   - Retry: a record is still unacknowledged when retry_budget ends (brokers down, a
//     partition without a leader, NOT_ENOUGH_REPLICAS because min.insync.replicas is not
//     met, a missing topic, a refused credential or ACL; the last three also log one
//     error line with the likely cause). Nothing is dropped; no fire-and-forget.
//   - Failed: a refused record could not be set aside (the dead-letter hook failed).
//
// A flush lasts at most about retry_budget, plus half a second for franz-go to fail what
// was not sent, plus one second when something is left: then a fresh
// connection is tried so that the log line can name a refused SASL credential or a TLS
// failure, which the records themselves only show as a timeout.
//
// Within the budget franz-go retries by itself (NOT_LEADER_FOR_PARTITION, leader moves,
// REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS[_AFTER_APPEND], dropped connections); the
// producer is idempotent (acks all), so a batch the broker wrote but whose answer was
// lost is sent again with the same producer id and sequence and the broker drops the
// copy.
//
// # Exactly once, and where it ends
//
// The Shipper remembers the 128-bit digests of the last 65,536 acknowledged documents:
// a chunk handed back with Retry after part of it was acknowledged produces only the
// rest. Identical digests are identical documents, the same audit event, so skipping
// one never loses an event. Idempotence is never given up (no
// AllowIdempotentProduceCancellation): when the budget ends while a request is out (the
// broker may have written it, its answer is not back), franz-go fails only the records
// it safely can (not sent); the others stay in flight under their producer id and
// sequence, so the broker keeps one copy, and their documents (copied: the chunk's
// buffer is Fluent Bit's) are held in flight (inflight.go): a retried chunk waits for
// them, within its budget, instead of producing them again, and skips them once
// acknowledged. What can still write a record twice: a restart, or an evicted memory
// entry, between a partial chunk and its retry; both copies carry the same key (key
// event) or k8saudit.id header (key object), so a consumer drops the second. acks 1
// turns idempotence off (warned at New): duplicates on any retry, and loss of
// acknowledged records when a leader fails.
//
// # Keys
//
// The event id is auditID-stage-digest, digest = base64url of the first 16 bytes of
// the document's SHA-256 (the digest alone for a document without an auditID); the
// same document always has the same id, across retries and restarts. The auditID
// alone would not do: clients choose it (the Audit-ID request header), so a reused
// auditID must neither make a different event look like a duplicate to a
// deduplicating consumer, nor replace it on a compacted topic. With the digest, a
// collision (someone reusing an auditID) can only put two events on the same
// partition, never merge or hide one.
//
//	key event (default)  record key = the event id: consumers deduplicate on the key;
//	                     events spread over the partitions by id, so there is no
//	                     per-object order across partitions.
//	key object           record key = namespace/resource/name of the object
//	                     (orchestrator.* in ECS, objectRef.* in format raw; a cluster-
//	                     scoped object has an empty namespace, a list or a nameless
//	                     create an empty name): one object's events land in one
//	                     partition, in order; the event id rides in header
//	                     k8saudit.id for deduplication. A document without an object
//	                     (non-resource URLs) is keyed by its event id. Anyone who can
//	                     act on an object can load its partition; do not put key
//	                     object on a compacted topic (it would keep one event per
//	                     object).
//
// # Topics
//
// topic receives the events; topic_alerts, when set, the documents of event.kind alert
// (detections); topic_errors those of event.kind pipeline_error. The kind is read from
// the head of the document as the ECS writer writes it ({"@timestamp":…,"event":{"kind":…),
// never from the event's own text further on. Topics are not created: a missing one is
// a configuration error (Retry, one error line).
//
// # Sizes
//
// A document larger than max_record_bytes is never produced; a record the broker
// refuses as too large (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE: the topic's
// max.message.bytes is below max_record_bytes) or invalid (INVALID_RECORD,
// CORRUPT_MESSAGE) is not retried. Both are permanent: the document goes to
// Options.DeadLetter with the reason (the plugin wires its dead-letter file there), or
// without it is logged (size and reason, never the content) and counted in
// Stats.DeadLettered; either way it is remembered as settled, so a retried chunk never
// loops on it.
//
// # Compression
//
// The record batch is the unit of compression (zstd at its fastest level by default,
// lz4, gzip, snappy, none: kafka_compression): there is no outer gzip.
//
// # Secrets
//
// sasl_password reaches only franz-go's SASL mechanism. Options render it as
// <redacted> (String, GoString), errors name keys and rules, never values; a broker's
// SASL refusal is logged with its error code, which carries no password. SASL PLAIN
// without tls to a host other than loopback is warned about at New.
//
// # Tests
//
// The tests run against franz-go's in-process cluster (pkg/kfake): a leader change in
// the middle of a chunk, injected NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT,
// NOT_ENOUGH_REPLICAS and NOT_ENOUGH_REPLICAS_AFTER_APPEND, brokers dropping every
// connection part way through a chunk, concurrency; each consumes the topic back and
// counts every (key, value) exactly once. The tests without fault injection run
// against a real cluster when KAFKA_BROKERS is set (see helpers_test.go).
package kafka

// Package otlp is the OpenTelemetry intake: OTLP/HTTP logs export (POST <url>/v1/logs,
// an ExportLogsServiceRequest), accepted by an OpenTelemetry Collector and by the vendors'
// OTLP endpoints. It is served by deliver's HTTP core through a deliver.Wire: batching,
// gzip, the OTLP/HTTP retry rules (429, 502, 503, 504 with Retry-After, resets) and the
// memory of accepted requests are the core's.
//
// # Encodings: protobuf by default, JSON as an option
//
// otlp_encoding protobuf (the default, Content-Type: application/x-protobuf) sends the
// protobuf wire format; json the proto3 JSON mapping the specification defines for
// OTLP/HTTP. The core frames a request document by document without building it
// (deliver.Framing: an envelope, then each document appended with its exact length known
// beforehand), so each document is one ResourceLogs of its own (one ScopeLogs, one
// LogRecord): protobuf prefixes every message with its length, and a parent shared by the
// batch would need the whole batch before its first byte. Within a record, the body map
// is a tree of length-prefixed messages: the writer (writer.go) reserves one byte for each
// length and moves the content right when it needs more, so one pass over the document
// writes it and the same pass, counting, gives DocLen exactly, with no allocation and no
// second walk. The resource repeated per record costs a few dozen bytes that gzip takes
// back, and lets each record's resource carry the document's cluster.
//
// # One audit event, one LogRecord
//
//	timeUnixNano          the event's time (deliver.Docs.Time: stageTimestamp, as @timestamp)
//	observedTimeUnixNano  when Fluent Bit read it (its record time; deliver.Docs.Observed)
//	severityNumber/Text   FATAL (21) for a critical detection, ERROR (17) high, WARN (13)
//	                      medium or low, or a refused or failed request (event.outcome
//	                      failure, event.type denied; with format raw, responseStatus.code
//	                      >= 400); INFO (9) otherwise
//	body                  the document as a map (kvlistValue): the ECS document, or the
//	                      raw event with format raw; integers are intValue, other numbers
//	                      doubleValue. A document that is not a JSON object the walker can
//	                      read (deeper than 64 levels, a number of 1e308 or more) is sent
//	                      as one stringValue instead.
//	attributes            semantic conventions where one exists, from the document:
//	                      k8s.namespace.name (orchestrator.namespace; raw
//	                      objectRef.namespace), user.name (user.name; raw user.username),
//	                      http.request.method, url.path, source.address (raw: the first of
//	                      sourceIPs). Absent fields are left out.
//
// The resource carries service.name (otlp_service_name, default kube-apiserver), host.name
// (otlp_host_name, default this machine's host name) and k8s.cluster.name (the document's
// orchestrator.cluster.name: cluster_name, which the normalizer writes into each ECS
// document; absent with format raw); the scope is k8saudit.
//
// # Answers
//
// Whole-request answers (the core's status table). A 200 with partial_success
// {rejected_log_records, error_message} (read in either encoding) means the receiver dropped that many records of the
// request and the client must not resend them: they are counted
// (deliver.Stats.PartialRejected: the exit line's partial_rejected, the metric
// k8saudit_partial_rejected_total) and one warning is logged with the message, cleaned of
// credentials (Wire.Answer).
//
// The credential is api_key, sent as Authorization: Bearer <api_key> unless otlp_header
// names another header (Grafana Cloud uses basic auth: http_user/http_passwd; Honeycomb
// x-honeycomb-team; Dynatrace Authorization with otlp_scheme "Api-Token ").
package otlp

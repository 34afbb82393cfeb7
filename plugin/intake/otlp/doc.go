// Package otlp is the OpenTelemetry intake: OTLP/HTTP logs export (POST <url>/v1/logs,
// an ExportLogsServiceRequest), accepted by an OpenTelemetry Collector and by the vendors'
// OTLP endpoints. It is served by deliver's HTTP core through a deliver.Wire: batching,
// gzip, the OTLP/HTTP retry rules (429, 502, 503, 504 with Retry-After, resets) and the
// memory of accepted requests are the core's.
//
// # Encoding: OTLP/HTTP JSON, not protobuf
//
// The issue asked for protobuf by default. This intake sends the JSON encoding of the same
// protobuf messages (Content-Type: application/json, the proto3 JSON mapping the OTLP
// specification defines for OTLP/HTTP), which every OTLP/HTTP receiver accepts, because
// the core frames a request document by document without building it (deliver.Framing:
// an envelope, then each document appended with its exact length known beforehand). In
// protobuf every record sits inside length-prefixed parents (ResourceLogs, ScopeLogs) and
// its body map is a tree of length-prefixed KeyValueLists: the lengths of the parents are
// only known once the batch is built, and each level of the body needs its size before
// its bytes. JSON has no length prefixes, so one pass over a document writes its record,
// and the same pass counting instead of writing gives DocLen exactly, with no allocation.
// gzip (compress gzip, the default) takes most of JSON's size back. A protobuf encoding
// remains possible later: one ResourceLogs per record, the body sized by a pre-pass.
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
//	                      read (deeper than 64 levels) is sent as one stringValue instead.
//	attributes            semantic conventions where one exists, from the document:
//	                      k8s.namespace.name (orchestrator.namespace; raw
//	                      objectRef.namespace), k8s.cluster.name (orchestrator.cluster.name,
//	                      i.e. cluster_name), user.name (user.name; raw user.username),
//	                      http.request.method, url.path, source.address (raw: the first of
//	                      sourceIPs). Absent fields are left out.
//
// The resource carries service.name (otlp_service_name, default kube-apiserver) and
// host.name (otlp_host_name, default this machine's host name); the scope is k8saudit.
// k8s.cluster.name is a record attribute, not a resource one: it is the common key
// cluster_name, which the normalizer writes into each document.
//
// # Answers
//
// Whole-request answers (the core's status table). A 200 with partialSuccess
// {rejectedLogRecords, errorMessage} means the receiver dropped that many records of the
// request and the client must not resend them: they are counted
// (deliver.Stats.PartialRejected) and one warning is logged with the message, cleaned of
// credentials (Wire.Answer).
//
// The credential is api_key, sent as Authorization: Bearer <api_key> unless otlp_header
// names another header (Grafana Cloud uses basic auth: http_user/http_passwd; Honeycomb
// x-honeycomb-team; Dynatrace Authorization with otlp_scheme "Api-Token ").
package otlp

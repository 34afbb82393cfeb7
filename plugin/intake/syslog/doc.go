// Package syslog is the syslog intake: each document of a chunk becomes one syslog
// message, sent over TCP or TLS (RFC 5425) to a receiver such as rsyslog, syslog-ng or
// a SIEM's syslog collector. It does not use cgo.
//
// The intake registry knows it as `intake syslog` (intake.go): the url is tcp://host:port
// or tls://host:port, its own keys are syslog_*, and the common keys tls_*, timeout and
// retry_budget apply.
//
// # Messages
//
// RFC 5424 (default):
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID auditID="…" stage="…" verb="…" user="…" outcome="…"] BODY
//
// TIMESTAMP is the document's time in UTC with microseconds ("-" when unknown),
// PROCID the plugin's process id, MSGID the document's event.kind (event, alert,
// pipeline_error). The structured data element (SD-ID syslog_sd_id, default k8saudit@32473:
// set your own private enterprise number) carries auditID, stage, verb, user and
// outcome, read from the document (ECS: kubernetes.audit.*, user.name, event.outcome;
// raw: the top-level members, user.username, outcome from responseStatus.code); a
// parameter with no value is left out, an element with none is "-". Every value came
// from the audit event, so from a possible attacker: '"', '\' and ']' are escaped with
// a backslash (RFC 5424 §6.3.3), control characters (C0, DEL, C1, U+2028/9) and invalid
// UTF-8 become '?', and at most 256 bytes of each value are kept, cut on a rune
// boundary. HOSTNAME, APP-NAME and SD-ID are checked at New against the RFC's
// character sets and lengths (255, 48, 32). No UTF-8 BOM precedes the body: it is JSON.
//
// RFC 3164 (syslog_rfc 3164) is "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: BODY" in UTC, without
// structured data (the body carries the same fields); TAG is syslog_app_name (at most 32).
//
// BODY is the document as the normalizer wrote it: the ECS document, or the raw event
// with format raw.
//
// # Severity
//
// PRI is facility*8 + severity. The facility is configurable (default audit, 13). The
// severity follows the document's class, first match wins; syslog_severity_map overrides any
// class (e.g. "read=debug,denied=err"):
//
//	critical   a detection of severity critical (event.severity 99)        crit
//	high       a detection of severity high (73)                           err
//	detection  any other detection (event.kind alert)                      warning
//	error      a pipeline_error document (a record holding no event)       warning
//	denied     authorization denied the request (event.type denied)        warning
//	failure    the request failed (event.outcome failure)                  warning
//	write      a mutating verb (create, update, patch, delete, …)          notice
//	read       everything else                                             info
//
// # Framing
//
// Octet counting (RFC 6587 §3.4.1, RFC 5425 §4.3: "LEN SP MSG") is the default: any
// byte may appear in a message. syslog_framing newline ends each message with LF, for legacy
// receivers; a body holds no raw CR or LF by construction (compact JSON), and one that
// did would have it replaced by a space (counted as Fixed) so that no event could end
// its frame early and forge the next. The structured data never holds one (above).
//
// # syslog_max_message_bytes
//
// A message (header, structured data and body, without the framing) never exceeds
// syslog_max_message_bytes (default 1 MiB, the normalizer's max_event_bytes default, so that
// nothing is cut unless configured lower; at least 2048, the size every RFC 5425
// receiver takes). A longer document is not dropped and not cut blindly: its body is
// cut at the last point that fits where JSON can be closed (after a complete member or
// element, after a bracket that opens, or inside a string value between two characters:
// never inside a key, an escape or a UTF-8 sequence), the string and the containers
// still open are closed, and the top-level member "k8saudit_truncated":<bytes of the
// whole document> is added, so the body is still valid JSON and the receiver sees that
// and how much was cut; the structured data gets truncated="<bytes>" too. The members
// that come first survive whole (an ECS document's @timestamp, event, user, source …;
// the bodies under kubernetes.audit come last, and a long value keeps its start). Each cut message is counted (Counters.Truncated)
// and each chunk with cuts logs one warning. The receiver must accept the size too:
// rsyslog's default is 8 KiB and it cuts silently beyond, so set $MaxMessageSize 1m
// (or the syslog_max_message_bytes chosen) at the top of its configuration, and imtcp's
// maxFrameSize (default 200000: a larger octet-counted frame is a framing error) above
// it: module(load="imtcp" maxFrameSize="2000000").
//
// # What Delivered means
//
// Syslog over TCP and TLS (RFC 5425) has no acknowledgement from the receiving
// application. Deliver returns Delivered when every message of the chunk was written
// to the socket and, on Linux, the receiver's TCP stack has acknowledged every byte
// (the socket's unacknowledged count, SIOCOUTQ, reached zero), with the connection
// still open or ended cleanly. That proves the bytes reached the receiving host's
// kernel; it does not prove the receiving process read them. What can still be lost
// after Delivered: bytes acknowledged but not yet read when the receiver process dies
// or resets the connection (at most its socket receive buffer), and whatever the
// receiver loses after reading (its own queue, a disk). RFC 5425 offers no remedy;
// RELP (rsyslog's omrelp/imrelp) or an HTTP intake with answers would. Off Linux the
// acknowledgement count is not available and Delivered means "written to the socket",
// so a connection that dies just after the write loses up to the socket's send buffer.
//
// # Failures, resends and duplicates
//
// One connection is kept open across flushes; flushes are serialized on it. A write
// error, a reset, a close by the receiver before every byte was acknowledged, or no
// acknowledgement progress for timeout fails the attempt: the connection is closed and,
// after a backoff (100 ms doubling to 5 s, with jitter), a new one is made and the
// whole chunk is sent again from its first message, until retry_budget is spent;
// then Deliver returns Retry and Fluent Bit sends the chunk again later. Nothing of a
// chunk is lost on reconnect, since no message is taken for received on a connection
// that failed. The price is duplicates: the messages written on a failed connection
// may have reached the receiver and are sent again. They are bounded by the chunk
// (at most its messages per failed attempt), counted in Counters.MaybeDupDocs, and
// carry auditID and stage in the structured data, the key a SIEM deduplicates on.
// A slow receiver is waited for as long as it makes progress (each write and each
// pause in acknowledgements is bounded by timeout), so slowness alone never resends.
// In flight there is never more than one chunk: Deliver returns only after its
// acknowledgements, and messages are written in writes of at most 64 KiB (or one
// message).
//
// # Cost
//
// Formatting reads an ECS document's header fields by a short walk over its top-level
// members (event and user parsed with reused fastjson parsers, kubernetes.audit.stage
// found without touching the bodies; TestShortRoadAgrees holds it to a full parse), a
// raw event by a full parse, and appends into reused buffers: no allocation per
// document once the buffers have grown (TestFormatAllocatesNothing). The connection's checks cost a few system calls per
// chunk, not per document.
package syslog

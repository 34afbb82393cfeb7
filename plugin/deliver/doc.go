// Package deliver ships the normalized documents of one Fluent Bit chunk to a security
// intake and turns the intake's answers into one result for the chunk. It is the
// acknowledgement half of the plugin: the flush is synchronous and its result is what
// Fluent Bit acts on, so no goroutine ever carries documents past Deliver's return.
//
// # Results
//
//   - Delivered: every document was accepted by the intake, was accepted by an earlier
//     attempt of the same chunk, or was deliberately set aside (dead-letter file). Fluent
//     Bit may delete the chunk.
//   - Retry: something retryable is left (the intake is down, slow, throttling, or refuses
//     the credential, or the context was cancelled). Fluent Bit keeps the chunk and calls
//     again later; the parts already accepted are not sent twice (see Idempotence).
//   - Failed: nothing more can be done, because a permanently rejected batch could not be
//     written to the dead-letter file. The other batches of the chunk are still delivered
//     first, so that dropping the chunk loses only what could not be set aside.
//
// # Intakes
//
// Each HTTP intake's wire format is one file (intake_*.go): its framing, limits
// (IntakeLimits), path, credential header and, where the intake answers per document, an
// items hook. Its keys, checks and registration live in plugin/intake/<name>; Sender is
// the intake.Shipper of every HTTP intake. An HTTP intake whose answers are whole-request
// answers needs nothing here: its package declares a Wire (Framing, path, query,
// credential header) and sets Options.Wire in its Configure.
//
//	ndjson         POST url, one document per line, Authorization: Bearer <api_key> or basic
//	elasticsearch  POST <url>/_bulk?filter_path=…[&pipeline=…], {"create":{"_index","_id"}} + document;
//	               _id = auditID-stage-digest, digest = base64url of 16 bytes of the document's
//	               SHA-256 (the hex digest alone without an auditID): a reused auditID
//	               cannot make a different event look already indexed;
//	               Authorization: ApiKey <api_key>, basic, or none (Sematext: index = token)
//	datadog        POST <url>/api/v2/logs, JSON array of {ddsource,service,ddtags,hostname,timestamp(ms),…document}, DD-API-KEY
//	splunk         POST <url>/services/collector/event, {"time","host","source","sourcetype","index","event":document} per line,
//	               Authorization: Splunk <api_key>
//	sekoia         POST <url>/jsons, JSON array of the documents as JSON strings, X-SEKOIAIO-INTAKE-KEY
//	stdout         NDJSON to standard output
//
// # Batches
//
// The documents are cut, in order, into requests of at most Options.BatchBytes
// uncompressed body bytes and Options.BatchEvents documents, framed for the intake (for
// ndjson: each document followed by "\n"). A document larger than BatchBytes on its own is
// sent alone. A document larger than the intake's per-event limit (Datadog 1 MB, Sekoia
// 250,000 bytes, as framed) is never sent: it goes to the dead-letter file with the reason
// (the intake would truncate or discard it). The cut depends only on the documents and the options, so a chunk that comes
// back from Fluent Bit forms the same requests again. Bodies are gzipped
// (Content-Encoding: gzip) when Options.Compress is set.
//
// # Answers
//
// One function, classify, decides what an answer means:
//
//	2xx                          delivered
//	408, 429, 5xx, transport     retried in the flush with exponential backoff and jitter,
//	errors (reset, timeout,      honouring Retry-After (seconds or HTTP date) when it fits in
//	refused)                     what is left of Options.RetryBudget; once the budget is
//	                             spent the chunk is handed back with Retry
//	413                          the batch is split in halves, each sent on its own
//	                             (recursively); a single document still refused with 413
//	                             is dead-lettered with reason "too large"
//	other 4xx (400, 422, 409,    permanent for that batch: each of its documents goes to the
//	410…)                        dead-letter file (or, without one, is counted and logged
//	                             with the reason), one warning is logged, and the rest of
//	                             the chunk goes on (the chunk can still be Delivered)
//	401, 403, 407                a credential (the intake's, or a proxy's for 407) is
//	                             missing or wrong; 404, 405: the url's path is wrong or a
//	                             proxy does not route it. Configuration, not the documents:
//	                             one error line names the intake, the status and the likely
//	                             cause, and the chunk is handed back with Retry (Fluent
//	                             Bit's retries resend it once fixed), never dropped
//	Elasticsearch 2xx with       per item: 2xx and 409 (create) delivered; 408/429/5xx items
//	"errors":true                alone form the next request after a backoff (within the
//	                             budget); 401/403/404/405/407 items keep the chunk (Retry,
//	                             loud: a privilege, a missing index); other
//	                             4xx items are dead-lettered with "bulk item <status>
//	                             <type>: <reason>"; an unreadable answer retries the request
//	Splunk 400 with              events before N were indexed, N is dead-lettered with its
//	invalid-event-number N       HEC code and text, the events after N are sent again at once;
//	                             HEC codes 7, 10, 11, 14, 16 (configuration) keep the chunk
//	3xx, TLS verification        the endpoint or a certificate is misconfigured: an error
//	failures, client             line says so and the chunk is handed back with Retry
//	certificate refused
//
// A flush lasts at most about: one Options.Timeout per batch, plus RetryBudget, plus one
// Timeout for a retried attempt that started inside the budget. After the budget is spent
// the rest of the chunk is not tried: the intake is not taking requests, and each batch
// would spend its own timeout.
//
// The dead-letter file (Options.DeadLetterFile) receives one line per rejected document:
//
//	{"time":"<RFC3339>","reason":"<status and start of the answer>","status":N,"document":<doc>}
//
// It is opened for append, never through a symlink (O_NOFOLLOW), created 0600; an
// existing file that group or others may read or write is refused at New. It is synced
// after each rejected batch, since Delivered lets Fluent Bit delete the chunk, and
// rotated to <file>.1 (one previous file kept) once it would grow past
// Options.DeadLetterMaxBytes (default 100 MB). The documents are already redacted by the
// normalizer; the reason is the intake's answer, so it is cleaned like every answer text
// that reaches a log line: one line, no control characters, at most 300 bytes, the
// Sender's credentials and anything after an Authorization-like name or a credential
// scheme (Bearer, Basic, ApiKey, Splunk) replaced by <redacted>. Without a dead-letter
// file the rejected documents are logged (count and reason, not the content) and counted
// in Stats.DeadLettered.
//
// The stdout intake writes each batch as NDJSON (never compressed) in one write under a
// lock; a failed write is not retried in the flush and gives Retry.
//
// # Secrets
//
// No credential reaches a log line or an error: URLs are shown without userinfo, query or
// fragment (transport errors quote the request URL: it is replaced), option errors name
// the option and the rule, never the value, and answer texts are cleaned as above. New
// refuses credentials that could never be sent (a control character in api_key,
// http_user or http_passwd, a colon in http_user, invalid header bytes) rather than
// retry every chunk forever, and warns when credentials would cross the network over
// plain http:// (any host but loopback). The credential, TLS-pair and batch-maximum rules
// are written once (keyerror.go: CheckCredentials, CheckTLSPair, CheckCap, returning a
// KeyError) and the config layer applies the same functions; what one intake requires
// (an api_key, an index) is checked by its package in plugin/intake/<name> only, so New
// given options that skip it (a test, a benchmark) sends what it is given.
//
// # Idempotence
//
// A Sender remembers the keys of the last 4096 request bodies whose documents are all
// done (accepted or set aside); a key is the 128-bit GMAC of the body as posted under a
// per-process secret AES key (memory.go; gzipped, when compression is on: the Sender's
// gzip is deterministic and lossless, so equal compressed bytes are equal bodies, and
// they are 3 to 5 times fewer to hash), so a different body is never taken for a
// remembered one (GHASH bounds a collision of two bodies, however shaped, by about 2^-111
// while the key is secret); a parent batch that was split, or
// answered per item, is remembered once all its documents are done. Before sending a
// request whose body is remembered, Deliver skips it and counts it in Stats.Skipped.
// Bodies only partly done when a flush ends (a 413 split with one half accepted, a bulk
// answer with items still to retry, a Splunk partial answer) are remembered, up to 1024
// of them, with a bitmap of their done documents (progress.go): the chunk retried by
// Fluent Bit re-forms the same request, and only its rest is sent. Since batching is
// deterministic this holds for every intake, ids or not; Elasticsearch adds its own
// guarantee, since a resent document is answered 409 (Stats.Already); its _id carries a
// digest of the document, so a reused auditID never makes a different event look
// indexed. Splunk HEC (without indexer acknowledgement), Datadog and Sekoia do not
// deduplicate: nothing there keys on an auditID a client could choose. The memories live
// in the process: identical bodies are identical audit events, so skipping them never
// loses an event; a restart or an evicted entry can only resend (at-least-once).
//
// # Concurrency
//
// A Sender is safe for concurrent use: Fluent Bit with `workers N` calls the flush from
// several threads at once. Per-call scratch (body and gzip buffers, the gzip writer) comes
// from a sync.Pool; the memory, the dead-letter file and the stdout writer each have their
// own lock; the counters are atomic.
//
// # Hot path
//
// Batching, framing and gzip allocate nothing per document, and nothing at all once the
// pool is warm: the tests assert it with testing.AllocsPerRun.
package deliver

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
// # Batches
//
// The documents are cut, in order, into requests of at most Options.BatchBytes
// uncompressed body bytes and Options.BatchEvents documents, framed for the intake (for
// ndjson: each document followed by "\n"). A document larger than BatchBytes on its own is
// sent alone. The cut depends only on the documents and the options, so a chunk that comes
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
//	other 4xx (400, 404, 422…)   permanent for that batch: each of its documents goes to the
//	                             dead-letter file, one warning is logged, and the rest of
//	                             the chunk goes on (the chunk can still be Delivered)
//	401, 403                     the credential is wrong: an error line says so and the
//	                             chunk is handed back with Retry, never dropped
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
// It is opened for append with mode 0600 and synced after each rejected batch, since
// Delivered lets Fluent Bit delete the chunk. Without a dead-letter file the rejected
// documents are logged (count and reason, not the
// content) and counted in Stats.DeadLettered.
//
// The stdout intake writes each batch as NDJSON (never compressed) in one write under a
// lock; a failed write is not retried in the flush and gives Retry.
//
// # Idempotence
//
// A Sender remembers the hashes of the last 4096 request bodies (uncompressed) that the
// intake accepted or that were set aside in the dead-letter file; a parent batch that was
// split is remembered once all its halves are done. Before sending a request whose body is
// remembered, Deliver skips it and counts it in Stats.Skipped. Since batching is
// deterministic, a chunk retried by Fluent Bit re-forms the same requests and only the
// ones not yet done are sent. The memory lives in the process: identical bodies are
// identical audit events, so skipping them never loses an event.
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

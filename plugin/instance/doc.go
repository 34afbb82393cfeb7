// Package instance is the core of one [OUTPUT] section of the plugin, free of cgo so that it
// tests with CGO_ENABLED=0: it owns the validated config, the intake's Shipper (opened from
// the config: deliver's HTTP core or an intake's own transport) and a pool of per-flush
// scratch, and turns one Fluent Bit chunk into one acknowledgement (deliver.Result).
//
// Contract of Flush:
//   - The chunk bytes belong to Fluent Bit and are read only during the call; nothing
//     refers to them after it returns (the sender copies documents before it keeps them).
//   - Every record is read, normalized (a malformed line becomes a pipeline_error document,
//     never a stuck chunk) and handed to the sender in chunk order.
//   - The answer is OK once every document is delivered or deliberately set aside
//     (dead-letter file), Retry when anything remains undelivered — including documents the intake rejected
//     that could not be written to the dead-letter file: Fluent Bit deletes a chunk
//     answered FLB_ERROR, so Flush never answers deliver.Failed. The mapping to Fluent Bit's
//     codes is the shim's.
//   - Flush is safe for concurrent use: with `workers N` Fluent Bit calls it from several
//     threads at once with the same instance. Each call takes its own scratch from a pool.
//   - In steady state a flush allocates nothing per event: the reader, the normalizer, the
//     document buffer and the gzip writer are reused.
//   - The exit line's counters (records, documents, pipeline_errors, redacted, ...) count
//     a chunk once: a chunk answered Retry is remembered (two secret-seeded hashes of its
//     bytes, a bounded set) and not counted again when Fluent Bit hands it back; it is
//     forgotten once done, so the same bytes read again later are new input and count.
package instance

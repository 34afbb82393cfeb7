// Package chunk reads the msgpack chunks Fluent Bit hands a Go output plugin,
// without copying them and without allocating.
//
// # What it accepts
//
// A chunk is a concatenation of entries, each a msgpack array of two elements:
//
//	v2 (Fluent Bit 2.x and later): [[timestamp, metadata], record]
//	v1 (older hosts):              [timestamp, record]
//
// An entry whose first element is an array is read as v2; anything else as v1.
// Extra elements after the record, and after the metadata in a v2 header, are
// skipped so that a future host adding fields does not break the plugin.
// Every header width is accepted (fixarray/array16/array32, fixmap/map16/map32,
// fixstr/str8/str16/str32, bin8/bin16/bin32), because v4 and v5 of Fluent Bit
// already disagree on them.
//
// Timestamps become Unix nanoseconds in [Record.Time]: EventTime (ext type 0
// with 8 bytes, big-endian uint32 seconds + uint32 nanoseconds, in fixext8,
// ext8, ext16 or ext32 form), integers (seconds) and float32/float64 (seconds
// with fraction). A timestamp of any other type, or one that does not fit in
// int64 nanoseconds, gives Time 0: a bad clock is no reason to lose an event.
//
// # Body
//
// The record map is searched for the source key given to [Reader.Reset]
// (exact match first, then case-insensitive as bytes.EqualFold), then for the key
// "message" (same rule). If the chosen value is a str or bin, Body is its bytes
// as they are (Rendered false). If it is a map or an array, Body is that value
// rendered as compact JSON (Rendered true). Otherwise (no such key, or a
// scalar value) Body is the whole record rendered as JSON: this is what tail
// with "Parser json" and the http input (a webhook EventList) produce. A record
// that is not a map at all is rendered as JSON too.
//
// Rendering: maps become objects (a key that is not a str or bin becomes the
// JSON string of its rendered value, e.g. 1 → "1"; within such a key, nested
// non-string keys are quoted but not escaped again, which keeps the output
// linear in the input), arrays arrays, str and bin
// JSON strings by internal/jsonw's rule (invalid UTF-8 becomes U+FFFD,
// control characters, U+2028 and U+2029 are escaped), integers exact, floats in the shortest form that
// round-trips (NaN and ±Inf become null), nil null. An EventTime value becomes
// a JSON number of seconds with up to nine exact decimals; any other extension
// becomes null. A record nested deeper than [MaxDepth] is valid msgpack that cannot
// be rendered: its Body is a short note saying so (not JSON, so the normalizer ships it
// as a pipeline_error) and the entries after it are read as usual.
//
// # Ownership
//
// The slices in a [Record] alias either the chunk passed to Reset or the
// Reader's scratch buffer. They are valid only until the next call to Next or
// Reset; a caller that keeps a Body longer must copy it. The chunk itself must
// not be modified while it is being read. Fluent Bit owns the chunk only for
// the duration of the flush call, so neither may outlive it.
//
// # Errors
//
// Next returns io.EOF at the clean end of the chunk. Malformed input (a
// truncated value, an invalid type byte, an entry that is not an array of at
// least two elements) gives a *[FormatError] carrying
// the byte offset and the entry index; from then on Next returns that same
// error, since a msgpack stream cannot be resynchronised after a bad byte. The
// reader never panics, never reads outside the chunk, and always terminates:
// every step consumes at least one byte.
//
// # Allocation
//
// Once the scratch buffer has grown to the largest rendered body, reading a
// chunk allocates nothing: str and bin bodies are sub-slices of the chunk, and
// rendering appends into the reused scratch buffer. Reuse one Reader per
// goroutine (it is not safe for concurrent use); its zero value is ready after
// Reset, and before Reset it behaves as an empty chunk.
//
// # Cost
//
// A record map with no top-level key that could name the body (tail with "Parser
// json", the http input's EventList) is rendered in one pass (renderRecord); any
// other record is first walked to choose its body, then rendered. The forms records
// are made of (fixmap, fixarray, fixstr/str8/str16, fixints, nil, booleans) are
// dispatched on their first byte, and a plain string under 16 bytes is checked and
// copied a word at a time; every other form, and any form cut short, takes msgp's
// readers, which say what is wrong. The reader before these shortcuts is kept in
// the tests (render_ref_test.go) as the oracle they are fuzzed against, byte for byte
// and error for error.
package chunk

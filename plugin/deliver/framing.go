package deliver

import "github.com/k8saudit/k8saudit/internal/jsonw"

// Framing is how an intake wants a batch of documents on the wire: the content type, what
// opens and closes a body, what goes around each document, and the intake's own limits.
// The core (batching, gzip, retries, memory) only talks to this interface: Elasticsearch
// writes an action line before each document, Datadog and Sekoia /jsons a JSON array,
// Splunk an envelope object per document.
//
// AppendDoc and DocLen see the document's metadata (Docs.Key, Docs.Time) and must agree
// exactly, so batches are cut by size without building them. Neither may allocate.
type Framing interface {
	ContentType() string
	// AppendOpen and AppendClose write what starts and ends a body ("[" and "]" for a
	// JSON array, nothing for NDJSON); EnvelopeLen is their total length.
	AppendOpen(dst []byte) []byte
	AppendClose(dst []byte) []byte
	EnvelopeLen() int
	// AppendDoc writes document k of d; first says whether it is the first of the body
	// (separators go before every other one). DocLen is the number of bytes AppendDoc
	// would write.
	AppendDoc(dst []byte, d *Docs, k int, first bool) []byte
	DocLen(d *Docs, k int, first bool) int
	Limits() Limits
}

// Limits are an intake's request caps: defaults, and the hard maxima that configuration
// may not exceed (0 = none).
type Limits struct {
	DefaultBytes  int // uncompressed body bytes per request, framing included
	DefaultEvents int // documents per request
	MaxBytes      int
	MaxEvents     int
	// MaxDocBytes caps one framed document; a larger one is never sent: it goes to the
	// dead-letter file with the reason (0 = no cap: the intake answers 413 if it minds).
	MaxDocBytes int
	// Source says where the maxima come from, for error messages.
	Source string
}

// ndjsonFraming is one document per line, each followed by "\n" (a final newline too:
// most NDJSON readers, and Elasticsearch's _bulk, want it).
type ndjsonFraming struct{}

func (ndjsonFraming) ContentType() string               { return "application/x-ndjson" }
func (ndjsonFraming) AppendOpen(dst []byte) []byte      { return dst }
func (ndjsonFraming) AppendClose(dst []byte) []byte     { return dst }
func (ndjsonFraming) EnvelopeLen() int                  { return 0 }
func (ndjsonFraming) DocLen(d *Docs, k int, _ bool) int { return len(d.Doc(k)) + 1 }
func (ndjsonFraming) Limits() Limits                    { return ndjsonLimits }
func (ndjsonFraming) AppendDoc(dst []byte, d *Docs, k int, _ bool) []byte {
	dst = append(dst, d.Doc(k)...)
	return append(dst, '\n')
}

var ndjsonLimits = Limits{DefaultBytes: DefaultBatchBytes, DefaultEvents: DefaultBatchEvents}

// jsonStringLen is the length of b written by appendJSONBytes, quotes included.
func jsonStringLen(b []byte) int { return jsonw.QuotedLen(b) }

// appendJSONBytes appends b as a JSON string, escaped by the rule every package shares
// (internal/jsonw: quotes, backslashes, control characters, U+2028/9, invalid UTF-8 as
// \ufffd). It allocates nothing beyond dst's growth.
func appendJSONBytes(dst, b []byte) []byte { return jsonw.AppendQuoted(dst, b) }

// appendJSONField appends `"name":"value",` with value escaped; the intakes build their
// constant per-document prefixes with it once, at New.
func appendJSONField(dst []byte, name, value string) []byte {
	dst = appendJSONBytes(dst, []byte(name))
	dst = append(dst, ':')
	dst = appendJSONBytes(dst, []byte(value))
	return append(dst, ',')
}

// isObject reports whether doc is a JSON object (the documents are compact, so the first
// byte says it).
func isObject(doc []byte) bool { return len(doc) >= 2 && doc[0] == '{' && doc[len(doc)-1] == '}' }

// emptyObject reports whether doc is {} (compact).
func emptyObject(doc []byte) bool { return len(doc) == 2 && doc[0] == '{' && doc[1] == '}' }

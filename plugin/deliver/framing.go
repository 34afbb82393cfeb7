package deliver

import "unicode/utf8"

// framing is how an intake wants a batch of documents on the wire: the content type, what
// opens and closes a body, what goes around each document, and the intake's own limits.
// The core (batching, gzip, retries, memory) only talks to this interface: Elasticsearch
// writes an action line before each document, Datadog and Sekoia /jsons a JSON array,
// Splunk an envelope object per document.
//
// appendDoc and docLen see the document's metadata (Docs.Key, Docs.Time) and must agree
// exactly, so batches are cut by size without building them. Neither may allocate.
type framing interface {
	contentType() string
	// appendOpen and appendClose write what starts and ends a body ("[" and "]" for a
	// JSON array, nothing for NDJSON); envelopeLen is their total length.
	appendOpen(dst []byte) []byte
	appendClose(dst []byte) []byte
	envelopeLen() int
	// appendDoc writes document k of d; first says whether it is the first of the body
	// (separators go before every other one). docLen is the number of bytes appendDoc
	// would write.
	appendDoc(dst []byte, d *Docs, k int, first bool) []byte
	docLen(d *Docs, k int, first bool) int
	limits() Limits
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

func (ndjsonFraming) contentType() string               { return "application/x-ndjson" }
func (ndjsonFraming) appendOpen(dst []byte) []byte      { return dst }
func (ndjsonFraming) appendClose(dst []byte) []byte     { return dst }
func (ndjsonFraming) envelopeLen() int                  { return 0 }
func (ndjsonFraming) docLen(d *Docs, k int, _ bool) int { return len(d.Doc(k)) + 1 }
func (ndjsonFraming) limits() Limits                    { return ndjsonLimits }
func (ndjsonFraming) appendDoc(dst []byte, d *Docs, k int, _ bool) []byte {
	dst = append(dst, d.Doc(k)...)
	return append(dst, '\n')
}

var ndjsonLimits = Limits{DefaultBytes: DefaultBatchBytes, DefaultEvents: DefaultBatchEvents}

// jsonStringLen is the length of b written by appendJSONBytes, quotes included.
func jsonStringLen(b []byte) int {
	n := 2
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20 || c == 0x7f:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6 // \ufffd
		case r == 0x2028 || r == 0x2029:
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// appendJSONBytes appends b as a JSON string: quotes and backslashes escaped, control
// characters, U+2028/9 and DEL as \u escapes, invalid UTF-8 as \ufffd. It allocates
// nothing beyond dst's growth.
func appendJSONBytes(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == 0x2028:
			dst = append(dst, `\u2028`...)
		case r == 0x2029:
			dst = append(dst, `\u2029`...)
		default:
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

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

package deliver

// framing is how an intake wants a batch of documents on the wire: the content type, what
// opens and closes a body, what goes around each document, and the intake's own limits.
// The core (batching, gzip, retries, memory) only talks to this interface, so a new
// intake is a new framing: Elasticsearch writes an action line before each document,
// Datadog and Sekoia /jsons a JSON array, Splunk an envelope object per document.
type framing interface {
	contentType() string
	// appendOpen and appendClose write what starts and ends a body ("[" and "]" for a
	// JSON array, nothing for NDJSON); envelopeLen is their total length.
	appendOpen(dst []byte) []byte
	appendClose(dst []byte) []byte
	envelopeLen() int
	// appendDoc writes one document; first says whether it is the first of the body
	// (separators go before every other one). docLen is the number of bytes appendDoc
	// would write, so batches are cut without building them.
	appendDoc(dst, doc []byte, first bool) []byte
	docLen(doc []byte, first bool) int
	limits() limits
}

// limits are an intake's defaults and hard caps (0 = none) per request.
type limits struct {
	defBytes, defEvents int
	maxBytes, maxEvents int
}

// ndjsonFraming is one document per line, each followed by "\n" (a final newline too:
// most NDJSON readers, and Elasticsearch's _bulk, want it).
type ndjsonFraming struct{}

func (ndjsonFraming) contentType() string           { return "application/x-ndjson" }
func (ndjsonFraming) appendOpen(dst []byte) []byte  { return dst }
func (ndjsonFraming) appendClose(dst []byte) []byte { return dst }
func (ndjsonFraming) envelopeLen() int              { return 0 }
func (ndjsonFraming) docLen(doc []byte, _ bool) int { return len(doc) + 1 }
func (ndjsonFraming) appendDoc(dst, doc []byte, _ bool) []byte {
	dst = append(dst, doc...)
	return append(dst, '\n')
}
func (ndjsonFraming) limits() limits {
	return limits{defBytes: DefaultBatchBytes, defEvents: DefaultBatchEvents}
}

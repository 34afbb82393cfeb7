package deliver

// Meta is what the intakes need to know about a document besides its JSON: the audit
// event's identity (Elasticsearch _id) and its time (Splunk time, Datadog timestamp).
// The slices are copied by Append; the caller may reuse them.
type Meta struct {
	AuditID []byte // the event's auditID; empty when it has none
	Stage   []byte // its stage (RequestReceived, ResponseStarted, ResponseComplete, Panic)
	Time    int64  // Unix nanoseconds of the document's @timestamp; 0 = unknown
	// Observed is when the plugin read the event: Fluent Bit's record time, Unix
	// nanoseconds (0 = unknown). It is part of the chunk, so a retried chunk frames the
	// same bodies (OTLP observedTimeUnixNano).
	Observed int64
	// Error: the document is a pipeline_error, not an event (an intake that ships only
	// audit events refuses it: Wire.Refuse).
	Error bool
	// Alert: a detection matched the event (event.kind alert).
	Alert bool
}

// Docs holds the documents of one chunk, in order, in flat buffers so that appending a
// document costs no allocation once the buffers have grown to the chunk's size. The
// caller owns it and reuses it from flush to flush (Reset); Deliver only reads it.
//
// Each document is stored followed by "\n", so that the documents of a run are already
// their NDJSON body (Lines): the ndjson intake posts, hashes and compresses that slice
// of the buffer instead of a copy of it.
type Docs struct {
	buf   []byte
	ends  []int // ends[i] is the end offset of document i in buf; its "\n" follows
	keys  []byte
	kends []int   // kends[i] is the end offset of document i's key in keys
	times []int64 // Meta.Time of document i
	obs   []int64 // Meta.Observed of document i
	errs  []bool  // Meta.Error of document i
	alert []bool  // Meta.Alert of document i
}

// Reset empties d and keeps its buffers.
func (d *Docs) Reset() {
	d.buf = d.buf[:0]
	d.ends = d.ends[:0]
	d.keys = d.keys[:0]
	d.kends = d.kends[:0]
	d.times = d.times[:0]
	d.obs = d.obs[:0]
	d.errs = d.errs[:0]
	d.alert = d.alert[:0]
}

// Append copies doc, a compact JSON object, and its metadata. A trailing newline or
// carriage return is dropped, since the framing adds its own separators.
func (d *Docs) Append(doc []byte, m Meta) {
	d.buf = append(d.buf, trimEOL(doc)...)
	d.ends = append(d.ends, len(d.buf))
	d.buf = append(d.buf, '\n')
	d.appendMeta(m)
}

// AppendWith lets a normalizer write a document straight into d: f appends one document
// to dst and returns the extended slice (append-style, like AppendECS). It saves the copy
// Append makes.
func (d *Docs) AppendWith(f func(dst []byte) []byte, m Meta) {
	start := len(d.buf)
	b := f(d.buf)
	d.buf = b[:start+len(trimEOL(b[start:]))]
	d.ends = append(d.ends, len(d.buf))
	d.buf = append(d.buf, '\n')
	d.appendMeta(m)
}

// appendMeta records the document's key, auditID "-" stage (just auditID without a
// stage, nothing without an auditID), and its time.
func (d *Docs) appendMeta(m Meta) {
	if len(m.AuditID) > 0 {
		d.keys = append(d.keys, m.AuditID...)
		if len(m.Stage) > 0 {
			d.keys = append(d.keys, '-')
			d.keys = append(d.keys, m.Stage...)
		}
	}
	d.kends = append(d.kends, len(d.keys))
	d.times = append(d.times, m.Time)
	d.obs = append(d.obs, m.Observed)
	d.errs = append(d.errs, m.Error)
	d.alert = append(d.alert, m.Alert)
}

// Len is the number of documents.
func (d *Docs) Len() int { return len(d.ends) }

// Doc returns document i; the slice aliases d's buffer (its capacity ends with the
// document: appending to it cannot reach the next one).
func (d *Docs) Doc(i int) []byte {
	return d.buf[d.start(i):d.ends[i]:d.ends[i]]
}

// start is the offset of document i in buf.
func (d *Docs) start(i int) int {
	if i == 0 {
		return 0
	}
	return d.ends[i-1] + 1
}

// Lines returns documents [i, j) each followed by "\n": their NDJSON body, aliasing d's
// buffer (capacity included: appending to it cannot reach document j). i < j.
func (d *Docs) Lines(i, j int) []byte {
	end := d.ends[j-1] + 1
	return d.buf[d.start(i):end:end]
}

// Key returns document i's identity, auditID "-" stage, or nil when it has no auditID.
func (d *Docs) Key(i int) []byte {
	start := 0
	if i > 0 {
		start = d.kends[i-1]
	}
	return d.keys[start:d.kends[i]:d.kends[i]]
}

// Time returns document i's time in Unix nanoseconds (0 = unknown).
func (d *Docs) Time(i int) int64 { return d.times[i] }

// Observed returns when document i's event was read, Unix nanoseconds (0 = unknown).
func (d *Docs) Observed(i int) int64 { return d.obs[i] }

// IsAlert reports whether a detection matched document i's event (Meta.Alert).
func (d *Docs) IsAlert(i int) bool { return d.alert[i] }

// IsError reports whether document i is a pipeline_error (Meta.Error).
func (d *Docs) IsError(i int) bool { return d.errs[i] }

// Bytes is the total size of the documents, without framing.
func (d *Docs) Bytes() int { return len(d.buf) - len(d.ends) }

// Held is the memory d's document buffer holds: what a reused Docs keeps between chunks.
func (d *Docs) Held() int { return cap(d.buf) }

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

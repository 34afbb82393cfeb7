package deliver

// Docs holds the documents of one chunk, in order, in one flat buffer so that appending
// a document costs no allocation once the buffers have grown to the chunk's size. The
// caller owns it and reuses it from flush to flush (Reset); Deliver only reads it.
type Docs struct {
	buf  []byte
	ends []int // ends[i] is the end offset of document i in buf
}

// Reset empties d and keeps its buffers.
func (d *Docs) Reset() {
	d.buf = d.buf[:0]
	d.ends = d.ends[:0]
}

// Append copies doc, a compact JSON object. A trailing newline or carriage return is
// dropped, since the framing adds its own separators.
func (d *Docs) Append(doc []byte) {
	d.buf = append(d.buf, trimEOL(doc)...)
	d.ends = append(d.ends, len(d.buf))
}

// AppendWith lets a normalizer write a document straight into d: f appends one document
// to dst and returns the extended slice (append-style, like AppendECS). It saves the copy
// Append makes.
func (d *Docs) AppendWith(f func(dst []byte) []byte) {
	start := len(d.buf)
	b := f(d.buf)
	d.buf = b[:start+len(trimEOL(b[start:]))]
	d.ends = append(d.ends, len(d.buf))
}

// Len is the number of documents.
func (d *Docs) Len() int { return len(d.ends) }

// Doc returns document i; the slice aliases d's buffer.
func (d *Docs) Doc(i int) []byte {
	start := 0
	if i > 0 {
		start = d.ends[i-1]
	}
	return d.buf[start:d.ends[i]:d.ends[i]]
}

// Bytes is the total size of the documents, without framing.
func (d *Docs) Bytes() int { return len(d.buf) }

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

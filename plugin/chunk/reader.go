package chunk

import (
	"bytes"
	"io"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

// Record is one entry of a chunk. Its slices alias the chunk or the Reader's
// scratch buffer and are valid only until the next call to Next or Reset.
type Record struct {
	Time     int64  // entry timestamp as Unix nanoseconds; 0 when absent or unreadable
	Body     []byte // the raw line, or a map/array rendered as compact JSON
	Rendered bool   // true when Body was rendered from msgpack (not a raw line)
}

// Reader walks the entries of one chunk. The zero value is usable after Reset;
// it is not safe for concurrent use. Reuse it across chunks so that its scratch
// buffer stops growing.
type Reader struct {
	chunk   []byte // the whole chunk, to turn positions into offsets
	rest    []byte // the entries not read yet
	key     []byte // copy of sourceKey, so lookups compare bytes to bytes
	scratch []byte // rendered bodies; reused by every Next
	entry   int    // index of the entry Next is reading
	inKey   bool   // rendering inside a non-string map key
	err     error  // sticky *FormatError
}

// fallbackKey is where Fluent Bit inputs other than tail (syslog, systemd,
// forward from many shippers) put the line.
const fallbackKey = "message"

// Reset makes r read chunk from its start, looking up sourceKey for the body
// (an empty sourceKey looks up only "message").
// It keeps the scratch buffer.
func (r *Reader) Reset(chunk []byte, sourceKey string) {
	r.chunk = chunk
	r.rest = chunk
	r.key = append(r.key[:0], sourceKey...)
	r.scratch = r.scratch[:0]
	r.entry = 0
	r.err = nil
	r.inKey = false
}

// Next returns the next record: io.EOF at the clean end of the chunk, or a
// *FormatError on malformed input, which it then keeps returning.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if len(r.rest) == 0 {
		return Record{}, io.EOF
	}
	rec, rest, err := r.readEntry(r.rest)
	if err != nil {
		r.err = err
		r.rest = nil
		return Record{}, err
	}
	r.rest = rest
	r.entry++
	return rec, nil
}

// Offset returns the byte offset in the chunk of the next entry to be read.
func (r *Reader) Offset() int { return len(r.chunk) - len(r.rest) }

func (r *Reader) readEntry(b []byte) (Record, []byte, error) {
	var rec Record
	if msgp.NextType(b) != msgp.ArrayType {
		return rec, b, r.fail(b, "entry is not an array", nil)
	}
	n, o, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return rec, b, r.fail(b, "bad entry header", err)
	}
	if n < 2 {
		return rec, b, r.fail(b, "entry has fewer than 2 elements", nil)
	}

	if msgp.NextType(o) == msgp.ArrayType {
		// v2: [[timestamp, metadata...], record]
		hn, h, err := msgp.ReadArrayHeaderBytes(o)
		if err != nil {
			return rec, o, r.fail(o, "bad entry header", err)
		}
		if hn > 0 {
			if rec.Time, h, err = r.readTime(h); err != nil {
				return rec, h, err
			}
			hn--
		}
		if o, err = r.skip(h, uint64(hn)); err != nil {
			return rec, o, err
		}
	} else if rec.Time, o, err = r.readTime(o); err != nil { // v1: [timestamp, record]
		return rec, o, err
	}

	if rec.Body, rec.Rendered, o, err = r.body(o); err != nil {
		return rec, o, err
	}
	o, err = r.skip(o, uint64(n)-2)
	return rec, o, err
}

// Match ranks for the body lookup, best first.
const (
	rankKey = iota
	rankKeyFold
	rankFallback
	rankFallbackFold
	rankNone
)

// body picks the record's body as described in the package documentation.
func (r *Reader) body(b []byte) ([]byte, bool, []byte, error) {
	if msgp.NextType(b) != msgp.MapType {
		return r.renderBody(b)
	}
	if body, o, ok := r.renderRecord(b); ok {
		return body, true, o, nil
	}
	n, o, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, false, b, r.fail(b, "bad record header", err)
	}
	if 2*uint64(n) > uint64(len(o)) {
		return nil, false, b, r.fail(b, "map claims more elements than bytes remain", msgp.ErrShortBytes)
	}
	best, bestRank := []byte(nil), rankNone
	for i := uint32(0); i < n; i++ {
		k, v, ok := readStrOrBin(o)
		if !ok {
			// Not a str or bin: it can't name the body, but it must be valid.
			if v, err = r.skip(o, 1); err != nil {
				return nil, false, v, err
			}
		}
		if bestRank != rankKey && ok {
			if rank := r.rank(k); rank < bestRank {
				best, bestRank = v, rank
			}
		}
		if o, err = r.skip(v, 1); err != nil {
			return nil, false, o, err
		}
	}
	if bestRank != rankNone {
		switch msgp.NextType(best) {
		case msgp.StrType, msgp.BinType:
			v, _, _ := readStrOrBin(best) // already validated by skip
			return v, false, o, nil
		case msgp.MapType, msgp.ArrayType:
			b = best
		}
	}
	body, rendered, _, err := r.renderBody(b)
	if err != nil {
		// skip has validated the whole record, so the only way rendering fails is the depth
		// bound: this record is set aside as a note (it becomes a pipeline_error document
		// downstream) and the entries after it are still read.
		return tooDeep, false, o, nil
	}
	return body, rendered, o, nil
}

// renderRecord renders the record map at b in one pass, for the record that has no key
// naming a body (tail with "Parser json", the http input's EventList): it is the whole
// record rendered, as body would find after a first pass over every key. It gives up
// (ok false, nothing kept) at the first top-level key that could name a body, and at any
// error (too deep or malformed): body's two passes then choose among the keys and say
// what is wrong, exactly as for any other record. A record given up on has cost a
// partial render; the tail's raw lines give up at their first key, "log".
func (r *Reader) renderRecord(b []byte) (body, rest []byte, ok bool) {
	n, o, err := msgp.ReadMapHeaderBytes(b)
	if err != nil || 2*uint64(n) > uint64(len(o)) {
		return nil, b, false
	}
	dst := append(r.scratch[:0], '{')
	for i := uint32(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if k, _, isStr := readStrOrBin(o); isStr && r.rank(k) != rankNone {
			r.scratch = dst[:0]
			return nil, b, false
		}
		if dst, o, err = r.renderKey(dst, o, 1); err == nil {
			dst = append(dst, ':')
			dst, o, err = r.render(dst, o, 1)
		}
		if err != nil {
			r.scratch = dst[:0]
			return nil, b, false
		}
	}
	dst = append(dst, '}')
	r.scratch = dst[:0]
	return dst, o, true
}

// tooDeep is the body of a record nested deeper than MaxDepth: not JSON, so that the
// normalizer ships it as a pipeline_error carrying this text.
var tooDeep = []byte("k8saudit: record not rendered: maps and arrays nested deeper than " + strconv.Itoa(MaxDepth) + " levels")

func (r *Reader) renderBody(b []byte) ([]byte, bool, []byte, error) {
	dst, o, err := r.render(r.scratch[:0], b, 0)
	r.scratch = dst[:0] // keep the grown buffer even on error
	if err != nil {
		return nil, false, o, err
	}
	return dst, true, o, nil
}

func (r *Reader) rank(k []byte) int {
	hasKey := len(r.key) > 0 // "" means no source key, not the empty key
	switch {
	case hasKey && bytes.Equal(k, r.key):
		return rankKey
	case hasKey && bytes.EqualFold(k, r.key):
		return rankKeyFold
	case string(k) == fallbackKey:
		return rankFallback
	case bytes.EqualFold(k, fallbackKeyBytes):
		return rankFallbackFold
	}
	return rankNone
}

var fallbackKeyBytes = []byte(fallbackKey)

// readStrOrBin reads a str or bin without copying. Dispatching on the type
// first matters: msgp.ReadMapKeyZC tries str, and its TypeError for a bin
// allocates.
func readStrOrBin(b []byte) (v, rest []byte, ok bool) {
	var err error
	switch msgp.NextType(b) {
	case msgp.StrType:
		v, rest, err = msgp.ReadStringZC(b)
	case msgp.BinType:
		v, rest, err = msgp.ReadBytesZC(b)
	default:
		return nil, b, false
	}
	if err != nil {
		return nil, b, false
	}
	return v, rest, true
}

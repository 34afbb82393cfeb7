package otlp

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// writer writes one record in either encoding, or counts what it would write (count), so
// that AppendDoc and DocLen are one code path and agree by construction. The scan calls
// its value methods (beginObject, str, …) whatever the encoding; each writes the proto3
// JSON mapping or the protobuf wire format of the same AnyValue.
type writer struct {
	dst   []byte
	n     int
	count bool
	pb    bool
}

// pos is how much has been written (or counted) so far.
func (w *writer) pos() int {
	if w.count {
		return w.n
	}
	return len(w.dst)
}

// truncate forgets what was written after p (a document the walker gave up on).
func (w *writer) truncate(p int) {
	if w.count {
		w.n = p
	} else {
		w.dst = w.dst[:p]
	}
}

func (w *writer) s(p string) {
	if w.count {
		w.n += len(p)
	} else {
		w.dst = append(w.dst, p...)
	}
}

func (w *writer) b(p []byte) {
	if w.count {
		w.n += len(p)
	} else {
		w.dst = append(w.dst, p...)
	}
}

func (w *writer) int(v int64) {
	if w.count {
		w.n += jsonw.IntLen(v)
	} else {
		w.dst = strconv.AppendInt(w.dst, v, 10)
	}
}

// Protobuf primitives. Every field number here is below 16: a tag is one byte.

const (
	wireVarint = 0
	wireI64    = 1
	wireLen    = 2
)

func (w *writer) tag(field, wire byte) {
	if w.count {
		w.n++
	} else {
		w.dst = append(w.dst, field<<3|wire)
	}
}

func (w *writer) varint(v uint64) {
	if w.count {
		w.n += varintLen(v)
	} else {
		w.dst = binary.AppendUvarint(w.dst, v)
	}
}

func (w *writer) fixed64(field byte, v uint64) {
	w.tag(field, wireI64)
	if w.count {
		w.n += 8
	} else {
		w.dst = binary.LittleEndian.AppendUint64(w.dst, v)
	}
}

func varintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// open starts a length-delimited field whose length is not known yet; close writes it.
// The length is written in one byte first (most containers are small) and the content
// moved right when it needs more: no second pass over the document, no scratch memory.
func (w *writer) open(field byte) int {
	w.tag(field, wireLen)
	if w.count {
		return w.n
	}
	w.dst = append(w.dst, 0)
	return len(w.dst) - 1
}

var zeros [binary.MaxVarintLen64]byte

func (w *writer) close(m int) {
	if w.count {
		w.n += varintLen(uint64(w.n - m))
		return
	}
	l := len(w.dst) - m - 1
	if l < 0x80 {
		w.dst[m] = byte(l)
		return
	}
	k := varintLen(uint64(l))
	w.dst = append(w.dst, zeros[:k-1]...)
	copy(w.dst[m+k:], w.dst[m+1:m+1+l])
	binary.PutUvarint(w.dst[m:], uint64(l))
}

// stringField writes a length-delimited field of known text.
func (w *writer) stringField(field byte, p string) {
	w.tag(field, wireLen)
	w.varint(uint64(len(p)))
	w.s(p)
}

// tokenField writes a JSON string token (quotes included, checked by the scan: valid
// escapes and UTF-8) as a protobuf string, unescaped; plain says the scan saw no escape in
// it (most strings): the text is then the content, with no second look.
func (w *writer) tokenField(field byte, tok []byte, plain bool) {
	in := tok[1 : len(tok)-1]
	w.tag(field, wireLen)
	if plain {
		w.varint(uint64(len(in)))
		w.b(in)
		return
	}
	n := jsonw.UnescapedLen(in)
	w.varint(uint64(n))
	if w.count {
		w.n += n
	} else {
		w.dst = jsonw.AppendUnescaped(w.dst, in)
	}
}

// validField writes arbitrary bytes as a protobuf string, each byte that is not part of
// valid UTF-8 replaced by U+FFFD (proto3 strings must be UTF-8; the JSON encoding makes
// the same replacement).
func (w *writer) validField(field byte, p []byte) {
	n := 0
	for i := 0; i < len(p); {
		_, size := utf8.DecodeRune(p[i:])
		if size == 1 && p[i] >= utf8.RuneSelf {
			n += 3
		} else {
			n += size
		}
		i += size
	}
	w.tag(field, wireLen)
	w.varint(uint64(n))
	if w.count {
		w.n += n
		return
	}
	start := 0
	for i := 0; i < len(p); {
		_, size := utf8.DecodeRune(p[i:])
		if size == 1 && p[i] >= utf8.RuneSelf {
			w.dst = append(w.dst, p[start:i]...)
			w.dst = utf8.AppendRune(w.dst, utf8.RuneError)
			start = i + 1
		}
		i += size
	}
	w.dst = append(w.dst, p[start:]...)
}

// AnyValue's fields (common.proto): string 1, bool 2, int 3, double 4, array 5, kvlist 6;
// KeyValueList and ArrayValue: values 1; KeyValue: key 1, value 2.

// str writes a string token as the content of an AnyValue.
func (w *writer) str(tok []byte, plain bool) {
	if w.pb {
		w.tokenField(1, tok, plain)
		return
	}
	w.s(`{"stringValue":`)
	w.b(tok)
	w.s(`}`)
}

// number writes a number token: intValue when isInt (at most 18 digits), else doubleValue.
func (w *writer) number(tok []byte, isInt bool) {
	switch {
	case w.pb && isInt:
		v, _ := strconv.ParseInt(string(tok), 10, 64) // at most 18 digits: it fits
		w.tag(3, wireVarint)
		w.varint(uint64(v))
	case w.pb:
		f, _ := strconv.ParseFloat(string(tok), 64) // the scan kept it below 1e308: it parses
		w.fixed64(4, math.Float64bits(f))
	case isInt:
		w.s(`{"intValue":"`)
		w.b(tok)
		w.s(`"}`)
	default:
		w.s(`{"doubleValue":`)
		w.b(tok)
		w.s(`}`)
	}
}

// boolean writes true or false; null is an empty AnyValue.
func (w *writer) boolean(v bool) {
	switch {
	case w.pb:
		w.tag(2, wireVarint)
		if v {
			w.varint(1)
		} else {
			w.varint(0)
		}
	case v:
		w.s(`{"boolValue":true}`)
	default:
		w.s(`{"boolValue":false}`)
	}
}

func (w *writer) null() {
	if !w.pb {
		w.s(`{}`)
	}
}

// mark is what begin* returns for the matching end*: the open protobuf lengths.
type mark struct{ outer, inner int }

func (w *writer) beginObject() mark {
	if w.pb {
		return mark{outer: w.open(6)}
	}
	w.s(`{"kvlistValue":{"values":[`)
	return mark{}
}

func (w *writer) endObject(m mark) {
	if w.pb {
		w.close(m.outer)
		return
	}
	w.s(`]}}`)
}

func (w *writer) beginArray() mark {
	if w.pb {
		return mark{outer: w.open(5)}
	}
	w.s(`{"arrayValue":{"values":[`)
	return mark{}
}

func (w *writer) endArray(m mark) { w.endObject(m) }

// beginMember starts a KeyValue of an object and its value.
func (w *writer) beginMember(key []byte, plain, first bool) mark {
	if w.pb {
		outer := w.open(1)
		w.tokenField(1, key, plain)
		return mark{outer: outer, inner: w.open(2)}
	}
	if !first {
		w.s(",")
	}
	w.s(`{"key":`)
	w.b(key)
	w.s(`,"value":`)
	return mark{}
}

func (w *writer) endMember(m mark) {
	if w.pb {
		w.close(m.inner)
		w.close(m.outer)
		return
	}
	w.s(`}`)
}

// beginElem starts an element of an array (an AnyValue).
func (w *writer) beginElem(first bool) mark {
	if w.pb {
		return mark{outer: w.open(1)}
	}
	if !first {
		w.s(",")
	}
	return mark{}
}

func (w *writer) endElem(m mark) {
	if w.pb {
		w.close(m.outer)
	}
}

// wholeString writes doc, which the walker could not read as a map, as the content of an
// AnyValue holding one string (invalid UTF-8 replaced in either encoding).
func (w *writer) wholeString(doc []byte) {
	if w.pb {
		w.validField(1, doc)
		return
	}
	w.s(`{"stringValue":`)
	if w.count {
		w.n += jsonw.QuotedLen(doc)
	} else {
		w.dst = jsonw.AppendQuoted(w.dst, doc)
	}
	w.s(`}`)
}

// attr writes one attribute, a KeyValue whose value is a string token of the document:
// in protobuf as field (LogRecord.attributes 6, Resource.attributes 1), in JSON as an
// element of the attributes array (first: no separator before it).
func (w *writer) attr(field byte, first bool, name string, tok []byte) {
	if !w.pb {
		if !first {
			w.s(",")
		}
		w.s(`{"key":"`)
		w.s(name)
		w.s(`","value":{"stringValue":`)
		w.b(tok)
		w.s(`}}`)
		return
	}
	kv := w.open(field)
	w.stringField(1, name)
	v := w.open(2)
	w.tokenField(1, tok, false) // an attribute's token: whether it has escapes is not kept
	w.close(v)
	w.close(kv)
}

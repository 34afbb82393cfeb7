package chunk

// The reader as it was before the one-pass record renderer and the byte-dispatched fast
// paths (issue 20): kept in the tests as the oracle FuzzRenderAgainstReference holds the
// reader to, byte for byte and error for error. refReader shares the Reader's state and
// its helpers (fail, skip, rank, readTime); only the rendering and the body choice are
// the old code.

import (
	"io"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

type refReader struct{ Reader }

func (r *refReader) refRender(dst, b []byte, depth int) ([]byte, []byte, error) {
	switch msgp.NextType(b) {
	case msgp.MapType:
		return r.refRenderMap(dst, b, depth)
	case msgp.ArrayType:
		return r.refRenderArray(dst, b, depth)
	case msgp.StrType:
		v, o, err := msgp.ReadStringZC(b)
		if err != nil {
			return dst, b, r.fail(b, "truncated str", err)
		}
		return appendString(dst, v), o, nil
	case msgp.BinType:
		v, o, err := msgp.ReadBytesZC(b)
		if err != nil {
			return dst, b, r.fail(b, "truncated bin", err)
		}
		return appendString(dst, v), o, nil
	case msgp.IntType:
		v, o, err := msgp.ReadInt64Bytes(b)
		if err != nil {
			return dst, b, r.fail(b, "truncated int", err)
		}
		return strconv.AppendInt(dst, v, 10), o, nil
	case msgp.UintType:
		v, o, err := msgp.ReadUint64Bytes(b)
		if err != nil {
			return dst, b, r.fail(b, "truncated uint", err)
		}
		return strconv.AppendUint(dst, v, 10), o, nil
	case msgp.Float64Type:
		v, o, err := msgp.ReadFloat64Bytes(b)
		if err != nil {
			return dst, b, r.fail(b, "truncated float64", err)
		}
		return appendFloat(dst, v, 64), o, nil
	case msgp.Float32Type:
		v, o, err := msgp.ReadFloat32Bytes(b)
		if err != nil {
			return dst, b, r.fail(b, "truncated float32", err)
		}
		return appendFloat(dst, float64(v), 32), o, nil
	case msgp.BoolType:
		v, o, err := msgp.ReadBoolBytes(b)
		if err != nil {
			return dst, b, r.fail(b, "bad bool", err)
		}
		return strconv.AppendBool(dst, v), o, nil
	case msgp.NilType:
		return append(dst, "null"...), b[1:], nil
	case msgp.ExtensionType, msgp.TimeType, msgp.Complex64Type, msgp.Complex128Type:
		typ, data, o, ok := readExt(b)
		if !ok {
			return dst, b, r.fail(b, "truncated extension", msgp.ErrShortBytes)
		}
		if ns, ok := eventTime(typ, data); ok {
			return appendSeconds(dst, ns), o, nil
		}
		// JSON has no way to say what an unknown extension meant.
		return append(dst, "null"...), o, nil
	default:
		return dst, b, r.invalid(b)
	}
}

func (r *refReader) refRenderMap(dst, b []byte, depth int) ([]byte, []byte, error) {
	if depth >= MaxDepth {
		return dst, b, r.fail(b, "nesting deeper than MaxDepth", nil)
	}
	n, o, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return dst, b, r.fail(b, "bad map header", err)
	}
	// Fail before emitting megabytes of output for a header that lies.
	if 2*uint64(n) > uint64(len(o)) {
		return dst, b, r.fail(b, "map claims more entries than bytes remain", msgp.ErrShortBytes)
	}
	dst = append(dst, '{')
	for i := uint32(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, o, err = r.refRenderKey(dst, o, depth+1); err != nil {
			return dst, o, err
		}
		dst = append(dst, ':')
		if dst, o, err = r.refRender(dst, o, depth+1); err != nil {
			return dst, o, err
		}
	}
	return append(dst, '}'), o, nil
}

func (r *refReader) refRenderArray(dst, b []byte, depth int) ([]byte, []byte, error) {
	if depth >= MaxDepth {
		return dst, b, r.fail(b, "nesting deeper than MaxDepth", nil)
	}
	n, o, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return dst, b, r.fail(b, "bad array header", err)
	}
	if uint64(n) > uint64(len(o)) {
		return dst, b, r.fail(b, "array claims more elements than bytes remain", msgp.ErrShortBytes)
	}
	dst = append(dst, '[')
	for i := uint32(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, o, err = r.refRender(dst, o, depth+1); err != nil {
			return dst, o, err
		}
	}
	return append(dst, ']'), o, nil
}

func (r *refReader) refRenderKey(dst, b []byte, depth int) ([]byte, []byte, error) {
	if k, o, ok := readStrOrBin(b); ok {
		return appendString(dst, k), o, nil
	}
	start := len(dst)
	if r.inKey {
		dst = append(dst, '"')
	}
	outer := !r.inKey
	r.inKey = true
	dst, o, err := r.refRender(dst, b, depth)
	if outer {
		r.inKey = false
	}
	if err != nil {
		return dst, o, err
	}
	if !outer {
		return append(dst, '"'), o, nil
	}
	return quoteInPlace(dst, start), o, nil
}

func (r *refReader) refBody(b []byte) ([]byte, bool, []byte, error) {
	if msgp.NextType(b) != msgp.MapType {
		return r.refRenderBody(b)
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
	body, rendered, _, err := r.refRenderBody(b)
	if err != nil {
		// skip has validated the whole record, so the only way rendering fails is the depth
		// bound: this record is set aside as a note (it becomes a pipeline_error document
		// downstream) and the entries after it are still read.
		return tooDeep, false, o, nil
	}
	return body, rendered, o, nil
}

func (r *refReader) refRenderBody(b []byte) ([]byte, bool, []byte, error) {
	dst, o, err := r.refRender(r.scratch[:0], b, 0)
	r.scratch = dst[:0] // keep the grown buffer even on error
	if err != nil {
		return nil, false, o, err
	}
	return dst, true, o, nil
}

func (r *refReader) refNext() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if len(r.rest) == 0 {
		return Record{}, io.EOF
	}
	rec, rest, err := r.refReadEntry(r.rest)
	if err != nil {
		r.err = err
		r.rest = nil
		return Record{}, err
	}
	r.rest = rest
	r.entry++
	return rec, nil
}

func (r *refReader) refReadEntry(b []byte) (Record, []byte, error) {
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

	if rec.Body, rec.Rendered, o, err = r.refBody(o); err != nil {
		return rec, o, err
	}
	o, err = r.skip(o, uint64(n)-2)
	return rec, o, err
}

package chunk

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

// render appends the msgpack value at b to dst as compact JSON and returns the
// grown dst and what follows the value. depth counts the containers around the
// value; recursion is bounded by MaxDepth.
//
// The forms an audit record is made of (fixmap, fixarray, short strings, small
// integers, nil, booleans) are told apart by their first byte here, without msgp's
// type lookup and readers: they are most of the values of a record, and the lookup
// cost as much as writing them. Anything else, and any of these forms cut short by
// the end of the chunk, takes renderOther, which says what is wrong.
func (r *Reader) render(dst, b []byte, depth int) ([]byte, []byte, error) {
	if len(b) == 0 {
		return r.renderOther(dst, b, depth)
	}
	switch c := b[0]; {
	case c <= 0x7f: // positive fixint
		return strconv.AppendUint(dst, uint64(c), 10), b[1:], nil
	case c >= 0xe0: // negative fixint
		return strconv.AppendInt(dst, int64(int8(c)), 10), b[1:], nil
	case c <= 0x8f: // fixmap
		return r.renderMap(dst, b, depth)
	case c <= 0x9f: // fixarray
		return r.renderArray(dst, b, depth)
	case c <= 0xbf: // fixstr
		if n := int(c & 0x1f); n < len(b) {
			return appendStr(dst, b[1:], n), b[1+n:], nil
		}
	case c == 0xd9: // str8
		if len(b) >= 2 {
			if n := int(b[1]); n+2 <= len(b) {
				return appendStr(dst, b[2:], n), b[2+n:], nil
			}
		}
	case c == 0xda: // str16
		if len(b) >= 3 {
			if n := int(binary.BigEndian.Uint16(b[1:])); n+3 <= len(b) {
				return appendStr(dst, b[3:], n), b[3+n:], nil
			}
		}
	case c == 0xc0:
		return append(dst, "null"...), b[1:], nil
	case c == 0xc2:
		return append(dst, "false"...), b[1:], nil
	case c == 0xc3:
		return append(dst, "true"...), b[1:], nil
	}
	return r.renderOther(dst, b, depth)
}

// renderOther is render for every form by msgp's type lookup.
func (r *Reader) renderOther(dst, b []byte, depth int) ([]byte, []byte, error) {
	switch msgp.NextType(b) {
	case msgp.MapType:
		return r.renderMap(dst, b, depth)
	case msgp.ArrayType:
		return r.renderArray(dst, b, depth)
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

func (r *Reader) renderMap(dst, b []byte, depth int) ([]byte, []byte, error) {
	if depth >= MaxDepth {
		return dst, b, r.fail(b, "nesting deeper than MaxDepth", nil)
	}
	var n uint32
	var o []byte
	var err error
	if len(b) > 0 && b[0]&0xf0 == 0x80 { // fixmap
		n, o = uint32(b[0]&0x0f), b[1:]
	} else if n, o, err = msgp.ReadMapHeaderBytes(b); err != nil {
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
		// A fixstr key, the usual one, directly; any other key by renderKey.
		if len(o) > 0 && o[0]&0xe0 == 0xa0 && int(o[0]&0x1f) < len(o) {
			k := int(o[0] & 0x1f)
			dst, o = appendStr(dst, o[1:], k), o[1+k:]
		} else if dst, o, err = r.renderKey(dst, o, depth+1); err != nil {
			return dst, o, err
		}
		dst = append(dst, ':')
		if dst, o, err = r.render(dst, o, depth+1); err != nil {
			return dst, o, err
		}
	}
	return append(dst, '}'), o, nil
}

func (r *Reader) renderArray(dst, b []byte, depth int) ([]byte, []byte, error) {
	if depth >= MaxDepth {
		return dst, b, r.fail(b, "nesting deeper than MaxDepth", nil)
	}
	var n uint32
	var o []byte
	var err error
	if len(b) > 0 && b[0]&0xf0 == 0x90 { // fixarray
		n, o = uint32(b[0]&0x0f), b[1:]
	} else if n, o, err = msgp.ReadArrayHeaderBytes(b); err != nil {
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
		if dst, o, err = r.render(dst, o, depth+1); err != nil {
			return dst, o, err
		}
	}
	return append(dst, ']'), o, nil
}

// renderKey renders a map key as a JSON string. JSON keys must be strings, so
// any other key becomes the string of its JSON rendering (1 → "1",
// [1,"a"] → "[1,\"a\"]"): nothing is dropped and the output stays valid.
//
// Only the outermost such key is escaped. Escaping again at every level of
// keys nested inside keys doubles the backslashes per level, and a few dozen
// bytes of 0x81 would then render to gigabytes. Inside a key, a non-string key
// is only wrapped in quotes; the outer escape makes the whole a valid string.
func (r *Reader) renderKey(dst, b []byte, depth int) ([]byte, []byte, error) {
	if k, o, ok := readStrOrBin(b); ok {
		return appendString(dst, k), o, nil
	}
	start := len(dst)
	if r.inKey {
		dst = append(dst, '"')
	}
	outer := !r.inKey
	r.inKey = true
	dst, o, err := r.render(dst, b, depth)
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

// quoteInPlace turns the JSON text dst[start:] into a JSON string holding it.
// Rendered JSON is valid UTF-8 with every control character already escaped,
// so only quotes and backslashes need a backslash. Working in place avoids a
// second scratch buffer, which nested non-string keys would otherwise share.
func quoteInPlace(dst []byte, start int) []byte {
	extra := 0
	for _, c := range dst[start:] {
		if c == '"' || c == '\\' {
			extra++
		}
	}
	end := len(dst)
	dst = append(dst, make([]byte, extra+2)...)
	j := len(dst) - 1
	dst[j] = '"'
	for i := end - 1; i >= start; i-- {
		c := dst[i]
		j--
		dst[j] = c
		if c == '"' || c == '\\' {
			j--
			dst[j] = '\\'
		}
	}
	dst[start] = '"'
	return dst
}

// appendFloat formats like encoding/json: shortest round-tripping digits,
// exponent only for very large or small magnitudes. JSON has no NaN or
// infinity, and null is the usual stand-in.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Shorten e-07 to e-7, as encoding/json does.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendSeconds writes non-negative Unix nanoseconds as decimal seconds. Text
// keeps all nine digits exact, which a float64 could not for current dates.
func appendSeconds(dst []byte, ns int64) []byte {
	dst = strconv.AppendInt(dst, ns/1e9, 10)
	frac := ns % 1e9
	if frac == 0 {
		return dst
	}
	var digits [10]byte
	digits[0] = '.'
	for i := 9; i >= 1; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 10
	for digits[n-1] == '0' {
		n--
	}
	return append(dst, digits[:n]...)
}

package chunk

import "github.com/tinylib/msgp/msgp"

// skip steps over n consecutive msgpack values and returns what follows them.
//
// msgp.Skip recurses once per nesting level and allows 100,000 levels, so a
// hostile chunk could grow the stack of the flush goroutine by megabytes.
// Counting the values still owed instead needs no recursion and no depth
// limit: containers only add to the count, and every step consumes at least
// one byte, so the loop ends within len(b) iterations.
func (r *Reader) skip(b []byte, n uint64) ([]byte, error) {
	for n > 0 {
		n--
		switch msgp.NextType(b) {
		case msgp.MapType:
			sz, o, err := msgp.ReadMapHeaderBytes(b)
			if err != nil {
				return b, r.fail(b, "bad map header", err)
			}
			n += 2 * uint64(sz)
			b = o
		case msgp.ArrayType:
			sz, o, err := msgp.ReadArrayHeaderBytes(b)
			if err != nil {
				return b, r.fail(b, "bad array header", err)
			}
			n += uint64(sz)
			b = o
		case msgp.InvalidType:
			return b, r.invalid(b)
		default:
			o, err := msgp.Skip(b) // a scalar: msgp does not recurse here
			if err != nil {
				return b, r.fail(b, "truncated value", err)
			}
			b = o
		}
		// A container claiming more elements than bytes remain cannot be
		// valid; stopping here keeps the loop bounded even for map32 headers
		// claiming billions of entries.
		if n > uint64(len(b)) {
			return b, r.fail(b, "container claims more elements than bytes remain", msgp.ErrShortBytes)
		}
	}
	return b, nil
}

// invalid reports a value that cannot start here: the chunk ended, or the
// byte is 0xc1, the one msgpack never uses.
func (r *Reader) invalid(b []byte) error {
	if len(b) == 0 {
		return r.fail(b, "unexpected end of chunk", msgp.ErrShortBytes)
	}
	return r.fail(b, "invalid type byte 0x"+hexByte(b[0]), nil)
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

package chunk

import (
	"encoding/binary"
	"slices"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// appendString appends s as a JSON string, escaped by the rule every package shares
// (internal/jsonw): invalid UTF-8 becomes \ufffd because a SIEM rejects or mangles invalid
// JSON text; U+2028 and U+2029 are escaped because JavaScript-based consumers treat them
// as line ends.
func appendString(dst, s []byte) []byte { return jsonw.AppendQuoted(dst, s) }

// shortString is the length below which appendStr checks a string itself before handing
// it to the escaper: from there on, jsonw's 16-bytes-a-round search is the faster one.
const shortString = 16

// appendStr appends the JSON string of b[:n], by appendString's rule. b may run on past
// the string (the rest of the chunk): a short string is checked as one or two 8-byte
// words read from b and, when none of its bytes needs the escaper (most keys and values
// of a record), written by two 8-byte stores, without the escaper's byte-by-byte tail or
// a call to copy a few bytes.
func appendStr(dst, b []byte, n int) []byte {
	if n < shortString && len(b) >= 16 {
		w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		// Only the string's own lanes count: a flag can only spill upwards, from a byte
		// to the lanes above it, never from past the string into it. Go's shifts by 64
		// or more give 0, so the masks are exact at n = 0, 8 and 16.
		m := jsonw.SpecialMask(w0)&(1<<(8*n)-1) | jsonw.SpecialMask(w1)&(1<<(8*max(n-8, 0))-1)
		if m != 0 {
			return jsonw.AppendQuoted(dst, b[:n])
		}
		if cap(dst)-len(dst) < 17 {
			dst = slices.Grow(dst, 17)
		}
		l := len(dst)
		d := dst[l : l+17]
		d[0] = '"'
		binary.LittleEndian.PutUint64(d[1:], w0)
		binary.LittleEndian.PutUint64(d[9:], w1)
		dst = dst[:l+n+2]
		dst[l+n+1] = '"'
		return dst
	}
	if n >= shortString || !plain(b, n) {
		return jsonw.AppendQuoted(dst, b[:n])
	}
	dst = append(dst, '"')
	dst = append(dst, b[:n]...)
	return append(dst, '"')
}

// plain reports whether no byte of b[:n] (n < shortString) is one the escaper looks at
// (jsonw.NextSpecial's bytes: '"', '\\', controls, non-ASCII). It may answer false for a
// plain string (then the escaper copies it all the same), never true for one that is
// not: jsonw.SpecialMask flags every such byte, and may also flag the byte above one,
// which only ever adds flags.
func plain(b []byte, n int) bool {
	if n >= 8 {
		if jsonw.SpecialMask(binary.LittleEndian.Uint64(b)) != 0 {
			return false
		}
		// The last 8 bytes of the string, overlapping the first word.
		return jsonw.SpecialMask(binary.LittleEndian.Uint64(b[n-8:])) == 0
	}
	if len(b) >= 8 {
		// One word from b: the lanes past the string are masked off.
		m := jsonw.SpecialMask(binary.LittleEndian.Uint64(b))
		return m&(1<<(8*n)-1) == 0
	}
	for i := 0; i < n; i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

package chunk

import (
	"encoding/binary"

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
// words read from b, and one that needs no escape (most keys and values of a record)
// is copied as it is, without the escaper's byte-by-byte tail.
func appendStr(dst, b []byte, n int) []byte {
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
	i := 0
	if n >= 8 {
		if jsonw.SpecialMask(binary.LittleEndian.Uint64(b)) != 0 {
			return false
		}
		if n == 8 {
			return true
		}
		// The last 8 bytes of the string, overlapping the first word.
		return jsonw.SpecialMask(binary.LittleEndian.Uint64(b[n-8:])) == 0
	}
	if len(b) >= 8 {
		// One word from b: the lanes past the string are masked off. A flag can only
		// spill upwards, from a byte of the string to a lane above it, never into one.
		m := jsonw.SpecialMask(binary.LittleEndian.Uint64(b))
		return m&(1<<(8*n)-1) == 0
	}
	for ; i < n; i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

package chunk

import (
	"encoding/binary"
	"unicode/utf8"
)

// safeASCII marks the bytes below 0x80 that appear in a JSON string as is.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Runs of bytes that need no escaping
// are copied in one append, which is what keeps audit events (mostly plain
// ASCII) fast. Invalid UTF-8 becomes \ufffd because a SIEM rejects or mangles
// invalid JSON text; U+2028 and U+2029 are escaped because JavaScript-based
// consumers treat them as line ends.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Audit events are long runs of plain ASCII: skip them a word at a time.
		for i+8 <= len(s) && !needsEscape(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// needsEscape reports whether any of the 8 bytes in w is below 0x20, a quote, a
// backslash or not ASCII. Each term is the classic SWAR "has byte less than n"
// test, which is exact about whether such a byte exists (false positives only
// in lanes above a true one, which does not matter here).
func needsEscape(w uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	lt20 := (w - 0x20*ones) &^ w
	quote := (w ^ '"'*ones - ones) &^ (w ^ '"'*ones)
	bslash := (w ^ '\\'*ones - ones) &^ (w ^ '\\'*ones)
	return (lt20|quote|bslash|w)&highs != 0
}

package jsonw

import (
	"bytes"
	"unicode/utf8"
)

// AppendUnescaped appends the unescaped content of a JSON string (without quotes) to dst.
// Escapes are decoded as encoding/json does: a surrogate pair makes one rune, a lone
// surrogate becomes U+FFFD. An invalid escape is copied as written. Invalid UTF-8 is
// copied as is; a writer that needs valid text replaces it. UnescapedLen is its length.
func AppendUnescaped(dst, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		c, r, n := unescapeOne(s)
		if n == 0 { // an escape JSON does not have: copied as written
			n = min(2, len(s))
			dst = append(dst, s[:n]...)
		} else if r >= 0 {
			dst = utf8.AppendRune(dst, r)
		} else {
			dst = append(dst, c)
		}
		s = s[n:]
	}
}

// UnescapedLen is the number of bytes AppendUnescaped(dst, s) appends.
func UnescapedLen(s []byte) int {
	total := 0
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return total + len(s)
		}
		total += i
		s = s[i:]
		_, r, n := unescapeOne(s)
		switch {
		case n == 0:
			n = min(2, len(s))
			total += n
		case r >= 0:
			total += utf8.RuneLen(r)
		default:
			total++
		}
		s = s[n:]
	}
}

// unescapeOne decodes the escape at the start of s (s[0] is a backslash): a byte c (r is
// -1) or a rune r, and the n bytes it took; n is 0 for an escape JSON does not have.
func unescapeOne(s []byte) (c byte, r rune, n int) {
	if len(s) < 2 {
		return 0, -1, 0
	}
	switch s[1] {
	case '"', '\\', '/':
		return s[1], -1, 2
	case 'b':
		return '\b', -1, 2
	case 'f':
		return '\f', -1, 2
	case 'n':
		return '\n', -1, 2
	case 'r':
		return '\r', -1, 2
	case 't':
		return '\t', -1, 2
	case 'u':
		r, ok := Hex4(s[2:])
		if !ok {
			return 0, -1, 0
		}
		if r >= 0xd800 && r < 0xdc00 {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2, ok := Hex4(s[8:]); ok && r2 >= 0xdc00 && r2 < 0xe000 {
					return 0, (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000, 12
				}
			}
			return 0, utf8.RuneError, 6
		}
		if r >= 0xdc00 && r < 0xe000 {
			r = utf8.RuneError
		}
		return 0, r, 6
	}
	return 0, -1, 0
}

// Hex4 reads the four hex digits of a \u escape.
func Hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

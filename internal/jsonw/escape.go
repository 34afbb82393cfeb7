package jsonw

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// ControlEscape holds the escape of each control character (see the package doc).
var ControlEscape = func() (t [0x20]string) {
	for c := range t {
		t[c] = `\u00` + string(hexDigits[c>>4]) + string(hexDigits[c&0xf])
	}
	t['\n'], t['\r'], t['\t'] = `\n`, `\r`, `\t`
	return t
}()

// AppendEscaped appends s escaped for the inside of a JSON string, without quotes.
// NextSpecial skips the text that needs no escape and lands on the next byte to look at.
func AppendEscaped(dst, s []byte) []byte {
	start := 0
	for i := 0; ; {
		i = NextSpecial(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			default:
				dst = append(dst, ControlEscape[c]...)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r|1 != '\u2029' && (r != utf8.RuneError || size != 1) {
			i += size // valid UTF-8 that JSON takes as it is: most non-ASCII text
			continue
		}
		dst = append(dst, s[start:i]...)
		if size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// AppendEscapedString is AppendEscaped for a string; the conversion does not copy (the
// compiler passes the string's bytes through).
func AppendEscapedString(dst []byte, s string) []byte {
	return AppendEscaped(dst, []byte(s))
}

// AppendQuoted appends s as a JSON string, quotes included.
func AppendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	dst = AppendEscaped(dst, s)
	return append(dst, '"')
}

// AppendQuotedString is AppendQuoted for a string.
func AppendQuotedString(dst []byte, s string) []byte {
	return AppendQuoted(dst, []byte(s))
}

// QuotedLen is the number of bytes AppendQuoted(dst, s) appends, so that a caller can
// size a document without writing it.
func QuotedLen(s []byte) int {
	n := 2 + len(s)
	for i := 0; ; {
		i = NextSpecial(s, i)
		if i >= len(s) {
			return n
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c == '"' || c == '\\' {
				n++
			} else {
				n += len(ControlEscape[c]) - 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += len(`\ufffd`) - 1
		case r == '\u2028' || r == '\u2029':
			n += len(`\u2028`) - size
		}
		i += size
	}
}

package redact

import (
	"unicode"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// Credentials in bodies, whatever the path: with Options.Redact (package normalize), the body
// scanner replaces
//
//   - the value, whatever its type, of a member whose key is Authorization
//     or Proxy-Authorization (ASCII case folded: HTTP header names), as an
//     admission webhook or a proxy configuration captures request headers;
//   - a string whose text starts with the scheme Bearer or Basic (case
//     folded), after any whitespace, and followed by whitespace: an
//     Authorization value under any other key (a probe's httpHeaders value,
//     a ConfigMap entry).
//
// Keys and strings are read as a JSON decoder reads them, so an escape
// (Authoriz\u0061tion, \u0042earer) does not hide them. The test that
// costs something runs only on a string whose first byte could start one
// (see MayBeCredential); every other string and key costs a byte compare.

// MayBeCredential is CredentialValue's inlined first test on the string
// content at src[i]: 'B' or 'b' then 'e', 'a' (either case) or an escape;
// an escape; whitespace; a non-ASCII byte (a Unicode space).
func MayBeCredential(src []byte, i int) bool {
	if i+1 >= len(src) {
		return false
	}
	if c := src[i]; c|0x20 != 'b' {
		return c == '\\' || c <= ' ' || c >= utf8.RuneSelf
	}
	n := src[i+1] | 0x20
	return n == 'e' || n == 'a' || src[i+1] == '\\'
}

// CredentialValue reports whether the string whose content starts at
// src[i] (after its opening quote) is an Authorization value: whitespace,
// Bearer or Basic in any case, whitespace.
func CredentialValue(src []byte, i int) bool {
	r, i := jsonRune(src, i)
	for unicode.IsSpace(r) {
		r, i = jsonRune(src, i)
	}
	var scheme string
	switch r | 0x20 {
	case 'b':
		r, i = jsonRune(src, i)
		switch r | 0x20 {
		case 'e':
			scheme = "arer"
		case 'a':
			scheme = "sic"
		default:
			return false
		}
	default:
		return false
	}
	for k := 0; k < len(scheme); k++ {
		if r, i = jsonRune(src, i); r|0x20 != rune(scheme[k]) {
			return false
		}
	}
	r, _ = jsonRune(src, i)
	return unicode.IsSpace(r)
}

// jsonRune decodes the character of a JSON string's content at src[i] and
// returns it and the index after it; -1 at the closing quote, at the end of
// src or on a malformed escape (the scan fails on those anyway). A
// surrogate half decodes as itself: no scheme or space is one.
func jsonRune(src []byte, i int) (rune, int) {
	if i >= len(src) {
		return -1, i
	}
	switch c := src[i]; {
	case c == '"':
		return -1, i
	case c == '\\':
		if i+1 >= len(src) {
			return -1, i
		}
		switch src[i+1] {
		case 'u':
			r, ok := jsonw.Hex4(src[i+2:])
			if !ok {
				return -1, i
			}
			return r, i + 6
		case 't':
			return '\t', i + 2
		case 'n':
			return '\n', i + 2
		case 'r':
			return '\r', i + 2
		case 'f':
			return '\f', i + 2
		case 'b':
			return '\b', i + 2
		default:
			return rune(src[i+1]), i + 2 // \" \\ \/: none a space or a letter
		}
	case c < utf8.RuneSelf:
		return rune(c), i + 1
	default:
		r, size := utf8.DecodeRune(src[i:])
		return r, i + size
	}
}

// MayBeAuthKey is AuthKey's inlined first test on an unescaped key: its
// length and first letter.
func MayBeAuthKey(k []byte) bool {
	return len(k) == len("authorization") && k[0]|0x20 == 'a' || len(k) == len("proxy-authorization") && k[0]|0x20 == 'p'
}

// AuthKey reports whether an object key, unescaped, is Authorization or
// Proxy-Authorization, ASCII case folded.
func AuthKey(k []byte) bool {
	switch len(k) {
	case len("authorization"):
		return EqualFoldASCII(k, "authorization")
	case len("proxy-authorization"):
		return EqualFoldASCII(k, "proxy-authorization")
	}
	return false
}

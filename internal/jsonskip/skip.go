// Package jsonskip is the byte-level JSON scanning every package shares: where a
// string, a number or a whole value ends, and the first byte of a string a scan must
// look at, found without parsing and without allocating. The normalizer's scanners
// (the body scanner, the direct road, the safe road) build on it, with its amd64
// assembly for strings (special_amd64.s: SkipString, IndexSpecial, held to a Go
// reference and fuzzed in special_test.go); the intakes that read a few members of
// the documents they frame (syslog's header fields, the audit webhook's Event
// members) walk the top level with Value and String and skip the rest, bodies
// included. Escaping and unescaping are internal/jsonw's. On input that does not
// end where it should, the functions return -1 (or report false) rather than guess.
package jsonskip

import (
	"encoding/binary"
	"math/bits"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// Value returns the end of the JSON value at d[i] (the index after it), or -1 when there
// is none there or it does not end.
func Value(d []byte, i int) int {
	if i >= len(d) {
		return -1
	}
	switch d[i] {
	case '"':
		return String(d, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(d); j++ {
			switch d[j] {
			case '"':
				e := String(d, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	for j := i; j < len(d); j++ {
		if c := d[j]; c == ',' || c == '}' || c == ']' {
			if j == i {
				return -1 // no value at all
			}
			return j
		}
	}
	return -1
}

// String returns the end of the JSON string at d[i] (after its closing quote), or -1.
func String(d []byte, i int) int { return StringEnd(d, i+1) }

// Constants of StringEnd's 8-bytes-at-a-time ("SWAR") quote search.
const (
	lo7  = 0x0101010101010101
	hi7  = 0x8080808080808080
	quot = 0x2222222222222222 // '"'
)

// StringEnd returns the index after the closing quote of a string whose
// content starts at i, or -1. It looks for quotes 8 bytes at a time: audit
// strings are short, and a call to IndexByte costs more than it saves there.
func StringEnd(src []byte, i int) int {
	for {
		q := -1
		for i+8 <= len(src) {
			x := binary.LittleEndian.Uint64(src[i:]) ^ quot
			// The lowest flagged byte of this zero-byte test is exact.
			if m := (x - lo7) &^ x & hi7; m != 0 {
				q = i + bits.TrailingZeros64(m)>>3
				break
			}
			i += 8
		}
		if q < 0 {
			for ; i < len(src) && src[i] != '"'; i++ {
			}
			if i >= len(src) {
				return -1
			}
			q = i
		}
		// An even number of backslashes before the quote leaves it unescaped.
		b := 0
		for k := q - 1; k >= 0 && src[k] == '\\'; k-- {
			b++
		}
		i = q + 1
		if b%2 == 0 {
			return i
		}
	}
}

// ShortString returns the length of the string content at src[i:] when it
// ends within the next 8 bytes with nothing in it to look at: keys and
// short values. It is inlined, so they take no call; ok false sends the
// caller to SkipString.
func ShortString(src []byte, i int) (n int, ok bool) {
	if i+8 <= len(src) {
		if m := jsonw.SpecialMask(binary.LittleEndian.Uint64(src[i:])); m != 0 {
			n = bits.TrailingZeros64(m) >> 3
			return n, src[i+n] == '"'
		}
	}
	return 0, false
}

// ValidNumber reports whether s is a number under the JSON grammar. fastjson
// accepts more (NaN, Inf, "1.2.3", "+1"), which must never reach the output.
func ValidNumber(s []byte) bool {
	return len(s) > 0 && NumberEnd(s, 0) == len(s)
}

// NumberEnd returns the index after a number under the JSON grammar at i,
// or i when there is none.
func NumberEnd(s []byte, i int) int {
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return start
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return start
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return start
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return start
		}
	}
	return i
}

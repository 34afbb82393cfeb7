// Package jsonskip finds where a JSON value ends, without parsing it: the intakes that
// read a few members of the documents they frame (syslog's header fields, the audit
// webhook's Event members) walk the top level with it and skip the rest, bodies
// included, allocating nothing. The documents are the normalizer's compact JSON; on
// anything else the functions return -1 rather than guess.
package jsonskip

import "bytes"

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
func String(d []byte, i int) int {
	j := i + 1
	for {
		if j > len(d) {
			return -1
		}
		k := bytes.IndexByte(d[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		n := 0
		for b := j - 1; b > i && d[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

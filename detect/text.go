package detect

import "bytes"

// Byte helpers that neither allocate nor convert.

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func hasSuffix(b []byte, s string) bool { return len(b) >= len(s) && string(b[len(b)-len(s):]) == s }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares ASCII case-insensitively.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

// containsFold reports whether b contains s, ASCII case-insensitively; s
// is lower case.
func containsFold(b []byte, s string) bool {
	if len(s) == 0 {
		return true
	}
	first := s[0]
	for i := 0; i+len(s) <= len(b); i++ {
		if lower(b[i]) != first {
			continue
		}
		j := 1
		for j < len(s) && lower(b[i+j]) == s[j] {
			j++
		}
		if j == len(s) {
			return true
		}
	}
	return false
}

// contains reports whether b contains s (case-sensitive).
func contains(b []byte, s string) bool { return index(b, s) >= 0 }

// index is bytes.Index for a string needle (its vector code; the
// conversion of a short constant stays on the stack).
func index(b []byte, s string) int { return bytes.Index(b, []byte(s)) }

// patterns is a set of lower-case needles (two bytes or more) for
// containsAnyFold: one pass over the text, comparing only where the first
// two bytes of a needle are.
type patterns struct {
	pairs [1 << 16 / 64]uint64 // the first two bytes of each needle, as a bit set
	list  []string
}

func newPatterns(list ...string) patterns {
	p := patterns{list: list}
	for _, s := range list {
		k := uint(s[0])<<8 | uint(s[1])
		p.pairs[k/64] |= 1 << (k % 64)
	}
	return p
}

// containsAnyFold reports whether b contains one of p, ASCII
// case-insensitively.
func containsAnyFold(b []byte, p *patterns) bool {
	for i := 0; i+1 < len(b); i++ {
		c := lower(b[i])
		k := uint(c)<<8 | uint(lower(b[i+1]))
		if p.pairs[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, s := range p.list {
			if s[0] != c || len(b)-i < len(s) {
				continue
			}
			j := 1
			for j < len(s) && lower(b[i+j]) == s[j] {
				j++
			}
			if j == len(s) {
				return true
			}
		}
	}
	return false
}

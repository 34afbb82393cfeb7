package jsonw

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// Constants of the 8-bytes-at-a-time ("SWAR") byte tests.
const (
	lo7  = 0x0101010101010101
	hi7  = 0x8080808080808080
	quot = 0x2222222222222222 // '"'
	bsl  = 0x5c5c5c5c5c5c5c5c // '\\'
	sp   = 0x2020202020202020 // ' '
)

// NextSpecial returns the index of the first byte from i that a string scan or the
// escaper must look at ('"', '\\', a control character, a non-ASCII byte), or len(s). It
// tests 16 bytes a round, as two 8-byte words; in each zero-byte test only bytes above a
// true match can be flagged by mistake, so the lowest flag is exact.
func NextSpecial(s []byte, i int) int {
	for i+16 <= len(s) {
		w := s[i : i+16 : i+16]
		m0, m1 := SpecialMask(le64(w[:8])), SpecialMask(le64(w[8:]))
		if m0|m1 != 0 {
			if m0 != 0 {
				return i + bits.TrailingZeros64(m0)>>3
			}
			return i + 8 + bits.TrailingZeros64(m1)>>3
		}
		i += 16
	}
	if i+8 <= len(s) {
		if m := SpecialMask(le64(s[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// SpecialMask flags, in their high bits, the bytes of the little-endian word x that
// NextSpecial looks for; the lowest flag is exact. The usual "&^ q" of each zero-byte
// test is left out: it only clears bytes >= 0x80, which "| x" flags anyway.
func SpecialMask(x uint64) uint64 {
	return ((x ^ quot - lo7) | (x ^ bsl - lo7) | (x - sp) | x) & hi7
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

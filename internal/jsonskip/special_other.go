//go:build !amd64

package jsonskip

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// IndexSpecial returns the index of the first byte of s that a string scan
// must stop at ('"', '\\', a control character or a non-ASCII byte), or
// len(s) if there is none. Without the amd64 assembly, the SWAR search
// serves.
func IndexSpecial(s []byte) int { return jsonw.NextSpecial(s, 0) }

// SkipString walks the content of a JSON string, s starting after the
// opening quote, and returns the index n of the first byte its caller must
// look at: the closing '"', a control character, a non-ASCII byte, or a
// backslash that does not start one of the escapes \" \\ \/ \b \f \n \r \t
// (\u, an invalid escape, a backslash as the last byte of s); len(s) if
// there is none. Those eight escapes are passed over; esc reports whether
// any was. Without the amd64 assembly it is the SWAR loop of
// (*scanner).str; special_test.go holds a copy (goSkipString) to benchmark
// the assembly against.
func SkipString(s []byte) (n int, esc bool) {
	i := 0
	for {
		for i+16 <= len(s) {
			w := s[i : i+16 : i+16]
			m0, m1 := jsonw.SpecialMask(binary.LittleEndian.Uint64(w[:8])), jsonw.SpecialMask(binary.LittleEndian.Uint64(w[8:]))
			if m0 != 0 {
				i += bits.TrailingZeros64(m0) >> 3
				goto look
			}
			if m1 != 0 {
				i += 8 + bits.TrailingZeros64(m1)>>3
				goto look
			}
			i += 16
		}
		for ; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				goto look
			}
		}
		return i, esc
	look:
		if s[i] != '\\' || i+1 >= len(s) {
			return i, esc
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			esc = true
			i += 2
		default:
			return i, esc
		}
	}
}

package jsonskip

// IndexSpecial returns the index of the first byte of s that a string scan
// must stop at ('"', '\\', a control character or a non-ASCII byte), or
// len(s) if there is none: jsonw.NextSpecial(s, 0), 16 bytes a compare with SSE2
// (special_amd64.s). It never reads outside s.
//
//go:noescape
func IndexSpecial(s []byte) int

// SkipString walks the content of a JSON string, s starting after the
// opening quote, and returns the index n of the first byte its caller must
// look at: the closing '"', a control character, a non-ASCII byte, or a
// backslash that does not start one of the escapes \" \\ \/ \b \f \n \r \t
// (\u, an invalid escape, a backslash as the last byte of s); len(s) if
// there is none. Those eight escapes are passed over in the assembly
// (special_amd64.s), so a PEM bundle with a \n every 66 bytes costs one call
// and not one per line, and an escaped JSON document (a last-applied-
// configuration annotation, a \" every few bytes) is taken 64 bytes at a
// time and not an escape at a time; esc reports whether it passed over
// any. It never reads outside s.
//
//go:noescape
func SkipString(s []byte) (n int, esc bool)

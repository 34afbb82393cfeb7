package chunk

import "strconv"

// MaxDepth bounds the nesting of maps and arrays the reader renders, so that
// hostile input cannot exhaust the stack. It matches valyala/fastjson's limit:
// a deeper body would be rejected downstream anyway, and real audit events
// (even CRDs with deep OpenAPI schemas) stay far below it.
const MaxDepth = 300

// FormatError reports a chunk that is not a valid sequence of Fluent Bit
// entries. Offset is the byte offset in the chunk of the value that could not
// be read; Entry is the zero-based index of the entry holding it.
type FormatError struct {
	Offset int
	Entry  int
	Reason string
	Err    error // underlying msgp error, if any
}

func (e *FormatError) Error() string {
	s := "chunk: malformed entry " + strconv.Itoa(e.Entry) + " at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// fail builds the error for a value starting at at, a suffix of the chunk, so
// that the offset can be derived from its length without tracking positions on
// the hot path.
func (r *Reader) fail(at []byte, reason string, err error) error {
	return &FormatError{
		Offset: len(r.chunk) - len(at),
		Entry:  r.entry,
		Reason: reason,
		Err:    err,
	}
}

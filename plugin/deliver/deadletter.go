package deliver

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// deadLetter is the file that receives permanently rejected documents, one JSON line
// each. Writers share it under a lock and write a whole batch at once, so lines of
// concurrent flushes never interleave.
type deadLetter struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func openDeadLetter(path string) (*deadLetter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("dead_letter_file %q: %v", path, err)
	}
	return &deadLetter{path: path, f: f}, nil
}

// write appends lines and syncs them: returning Delivered lets Fluent Bit delete the
// chunk, so these documents must be on disk first. Rejections are rare; the fsync is
// affordable.
func (d *deadLetter) write(lines []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return fmt.Errorf("dead-letter file %s is closed", d.path)
	}
	if _, err := d.f.Write(lines); err != nil {
		return err
	}
	return d.f.Sync()
}

func (d *deadLetter) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}

// appendDeadLetter appends the dead-letter line of one document:
// {"time":"<RFC3339>","reason":"...","status":N,"document":<doc>}
func appendDeadLetter(dst, doc []byte, now time.Time, reason string, status int) []byte {
	dst = append(dst, `{"time":"`...)
	dst = now.UTC().AppendFormat(dst, time.RFC3339)
	dst = append(dst, `","reason":`...)
	dst = appendJSONString(dst, reason)
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `,"document":`...)
	if isObject(doc) {
		dst = append(dst, doc...)
	} else {
		dst = appendJSONBytes(dst, doc)
	}
	return append(dst, "}\n"...)
}

// reasonFor is the status and the start of the intake's answer on one line, for the
// dead-letter file and the logs.
func reasonFor(prefix string, a Answer) string {
	const max = 200
	b := a.Body
	if len(b) > max {
		b = b[:max]
		for len(b) > 0 && !utf8.Valid(b) { // do not cut a character in half
			b = b[:len(b)-1]
		}
	}
	r := prefix + strconv.Itoa(a.Status)
	if t := oneLine(b); t != "" {
		r += ": " + t
	}
	return r
}

func oneLine(b []byte) string {
	out := make([]byte, 0, len(b))
	space := false
	for _, c := range b {
		if c == '\n' || c == '\r' || c == '\t' || c == ' ' {
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return string(out)
}

// appendJSONString appends s as a JSON string. Only dead-letter reasons go through it,
// so a plain loop is enough; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			dst = append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}

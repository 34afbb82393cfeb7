package deliver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// DefaultDeadLetterMaxBytes is the size at which the dead-letter file is rotated: a
// misbehaving intake that rejects everything must not fill the disk Fluent Bit's own
// buffers live on.
const DefaultDeadLetterMaxBytes = 100_000_000

// deadLetter is the file that receives permanently rejected documents, one JSON line
// each. Writers share it under a lock and write a whole batch at once, so lines of
// concurrent flushes never interleave.
//
// The file holds audit events (redacted, but still who did what), so it is opened the way
// a secret is: never through a symlink on its last component (O_NOFOLLOW: a link planted
// in a shared directory cannot redirect the writes), created 0600, and an existing file
// that group or others can read or write is refused rather than silently kept. Once it
// would grow past maxBytes it is renamed to <path>.1 (replacing the previous one) and a
// new file is started: at most about 2·maxBytes on disk.
type deadLetter struct {
	path     string
	maxBytes int64
	mu       sync.Mutex
	f        *os.File
	size     int64
}

func openDeadLetter(path string, maxBytes int64) (*deadLetter, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultDeadLetterMaxBytes
	}
	d := &deadLetter{path: path, maxBytes: maxBytes}
	if err := d.open(); err != nil {
		return nil, err
	}
	return d, nil
}

// open opens (or creates) the file at d.path and checks it. The error names the key.
func (d *deadLetter) open() error {
	// O_NONBLOCK: opening a FIFO planted at the path must fail (ENXIO), not hang Init.
	f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return fmt.Errorf("dead_letter_file %s is a symbolic link: refused (point dead_letter_file at the real file): %w", d.path, err)
		}
		return fmt.Errorf("dead_letter_file %s: %w", d.path, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkDeadLetterFile(d.path, fi)
	}
	if err != nil {
		f.Close()
		return err
	}
	d.f, d.size = f, fi.Size()
	return nil
}

// checkDeadLetterFile refuses what is not a private regular file.
func checkDeadLetterFile(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("dead_letter_file %s is not a regular file (%s): refused", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("dead_letter_file %s has mode %04o: group or others may read or write it; refused (run chmod 600 on it, or remove it)", path, perm)
	}
	return nil
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
	if d.size > 0 && d.size+int64(len(lines)) > d.maxBytes {
		if err := d.rotate(); err != nil {
			return err
		}
	}
	n, err := d.f.Write(lines)
	d.size += int64(n)
	if err != nil {
		return err
	}
	return d.f.Sync()
}

// rotate renames the file to <path>.1 (rename replaces a link there, never follows it)
// and starts a new one. On failure the current file stays in use: writing past the size
// beats losing documents.
func (d *deadLetter) rotate() error {
	if err := os.Rename(d.path, d.path+".1"); err != nil {
		return fmt.Errorf("dead_letter_file %s: rotating to %s.1: %w", d.path, d.path, err)
	}
	old := d.f
	d.f = nil
	if err := d.open(); err != nil {
		d.f = old // keep appending to the renamed file rather than lose documents
		return err
	}
	old.Close()
	return nil
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
// reason must already be clean (scrubber.clean): it is escaped here, not redacted.
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

// reasonFor is the status and the start of the intake's answer, for the dead-letter file
// and the logs. It is raw: the caller cleans it (the Sender's scrubber) before use.
func reasonFor(prefix string, a Answer) string {
	b := a.Body
	if len(b) > 2*maxReason {
		b = b[:2*maxReason]
	}
	r := prefix + strconv.Itoa(a.Status)
	if t := oneLine(b); t != "" {
		r += ": " + t
	}
	return r
}

// oneLine collapses runs of whitespace and control characters (which could forge a log
// line or drive a terminal) into one space, and makes the text valid UTF-8.
func oneLine(b []byte) string {
	out := make([]byte, 0, len(b))
	space := false
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	if !utf8.Valid(out) {
		return strings.ToValidUTF8(string(out), "\uFFFD")
	}
	return string(out)
}

// appendJSONString appends s as a JSON string, escaped by the rule every package shares
// (internal/jsonw).
func appendJSONString(dst []byte, s string) []byte { return jsonw.AppendQuotedString(dst, s) }

// DeadLetterReason says why documents were set aside for good; the metrics count
// dead-lettered documents by it. Every intake maps its refusals onto these.
type DeadLetterReason uint8

const (
	// DeadTooLarge: larger than the intake takes (its documented per-event cap, or a 413
	// answer to the document alone).
	DeadTooLarge DeadLetterReason = iota
	// DeadRefused: the intake refused the whole request for good (a 4xx that retrying
	// cannot change).
	DeadRefused
	// DeadRefusedItem: a per-document answer refused this document (Elasticsearch's
	// items, Splunk HEC's per-event codes, a broker's INVALID_RECORD).
	DeadRefusedItem
	NumDeadLetterReasons
)

var deadLetterReasonNames = [NumDeadLetterReasons]string{"too_large", "refused", "refused_item"}

// String is the reason's metric label.
func (r DeadLetterReason) String() string {
	if r < NumDeadLetterReasons {
		return deadLetterReasonNames[r]
	}
	return "unknown"
}

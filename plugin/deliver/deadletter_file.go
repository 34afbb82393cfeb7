package deliver

import (
	"sync"
	"time"
)

// DeadLetterFile is dead_letter_file for an intake with its own transport (Kafka): the
// same file, opened and rotated the same way, one line per document in the HTTP core's
// shape ({"time","reason","status":0,"document"}), synced before Write returns so that a
// chunk answered Delivered never loses a document set aside.
type DeadLetterFile struct {
	d   *deadLetter
	mu  sync.Mutex
	buf []byte
}

// OpenDeadLetterFile opens (or creates, 0600) path; maxBytes <= 0 takes
// DefaultDeadLetterMaxBytes. The errors name the key dead_letter_file and the path (a
// path is not a secret), as the HTTP core's.
func OpenDeadLetterFile(path string, maxBytes int64) (*DeadLetterFile, error) {
	d, err := openDeadLetter(path, maxBytes)
	if err != nil {
		return nil, err
	}
	return &DeadLetterFile{d: d}, nil
}

// Write appends one document with its reason. reason is made one line (no control
// character can forge a line) and must hold no secret: the intakes write a broker's
// error code or a size there, never an answer body.
func (f *DeadLetterFile) Write(doc []byte, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = appendDeadLetter(f.buf[:0], doc, time.Now(), oneLine([]byte(reason)), 0)
	return f.d.write(f.buf)
}

// Close closes the file; Write fails afterwards.
func (f *DeadLetterFile) Close() error { return f.d.close() }

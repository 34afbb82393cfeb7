package mezmo

import (
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

const (
	listOpen  = `{"lines":[`
	listClose = `]}`
)

// Levels: a pipeline_error document is an ERROR, a detection a WARN, the rest INFO.
// (Refused and failed requests stay INFO: their outcome is in the line, which Mezmo
// indexes; the level says what needs a look.)
var (
	levelError = []byte(`,"level":"ERROR"`)
	levelWarn  = []byte(`,"level":"WARN"`)
	levelInfo  = []byte(`,"level":"INFO"`)
)

// framing writes one Mezmo line per document. The app and env members are the same for
// every line: written once, escaped, at Configure.
type framing struct {
	tail []byte // `,"app":"…"[,"env":"…"],"meta":{"k8saudit_id":` before the key
}

func newFraming(app, env string) framing {
	t := jsonw.AppendQuoted([]byte(`,"app":`), []byte(app))
	if env != "" {
		t = jsonw.AppendQuoted(append(t, `,"env":`...), []byte(env))
	}
	return framing{tail: append(t, `,"meta":{"k8saudit_id":`...)}
}

func (framing) ContentType() string           { return "application/json" }
func (framing) AppendOpen(dst []byte) []byte  { return append(dst, listOpen...) }
func (framing) AppendClose(dst []byte) []byte { return append(dst, listClose...) }
func (framing) EnvelopeLen() int              { return len(listOpen) + len(listClose) }
func (framing) Limits() deliver.Limits        { return limits }

func level(d *deliver.Docs, k int) []byte {
	switch {
	case d.IsError(k):
		return levelError
	case d.IsAlert(k):
		return levelWarn
	}
	return levelInfo
}

// One line: {"timestamp":<ms>,"line":"<doc>","level":…,"app":…,"meta":{"k8saudit_id":"<auditID-stage>"}}
// (timestamp left out when the document has no time: Mezmo then takes the time it
// received it; k8saudit_id null without an auditID).
func (f framing) DocLen(d *deliver.Docs, k int, first bool) int {
	n := len(`{"line":`) + jsonw.QuotedLen(d.Doc(k)) + len(level(d, k)) + len(f.tail) + len(`}}`)
	if ms := d.Time(k) / 1e6; ms > 0 {
		n += len(`"timestamp":,`) + jsonw.IntLen(ms)
	}
	if key := d.Key(k); len(key) > 0 {
		n += jsonw.QuotedLen(key)
	} else {
		n += len("null")
	}
	if !first {
		n++
	}
	return n
}

func (f framing) AppendDoc(dst []byte, d *deliver.Docs, k int, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '{')
	if ms := d.Time(k) / 1e6; ms > 0 {
		dst = strconv.AppendInt(append(dst, `"timestamp":`...), ms, 10)
		dst = append(dst, ',')
	}
	dst = jsonw.AppendQuoted(append(dst, `"line":`...), d.Doc(k))
	dst = append(dst, level(d, k)...)
	dst = append(dst, f.tail...)
	if key := d.Key(k); len(key) > 0 {
		dst = jsonw.AppendQuoted(dst, key)
	} else {
		dst = append(dst, "null"...)
	}
	return append(dst, `}}`...)
}

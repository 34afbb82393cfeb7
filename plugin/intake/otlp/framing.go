package otlp

import (
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// framing writes an ExportLogsServiceRequest in the OTLP/HTTP JSON encoding: the envelope
// (one resource, one scope) around the batch, one LogRecord per document.
type framing struct {
	open []byte // {"resourceLogs":[{"resource":{…},"scopeLogs":[{"scope":{…},"logRecords":[
}

const closing = `]}]}]}`

// newFraming builds the constant envelope once.
func newFraming(service, host string) *framing {
	b := []byte(`{"resourceLogs":[{"resource":{"attributes":[`)
	b = appendStringAttr(b, "service.name", service)
	if host != "" {
		b = append(b, ',')
		b = appendStringAttr(b, "host.name", host)
	}
	b = append(b, `]},"scopeLogs":[{"scope":{"name":"k8saudit"},"logRecords":[`...)
	return &framing{open: b}
}

func appendStringAttr(b []byte, key, value string) []byte {
	b = append(b, `{"key":`...)
	b = jsonw.AppendQuoted(b, []byte(key))
	b = append(b, `,"value":{"stringValue":`...)
	b = jsonw.AppendQuoted(b, []byte(value))
	return append(b, `}}`...)
}

func (*framing) ContentType() string            { return "application/json" }
func (f *framing) AppendOpen(dst []byte) []byte { return append(dst, f.open...) }
func (*framing) AppendClose(dst []byte) []byte  { return append(dst, closing...) }
func (f *framing) EnvelopeLen() int             { return len(f.open) + len(closing) }
func (*framing) Limits() deliver.Limits         { return limits }
func (*framing) DocLen(d *deliver.Docs, k int, first bool) int {
	w := writer{count: true}
	w.record(d, k, first)
	return w.n
}
func (*framing) AppendDoc(dst []byte, d *deliver.Docs, k int, first bool) []byte {
	w := writer{dst: dst}
	w.record(d, k, first)
	return w.dst
}

// limits: OTLP sets none; receivers do (the Collector's confighttp max_request_body_size
// defaults to 20 MiB, decompressed). 4 MB and 5,000 records keep a request well inside
// it and inside the gRPC-sized 4 MiB limits many vendors copy.
var limits = deliver.Limits{DefaultBytes: 4_000_000, DefaultEvents: 5_000, MaxBytes: 20 << 20,
	Source: "the OpenTelemetry Collector's default max_request_body_size (20 MiB)"}

// writer either appends to dst or counts what it would append, so that AppendDoc and
// DocLen are one code path and agree by construction.
type writer struct {
	dst   []byte
	n     int
	count bool
}

func (w *writer) s(p string) {
	if w.count {
		w.n += len(p)
	} else {
		w.dst = append(w.dst, p...)
	}
}

func (w *writer) b(p []byte) {
	if w.count {
		w.n += len(p)
	} else {
		w.dst = append(w.dst, p...)
	}
}

func (w *writer) int(v int64) {
	if w.count {
		w.n += jsonw.IntLen(v)
	} else {
		w.dst = strconv.AppendInt(w.dst, v, 10)
	}
}

// record writes document k as one LogRecord.
func (w *writer) record(d *deliver.Docs, k int, first bool) {
	if !first {
		w.s(",")
	}
	w.s(`{"timeUnixNano":"`)
	w.int(max(d.Time(k), 0))
	w.s(`","observedTimeUnixNano":"`)
	w.int(max(d.Observed(k), 0))
	w.s(`","body":`)
	doc := d.Doc(k)
	start, n := len(w.dst), w.n
	sc := scan{doc: doc}
	if !sc.body(w) {
		// Not an object the walker reads: the document goes as one string (the same
		// decision in DocLen and AppendDoc, since it depends on the bytes alone).
		w.dst, w.n = w.dst[:start], n
		sc = scan{}
		w.s(`{"stringValue":`)
		if w.count {
			w.n += jsonw.QuotedLen(doc)
		} else {
			w.dst = jsonw.AppendQuoted(w.dst, doc)
		}
		w.s(`}`)
	}
	sev := sc.severity()
	w.s(`,"severityNumber":`)
	w.s(sevNumber[sev])
	w.s(`,"severityText":"`)
	w.s(sevText[sev])
	w.s(`","attributes":[`)
	sep := false
	for a := range nAttrs {
		if v := sc.attrs[a]; v != nil {
			if sep {
				w.s(",")
			}
			sep = true
			w.s(`{"key":"`)
			w.s(attrNames[a])
			w.s(`","value":{"stringValue":`)
			w.b(v)
			w.s(`}}`)
		}
	}
	w.s(`]}`)
}

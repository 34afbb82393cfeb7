package otlp

import (
	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// framing writes an ExportLogsServiceRequest, protobuf (the default) or the OTLP/HTTP JSON
// encoding of the same messages: one ResourceLogs per document, holding one ScopeLogs
// (scope k8saudit) with one LogRecord. A ResourceLogs per record is what lets the core
// frame a request document by document with exact lengths: protobuf prefixes every
// message with its length, so a shared parent would need the whole batch before its first
// byte. It also lets each record's resource carry its own cluster (k8s.cluster.name, read
// from the document). gzip takes the repeated resource back (a few dozen bytes each).
type framing struct {
	pb bool
	// resJSON and resPB are the constant resource attributes (service.name, host.name),
	// written once.
	resJSON, resPB []byte
}

const (
	openJSON  = `{"resourceLogs":[`
	closeJSON = `]}`
	// scopeJSON ends the record: the resource follows it (members in any order).
	scopeJSON = `{"scopeLogs":[{"scope":{"name":"k8saudit"},"logRecords":[{`
)

// scopePB is ScopeLogs.scope: InstrumentationScope{name: "k8saudit"}.
var scopePB = []byte{1<<3 | wireLen, 10, 1<<3 | wireLen, 8, 'k', '8', 's', 'a', 'u', 'd', 'i', 't'}

// newFraming builds the constant parts once; pb selects protobuf.
func newFraming(service, host string, pb bool) *framing {
	f := &framing{pb: pb}
	for _, a := range [...]struct{ key, value string }{{"service.name", service}, {"host.name", host}} {
		if a.value == "" {
			continue
		}
		if len(f.resJSON) > 0 {
			f.resJSON = append(f.resJSON, ',')
		}
		f.resJSON = append(f.resJSON, `{"key":"`+a.key+`","value":{"stringValue":`...)
		f.resJSON = jsonw.AppendQuotedString(f.resJSON, a.value)
		f.resJSON = append(f.resJSON, `}}`...)
		w := writer{pb: true, dst: f.resPB}
		kv := w.open(1)
		w.stringField(1, a.key)
		v := w.open(2)
		w.validField(1, []byte(a.value))
		w.close(v)
		w.close(kv)
		f.resPB = w.dst
	}
	return f
}

func (f *framing) ContentType() string {
	if f.pb {
		return "application/x-protobuf"
	}
	return "application/json"
}

func (f *framing) AppendOpen(dst []byte) []byte {
	if f.pb {
		return dst // ExportLogsServiceRequest is its repeated field 1: nothing around it
	}
	return append(dst, openJSON...)
}

func (f *framing) AppendClose(dst []byte) []byte {
	if f.pb {
		return dst
	}
	return append(dst, closeJSON...)
}

func (f *framing) EnvelopeLen() int {
	if f.pb {
		return 0
	}
	return len(openJSON) + len(closeJSON)
}

func (*framing) Limits() deliver.Limits { return limits }

func (f *framing) DocLen(d *deliver.Docs, k int, first bool) int {
	w := writer{count: true, pb: f.pb}
	f.resourceLogs(&w, d, k, first)
	return w.n
}

func (f *framing) AppendDoc(dst []byte, d *deliver.Docs, k int, first bool) []byte {
	w := writer{dst: dst, pb: f.pb}
	f.resourceLogs(&w, d, k, first)
	return w.dst
}

// limits: OTLP sets none; receivers do (the Collector's confighttp max_request_body_size
// defaults to 20 MiB, decompressed). 4 MB and 5,000 records keep a request well inside
// it and inside the gRPC-sized 4 MiB limits many vendors copy.
var limits = deliver.Limits{DefaultBytes: 4_000_000, DefaultEvents: 5_000, MaxBytes: 20 << 20,
	Source: "the OpenTelemetry Collector's default max_request_body_size (20 MiB)"}

// resourceLogs writes document k as one ResourceLogs (an element of the request's
// resource_logs / resourceLogs).
func (f *framing) resourceLogs(w *writer, d *deliver.Docs, k int, first bool) {
	var sc scan
	if f.pb {
		rl := w.open(1) // ExportLogsServiceRequest.resource_logs
		sl := w.open(2) // ResourceLogs.scope_logs
		w.b(scopePB)
		lr := w.open(2) // ScopeLogs.log_records
		f.record(w, &sc, d, k)
		w.close(lr)
		w.close(sl)
		res := w.open(1) // ResourceLogs.resource
		w.b(f.resPB)
		if c := sc.attrs[aCluster]; c != nil {
			w.attr(1, false, "k8s.cluster.name", c) // Resource.attributes
		}
		w.close(res)
		w.close(rl)
		return
	}
	if !first {
		w.s(",")
	}
	w.s(scopeJSON)
	f.record(w, &sc, d, k)
	w.s(`}]}],"resource":{"attributes":[`)
	w.b(f.resJSON)
	if c := sc.attrs[aCluster]; c != nil {
		w.attr(1, len(f.resJSON) == 0, "k8s.cluster.name", c)
	}
	w.s(`]}}`)
}

// record writes the LogRecord's fields (JSON: its members, without braces), leaving in
// sc what the walk found (the resource's cluster).
func (f *framing) record(w *writer, sc *scan, d *deliver.Docs, k int) {
	doc := d.Doc(k)
	if f.pb {
		w.fixed64(1, uint64(max(d.Time(k), 0)))      // time_unix_nano
		w.fixed64(11, uint64(max(d.Observed(k), 0))) // observed_time_unix_nano
		body := w.open(5)
		writeBody(w, sc, doc)
		w.close(body)
		sev := sc.severity()
		w.tag(2, wireVarint)
		w.varint(sevNum[sev])
		w.stringField(3, sevText[sev])
	} else {
		w.s(`"timeUnixNano":"`)
		w.int(max(d.Time(k), 0))
		w.s(`","observedTimeUnixNano":"`)
		w.int(max(d.Observed(k), 0))
		w.s(`","body":`)
		writeBody(w, sc, doc)
		sev := sc.severity()
		w.s(`,"severityNumber":`)
		w.s(sevNumber[sev])
		w.s(`,"severityText":"`)
		w.s(sevText[sev])
		w.s(`","attributes":[`)
	}
	first := true
	for a := range nAttrs {
		if v := sc.attrs[a]; v != nil && a != aCluster {
			w.attr(6, first, attrNames[a], v) // LogRecord.attributes
			first = false
		}
	}
	if !f.pb {
		w.s(`]`)
	}
}

// writeBody writes the document as the content of the body's AnyValue: a map when the
// walker reads it, else, from the same start, the whole document as one string (the same
// decision in DocLen and AppendDoc, since it depends on the bytes alone).
func writeBody(w *writer, sc *scan, doc []byte) {
	start := w.pos()
	*sc = scan{doc: doc}
	if sc.body(w) {
		return
	}
	w.truncate(start)
	*sc = scan{}
	w.wholeString(doc)
}

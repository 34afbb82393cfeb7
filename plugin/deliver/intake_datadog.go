package deliver

import (
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// Datadog Logs API v2: POST <url>/api/v2/logs, a JSON array of log entries, DD-API-KEY.
// Each entry is the document with Datadog's reserved attributes put first:
//
//	{"ddsource":"kubernetes.audit","service":"…","ddtags":"…","hostname":"…","timestamp":<ms>,<the document's own fields>}
//
// (service, ddtags and hostname only when configured; timestamp only when the document
// has a time.) The document's objects stay as they are: the ECS document has no
// top-level host, service, status or message, and its source object (source.ip,
// source.address) becomes the attribute source.ip next to the reserved ddsource, so no
// key is written twice. A raw audit event has none of these keys either, except the
// legacy v1beta1 `timestamp` (then the entry carries two, and Datadog keeps one).
// A document that is not a JSON object is sent as the entry's message.
//
// Datadog answers all or nothing (202); a log over 1 MB would be truncated silently, so
// such a document is never sent: it goes to the dead-letter file with the reason.

var ddLimits = Limits{
	DefaultBytes:  5_000_000,
	DefaultEvents: 1000,
	MaxBytes:      5_000_000,
	MaxEvents:     1000,
	MaxDocBytes:   1_000_000,
	Source:        "Datadog's documented limits: 5 MB uncompressed and 1000 logs per request, 1 MB per log",
}

type ddFraming struct {
	prefix []byte // {"ddsource":"…",… each field followed by a comma
}

func newDatadog(o *Options) (*intakeDef, error) {
	fr := ddFraming{prefix: []byte{'{'}}
	src := o.DDSource
	if src == "" {
		src = DefaultDDSource
	}
	fr.prefix = appendJSONField(fr.prefix, "ddsource", src)
	if o.DDService != "" {
		fr.prefix = appendJSONField(fr.prefix, "service", o.DDService)
	}
	if o.DDTags != "" {
		fr.prefix = appendJSONField(fr.prefix, "ddtags", o.DDTags)
	}
	if o.DDHostname != "" {
		fr.prefix = appendJSONField(fr.prefix, "hostname", o.DDHostname)
	}
	return &intakeDef{
		name: "datadog", fr: fr,
		path:       "/api/v2/logs",
		credential: "DD-API-KEY",
		answerKeep: answerKeep,
	}, nil
}

// DefaultDDSource is the ddsource Datadog's Kubernetes audit pipeline is keyed on.
const DefaultDDSource = "kubernetes.audit"

func (ddFraming) ContentType() string           { return "application/json" }
func (ddFraming) AppendOpen(dst []byte) []byte  { return append(dst, '[') }
func (ddFraming) AppendClose(dst []byte) []byte { return append(dst, ']') }
func (ddFraming) EnvelopeLen() int              { return 2 }
func (ddFraming) Limits() Limits                { return ddLimits }

const ddTimestampKey = `"timestamp":`

func (f ddFraming) DocLen(d *Docs, k int, first bool) int {
	n := len(f.prefix)
	if !first {
		n++
	}
	if t := d.Time(k); t != 0 {
		n += len(ddTimestampKey) + jsonw.IntLen(t/1e6) + 1
	}
	doc := d.Doc(k)
	switch {
	case emptyObject(doc):
		if n == len(f.prefix) && len(f.prefix) == 1 {
			return n + 1
		}
		return n
	case isObject(doc):
		return n + len(doc) - 1
	}
	return n + len(`"message":`) + jsonStringLen(doc) + 1
}

func (f ddFraming) AppendDoc(dst []byte, d *Docs, k int, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	start := len(dst)
	dst = append(dst, f.prefix...)
	if t := d.Time(k); t != 0 {
		dst = append(dst, ddTimestampKey...)
		dst = strconv.AppendInt(dst, t/1e6, 10)
		dst = append(dst, ',')
	}
	doc := d.Doc(k)
	switch {
	case emptyObject(doc):
		if len(dst)-start == 1 { // just "{"
			return append(dst, '}')
		}
		dst[len(dst)-1] = '}' // the last field's comma closes the object
		return dst
	case isObject(doc):
		return append(dst, doc[1:]...)
	}
	dst = append(dst, `"message":`...)
	dst = appendJSONBytes(dst, doc)
	return append(dst, '}')
}

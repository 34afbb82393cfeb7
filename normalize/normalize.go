package normalize

import (
	"errors"
	"strings"

	"github.com/valyala/fastjson"
)

// Format selects what a document holds.
type Format uint8

const (
	// ECS is the Elastic Common Schema mapping described in the package doc.
	ECS Format = iota
	// Raw is the original audit event re-emitted as compact JSON.
	Raw
)

// String returns the configuration name of f.
func (f Format) String() string {
	switch f {
	case ECS:
		return "ecs"
	case Raw:
		return "raw"
	}
	return "unknown"
}

// ErrFormat is returned by ParseFormat for a name it does not know.
var ErrFormat = errors.New(`format must be "ecs" or "raw"`)

// ParseFormat reads the `format` configuration value (case-insensitive,
// surrounding spaces ignored).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ecs":
		return ECS, nil
	case "raw":
		return Raw, nil
	}
	return ECS, ErrFormat
}

// DefaultMaxOriginalBytes bounds event.original in a pipeline_error document
// when Options.MaxOriginalBytes is 0.
const DefaultMaxOriginalBytes = 16 << 10

// MaxBodyBytes caps the rendered JSON of requestObject and responseObject in
// kubernetes.audit; a larger body is left out and labels.truncated is set.
const MaxBodyBytes = 64 << 10

// Options configures a Normalizer.
type Options struct {
	Format           Format
	ClusterName      string // orchestrator.cluster.name, left out when empty
	EventOriginal    bool   // keep the raw event text in event.original
	MaxOriginalBytes int    // bound on the original text kept in a pipeline_error document (0 = 16 KiB default)
}

// Doc is one output document. Slices are valid only until the next Normalize call.
type Doc struct {
	JSON    []byte // one compact JSON object, no trailing newline
	AuditID []byte // auditID, empty if none
	Stage   []byte // stage, empty if none
	Time    int64  // Unix nanoseconds of the document's @timestamp (0 when it has none)
	Error   bool   // true for an event.kind=pipeline_error document
}

// docSpan records a document by offsets while the buffers may still grow;
// Normalize turns spans into Docs once all documents are written.
type docSpan struct {
	start, end     int
	idStart, idEnd int
	stStart, stEnd int
	time           int64
	err            bool
}

// Normalizer turns records into documents. It is not safe for concurrent use:
// keep one per flush scratch and reuse it, so that its buffers and parsers
// reach their steady-state size and stop allocating.
type Normalizer struct {
	opt         Options
	clusterName []byte
	maxOriginal int

	p     fastjson.Parser // the record
	inner fastjson.Parser // an AKS envelope whose properties.log is a JSON string

	w          writer // document bytes; Doc.JSON points into w.b
	meta       []byte // copies of auditID and stage
	spans      []docSpan
	docs       []Doc
	recordTime int64

	ev    event    // the event being written
	ips   [][]byte // valid source IPs of the event
	users [][]byte // related.user candidates
	imgs  [][]byte // container images

	scratch   []byte // a rendered value serving as an original text
	truncated bool   // a body was left out of the current document
}

// New returns a Normalizer for o.
func New(o Options) *Normalizer {
	n := &Normalizer{opt: o, clusterName: []byte(o.ClusterName), maxOriginal: o.MaxOriginalBytes}
	if n.maxOriginal <= 0 {
		n.maxOriginal = DefaultMaxOriginalBytes
	}
	return n
}

// Normalize turns one record into zero or more documents (see the package doc
// for the shapes accepted). recordTime is the Unix-nanosecond time Fluent Bit
// gave the record, the last fallback for @timestamp (0 = unknown). The
// returned slice and every slice in it are valid until the next call.
func (n *Normalizer) Normalize(record []byte, recordTime int64) []Doc {
	n.w.b = n.w.b[:0]
	n.meta = n.meta[:0]
	n.spans = n.spans[:0]
	n.recordTime = recordTime
	n.split(record)

	n.docs = n.docs[:0]
	for i := range n.spans {
		s := &n.spans[i]
		n.docs = append(n.docs, Doc{
			JSON:    n.w.b[s.start:s.end:s.end],
			AuditID: n.meta[s.idStart:s.idEnd:s.idEnd],
			Stage:   n.meta[s.stStart:s.stEnd:s.stEnd],
			Time:    s.time,
			Error:   s.err,
		})
	}
	return n.docs
}

package normalize

import (
	"errors"
	"strconv"
	"strings"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/normalize/internal/docwriter"
	"github.com/k8saudit/k8saudit/normalize/policy"
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

// DefaultMaxEventBytes bounds an ECS document when Options.MaxEventBytes is 0.
const DefaultMaxEventBytes = 1 << 20

// Options configures a Normalizer.
type Options struct {
	Format           Format
	ClusterName      string // orchestrator.cluster.name, left out when empty
	EventOriginal    bool   // keep the raw event text in event.original
	MaxOriginalBytes int    // bound on the unparsed text kept with KeepUnparsedText (0 = 16 KiB default)

	// MaxEventBytes bounds an ECS document (0 = DefaultMaxEventBytes, 1 MiB;
	// the plugin's max_event_bytes). A document that would be larger loses
	// kubernetes.audit.responseObject, then requestObject, then the end of
	// event.original, until it fits, and carries labels.truncated: true; every
	// other field is kept, so only a record whose other fields alone exceed
	// the bound (megabytes of URI or annotations) yields a larger document.
	// In format raw, a body whose text alone exceeds it is left out. Memory
	// per body stays within the bound whatever the input's size.
	MaxEventBytes int

	// Policy, when not nil, is applied to every event (each EventList item)
	// before it is written, in both formats: an event it drops yields no
	// document (counted by Dropped); otherwise requestObject is left out
	// unless the effective level keeps it, responseObject likewise, and
	// kubernetes.audit.level (format raw: level) says the effective level
	// when the policy lowered it. See policy.Evaluate.
	Policy *policy.Policy

	// Redact replaces secret material with RedactedValue (see redact.go and
	// the package doc). The zero value is off, so that the golden files
	// hold the unredacted mapping; the plugin's redact setting is on by
	// default. RedactPaths are the user's own dotted body paths
	// (data.password), redacted in both bodies of every event, Redact or
	// not; at most MaxRedactPaths (New panics otherwise, see
	// CheckRedactPaths).
	Redact      bool
	RedactPaths []string

	// KeepUnparsedText puts the text of what could not be read as an
	// event back in event.original, bounded to MaxOriginalBytes: in a
	// pipeline_error document, and in a salvaged event's ECS document.
	// That text has been through no policy and no redaction (a request
	// body in it can hold a Secret), so the default, false, ships its
	// length and SHA-256 only (see salvage.go, pipeline_error.go).
	KeepUnparsedText bool

	// Detect, when not nil, tags each event with the detections it
	// matches (ecs_detect.go, package detect): event.kind alert,
	// event.severity, labels.severity, rule.*, threat.*, tags in format
	// ecs; a k8saudit side object in format raw. DetectAlertsOnly ships
	// only the events that matched (the others count in Dropped).
	Detect           *detect.Engine
	DetectAlertsOnly bool
}

// Doc is one output document. Slices are valid only until the next Normalize call.
type Doc struct {
	JSON    []byte // one compact JSON object, no trailing newline
	AuditID []byte // auditID, empty if none
	Stage   []byte // stage, empty if none
	Time    int64  // Unix nanoseconds of the document's @timestamp (0 when it has none)
	Error   bool   // true for an event.kind=pipeline_error document

	// Redacted: secret material was replaced in this document; RedactedIn says where
	// (RedactedURI, RedactedBody, both).
	Redacted   bool
	RedactedIn RedactedIn
	// Salvaged: an event document built from what a tolerant scan could
	// read of a record the parsers refused (see salvage.go).
	Salvaged bool
	// Alert: Options.Detect matched at least one rule on this event.
	Alert bool
	// Rules: the rules matched, bit i for detect.Rules()[i] (0 when Alert is false), so
	// that a caller counts alerts per rule without allocating.
	Rules uint64
}

// docSpan records a document by offsets while the buffers may still grow;
// Normalize turns spans into Docs once all documents are written.
type docSpan struct {
	start, end     int
	idStart, idEnd int
	stStart, stEnd int
	time           int64
	err            bool
	redacted       RedactedIn
	salvaged       bool
	alert          bool
	rules          uint64
}

// Normalizer turns records into documents. It is not safe for concurrent use:
// keep one per flush scratch and reuse it, so that its buffers and parsers
// reach their steady-state size and stop allocating.
type Normalizer struct {
	opt         Options
	clusterName []byte
	maxOriginal int

	maxEvent int
	userMask uint64 // the bits of Options.RedactPaths in red.Paths

	p     fastjson.Parser // the record, stripped of its bodies (strip.go)
	inner fastjson.Parser // an AKS envelope whose properties.log is a JSON string
	bodyP fastjson.Parser // a request body that may hold a pod spec
	st    stripState      // strip.go

	bodies  []body          // the record's bodies, indexed by marker
	bodyBuf []byte          // their sanitized text
	names   []byte          // their metadata.name, unescaped
	sc      scanner         // the body scanner's state
	exact   scanner         // a second scanner, for rendering a body exactly in format ecs
	oddP    fastjson.Parser // a body key out of its place, parsed (bodies.go)
	oddBuf  []byte

	w          docwriter.Writer // document bytes; Doc.JSON points into w.B
	meta       []byte           // copies of auditID and stage
	spans      []docSpan
	docs       []Doc
	recordTime int64

	ev  event    // the event being written
	doc docState // the document being written (ecs.go)

	hk  hookState // the per-event hook (hook.go): policy and redaction
	red redactor

	// The safe road (salvage.go): its scan, and while a salvaged event is
	// written, the text it was salvaged from.
	sv        salvageState
	salvaging bool
	salvRaw   []byte

	det detectState // detections (ecs_detect.go)

	orchBase  string // the members writeOrchestratorBase writes, written once
	orchCount int

	d          directState // the direct road's walk (direct.go)
	tookDirect bool        // the last record took the direct road
}

// New returns a Normalizer for o.
func New(o Options) *Normalizer {
	n := &Normalizer{opt: o, clusterName: []byte(o.ClusterName), maxOriginal: o.MaxOriginalBytes}
	if n.maxOriginal <= 0 {
		n.maxOriginal = DefaultMaxOriginalBytes
	}
	n.maxEvent = o.MaxEventBytes
	if n.maxEvent <= 0 {
		n.maxEvent = DefaultMaxEventBytes
	}
	n.hk.keepReq, n.hk.keepResp = true, true
	n.red = newRedactor(o)
	n.sc.pats, n.exact.pats = n.red.Paths, n.red.Paths
	n.userMask = n.red.User
	return n
}

// Normalize turns one record into zero or more documents (see the package doc
// for the shapes accepted). recordTime is the Unix-nanosecond time Fluent Bit
// gave the record, the last fallback for @timestamp (0 = unknown). The
// returned slice and every slice in it are valid until the next call.
func (n *Normalizer) Normalize(record []byte, recordTime int64) []Doc {
	n.reset(recordTime)
	n.tookDirect = n.direct(record)
	if !n.tookDirect {
		n.split(record)
	}
	return n.collect()
}

// reset empties the per-record state.
func (n *Normalizer) reset(recordTime int64) {
	n.w.B = n.w.B[:0]
	n.meta = n.meta[:0]
	n.spans = n.spans[:0]
	n.bodies, n.bodyBuf, n.names = n.bodies[:0], n.bodyBuf[:0], n.names[:0]
	n.recordTime = recordTime
	n.hk.dropped, n.hk.dropWhy = 0, n.hk.dropWhy[:0]
	n.hk.treeBuf = n.hk.treeBuf[:0]
}

// Dropped is the number of events the policy dropped in the last Normalize
// call: they have no document.
func (n *Normalizer) Dropped() int { return n.hk.dropped }

// DropReasons says why each of the last Normalize call's Dropped events was left out, in
// their order. The slice is valid until the next call.
func (n *Normalizer) DropReasons() []DropReason { return n.hk.dropWhy }

// drop counts one event left out for why.
func (n *Normalizer) drop(why DropReason) {
	n.hk.dropped++
	n.hk.dropWhy = append(n.hk.dropWhy, why)
}

// RedactedIn says where a document's secret material was replaced, one bit per place.
type RedactedIn uint8

const (
	RedactedURI  RedactedIn = 1 << iota // requestURI's query parameters
	RedactedBody                        // requestObject or responseObject
)

// DropReason says why an event was left out: the policy_file rule that dropped it
// (its index in the file, from 0), or one of the negative reasons below.
type DropReason int32

const (
	// DroppedNoRule: no policy rule matched (a policy's implicit level None).
	DroppedNoRule DropReason = -1
	// DroppedNotAlert: Options.DetectAlertsOnly and no detection matched.
	DroppedNotAlert DropReason = -2
)

// DropReasonCount is the number of reasons a policy of rules rules can give, so that a
// counter per reason is a slice indexed by DropReason.Index.
func DropReasonCount(rules int) int { return rules + 2 }

// Index is r's place in a slice of DropReasonCount counters: alerts-only, no rule, then
// the rules in their order.
func (r DropReason) Index() int { return int(r) + 2 }

// DropReasonAt is the reason at index i (the inverse of Index).
func DropReasonAt(i int) DropReason { return DropReason(i - 2) }

// Label names r for a metric: detect_alerts_only, no_rule, or rule_<n> for the n-th
// rule of the policy file, counted from 1 as a reader of the file counts them.
func (r DropReason) Label() string {
	switch {
	case r == DroppedNotAlert:
		return "detect_alerts_only"
	case r == DroppedNoRule:
		return "no_rule"
	case r >= 0:
		return "rule_" + strconv.Itoa(int(r)+1)
	}
	return "unknown"
}

// collect turns the record's spans into Docs.
func (n *Normalizer) collect() []Doc {
	n.docs = n.docs[:0]
	for i := range n.spans {
		s := &n.spans[i]
		n.docs = append(n.docs, Doc{
			JSON:       n.w.B[s.start:s.end:s.end],
			AuditID:    n.meta[s.idStart:s.idEnd:s.idEnd],
			Stage:      n.meta[s.stStart:s.stEnd:s.stEnd],
			Time:       s.time,
			Error:      s.err,
			Redacted:   s.redacted != 0,
			RedactedIn: s.redacted,
			Salvaged:   s.salvaged,
			Alert:      s.alert,
			Rules:      s.rules,
		})
	}
	return n.docs
}

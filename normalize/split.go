package normalize

import (
	"errors"

	"github.com/valyala/fastjson"
)

// The input shapes a record may take, all resolved here before any document
// is written:
//
//	{"kind":"Event",...}                          one audit event (v1 or v1beta1)
//	{"kind":"EventList","items":[...]}            the webhook backend's batch
//	[{...},{...}]                                 a JSON array of any of these
//	{"records":[...]}                             Azure diagnostic export
//	{"category":"kube-audit...","properties":{"log":"<event JSON>" | {...}}}   AKS
//
// Containers nest at most maxNesting levels deep, and an AKS string payload
// is parsed once (a string inside that string is an error), so a hostile
// record cannot make the splitter recurse without bound.
const maxNesting = 4

// Fixed error texts keep the error path free of formatting, and of the
// input: a parser's own message quotes the text it refused.
const (
	errEmpty     = "empty record"
	errNoValue   = "invalid JSON: no object or array in the record"
	errEmptyList = "invalid JSON: a list with no item"
	errNotObject = "not an audit event: the JSON value is not an object"
	errKind      = "not an audit event: kind is not Event"
	errNoFields  = "not an audit event: no auditID, verb with requestURI or kind Event, or audit.k8s.io apiVersion"
	errNesting   = "record nests containers too deeply"
	errLogNested = "AKS envelope: properties.log nested inside properties.log"
	errLogType   = "AKS envelope: properties.log is neither a string nor an object"
)

func (n *Normalizer) split(record []byte) {
	rec := trimSpace(record)
	if len(rec) == 0 {
		n.unparsed(record, errEmpty, -1)
		return
	}
	v, marked, err := n.parse(&n.p, &n.st.stripped, rec)
	if err != nil {
		n.salvageRecord(rec, rec, 0, true) // the safe road (salvage.go)
		return
	}
	n.value(v, rec, 0, false, marked)
}

// errTooDeep: a record nests past maxScanDepth outside its bodies.
var errTooDeep = errors.New("nested too deeply")

// parse parses rec with p: stripped of its bodies when they scan (marked),
// else whole, the way every record was parsed before strip existed.
func (n *Normalizer) parse(p *fastjson.Parser, buf *[]byte, rec []byte) (*fastjson.Value, bool, error) {
	nb, nbuf, nnames := len(n.bodies), len(n.bodyBuf), len(n.names)
	n.st.deep = false
	s, ok := n.strip((*buf)[:0], rec)
	*buf = s
	if n.st.deep {
		// Nesting past fastjson's MaxDepth outside the bodies: both
		// parses would fail, each building one error message per level.
		n.bodies, n.bodyBuf, n.names = n.bodies[:nb], n.bodyBuf[:nbuf], n.names[:nnames]
		return nil, false, errTooDeep
	}
	if ok {
		if v, err := p.ParseBytes(s); err == nil {
			return v, true, nil
		}
	}
	n.bodies, n.bodyBuf, n.names = n.bodies[:nb], n.bodyBuf[:nbuf], n.names[:nnames]
	v, err := p.ParseBytes(rec)
	return v, false, err
}

// value dispatches one parsed value. original is the value's own text when
// the input holds it as is (the whole record, an AKS string payload), nil
// when the value is part of a larger document. marked says whether v comes
// from a stripped parse (see strip.go).
func (n *Normalizer) value(v *fastjson.Value, original []byte, depth int, inner, marked bool) {
	if depth > maxNesting {
		n.pipelineErrorValue(v, marked, original, errNesting)
		return
	}
	switch v.Type() {
	case fastjson.TypeArray:
		for _, item := range v.GetArray() {
			n.value(item, nil, depth+1, inner, marked)
		}
		return
	case fastjson.TypeObject:
		unescapeKeys(v) // Get finds the first member of a name, escaped or not
	default:
		n.pipelineErrorValue(v, marked, original, errNotObject)
		return
	}

	kind := stringOf(v.Get("kind"))
	if len(kind) == 0 || string(kind) == "EventList" {
		if items := v.Get("items"); items != nil && items.Type() == fastjson.TypeArray {
			n.value(items, nil, depth, inner, marked)
			return
		}
	}
	if len(kind) == 0 {
		if recs := v.Get("records"); recs != nil && recs.Type() == fastjson.TypeArray {
			n.value(recs, nil, depth, inner, marked)
			return
		}
		if log := v.Get("properties", "log"); log != nil {
			switch log.Type() {
			case fastjson.TypeString:
				if inner {
					n.pipelineErrorValue(v, marked, original, errLogNested)
					return
				}
				text, _ := log.StringBytes()
				ev, im, err := n.parse(&n.inner, &n.st.inner, trimSpace(text))
				if err != nil {
					// n.p's tree (v) is still walked: the salvage
					// leaves the parsers alone.
					n.salvageRecord(trimSpace(text), trimSpace(text), depth+1, false)
					return
				}
				n.value(ev, trimSpace(text), depth+1, true, im)
			case fastjson.TypeObject, fastjson.TypeArray:
				n.value(log, nil, depth+1, inner, marked)
			default:
				n.pipelineErrorValue(v, marked, original, errLogType)
			}
			return
		}
	}
	if reason := eventCheck(v, kind); reason != "" {
		n.pipelineErrorValue(v, marked, original, reason)
		return
	}
	n.event(v, original, marked)
}

// eventCheck decides whether an object is an audit event, returning why not.
// The test is deliberately loose, since a missing field must never drop an
// event: kind, when present, must be "Event", and the object must carry at
// least one field that only audit events have (auditID, or verb with
// requestURI or with kind Event, or an audit.k8s.io apiVersion). Sekoia's
// samples, for one, have no kind or apiVersion at all; events trimmed by
// other pipelines or written for detection test sets may have only kind
// Event and a verb.
func eventCheck(v *fastjson.Value, kind []byte) string {
	if k := v.Get("kind"); k != nil && string(kind) != "Event" {
		return errKind
	}
	if !isEvent(kind, stringOf(v.Get("auditID")), stringOf(v.Get("verb")), stringOf(v.Get("requestURI")), stringOf(v.Get("apiVersion"))) {
		return errNoFields
	}
	return ""
}

// isEvent is eventCheck's test of the fields only audit events have.
func isEvent(kind, auditID, verb, requestURI, apiVersion []byte) bool {
	return len(auditID) > 0 || len(verb) > 0 && (len(requestURI) > 0 || string(kind) == "Event") ||
		len(kind) > 0 && len(apiVersion) > 13 && string(apiVersion[:13]) == "audit.k8s.io/"
}

// stringOf returns the bytes of a JSON string, nil for anything else.
func stringOf(v *fastjson.Value) []byte {
	if v == nil || v.Type() != fastjson.TypeString {
		return nil
	}
	b, _ := v.StringBytes()
	return b
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

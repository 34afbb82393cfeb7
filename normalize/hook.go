package normalize

import (
	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/normalize/policy"
	"github.com/valyala/fastjson"
)

// The per-event hook runs between extract and the writers (see
// Normalizer.event): the policy decides whether the event is shipped and
// which bodies it keeps; redaction picks the event's paths and rescans its
// kept bodies when they need more than the first scan did. Everything here
// reuses the Normalizer's buffers: no allocation once they have grown.

// levelNames are the level values written when the policy lowered one.
var levelNames = [...][]byte{
	policy.LevelNone:            []byte("None"),
	policy.LevelMetadata:        []byte("Metadata"),
	policy.LevelRequest:         []byte("Request"),
	policy.LevelRequestResponse: []byte("RequestResponse"),
}

// hookState is the per-event hook's: the policy's decision for the event being
// written, and what the policy dropped in the record.
type hookState struct {
	attrs             policy.Attributes
	keepReq, keepResp bool         // the effective level keeps that body
	levelSet          bool         // the policy lowered the level: e.level is its name
	omitManaged       bool         // the decision asks managedFields out of the bodies
	dropped           int          // events the policy dropped in this record
	dropWhy           []DropReason // why, one per dropped event
	treeBuf           []byte       // bodies of an unmarked tree, rendered for scanning
}

// hook applies the policy and prepares redaction; false means the event is
// dropped.
func (n *Normalizer) hook(e *event) bool {
	n.hk.keepReq, n.hk.keepResp, n.hk.levelSet, n.hk.omitManaged = true, true, false, false
	if p := n.opt.Policy; p != nil {
		d := p.Evaluate(n.attributes(e))
		if d.Drop {
			n.drop(DropReason(max(d.Rule, -1)))
			return false
		}
		n.hk.keepReq, n.hk.keepResp = d.Level.KeepsRequestBody(), d.Level.KeepsResponseBody()
		if ev, ok := policy.ParseLevel(e.level); !ok || d.Level < ev {
			e.level, n.hk.levelSet = levelNames[d.Level], true
			e.plain &^= 1 << sLevel
			e.canonOK &^= 1 << sLevel
		}
		n.hk.omitManaged = d.OmitManagedFields
	}
	n.prepareRedaction(e)
	if !n.red.on && !(n.hk.omitManaged && n.opt.Format == Raw) {
		return true
	}
	mask := n.red.User | n.red.classMask
	drop := n.opt.Format == ECS || n.hk.omitManaged
	if n.hk.keepReq {
		e.req = n.redactBody(e.requestObject, e.req, drop, mask)
	}
	if n.hk.keepResp {
		e.resp = n.redactBody(e.responseObject, e.resp, drop, mask)
	}
	n.red.any = n.red.uriRedacted || n.red.bodyRedacted
	return true
}

// attributes fills the policy's view of e.
func (n *Normalizer) attributes(e *event) *policy.Attributes {
	a := &n.hk.attrs
	groups := append(a.Groups[:0], e.userGroups...)
	path := e.requestURI
	if i := indexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	*a = policy.Attributes{
		User: e.userName, Groups: groups, Verb: e.verb,
		APIGroup: e.apiGroup, Resource: e.resource, Subresource: e.subresource,
		Namespace: e.namespace, Name: e.name,
		ResourceRequest: e.hasObjectRef,
		Path:            path, Stage: e.stage, EventLevel: e.level,
	}
	return a
}

// redactBody makes the body of a member (a marker's index, or a tree)
// redacted with mask and returns its index in n.bodies (-1: none). A
// marker's body is scanned again from its input only when the event needs
// more than the first scan did; a tree (a record on the old road) is
// rendered and scanned, becoming a body like a marker's.
func (n *Normalizer) redactBody(v *fastjson.Value, idx int, drop bool, mask uint64) int {
	if idx < 0 {
		if v == nil {
			return -1
		}
		start := len(n.hk.treeBuf)
		n.hk.treeBuf = n.appendValue(n.hk.treeBuf, v, false, false)
		// treeBuf only grows within a record, so raw stays valid.
		raw := n.hk.treeBuf[start:len(n.hk.treeBuf):len(n.hk.treeBuf)]
		_, b, ok := n.scanOne(raw, 0, drop, mask)
		if !ok {
			return -1
		}
		n.bodies = append(n.bodies, b)
		n.red.bodyRedacted = n.red.bodyRedacted || b.redacted
		return len(n.bodies) - 1
	}
	b := n.bodyAt(idx)
	if b == nil {
		return idx
	}
	firstDrop := n.opt.Format == ECS
	if mask != n.userMask || drop != firstDrop {
		_, nb, ok := n.scanOne(b.raw, 0, drop, mask)
		if !ok { // cannot happen: the text scanned before
			b.over, b.same, b.start, b.end = true, false, 0, 0
			return idx
		}
		nb.name = b.name
		*b = nb
	}
	n.red.bodyRedacted = n.red.bodyRedacted || b.redacted
	return idx
}

// eventMask is the redaction mask of the current event's bodies.
func (n *Normalizer) eventMask() uint64 { return n.red.User | n.red.classMask }

// modified reports whether the event as shipped differs from its input
// text beyond sanitizing: event.original must then be rendered from the
// event rather than copied.
func (n *Normalizer) modified(e *event) bool {
	return n.hk.levelSet || !n.hk.keepReq || !n.hk.keepResp || n.red.any || n.red.User != 0 || (n.red.on && (!e.marked || e.dup)) || e.odd
}

// appendEvent renders the event as format raw does, with the hook's
// changes: bodies left out by the policy, bodies and requestURI redacted,
// odd members (eventMember) left out,
// the level lowered, and with marker the RedactedAnnotation when something
// was redacted.
func (n *Normalizer) appendEvent(dst []byte, e *event, marker bool) []byte {
	if e.direct {
		return n.appendEventDirect(dst, e, marker)
	}
	marker = marker && n.red.any
	dst = append(dst, '{')
	first := true
	annotated := false
	o, _ := e.v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = jsonw.AppendQuoted(dst, k)
		dst = append(dst, ':')
		switch string(k) {
		case "requestObject", "responseObject":
			idx, keep := e.req, n.hk.keepReq
			if k[1] == 'e' && k[2] == 's' { // responseObject
				idx, keep = e.resp, n.hk.keepResp
			}
			if !keep {
				dst = dst[:mark]
				return
			}
			switch {
			case idx >= 0:
				var ok bool
				if dst, ok = n.appendBodyIdx(dst, idx); !ok {
					dst = dst[:mark]
					return
				}
			case e.marked || n.red.on:
				// A marker the hook did not resolve, or a tree it could
				// not render: nothing safe to write.
				dst = dst[:mark]
				return
			default:
				dst = n.appendValue(dst, x, false, false)
			}
		case "level":
			if n.hk.levelSet {
				dst = jsonw.AppendQuoted(dst, e.level)
			} else {
				dst = n.appendValue(dst, x, e.marked, false)
			}
		case "requestURI":
			// Every copy of a member given twice writes the one the event
			// took (and redacted).
			if n.red.uriRedacted || e.dup && n.red.on {
				dst = jsonw.AppendQuoted(dst, e.requestURI)
			} else {
				dst = n.appendValue(dst, x, e.marked, false)
			}
		case "annotations":
			dst = n.appendValue(dst, x, e.marked, false)
			if marker && x.Type() == fastjson.TypeObject && !annotated {
				annotated = true
				dst = dst[:len(dst)-1]
				dst = appendMarkerMember(dst)
			}
		default:
			if !eventMember(k) {
				dst = dst[:mark] // see eventMember
				return
			}
			dst = n.appendValue(dst, x, e.marked, false)
		}
		first = false
	})
	return appendMarkerAnnotations(dst, marker && !annotated, first)
}

// appendMarkerMember adds RedactedAnnotation to an annotations object
// written up to, not including, its closing brace, and closes it.
func appendMarkerMember(dst []byte) []byte {
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	return append(dst, `"`+RedactedAnnotation+`":"true"}`...)
}

// appendMarkerAnnotations closes an event, with an annotations member
// holding only RedactedAnnotation when add (the event had none); first says
// the event has no member yet.
func appendMarkerAnnotations(dst []byte, add, first bool) []byte {
	if add {
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, `"annotations":{"`+RedactedAnnotation+`":"true"}`...)
	}
	return append(dst, '}')
}

// hooked reports whether the per-event hook runs.
func (n *Normalizer) hooked() bool { return n.opt.Policy != nil || n.red.on }

package syslog

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// fields are what the header and the structured data say about one document, read from
// the document itself (ECS or raw). The slices alias the parser's buffer: valid until the
// next parse.
type fields struct {
	auditID, stage, verb, user, outcome, kind []byte
	class                                     int // clCritical … clRead
}

var (
	kindAlert         = []byte("alert")
	kindPipelineError = []byte("pipeline_error")
	outcomeFailure    = []byte("failure")
	outcomeSuccess    = []byte("success")
	outcomeUnknown    = []byte("unknown")
	typeDenied        = []byte("denied")
	decisionForbid    = []byte("forbid")
	sevLabelCritical  = []byte("critical")
	sevLabelHigh      = []byte("high")
)

// readFields parses doc with p (no allocation once p's buffers have grown) and fills f.
// An ECS document is recognised by its "event" object; anything else is read as a raw
// audit event (format raw: auditID, stage, verb, user.username at the top level,
// responseStatus.code, the authorization decision annotation, and the k8saudit side
// object of a detection). A document that does not parse (never ours) is classed read
// with empty fields: the body still goes out whole.
func readFields(p, p2 *fastjson.Parser, doc []byte, f *fields) {
	if ev, user, stage, ok := ecsSpans(doc); ok && readECS(p, p2, ev, user, stage, f) {
		return
	}
	readFieldsFull(p, doc, f)
}

// readECS reads the fields from the event and user objects of an ECS document (the
// short road: the rest of the document is not parsed).
func readECS(p, p2 *fastjson.Parser, evText, userText, stage []byte, f *fields) bool {
	*f = fields{class: clRead}
	ev, err := p.ParseBytes(evText)
	if err != nil {
		return false
	}
	if userText != nil {
		u, err := p2.ParseBytes(userText)
		if err != nil {
			return false
		}
		f.user = u.GetStringBytes("name")
	}
	f.kind = ev.GetStringBytes("kind")
	f.outcome = ev.GetStringBytes("outcome")
	f.auditID = ev.GetStringBytes("id")
	f.verb = ev.GetStringBytes("action")
	if len(f.verb) == 0 {
		return false // not the normalizer's ECS: read it whole
	}
	f.stage = stage
	denied := false
	for _, t := range ev.GetArray("type") {
		if sb, _ := t.StringBytes(); bytes.Equal(sb, typeDenied) {
			denied = true
		}
	}
	alert := bytes.Equal(f.kind, kindAlert)
	f.class = classOf(f, alert, denied, ev.GetInt("severity"))
	return true
}

// readFieldsFull parses the whole document.
func readFieldsFull(p *fastjson.Parser, doc []byte, f *fields) {
	*f = fields{class: clRead}
	v, err := p.ParseBytes(doc)
	if err != nil || v.Type() != fastjson.TypeObject {
		return
	}
	sev := 0 // ECS event.severity score, or 73/99 for a raw severity label
	alert, denied := false, false
	if ev := v.Get("event"); ev != nil && ev.Type() == fastjson.TypeObject {
		f.kind = ev.GetStringBytes("kind")
		f.outcome = ev.GetStringBytes("outcome")
		f.auditID = v.GetStringBytes("kubernetes", "audit", "auditID")
		if len(f.auditID) == 0 {
			f.auditID = ev.GetStringBytes("id")
		}
		f.stage = v.GetStringBytes("kubernetes", "audit", "stage")
		f.verb = v.GetStringBytes("kubernetes", "audit", "verb")
		if len(f.verb) == 0 {
			f.verb = ev.GetStringBytes("action")
		}
		f.user = v.GetStringBytes("user", "name")
		for _, t := range ev.GetArray("type") {
			if sb, _ := t.StringBytes(); bytes.Equal(sb, typeDenied) {
				denied = true
			}
		}
		alert = bytes.Equal(f.kind, kindAlert)
		sev = ev.GetInt("severity")
	} else {
		f.auditID = v.GetStringBytes("auditID")
		f.stage = v.GetStringBytes("stage")
		f.verb = v.GetStringBytes("verb")
		f.user = v.GetStringBytes("user", "username")
		code := v.GetInt("responseStatus", "code")
		switch {
		case code >= 400:
			f.outcome = outcomeFailure
		case code >= 100:
			f.outcome = outcomeSuccess
		default:
			f.outcome = outcomeUnknown
		}
		if a := v.Get("annotations"); a != nil {
			denied = bytes.Equal(a.GetStringBytes("authorization.k8s.io/decision"), decisionForbid)
		}
		if k := v.Get("k8saudit"); k != nil {
			f.kind = k.GetStringBytes("kind")
			alert = bytes.Equal(f.kind, kindAlert)
			switch label := k.GetStringBytes("severity"); {
			case bytes.Equal(label, sevLabelCritical):
				sev = 99
			case bytes.Equal(label, sevLabelHigh):
				sev = 73
			}
		}
	}
	f.class = classOf(f, alert, denied, sev)
}

// classOf is the document's class; the first that applies wins.
func classOf(f *fields, alert, denied bool, sev int) int {
	switch {
	case alert && sev >= 99:
		return clCritical
	case alert && sev >= 73:
		return clHigh
	case alert:
		return clDetection
	case bytes.Equal(f.kind, kindPipelineError):
		return clError
	case denied:
		return clDenied
	case bytes.Equal(f.outcome, outcomeFailure):
		return clFailure
	case mutating(f.verb):
		return clWrite
	}
	return clRead
}

// mutating reports whether verb changes the cluster's state.
func mutating(verb []byte) bool {
	switch string(verb) { // no allocation: the compiler compares in place
	case "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "approve", "sign":
		return true
	}
	return false
}

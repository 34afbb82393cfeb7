package normalize

import (
	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/normalize/internal/docwriter"
	"github.com/valyala/fastjson"
)

// kubernetes.audit.* is a copy of the event, member by member in a fixed
// order (see doc.go). Metadata members are copied with empty values left out
// (empty strings, nulls, and objects or arrays that end up empty, such as
// responseStatus.metadata {}), annotation keys get '.' replaced by '_' so that
// "authorization.k8s.io/decision" does not become an object path in the SIEM,
// as do the keys of user.extra and impersonatedUser.extra, and only members
// of the expected JSON type are copied, so that one odd event cannot cause a
// mapping conflict that rejects the document. requestObject and
// responseObject are copied exactly (an empty string in a patch is
// meaningful) except for metadata.managedFields: from bodyBuf when stripped
// (strip.go), else rendered from the tree. They are left out, with
// labels.truncated, when the document would exceed MaxEventBytes.

func (n *Normalizer) writeAudit(e *event, c *cuts) {
	w := &n.w
	w.Open(kKubernetes)
	w.Open(kAudit)
	n.strSlot(kKind, e.kind, sKind)
	n.strSlot(kAPIVersion, e.apiVersion, sAPIVersion)
	n.strSlot(kLevel, e.level, sLevel)
	n.strSlot(kAuditID, e.auditID, sAuditID)
	n.strSlot(kStage, e.stage, sStage)
	n.strSlot(kRequestURI, e.requestURI, sRequestURI)
	n.strSlot(kVerb, e.verb, sVerb)
	m := e.marked
	if e.direct {
		n.writeCopy(kUser, e, copyUser)
		n.writeCopy(kImpersonatedUser, e, copyImpersonated)
		n.writeCopy(kSourceIPs, e, copySourceIPs)
	}
	if e.user != nil {
		n.copyUser(kUser, e.user, m)
	}
	if e.impersonated != nil {
		n.copyUser(kImpersonatedUser, e.impersonated, m)
	}
	if e.sourceIPs != nil {
		n.copyOmit(kSourceIPs, nil, false, e.sourceIPs, m)
	}
	n.strSlot(kUserAgent, e.userAgent, sUserAgent)
	if e.direct {
		n.writeCopy(kObjectRef, e, copyObjectRef)
		n.writeCopy(kResponseStatus, e, copyResponseStatus)
	}
	if e.objectRef != nil {
		n.copyOmit(kObjectRef, nil, false, e.objectRef, m)
	}
	if e.responseStatus != nil {
		n.copyOmit(kResponseStatus, nil, false, e.responseStatus, m)
	}
	if !c.noReq && n.hk.keepReq {
		n.doc.wroteReq = n.writeBody(kRequestObject, e.requestObject, e.req)
	}
	if !c.noResp && n.hk.keepResp {
		n.doc.wroteResp = n.writeBody(kResponseObject, e.responseObject, e.resp)
	}
	n.strSlot(kRequestReceivedTimestamp, e.requestReceived, sRequestReceived)
	n.strSlot(kStageTimestamp, e.stageTS, sStageTS)
	n.strSlot(kTimestamp, e.legacyTS, sLegacyTS)
	if e.direct {
		n.writeCopy(kAnnotations, e, copyAnnotations)
	}
	if e.annotations != nil {
		n.copyOmit(kAnnotations, nil, true, e.annotations, m)
	}
	w.Close()
	w.Close()
}

// writeCopy writes member k with the value of copy c the walk noted
// (direct.go), its edits applied; nothing when it is empty.
func (n *Normalizer) writeCopy(k *docwriter.Key, e *event, c int) {
	if v := e.copies[c]; len(v) > 0 {
		n.w.Key(k)
		if ed := e.copyEdits[c]; len(ed) > 0 {
			n.w.B = appendEdited(n.w.B, v, ed)
			return
		}
		n.w.B = append(n.w.B, v...)
	}
}

// writeBody copies a request or response body, a marker's (idx >= 0) or a
// tree's, and reports whether it did. Only an object, or an array of objects
// (a JSON patch), is kept: a scalar where the SIEM has mapped an object would
// get the whole document rejected.
func (n *Normalizer) writeBody(k *docwriter.Key, v *fastjson.Value, idx int) bool {
	w := &n.w
	if idx >= 0 {
		b := n.bodyAt(idx)
		if b == nil || !b.shapeOK {
			return false
		}
		if b.over {
			n.doc.truncated = true
			return false
		}
		w.Key(k)
		w.B = append(w.B, n.bodyText(b)...)
		n.doc.truncated = n.doc.truncated || b.cut
		return true
	}
	if v == nil || n.red.on || !bodyShape(v) {
		return false // with redaction, a tree the hook could not scan is left out
	}
	s := w.Snapshot()
	w.Key(k)
	w.B = n.appendValue(w.B, v, false, true)
	if w.Since(s) > n.maxEvent {
		w.Restore(s)
		n.doc.truncated = true
		return false
	}
	return true
}

func bodyShape(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		return o.Len() > 0
	case fastjson.TypeArray:
		a := v.GetArray()
		for _, x := range a {
			if x.Type() != fastjson.TypeObject {
				return false
			}
		}
		return len(a) > 0
	}
	return false
}

// copyOmit writes v as member k (a constant key, or kb from the input when k
// is ""), or as an array element when both are empty, leaving out empty
// values at every depth. dots replaces '.' by '_' in the keys of v's own
// members. marked says v is part of a stripped tree, whose body members are
// markers.
func (n *Normalizer) copyOmit(k *docwriter.Key, kb []byte, dots bool, v *fastjson.Value, marked bool) {
	w := &n.w
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		if len(s) == 0 {
			return
		}
		w.Member(k, kb)
		w.B = jsonw.AppendQuoted(w.B, s)
	case fastjson.TypeObject:
		m := len(w.B)
		w.Member(k, kb)
		w.Push('{', m)
		o, _ := v.Object()
		o.Visit(func(ck []byte, cv *fastjson.Value) {
			if len(ck) == 0 {
				return // an empty key has no place in a SIEM's field tree
			}
			if marked && isMarker(ck, cv) {
				// A body key out of place (user.requestObject): rare enough
				// to parse the body's exact text here.
				cv = n.bodyTree(cv)
				if cv == nil {
					return
				}
				n.copyMember(ck, dots, cv, false)
				return
			}
			n.copyMember(ck, dots, cv, marked)
		})
		w.Pop('}')
	case fastjson.TypeArray:
		m := len(w.B)
		w.Member(k, kb)
		w.Push('[', m)
		for _, x := range v.GetArray() {
			n.copyOmit(nil, nil, false, x, marked)
		}
		w.Pop(']')
	default:
		w.Member(k, kb)
		w.B = appendScalar(w.B, v)
	}
}

func (n *Normalizer) copyMember(k []byte, dots bool, v *fastjson.Value, marked bool) {
	if dots {
		n.copyDotted(k, v, marked)
		return
	}
	n.copyOmit(nil, k, false, v, marked)
}

// copyUser copies a UserInfo; the keys of its extra map are dotted names
// ("authentication.kubernetes.io/pod-name") and get '_' like annotations.
func (n *Normalizer) copyUser(k *docwriter.Key, v *fastjson.Value, marked bool) {
	w := &n.w
	m := len(w.B)
	w.Key(k)
	w.Push('{', m)
	o, _ := v.Object()
	o.Visit(func(ck []byte, cv *fastjson.Value) {
		if len(ck) == 0 {
			return
		}
		if marked && isMarker(ck, cv) {
			if cv = n.bodyTree(cv); cv == nil {
				return
			}
			marked = false
		}
		n.copyOmit(nil, ck, string(ck) == "extra", cv, marked)
	})
	w.Pop('}')
}

// copyDotted writes one member whose key has '.' made '_'.
func (n *Normalizer) copyDotted(k []byte, v *fastjson.Value, marked bool) {
	w := &n.w
	m := len(w.B)
	cnt := w.Count()
	n.copyOmit(nil, k, false, v, marked)
	if len(w.B) == m {
		return
	}
	// The key starts after the comma (if any) and the opening quote.
	i := m
	if cnt > 0 {
		i++
	}
	i++
	for ; i < len(w.B); i++ {
		c := w.B[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '"' {
			break
		}
		if c == '.' {
			w.B[i] = '_'
		}
	}
}

// appendValue appends v as compact JSON, exactly (empty values kept),
// bodies of a stripped tree (marked) included. With dropManaged,
// metadata.managedFields is left out at any depth: it is large,
// server-internal bookkeeping that no detection reads.
func (n *Normalizer) appendValue(dst []byte, v *fastjson.Value, marked, dropManaged bool) []byte {
	return n.appendValueIn(dst, v, marked, dropManaged, false)
}

func (n *Normalizer) appendValueIn(dst []byte, v *fastjson.Value, marked, dropManaged, inMetadata bool) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		dst = append(dst, '{')
		first := true
		o, _ := v.Object()
		o.Visit(func(k []byte, x *fastjson.Value) {
			if dropManaged && inMetadata && string(k) == "managedFields" {
				return
			}
			mark := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			dst = jsonw.AppendQuoted(dst, k)
			dst = append(dst, ':')
			if marked && isMarker(k, x) {
				var ok bool
				if dst, ok = n.appendBodyExact(dst, x); !ok {
					dst = dst[:mark] // over the limit: left out
					return
				}
			} else {
				dst = n.appendValueIn(dst, x, marked, dropManaged, string(k) == "metadata")
			}
			first = false
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst = append(dst, '[')
		for i, x := range v.GetArray() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = n.appendValueIn(dst, x, marked, dropManaged, false)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return jsonw.AppendQuoted(dst, s)
	}
	return appendScalar(dst, v)
}

// appendScalar appends a number, true, false or null. A number fastjson
// accepted but JSON does not (NaN, Inf, "1.2.3") is written as a string.
func appendScalar(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeNumber:
		start := len(dst)
		dst = v.MarshalTo(dst)
		if jsonskip.ValidNumber(dst[start:]) {
			return dst
		}
		// fastjson's number text is made of digits, '.', '+', '-', 'e' and
		// the letters of NaN/Inf: nothing to escape, so quote it in place.
		dst = append(dst, 0)
		copy(dst[start+1:], dst[start:len(dst)-1])
		dst[start] = '"'
		return append(dst, '"')
	case fastjson.TypeTrue:
		return append(dst, "true"...)
	case fastjson.TypeFalse:
		return append(dst, "false"...)
	}
	return append(dst, "null"...)
}

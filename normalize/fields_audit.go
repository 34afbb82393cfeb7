package normalize

import "github.com/valyala/fastjson"

// kubernetes.audit.* is a copy of the event, member by member in a fixed
// order (see doc.go). Metadata members are copied with empty values left out
// (empty strings, nulls, and objects or arrays that end up empty, such as
// responseStatus.metadata {}), annotation keys get '.' replaced by '_' so that
// "authorization.k8s.io/decision" does not become an object path in the SIEM,
// as do the keys of user.extra and impersonatedUser.extra, and only members of the expected JSON type are copied, so that one odd
// event cannot cause a mapping conflict that rejects the document.
// requestObject and responseObject are copied exactly (an empty string in a
// patch is meaningful) except for metadata.managedFields, and each is left
// out, with labels.truncated, when its rendering exceeds MaxBodyBytes.

func (n *Normalizer) writeAudit(e *event) {
	w := &n.w
	w.open("kubernetes")
	w.open("audit")
	w.str("kind", e.kind)
	w.str("apiVersion", e.apiVersion)
	w.str("level", e.level)
	w.str("auditID", e.auditID)
	w.str("stage", e.stage)
	w.str("requestURI", e.requestURI)
	w.str("verb", e.verb)
	if e.user != nil {
		w.copyUser("user", e.user)
	}
	if e.impersonated != nil {
		w.copyUser("impersonatedUser", e.impersonated)
	}
	if e.sourceIPs != nil {
		w.copyOmit("sourceIPs", nil, false, e.sourceIPs)
	}
	w.str("userAgent", e.userAgent)
	if e.objectRef != nil {
		w.copyOmit("objectRef", nil, false, e.objectRef)
	}
	if e.responseStatus != nil {
		w.copyOmit("responseStatus", nil, false, e.responseStatus)
	}
	n.writeBody("requestObject", e.requestObject)
	n.writeBody("responseObject", e.responseObject)
	w.str("requestReceivedTimestamp", e.requestReceived)
	w.str("stageTimestamp", e.stageTS)
	w.str("timestamp", e.legacyTS)
	if e.annotations != nil {
		w.copyOmit("annotations", nil, true, e.annotations)
	}
	w.close()
	w.close()
}

// writeBody copies a request or response body. Only an object, or an array
// of objects (a JSON patch), is kept: a scalar where the SIEM has mapped an
// object would get the whole document rejected.
func (n *Normalizer) writeBody(k string, v *fastjson.Value) {
	if v == nil || !bodyShape(v) {
		return
	}
	w := &n.w
	s := w.snapshot()
	w.key(k)
	w.b = appendValue(w.b, v, true)
	if len(w.b)-s.pos > MaxBodyBytes {
		w.restore(s)
		n.truncated = true
	}
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
// members.
func (w *writer) copyOmit(k string, kb []byte, dots bool, v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		if len(s) == 0 {
			return
		}
		w.member(k, kb, false)
		w.b = appendQuoted(w.b, s)
	case fastjson.TypeObject:
		m := len(w.b)
		w.member(k, kb, false)
		w.push('{', m)
		o, _ := v.Object()
		o.Visit(func(ck []byte, cv *fastjson.Value) {
			if len(ck) == 0 {
				return // an empty key has no place in a SIEM's field tree
			}
			if dots {
				w.copyDotted(ck, cv)
				return
			}
			w.copyOmit("", ck, false, cv)
		})
		w.pop('}')
	case fastjson.TypeArray:
		m := len(w.b)
		w.member(k, kb, false)
		w.push('[', m)
		for _, x := range v.GetArray() {
			w.copyOmit("", nil, false, x)
		}
		w.pop(']')
	default:
		w.member(k, kb, false)
		w.b = appendScalar(w.b, v)
	}
}

// copyUser copies a UserInfo; the keys of its extra map are dotted names
// ("authentication.kubernetes.io/pod-name") and get '_' like annotations.
func (w *writer) copyUser(k string, v *fastjson.Value) {
	m := len(w.b)
	w.key(k)
	w.push('{', m)
	o, _ := v.Object()
	o.Visit(func(ck []byte, cv *fastjson.Value) {
		if len(ck) == 0 {
			return
		}
		w.copyOmit("", ck, string(ck) == "extra", cv)
	})
	w.pop('}')
}

// copyDotted writes one member whose key has '.' made '_'.
func (w *writer) copyDotted(k []byte, v *fastjson.Value) {
	m := len(w.b)
	cnt := w.count[w.d]
	w.copyOmit("", k, false, v)
	if len(w.b) == m {
		return
	}
	// The key starts after the comma (if any) and the opening quote.
	i := m
	if cnt > 0 {
		i++
	}
	i++
	for ; i < len(w.b); i++ {
		c := w.b[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '"' {
			break
		}
		if c == '.' {
			w.b[i] = '_'
		}
	}
}

// member writes the key (or, for an array element, the separator).
func (w *writer) member(k string, kb []byte, _ bool) {
	switch {
	case k != "":
		w.key(k)
	case kb != nil:
		w.keyBytes(kb)
	default:
		w.elem()
	}
}

// appendValue appends v as compact JSON, exactly (empty values kept). With
// dropManaged, metadata.managedFields is left out at any depth: it is large,
// server-internal bookkeeping that no detection reads.
func appendValue(dst []byte, v *fastjson.Value, dropManaged bool) []byte {
	return appendValueIn(dst, v, dropManaged, false)
}

func appendValueIn(dst []byte, v *fastjson.Value, dropManaged, inMetadata bool) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		dst = append(dst, '{')
		first := true
		o, _ := v.Object()
		o.Visit(func(k []byte, x *fastjson.Value) {
			if dropManaged && inMetadata && string(k) == "managedFields" {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendQuoted(dst, k)
			dst = append(dst, ':')
			dst = appendValueIn(dst, x, dropManaged, string(k) == "metadata")
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst = append(dst, '[')
		for i, x := range v.GetArray() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValueIn(dst, x, dropManaged, false)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return appendQuoted(dst, s)
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
		if validNumber(dst[start:]) {
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

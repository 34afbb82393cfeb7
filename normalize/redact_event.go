package normalize

import (
	"github.com/k8saudit/k8saudit/normalize/internal/redact"
	"github.com/valyala/fastjson"
)

// The redaction of one event: its classes (package redact says how an event is
// found to be a Secret, TokenRequest or TokenReview event) read from what the
// Normalizer found in it, and the body scanner's part of the credential tests.

// eventClass returns the classes of e (see above).
func (n *Normalizer) eventClass(e *event) redact.Class {
	c := e.refClass | redact.RefClass(e.apiGroup, e.resource, e.subresource)
	var pc redact.Class
	n.red.scratch, pc = redact.PathClass(n.red.scratch[:0], e.requestURI)
	c |= pc
	c |= n.bodyClass(e.requestObject, e.req) | n.bodyClass(e.responseObject, e.resp)
	return c
}

// bodyClass returns the classes a body's kind names: from the scan of a
// marker's body, or from a tree's top-level members.
func (n *Normalizer) bodyClass(v *fastjson.Value, idx int) redact.Class {
	if b := n.bodyAt(idx); b != nil {
		return b.kindClass
	}
	if v == nil || v.Type() != fastjson.TypeObject {
		return 0
	}
	var c redact.Class
	o, _ := v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		if string(k) == "kind" && x.Type() == fastjson.TypeString {
			c |= redact.KindClass(x.GetStringBytes())
		}
	})
	return c
}

// noteKind records the class a top-level "kind" value names (every one:
// a decoder that keeps the last and one that keeps the first must both be
// covered).
func (s *scanner) noteKind(raw []byte) {
	k := raw
	if hasBackslash(k) {
		s.keyBuf = unescape(s.keyBuf[:0], k)
		k = s.keyBuf
	}
	s.kindClass |= redact.KindClass(k)
}

// authKey reports whether an object key, as written (esc: it has an
// escape), is Authorization or Proxy-Authorization, ASCII case folded.
func (s *scanner) authKey(k []byte, esc bool) bool {
	if esc {
		if len(k) < len("authorization") {
			return false
		}
		s.keyBuf = unescape(s.keyBuf[:0], k)
		k = s.keyBuf
	}
	return redact.AuthKey(k)
}

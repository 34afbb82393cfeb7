package normalize

import "github.com/valyala/fastjson"

// Reading the bodies of a stripped tree (see strip.go): what the ECS mapping
// needs comes from the body table; a tree is parsed only for a request that
// may hold a pod spec (k8saudit.images, container.image.name) and for a body
// key out of its usual place.

// isMarker reports whether the member k: x of a stripped tree is a marker.
func isMarker(k []byte, x *fastjson.Value) bool {
	return x.Type() == fastjson.TypeNumber && (string(k) == "requestObject" || string(k) == "responseObject")
}

// bodyAt returns body i, nil when out of range (never for a marker strip wrote).
func (n *Normalizer) bodyAt(i int) *body {
	if i < 0 || i >= len(n.bodies) {
		return nil
	}
	return &n.bodies[i]
}

// bodyName returns metadata.name of a body given as a tree or an index.
func (n *Normalizer) bodyName(v *fastjson.Value, idx int) []byte {
	if idx >= 0 {
		if b := n.bodyAt(idx); b != nil {
			return b.name
		}
		return nil
	}
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	return stringOf(v.Get("metadata", "name"))
}

// requestTree returns requestObject as a tree when it may hold a pod spec.
func (n *Normalizer) requestTree(e *event) *fastjson.Value {
	if e.req < 0 && n.hk.keepReq {
		return e.requestObject
	}
	if !n.hk.keepReq {
		return nil
	}
	b := n.bodyAt(e.req)
	if b == nil || !b.hasSpec || b.over {
		return nil
	}
	v, err := n.bodyP.ParseBytes(n.bodyText(b))
	if err != nil {
		return nil
	}
	return v
}

// appendBodyExact appends a marker's body exactly (managedFields kept);
// false when it is over the limit and must be left out.
func (n *Normalizer) appendBodyExact(dst []byte, x *fastjson.Value) ([]byte, bool) {
	return n.appendBodyIdx(dst, x.GetInt())
}

// appendBodyIdx appends body i for a rendering of the event: in format raw
// its text in bodyBuf, in format ecs its input text exactly (managedFields
// kept), redacted like the event's bodies.
func (n *Normalizer) appendBodyIdx(dst []byte, i int) ([]byte, bool) {
	b := n.bodyAt(i)
	if b == nil || b.over {
		return dst, false
	}
	if n.opt.Format == Raw { // scanned without dropping anything
		return append(dst, n.bodyText(b)...), true
	}
	s := &n.exact
	start := len(dst)
	s.reset(b.raw, dst, false, n.maxEvent)
	s.cred = n.opt.Redact
	if n.red.on {
		s.rootMask = n.eventMask()
	}
	end, ok := s.value(0)
	if ok {
		s.flush(end, end)
	}
	out := s.out
	s.src = nil
	if !ok || s.over {
		return out[:start], false
	}
	if s.redacted {
		n.red.any, n.red.bodyRedacted = true, true
	}
	return out, true
}

// bodyTree parses a marker's body, exactly, as a tree.
func (n *Normalizer) bodyTree(x *fastjson.Value) *fastjson.Value {
	var ok bool
	if n.oddBuf, ok = n.appendBodyExact(n.oddBuf[:0], x); !ok {
		return nil
	}
	v, err := n.oddP.ParseBytes(n.oddBuf)
	if err != nil {
		return nil
	}
	return v
}

package normalize

import "github.com/valyala/fastjson"

// The classes of events whose bodies carry the built-in paths (Secrets,
// TokenRequests, TokenReviews). An event is of a class when any of three
// witnesses says so, so that one of them missing or lying (an event
// without objectRef, or with an objectRef naming another resource, written
// by whoever can write the log) is not enough to let a token through:
//
//   - objectRef: core secrets, core serviceaccounts/token, tokenreviews
//     (every objectRef of an event that has several);
//   - the request path, percent-decoded as the API server decodes it
//     (/api/v1/namespaces/x/secrets/y, /api/v1/namespaces/x/serviceaccounts/
//     y/token, /apis/authentication.k8s.io/v1/tokenreviews; a watch/ prefix
//     and a cluster-wide list too);
//   - the kind of either body, every top-level "kind" member of it, JSON
//     escapes decoded and ASCII case folded: Secret, SecretList,
//     TokenRequest, TokenReview.
//
// An event of several classes gets the paths of each.

const (
	classSecret = 1 << iota
	classTokenRequest
	classTokenReview
)

// classPaths returns the path bits of the classes in c.
func (r *redactor) classPaths(c uint8) uint64 {
	var m uint64
	if c&classSecret != 0 {
		m |= r.secret
	}
	if c&classTokenRequest != 0 {
		m |= r.tokReq
	}
	if c&classTokenReview != 0 {
		m |= r.tokRev
	}
	return m
}

// eventClass returns the classes of e (see above).
func (n *Normalizer) eventClass(e *event) uint8 {
	c := e.refClass | refClass(e.apiGroup, e.resource, e.subresource)
	var pc uint8
	n.red.scratch, pc = pathClass(n.red.scratch[:0], e.requestURI)
	c |= pc
	c |= n.bodyClass(e.requestObject, e.req) | n.bodyClass(e.responseObject, e.resp)
	return c
}

// refClass returns the class an objectRef names.
func refClass(apiGroup, resource, subresource []byte) uint8 {
	switch {
	case len(apiGroup) == 0 && string(resource) == "secrets":
		return classSecret
	case len(apiGroup) == 0 && string(resource) == "serviceaccounts" && string(subresource) == "token":
		return classTokenRequest
	case string(resource) == "tokenreviews":
		return classTokenReview
	}
	return 0
}

// bodyClass returns the classes a body's kind names: from the scan of a
// marker's body, or from a tree's top-level members.
func (n *Normalizer) bodyClass(v *fastjson.Value, idx int) uint8 {
	if b := n.bodyAt(idx); b != nil {
		return b.kindClass
	}
	if v == nil || v.Type() != fastjson.TypeObject {
		return 0
	}
	var c uint8
	o, _ := v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		if string(k) == "kind" && x.Type() == fastjson.TypeString {
			c |= kindClass(x.GetStringBytes())
		}
	})
	return c
}

// kindClass returns the class of an (unescaped) kind.
func kindClass(k []byte) uint8 {
	switch len(k) {
	case len("Secret"), len("SecretList"):
		if equalFoldASCII(k, "secret") || equalFoldASCII(k, "secretlist") {
			return classSecret
		}
	case len("TokenReview"), len("TokenRequest"):
		if equalFoldASCII(k, "tokenreview") {
			return classTokenReview
		}
		if equalFoldASCII(k, "tokenrequest") {
			return classTokenRequest
		}
	}
	return 0
}

// equalFoldASCII reports whether b is s (lower case) with ASCII case
// folded; false when the lengths differ.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// pathClass returns the class the request path of uri names (see above),
// decoding it in scratch when it has a '%'; it returns scratch for reuse.
// Every request pays it: pathClassFast settles most paths by their prefix,
// and of the others, one pass looks for a segment that names a class's
// resource before the path's structure is read (an escape: always).
func pathClass(scratch, uri []byte) ([]byte, uint8) {
	p := uri
	if q := indexByte(p, '?'); q >= 0 {
		p = p[:q]
	}
	if indexByte(p, '%') >= 0 {
		scratch = append(scratch[:0], p...)
		p = percentDecode(scratch, false)
		return scratch, pathStructClass(p)
	}
	if pathClassFast(p) {
		return scratch, 0
	}
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '/' {
			if c := p[i+1]; (c == 's' || c == 't') && classSegment(p[i+1:]) {
				return scratch, pathStructClass(p)
			}
		}
	}
	return scratch, 0
}

// pathClassFast reports whether the (decoded) path p is of no class by its
// first segments alone: an API path whose resource starts with neither
// 's' nor 't'. Anything unusual (an empty segment where a name should be)
// is left to the slow way.
func pathClassFast(p []byte) bool {
	var r []byte
	switch {
	case hasPrefix(p, "/apis/"):
		r = p[len("/apis/"):]
		for range 2 { // the group and the version
			j := indexByte(r, '/')
			if j <= 0 {
				return j < 0 && len(r) > 0 // no resource; an empty segment: slow
			}
			r = r[j+1:]
		}
	case hasPrefix(p, "/api/v1/"):
		r = p[len("/api/v1/"):]
	default:
		return false
	}
	if hasPrefix(r, "watch/") {
		r = r[len("watch/"):]
	}
	if hasPrefix(r, "namespaces/") {
		r = r[len("namespaces/"):]
		j := indexByte(r, '/')
		if j <= 0 {
			return j < 0 && len(r) > 0 // a namespace itself; an empty segment: slow
		}
		r = r[j+1:]
	}
	return len(r) > 0 && r[0] != '/' && r[0] != 's' && r[0] != 't'
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// classSegment reports whether p starts with a segment secrets,
// serviceaccounts or tokenreviews.
func classSegment(p []byte) bool {
	for _, w := range classSegments {
		if len(p) >= len(w) && string(p[:len(w)]) == w && (len(p) == len(w) || p[len(w)] == '/' || p[len(w)] == '#') {
			return true
		}
	}
	return false
}

var classSegments = [...]string{"secrets", "serviceaccounts", "tokenreviews"}

// pathStructClass reads the API path p (decoded) as the API server does:
// api/v1/… or apis/<group>/<version>/…, an optional watch/, an optional
// namespaces/<ns>/, then <resource>[/<name>[/<subresource>]]. Empty
// segments are skipped.
func pathStructClass(p []byte) uint8 {
	if f := indexByte(p, '#'); f >= 0 {
		p = p[:f]
	}
	var segs [8][]byte
	n := 0
	for i := 0; i < len(p) && n < len(segs); {
		j := indexByte(p[i:], '/')
		if j < 0 {
			j = len(p) - i
		}
		if j > 0 {
			segs[n] = p[i : i+j]
			n++
		}
		i += j + 1
	}
	var rest [][]byte
	core := false
	switch {
	case n >= 2 && string(segs[0]) == "api":
		rest, core = segs[2:n], true
	case n >= 3 && string(segs[0]) == "apis":
		rest = segs[3:n]
	default:
		return 0
	}
	if len(rest) > 0 && string(rest[0]) == "watch" {
		rest = rest[1:]
	}
	if len(rest) >= 3 && string(rest[0]) == "namespaces" {
		rest = rest[2:]
	}
	if len(rest) == 0 {
		return 0
	}
	switch res := rest[0]; {
	case core && string(res) == "secrets":
		return classSecret
	case core && string(res) == "serviceaccounts" && len(rest) >= 3 && string(rest[2]) == "token":
		return classTokenRequest
	case string(res) == "tokenreviews":
		return classTokenReview
	}
	return 0
}

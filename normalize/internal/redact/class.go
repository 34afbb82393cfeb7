package redact

import "bytes"

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

// Class is a set of classes, one bit each.
type Class = uint8

// The classes.
const (
	Secret Class = 1 << iota
	TokenRequest
	TokenReview
)

// RefClass returns the class an objectRef names.
func RefClass(apiGroup, resource, subresource []byte) Class {
	switch {
	case len(apiGroup) == 0 && string(resource) == "secrets":
		return Secret
	case len(apiGroup) == 0 && string(resource) == "serviceaccounts" && string(subresource) == "token":
		return TokenRequest
	case string(resource) == "tokenreviews":
		return TokenReview
	}
	return 0
}

// KindClass returns the class of an (unescaped) kind.
func KindClass(k []byte) Class {
	switch len(k) {
	case len("Secret"), len("SecretList"):
		if EqualFoldASCII(k, "secret") || EqualFoldASCII(k, "secretlist") {
			return Secret
		}
	case len("TokenReview"), len("TokenRequest"):
		if EqualFoldASCII(k, "tokenreview") {
			return TokenReview
		}
		if EqualFoldASCII(k, "tokenrequest") {
			return TokenRequest
		}
	}
	return 0
}

// EqualFoldASCII reports whether b is s (lower case) with ASCII case
// folded; false when the lengths differ.
func EqualFoldASCII(b []byte, s string) bool {
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

// PathClass returns the class the request path of uri names (see above),
// decoding it in scratch when it has a '%'; it returns scratch for reuse.
// Every request pays it: pathClassFast settles most paths by their prefix,
// and of the others, one pass looks for a segment that names a class's
// resource before the path's structure is read (an escape: always).
func PathClass(scratch, uri []byte) ([]byte, uint8) {
	p := uri
	if q := bytes.IndexByte(p, '?'); q >= 0 {
		p = p[:q]
	}
	if bytes.IndexByte(p, '%') >= 0 {
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
			j := bytes.IndexByte(r, '/')
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
		j := bytes.IndexByte(r, '/')
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
func pathStructClass(p []byte) Class {
	if f := bytes.IndexByte(p, '#'); f >= 0 {
		p = p[:f]
	}
	var segs [8][]byte
	n := 0
	for i := 0; i < len(p) && n < len(segs); {
		j := bytes.IndexByte(p[i:], '/')
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
		return Secret
	case core && string(res) == "serviceaccounts" && len(rest) >= 3 && string(rest[2]) == "token":
		return TokenRequest
	case string(res) == "tokenreviews":
		return TokenReview
	}
	return 0
}

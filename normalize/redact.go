package normalize

import (
	"errors"
	"math/bits"
	"strings"
)

// Redaction replaces secret values in bodies and in the request URI with
// RedactedValue, keeping keys, so that a SIEM never holds what the audit log
// should not have carried. It is done inside the body scanner's copy
// (scan.go): a compiled path is a list of object keys from the body's root,
// "*" matching any key, arrays being transparent (items.data.* matches
// every item's data members). Each container on the scanner's stack carries
// the bitmask of the paths still alive there; a member whose key completes a
// path has its value, whatever its type, replaced by the string
// RedactedValue. The paths that apply to a body depend on the event
// (objectRef) and on the body's own kind, which are known only after the
// record is parsed: the first scan (in strip) applies the user's
// RedactPaths, which hold for every body, and Normalizer.event scans a body
// again from its input text when the event needs the built-in paths as well
// (Secrets, TokenRequests, TokenReviews), a cost that only those events pay.

// RedactedValue replaces every redacted value.
const RedactedValue = "[REDACTED]"

const redactedJSON = `"` + RedactedValue + `"`

// RedactedAnnotation marks a redacted event in format raw, as an annotation
// of the event (value "true"); format ecs sets labels.redacted: true.
const RedactedAnnotation = "k8saudit.io/redacted"

// lastApplied is the annotation kubectl apply writes: for a Secret, the
// whole Secret, data included.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

type redactPath []string

type redactLevel struct {
	mask uint64
	seg  int32
}

// Built-in path sets, by class.
var (
	// A Secret, a list of them (SecretList items, a Table's rows with
	// includeObject=Object or Metadata), and a JSON patch of one (its
	// "value" members).
	secretPaths = []redactPath{
		{"data", "*"}, {"stringData", "*"}, {"metadata", "annotations", lastApplied},
		{"items", "data", "*"}, {"items", "stringData", "*"}, {"items", "metadata", "annotations", lastApplied},
		{"rows", "object", "data", "*"}, {"rows", "object", "stringData", "*"},
		{"rows", "object", "metadata", "annotations", lastApplied},
		{"value"},
	}
	tokenRequestPaths = []redactPath{{"status", "token"}}
	tokenReviewPaths  = []redactPath{{"spec", "token"}}
)

// MaxRedactPaths bounds Options.RedactPaths.
var MaxRedactPaths = 64 - len(secretPaths) - len(tokenRequestPaths) - len(tokenReviewPaths)

// CheckRedactPaths reports whether paths are acceptable as
// Options.RedactPaths: at most MaxRedactPaths dotted paths of non-empty keys.
// New panics on paths it refuses.
func CheckRedactPaths(paths []string) error {
	if len(paths) > MaxRedactPaths {
		return errors.New("redact_paths: at most " + itoa(MaxRedactPaths) + " paths")
	}
	for _, p := range paths {
		for _, seg := range strings.Split(p, ".") {
			if seg == "" {
				return errors.New("redact_paths: empty key in " + p)
			}
		}
	}
	return nil
}

func itoa(v int) string { return string(appendInt(nil, int64(v))) }

// redactor is the Normalizer's compiled redaction: paths by bit, and the
// masks of each class.
type redactor struct {
	on                             bool
	pats                           []redactPath
	user, secret, tokReq, tokRev   uint64
	classMask                      uint64 // the current event's built-in paths
	uri                            []byte // the current event's redacted requestURI
	uriRedacted, bodyRedacted, any bool
}

func (r *redactor) add(ps []redactPath) uint64 {
	var m uint64
	for _, p := range ps {
		m |= 1 << len(r.pats)
		r.pats = append(r.pats, p)
	}
	return m
}

func newRedactor(o Options) redactor {
	var r redactor
	if !o.Redact && len(o.RedactPaths) == 0 {
		return r
	}
	if err := CheckRedactPaths(o.RedactPaths); err != nil {
		panic("normalize: " + err.Error())
	}
	r.on = true
	var user []redactPath
	for _, p := range o.RedactPaths {
		user = append(user, strings.Split(p, "."))
	}
	r.user = r.add(user)
	if o.Redact {
		r.secret = r.add(secretPaths)
		r.tokReq = r.add(tokenRequestPaths)
		r.tokRev = r.add(tokenReviewPaths)
	}
	return r
}

// pushLevel records the paths alive in the container about to be pushed.
func (s *scanner) pushLevel() {
	var l redactLevel
	switch {
	case len(s.stack) == 0:
		l = redactLevel{mask: s.rootMask}
	case s.stack[len(s.stack)-1]&scArr != 0:
		l = s.lv[len(s.lv)-1]
	default:
		l = redactLevel{mask: s.pendMask, seg: s.pendSeg}
	}
	s.lv = append(s.lv, l)
}

// matchKey advances the paths alive in the current object over key k (as
// written): those it completes mark the member's value for redaction.
func (s *scanner) matchKey(k []byte) {
	l := s.lv[len(s.lv)-1]
	s.pendMask, s.pendSeg = 0, l.seg+1
	if l.mask == 0 {
		return
	}
	if hasBackslash(k) {
		s.keyBuf = unescape(s.keyBuf[:0], k)
		k = s.keyBuf
	}
	for m := l.mask; m != 0; m &= m - 1 {
		bit := m & -m
		p := s.pats[bits.TrailingZeros64(bit)]
		if int(l.seg) >= len(p) {
			continue
		}
		if seg := p[l.seg]; seg != "*" && seg != string(k) {
			continue
		}
		if int(l.seg)+1 == len(p) {
			s.redactNext = true
		} else {
			s.pendMask |= bit
		}
	}
}

// prepare decides, after extract, what the event's redaction needs: the
// built-in paths of its class, and its requestURI's credentials.
func (n *Normalizer) prepareRedaction(e *event) {
	r := &n.red
	r.classMask, r.uriRedacted, r.bodyRedacted, r.any = 0, false, false, false
	if !n.red.on {
		return
	}
	if n.opt.Redact {
		switch {
		case len(e.apiGroup) == 0 && string(e.resource) == "secrets":
			r.classMask = r.secret
		case len(e.apiGroup) == 0 && string(e.resource) == "serviceaccounts" && string(e.subresource) == "token":
			r.classMask = r.tokReq
		case string(e.resource) == "tokenreviews":
			r.classMask = r.tokRev
		}
		if r.classMask == 0 && (n.bodyIsSecret(e.req) || n.bodyIsSecret(e.resp)) {
			r.classMask = r.secret
		}
		if u, ok := redactURI(r.uri[:0], e.requestURI); ok {
			r.uri, r.uriRedacted = u, true
			e.requestURI = u
			e.plain &^= 1 << sRequestURI
			e.canonOK &^= 1 << sRequestURI
		}
	}
}

// bodyIsSecret reports whether body i says it is a Secret or a SecretList.
func (n *Normalizer) bodyIsSecret(i int) bool {
	b := n.bodyAt(i)
	if b == nil || len(b.kindRaw) == 0 {
		return false
	}
	k := b.kindRaw
	if hasBackslash(k) {
		n.sc.keyBuf = unescape(n.sc.keyBuf[:0], k)
		k = n.sc.keyBuf
	}
	return string(k) == "Secret" || string(k) == "SecretList"
}

// credentialParam reports whether a query parameter carries a credential.
func credentialParam(name []byte) bool {
	switch len(name) {
	case 5, 8, 12, 13: // token; password, id_token; access_token; refresh_token, client_secret
	default:
		return false
	}
	for _, c := range credentialParams {
		if len(c) == len(name) && equalFoldASCII(name, c) {
			return true
		}
	}
	return false
}

var credentialParams = []string{"access_token", "token", "id_token", "refresh_token", "client_secret", "password"}

func equalFoldASCII(b []byte, s string) bool {
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

// redactURI appends uri to dst with the values of credential query
// parameters replaced, and reports whether any was.
func redactURI(dst, uri []byte) ([]byte, bool) {
	q := indexByte(uri, '?')
	if q < 0 {
		return dst, false
	}
	found := false
	for i := q + 1; i < len(uri); {
		end := i + indexByte(uri[i:], '&')
		if end < i {
			end = len(uri)
		}
		eq := indexByte(uri[i:end], '=')
		if eq >= 0 && credentialParam(uri[i:i+eq]) && i+eq+1 < end {
			found = true
			break
		}
		i = end + 1
	}
	if !found {
		return dst, false
	}
	dst = append(dst, uri[:q+1]...)
	for i := q + 1; i < len(uri); {
		end := i + indexByte(uri[i:], '&')
		if end < i {
			end = len(uri)
		}
		part := uri[i:end]
		if eq := indexByte(part, '='); eq >= 0 && credentialParam(part[:eq]) && eq+1 < len(part) {
			dst = append(dst, part[:eq+1]...)
			dst = append(dst, RedactedValue...)
		} else {
			dst = append(dst, part...)
		}
		if end < len(uri) {
			dst = append(dst, '&')
		}
		i = end + 1
	}
	return dst, true
}

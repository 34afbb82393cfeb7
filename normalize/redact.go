package normalize

import (
	"errors"
	"math/bits"
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
// (Secrets, TokenRequests, TokenReviews: see redact_class.go for how an
// event is found to be one), a cost that only those events pay. With
// Options.Redact every scan also replaces credentials under any path
// (redact_cred.go); requestURI is redacted in redact_uri.go. Keys are
// matched as a JSON decoder reads them: escapes decoded, exactly
// otherwise.

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
// Options.RedactPaths: at most MaxRedactPaths dotted paths of non-empty keys
// (see splitPath for a key holding a dot). New panics on paths it refuses.
func CheckRedactPaths(paths []string) error {
	if len(paths) > MaxRedactPaths {
		return errors.New("redact_paths: at most " + itoa(MaxRedactPaths) + " paths")
	}
	for _, p := range paths {
		if _, err := splitPath(p); err != nil {
			return err
		}
	}
	return nil
}

// splitPath splits a dotted path into its keys. A key holding a dot writes
// it \. and a backslash \\ (data.tls\.key is the key "tls.key" of data);
// a backslash before anything else, a trailing one or an empty key is an
// error. "*" as a whole key matches any key.
func splitPath(p string) (redactPath, error) {
	var segs redactPath
	var cur []byte
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 >= len(p) || p[i+1] != '.' && p[i+1] != '\\' {
				return nil, errors.New("redact_paths: in " + p + ", a backslash must escape '.' or '\\'")
			}
			i++
			cur = append(cur, p[i])
		case '.':
			if len(cur) == 0 {
				return nil, errors.New("redact_paths: empty key in " + p)
			}
			segs = append(segs, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	if len(cur) == 0 {
		return nil, errors.New("redact_paths: empty key in " + p)
	}
	return append(segs, string(cur)), nil
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
	scratch                        []byte // the request path, decoded (pathClass)
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
		segs, _ := splitPath(p) // checked above
		user = append(user, segs)
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

// prepareRedaction decides, after extract, what the event's redaction
// needs: the built-in paths of its classes, and its requestURI's
// credentials.
func (n *Normalizer) prepareRedaction(e *event) {
	r := &n.red
	r.classMask, r.uriRedacted, r.bodyRedacted, r.any = 0, false, false, false
	if !n.red.on || !n.opt.Redact {
		return
	}
	r.classMask = r.classPaths(n.eventClass(e))
	u, ok := redactURI(r.uri[:0], e.requestURI)
	r.uri = u // kept even when empty: its room serves the next event
	if ok {
		r.uriRedacted = true
		e.requestURI = u
		e.plain &^= 1 << sRequestURI
		e.canonOK &^= 1 << sRequestURI
	}
}

// redactedIn says where the current event's document had secret material replaced
// (0 when the event did not pass the hook, or nothing was).
func (n *Normalizer) redactedIn(hooked bool) RedactedIn {
	var in RedactedIn
	if !hooked || !n.red.any {
		return 0
	}
	if n.red.uriRedacted {
		in |= RedactedURI
	}
	if n.red.bodyRedacted || !n.red.uriRedacted {
		in |= RedactedBody
	}
	return in
}

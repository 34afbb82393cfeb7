package normalize

import (
	"math/bits"

	"github.com/k8saudit/k8saudit/normalize/internal/redact"
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
// (Secrets, TokenRequests, TokenReviews: see package redact for how an
// event is found to be one), a cost that only those events pay. With
// Options.Redact every scan also replaces credentials under any path;
// requestURI is redacted by redact.URI. Keys are
// matched as a JSON decoder reads them: escapes decoded, exactly
// otherwise.

// RedactedValue replaces every redacted value.
const RedactedValue = redact.Value

// RedactedAnnotation marks a redacted event in format raw, as an annotation
// of the event (value "true"); format ecs sets labels.redacted: true.
const RedactedAnnotation = "k8saudit.io/redacted"

// MaxRedactPaths bounds Options.RedactPaths.
var MaxRedactPaths = redact.MaxPaths

// CheckRedactPaths reports whether paths are acceptable as
// Options.RedactPaths: at most MaxRedactPaths dotted paths of non-empty keys
// (see redact.SplitPath for a key holding a dot). New panics on paths it
// refuses.
func CheckRedactPaths(paths []string) error { return redact.CheckPaths(paths) }

// redactLevel is what a container on the body scanner's stack carries: the
// paths alive in it, and how many of their keys are matched.
type redactLevel struct {
	mask uint64
	seg  int32
}

// redactor is the Normalizer's compiled redaction and the current event's
// state of it.
type redactor struct {
	on bool
	redact.Set
	classMask                      uint64 // the current event's built-in paths
	uri                            []byte // the current event's redacted requestURI
	scratch                        []byte // the request path, decoded (redact.PathClass)
	uriRedacted, bodyRedacted, any bool
}

func newRedactor(o Options) redactor {
	if !o.Redact && len(o.RedactPaths) == 0 {
		return redactor{}
	}
	if err := CheckRedactPaths(o.RedactPaths); err != nil {
		panic("normalize: " + err.Error())
	}
	return redactor{on: true, Set: redact.NewSet(o.RedactPaths, o.Redact)}
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
	r.classMask = r.ClassPaths(n.eventClass(e))
	u, ok := redact.URI(r.uri[:0], e.requestURI)
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

package normalize

import (
	"bytes"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/normalize/internal/redact"
)

// The body scanner validates one JSON value (strict RFC 8259 grammar) and
// copies it, sanitized, to bodyBuf in a single pass. It copies span by span:
// src[mark:i] is pending and is appended only when the output must differ
// from the input (whitespace left out, a control character or invalid UTF-8
// in a string, a managedFields member dropped), so a compact body costs one
// memmove. Sanitizing keeps every valid escape as written and replaces what
// fastjson would have let through: raw control characters are escaped and
// invalid UTF-8 becomes \ufffd. Anything else that is not strict JSON fails
// the scan, and the record is parsed the old way (see strip.go).
//
// Along the way it notes what the ECS mapping needs from a body without
// parsing it: metadata.name (the first "metadata" member, its first "name",
// as fastjson's Get would find them), the shape (see body.shapeOK), and
// whether a pod spec may be inside (a "spec" object). With drop set (format
// ecs), metadata.managedFields is left out at any depth: large server
// bookkeeping that no detection reads.

// Bits of a container's state on the scanner's stack.
const (
	scArr      = 1 << iota // an array (else an object)
	scMeta                 // an object that is the value of a "metadata" member
	scEmpty                // an object with no member written yet
	scSkipComa             // the member before was dropped as the first: skip the next comma
	scNameObj              // the body's first metadata object: its first "name" is metadata.name
	scSpecObj              // the body's first spec object: the pod spec members are noted
)

// What the value about to be scanned is, as far as the mapping cares.
const (
	nextPlain   = iota
	nextMeta    // value of a "metadata" member
	nextTopMeta // value of the body's first "metadata" member
	nextName    // value of the first "name" member of the body's first metadata
	nextSpec    // value of the body's first "spec" member
	nextKind    // value of the body's top-level "kind" member
)

// maxScanDepth bounds nesting like fastjson's MaxDepth, counted from the
// body's root. A container that would nest deeper is cut (cutDeep): checked,
// not copied, and replaced by CutValue.
const maxScanDepth = 300

// CutValue replaces, in a body, a container nested deeper than
// maxScanDepth levels: the document gets labels.truncated.
const CutValue = "[TRUNCATED: nested too deeply]"

const cutJSON = `"` + CutValue + `"`

var (
	litTrue  = []byte("true")
	litFalse = []byte("false")
	litNull  = []byte("null")
)

type scanner struct {
	src   []byte
	out   []byte
	mark  int // src[mark:i] is pending
	start int // the body's start in out
	limit int
	over  bool
	drop  bool // leave out metadata.managedFields
	// noPlain: every container goes through the stack (no skipPlain). Only a
	// test sets it, to hold skipPlain to the stack: a step inside the scan has no
	// other way in.
	noPlain bool
	// deep: skipPlain met maxScanDepth in this body; it is not tried again,
	// so that an over-deep body costs one pass, not one per level.
	deep bool
	cut  bool     // a container nested too deeply was cut (cutDeep)
	bits []uint64 // cutDeep's stack, one bit per level (set: an array)

	dropping  bool // inside a dropped member's value
	dropDepth int  // stack depth at which the dropped value ends

	stack  []uint8
	next   int
	esc    bool // the string str last scanned has an escape (set only, reset by key)
	keyBuf []byte

	metaSeen, nameSeen, specSeen, spec bool
	specAt                             int // the spec object's offset in the body's text
	podSpec                            [len(podSpecMembers)]int32
	podSpecOK                          bool // podSpec holds the first of each (see notePodSpecMember)
	nameRaw                            []byte
	kindClass                          uint8 // the classes its top-level "kind" members name (package redact, class.go)
	topCount                           int
	allObjects                         bool

	// Redaction (redact.go): pats are the compiled paths, rootMask the bits
	// of those that apply to this body (0 = none, and no cost). lv runs
	// beside stack while rootMask != 0: the paths still alive in each
	// container and how many keys lead to it (arrays are transparent).
	pats       []redact.Path
	rootMask   uint64
	lv         []redactLevel
	pendMask   uint64 // the paths alive in the value of the member just keyed
	pendSeg    int32
	redactNext bool // the value about to be scanned is replaced
	redacted   bool // something in this body was replaced
	cred       bool // replace credentials under any path (package redact, cred.go)
}

// flush appends the pending input up to i and moves the mark to next. Past
// the limit, output stops and the body's partial text is taken back, so a
// 10 MB body costs no more memory than the limit.
func (s *scanner) flush(i, next int) {
	if !s.over && !s.dropping {
		if len(s.out)-s.start+i-s.mark > s.limit {
			s.over = true
			s.out = s.out[:s.start]
		} else {
			s.out = append(s.out, s.src[s.mark:i]...)
		}
	}
	s.mark = next
}

// emit appends text that replaces input (an escape).
func (s *scanner) emit(t string) {
	if !s.over && !s.dropping {
		s.out = append(s.out, t...)
	}
}

// ws skips whitespace at i, leaving it out of the output.
func (s *scanner) ws(i int) int {
	if i < len(s.src) && s.src[i] <= ' ' {
		return s.wsSlow(i)
	}
	return i
}

func (s *scanner) wsSlow(i int) int {
	if !isSpace(s.src[i]) {
		return i
	}
	j := skipWS(s.src, i)
	s.flush(i, j)
	return j
}

// reset prepares s to scan src, appending to out.
func (s *scanner) reset(src, out []byte, drop bool, limit int) {
	s.src, s.out, s.mark, s.start = src, out, 0, len(out)
	s.limit, s.over, s.drop = limit, false, drop
	s.dropping, s.stack, s.next = false, s.stack[:0], nextPlain
	s.metaSeen, s.nameSeen, s.specSeen, s.spec, s.nameRaw, s.kindClass = false, false, false, false, nil, 0
	s.podSpec, s.podSpecOK = [len(podSpecMembers)]int32{-1, -1, -1, -1, -1}, true
	s.topCount, s.allObjects = 0, true
	s.rootMask, s.lv, s.pendMask, s.redactNext, s.redacted = 0, s.lv[:0], 0, false, false
	s.deep, s.cut = false, false
}

// scanBody scans the body value at src[i:] into n.bodyBuf, records it in
// n.bodies and returns the index after it.
func (n *Normalizer) scanBody(src []byte, i int) (int, bool) {
	end, b, ok := n.scanOne(src, i, n.opt.Format == ECS, n.userMask)
	if !ok {
		return 0, false
	}
	n.bodies = append(n.bodies, b)
	return end, true
}

// bodyText returns the sanitized text of b.
func (n *Normalizer) bodyText(b *body) []byte {
	if b.same {
		return b.raw
	}
	return n.bodyBuf[b.start:b.end:b.end]
}

// scanOne scans the body value at src[i:] into n.bodyBuf, dropping
// managedFields with drop and redacting the paths of mask, and describes it.
func (n *Normalizer) scanOne(src []byte, i int, drop bool, mask uint64) (int, body, bool) {
	s := &n.sc
	s.reset(src, n.bodyBuf, drop, n.maxEvent)
	s.rootMask, s.cred = mask, n.opt.Redact
	s.mark = i
	end, ok := s.value(i)
	if !ok {
		n.bodyBuf = s.out[:s.start]
		s.src = nil
		return 0, body{}, false
	}
	// A body the scan did not need to change (compact, nothing dropped,
	// replaced or sanitized: nothing written yet) is its own text: no copy.
	same := s.mark == i && len(s.out) == s.start && !s.over
	if same {
		s.over = end-i > s.limit
	} else {
		s.flush(end, end)
	}
	n.bodyBuf, s.src = s.out, nil
	b := body{raw: src[i:end], start: s.start, end: len(n.bodyBuf), same: same && !s.over, over: s.over,
		hasSpec: s.spec, specAt: s.specAt, podSpec: s.podSpec, podSpecOK: s.podSpecOK, kindClass: s.kindClass, redacted: s.redacted,
		cut: s.cut}
	if b.over {
		b.end = b.start
	}
	switch src[i] {
	case '{':
		b.kind = '{'
		b.shapeOK = s.topCount > 0
	case '[':
		b.kind = '['
		b.shapeOK = s.topCount > 0 && s.allObjects
	}
	if len(s.nameRaw) > 0 {
		ns := len(n.names)
		n.names = unescape(n.names, s.nameRaw)
		b.name = n.names[ns:len(n.names):len(n.names)]
	}
	return end, b, true
}

// value scans one JSON value at src[i] with an explicit stack and returns
// the index after it.
func (s *scanner) value(i int) (int, bool) {
	src := s.src
	for {
		if i >= len(src) {
			return 0, false
		}
		next := s.next
		s.next = nextPlain
		if s.cred && src[i] == '"' && !s.dropping && redact.MayBeCredential(src, i+1) && redact.CredentialValue(src, i+1) {
			s.redactNext = true
		}
		if s.redactNext {
			// Replace the value: the text so far, the redaction string,
			// then the value scanned without output.
			s.redactNext = false
			s.flush(i, i)
			s.emit(redact.JSON)
			s.redacted = true
			s.dropping, s.dropDepth = true, len(s.stack)
		}
		if len(s.stack) == 1 && s.stack[0]&scArr != 0 {
			s.topCount++
			if src[i] != '{' {
				s.allObjects = false
			}
		}
		switch c := src[i]; c {
		case '"':
			j, ok := s.str(i + 1)
			if !ok {
				return 0, false
			}
			switch next {
			case nextName:
				if !s.dropping { // a name redacted is not a name to write
					s.nameRaw = src[i+1 : j-1]
				}
			case nextKind:
				s.noteKind(src[i+1 : j-1])
			}
			i = j
		case '{', '[':
			// Below the body's second level, with no path to redact,
			// a container is first tried as a plain one (scan_plain.go).
			if len(s.stack) >= 2 && next == nextPlain && s.rootMask == 0 && !s.noPlain && !s.deep {
				if j, ok := s.skipPlain(src, i, len(s.stack), false); ok {
					i = j
					break
				}
			}
			if len(s.stack) >= maxScanDepth {
				j, ok := s.cutDeep(i)
				if !ok {
					return 0, false
				}
				i = j
				break
			}
			var st uint8 = scArr
			if c == '{' {
				st = scEmpty
				switch next {
				case nextMeta:
					st |= scMeta
				case nextTopMeta:
					st |= scMeta | scNameObj
				case nextSpec:
					// Where the spec object starts in the output: the
					// pending input before it is written as it is.
					s.spec, s.specAt = true, len(s.out)+i-s.mark-s.start
					st |= scSpecObj
				}
			}
			if s.rootMask != 0 {
				s.pushLevel()
			}
			s.stack = append(s.stack, st)
			i = s.ws(i + 1)
			if i >= len(src) {
				return 0, false
			}
			if c == '{' && src[i] == '}' || c == '[' && src[i] == ']' {
				s.pop()
				i++
				break
			}
			if c == '{' {
				var ok bool
				if i, ok = s.key(i, -1); !ok {
					return 0, false
				}
			}
			continue
		case 't':
			if !bytes.HasPrefix(src[i:], litTrue) {
				return 0, false
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(src[i:], litFalse) {
				return 0, false
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(src[i:], litNull) {
				return 0, false
			}
			i += 4
		default:
			j := jsonskip.NumberEnd(src, i)
			if j == i {
				return 0, false
			}
			i = j
		}
		// After a value: a separator, a closer, or the end of the body.
		for {
			if s.dropping && len(s.stack) == s.dropDepth {
				s.dropping = false
				s.mark = i
			}
			if len(s.stack) == 0 {
				return i, true
			}
			i = s.ws(i)
			if i >= len(src) {
				return 0, false
			}
			top := &s.stack[len(s.stack)-1]
			c := src[i]
			if c == ',' {
				// Where the comma lands in the output, from where a dropped
				// member is taken back (-1: the member counts as the first).
				memberOut := len(s.out) + i - s.mark
				if *top&scSkipComa != 0 {
					*top &^= scSkipComa
					s.flush(i, i+1)
					memberOut = -1
				}
				i = s.ws(i + 1)
				if *top&scArr == 0 {
					var ok bool
					if i, ok = s.key(i, memberOut); !ok {
						return 0, false
					}
				}
				break
			}
			if c == '}' && *top&scArr == 0 || c == ']' && *top&scArr != 0 {
				s.pop()
				i++
				continue
			}
			return 0, false
		}
	}
}

// cutDeep replaces the container at src[i], which would nest past
// maxScanDepth, with cutJSON and returns the index after it. The container
// is checked as strictly as the rest (a body that is not JSON still fails)
// but with one bit per level instead of the stack, and nothing of it is
// copied: a Secret nested 10,000 levels deep is not shipped, and neither
// the stack nor the redaction state grows with the depth.
func (s *scanner) cutDeep(i int) (int, bool) {
	s.flush(i, i)
	dropping := s.dropping
	s.dropping = true // str writes nothing
	j, ok := s.skipDeep(i)
	s.dropping = dropping
	if !ok {
		return 0, false
	}
	s.mark = j
	if !dropping && !s.over {
		s.emit(cutJSON)
		s.cut = true
	}
	return j, true
}

// skipDeep checks the container at src[i] under the JSON grammar, at any
// depth, and returns the index after it.
func (s *scanner) skipDeep(i int) (int, bool) {
	src := s.src
	s.bits = s.bits[:0]
	depth := 0
	for {
		// A value at i.
		i = skipWS(src, i)
		if i >= len(src) {
			return 0, false
		}
		switch c := src[i]; c {
		case '{', '[':
			w, b := depth>>6, uint64(1)<<(depth&63)
			if w == len(s.bits) {
				s.bits = append(s.bits, 0)
			}
			if c == '[' {
				s.bits[w] |= b
			} else {
				s.bits[w] &^= b
			}
			depth++
			i = skipWS(src, i+1)
			if i < len(src) && (c == '{' && src[i] == '}' || c == '[' && src[i] == ']') {
				depth--
				i++
				break
			}
			if c == '{' {
				var ok bool
				if i, ok = s.deepKey(i); !ok {
					return 0, false
				}
			}
			continue
		case '"':
			j, ok := s.str(i + 1)
			if !ok {
				return 0, false
			}
			i = j
		case 't', 'f', 'n':
			j, ok := literalEnd(src, i)
			if !ok {
				return 0, false
			}
			i = j
		default:
			j := jsonskip.NumberEnd(src, i)
			if j == i {
				return 0, false
			}
			i = j
		}
		// After a value: a separator or closers.
		for {
			if depth == 0 {
				return i, true
			}
			i = skipWS(src, i)
			if i >= len(src) {
				return 0, false
			}
			d := depth - 1
			arr := s.bits[d>>6]&(1<<(d&63)) != 0
			c := src[i]
			if c == ',' {
				i = skipWS(src, i+1)
				if !arr {
					var ok bool
					if i, ok = s.deepKey(i); !ok {
						return 0, false
					}
				}
				break
			}
			if c == '}' && !arr || c == ']' && arr {
				depth--
				i++
				continue
			}
			return 0, false
		}
	}
}

// deepKey checks a key and its colon at i for skipDeep and returns the
// index of the value.
func (s *scanner) deepKey(i int) (int, bool) {
	src := s.src
	if i >= len(src) || src[i] != '"' {
		return 0, false
	}
	j, ok := s.str(i + 1)
	if !ok {
		return 0, false
	}
	i = skipWS(src, j)
	if i >= len(src) || src[i] != ':' {
		return 0, false
	}
	return i + 1, true
}

// key scans an object member's key at i up to its value and returns the
// value's index. memberOut is where the member's comma is in the output, or
// -1 for a member with none: a dropped member is taken back from there.
func (s *scanner) key(i, memberOut int) (int, bool) {
	src := s.src
	if i >= len(src) || src[i] != '"' {
		return 0, false
	}
	s.esc = false
	j, ok := s.str(i + 1)
	if !ok {
		return 0, false
	}
	k := src[i+1 : j-1]
	top := &s.stack[len(s.stack)-1]
	depth := len(s.stack)
	if depth == 1 {
		s.topCount++
	}
	if s.rootMask != 0 && !s.dropping {
		s.matchKey(k)
	}
	// Only a few keys matter; compare them only where they do.
	if esc := s.esc; esc || len(k) >= 4 && len(k) <= 13 {
		if esc {
			s.keyBuf = unescape(s.keyBuf[:0], k)
			k = s.keyBuf
		}
		switch string(k) {
		case "managedFields":
			if s.drop && *top&scMeta != 0 && !s.dropping {
				s.flush(i, i)
				if !s.over && memberOut >= 0 {
					s.out = s.out[:memberOut]
				}
				if *top&scEmpty != 0 {
					*top |= scSkipComa
				}
				s.dropping, s.dropDepth = true, depth
			}
		case "metadata":
			s.next = nextMeta
			if depth == 1 && !s.metaSeen {
				s.metaSeen = true
				s.next = nextTopMeta
			}
		case "name":
			if *top&scNameObj != 0 && depth == 2 && !s.nameSeen {
				s.nameSeen = true
				s.next = nextName
			}
		case "kind":
			if depth == 1 {
				s.next = nextKind
			}
		case "spec":
			if depth == 1 && !s.specSeen {
				s.specSeen = true
				s.next = nextSpec
			}
		}
	}
	// k is unescaped here (above) when it had an escape.
	if s.cred && !s.dropping && redact.MayBeAuthKey(k) && s.authKey(k, false) {
		s.redactNext = true
	}
	if !s.dropping {
		*top &^= scEmpty
	}
	i = s.ws(j)
	if i >= len(src) || src[i] != ':' {
		return 0, false
	}
	i = s.ws(i + 1)
	if depth == 2 && *top&scSpecObj != 0 {
		s.notePodSpecMember(k, i)
	}
	return i, true
}

// notePodSpecMember notes where the value at i of the top-level spec's
// member k starts in the output, when k is one of podSpecMembers and the
// first of its name (collectImagesText reads them).
func (s *scanner) notePodSpecMember(k []byte, i int) {
	if s.esc {
		s.podSpecOK = false // an escaped key: compare values, not text
		return
	}
	for m, name := range podSpecMembers {
		if string(k) == name {
			if s.podSpec[m] < 0 && !s.over && !s.dropping {
				s.podSpec[m] = int32(len(s.out) + i - s.mark - s.start)
			}
			return
		}
	}
}

// pop leaves the current container.
func (s *scanner) pop() {
	s.stack = s.stack[:len(s.stack)-1]
	if s.rootMask != 0 {
		s.lv = s.lv[:len(s.stack)]
	}
}

// str scans a string's content from i (after the opening quote) and returns
// the index after the closing quote. jsonskip.SkipString (internal/jsonskip, special_*.go) passes plain
// bytes and the two-byte escapes (\n in a PEM bundle every 65 bytes); what
// it stops at is handled here.
func (s *scanner) str(i int) (int, bool) {
	src := s.src
	if n, ok := jsonskip.ShortString(src, i); ok {
		return i + n + 1, true
	}
	for {
		n, esc := jsonskip.SkipString(src[i:])
		i += n
		if esc {
			s.esc = true
		}
		if i >= len(src) {
			return 0, false
		}
		switch c := src[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(src) {
				return 0, false
			}
			s.esc = true
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		case c < 0x20:
			s.flush(i, i+1)
			s.emit(jsonw.ControlEscape[c])
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				s.flush(i, i+1)
				s.emit(`\ufffd`)
			}
			i += size
		}
	}
}

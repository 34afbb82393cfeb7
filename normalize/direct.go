package normalize

import "encoding/binary"

// The direct road. A record that is one audit event object (the tail input's
// every line) is read in a single walk over its bytes, without fastjson:
// bodies go through the body scanner (scan.go) as on the stripped road, and
// everything else is copied, validated, in canonical compact form (every
// string escaped as the writer escapes it) to Normalizer.d.text, while the
// members the mapping reads are noted as spans of the input. The writers then
// copy spans instead of walking a tree and re-escaping its strings.
//
// The road gives way to the general one (split.go) as soon as a record is
// anything else: not an object, an EventList, an envelope, a member the
// mapping reads given twice or with an unexpected JSON type, a body key out
// of its place, a lone surrogate or a bad escape, a number JSON does not
// allow, nesting past maxDirectDepth, or a record that is not an audit event
// at all. Both roads write the same bytes for what they both accept (a test
// holds them to it: TestDirectRoadAgrees), so the fallback only costs time.

// maxDirectDepth bounds the walk's recursion; deeper records take the
// general road.
const maxDirectDepth = 64

// String members the mapping reads, by slot.
const (
	sKind = iota
	sAPIVersion
	sLevel
	sAuditID
	sStage
	sRequestURI
	sVerb
	sUserAgent
	sRequestReceived
	sStageTS
	sLegacyTS
	sUserName
	sUserUID
	sImpName
	sImpUID
	sResource
	sSubresource
	sNamespace
	sName
	sUID
	sAPIGroup
	sObjAPIVersion
	sStatusReason
	sStatusMessage
	sDecision
	sAuthzReason
	nSlots
)

// Object members kubernetes.audit copies without their empty values.
const (
	copyUser = iota
	copyImpersonated
	copySourceIPs
	copyObjectRef
	copyResponseStatus
	copyAnnotations
	nCopies
)

// Top-level members, by what the walk does with them.
const (
	tmOther     = iota
	tmString    // a string slot
	tmObject    // one of the copies
	tmBody      // requestObject, responseObject
	tmContainer // items, records, properties: not a single event
)

// Lists of strings the mapping reads.
const (
	listGroups = iota
	listImpGroups
	listIPs
	nLists
)

type span struct{ s, e int32 }

// dmember is one top-level member: text[s:e] is `"key":value`, or `"key":`
// for a body, whose text is body number body.
type dmember struct {
	s, e int32
	body int32 // -1 for other members
	top  uint8 // tm*
	slot uint8 // its string slot or copy
}

type directState struct {
	text    []byte // canonical compact text of the members, bodies left out
	tmp     []byte // an escaped string's value, unescaped
	members []dmember

	strs  [nSlots]span // string values as written in the input, quotes excluded
	canon [nSlots]span // the same, quoted and escaped as the writer would, in text
	// canonSrc: the slots whose canon span is in src, which holds them as
	// the writer would write them.
	canonSrc uint32
	src      []byte // the record walked
	have     uint32 // the slots set
	plain    uint32 // the slots whose value needs no escaping
	last     bool   // the string dstring copied last was plain
	omit     bool   // copy objects without their empty values (see dobject)
	empty    bool   // the value copied last was empty and taken back
	lists    [nLists][]span
	// listPlain: every entry of the list needs no escaping.
	listPlain [nLists]bool
	objs      [nCopies]span // the copies' values in text
	hasOb     uint8         // the copies set
	seen      uint64        // top-level members met, to refuse a second one
	code      int64
	req       int
	resp      int

	unesc   []byte // unescaped values of strings with escapes
	uoff    [nSlots]span
	listBuf [nLists][]byte // the same for list entries
	cp      []byte         // the copies without their empty values
	cpOff   [nCopies]span
}

func (d *directState) reset() {
	d.text, d.members = d.text[:0], d.members[:0]
	d.have, d.plain, d.hasOb, d.seen, d.canonSrc = 0, 0, 0, 0, 0
	for i := range d.lists {
		d.lists[i], d.listPlain[i] = d.lists[i][:0], true
	}
	d.code, d.req, d.resp = -1, -1, -1
	d.unesc, d.cp = d.unesc[:0], d.cp[:0]
}

// topMember classifies a top-level key (canonical, unquoted).
func topMember(k []byte) (top, slot uint8) {
	switch string(k) {
	case "kind":
		return tmString, sKind
	case "apiVersion":
		return tmString, sAPIVersion
	case "level":
		return tmString, sLevel
	case "auditID":
		return tmString, sAuditID
	case "stage":
		return tmString, sStage
	case "requestURI":
		return tmString, sRequestURI
	case "verb":
		return tmString, sVerb
	case "userAgent":
		return tmString, sUserAgent
	case "requestReceivedTimestamp":
		return tmString, sRequestReceived
	case "stageTimestamp":
		return tmString, sStageTS
	case "timestamp":
		return tmString, sLegacyTS
	case "user":
		return tmObject, copyUser
	case "impersonatedUser":
		return tmObject, copyImpersonated
	case "sourceIPs":
		return tmObject, copySourceIPs
	case "objectRef":
		return tmObject, copyObjectRef
	case "responseStatus":
		return tmObject, copyResponseStatus
	case "annotations":
		return tmObject, copyAnnotations
	case "requestObject":
		return tmBody, 0
	case "responseObject":
		return tmBody, 1
	case "items", "records", "properties":
		return tmContainer, 0
	}
	return tmOther, 0
}

// Kinds of the members read inside an object member.
const (
	subNone = iota
	subString
	subGroups
	subCode
)

// subMember classifies a key inside the copy c.
func subMember(c uint8, k []byte) (kind, slot uint8) {
	switch c {
	case copyUser, copyImpersonated:
		name, uid := uint8(sUserName), uint8(sUserUID)
		if c == copyImpersonated {
			name, uid = sImpName, sImpUID
		}
		switch string(k) {
		case "username":
			return subString, name
		case "uid":
			return subString, uid
		case "groups":
			return subGroups, 0
		}
	case copyObjectRef:
		switch string(k) {
		case "resource":
			return subString, sResource
		case "subresource":
			return subString, sSubresource
		case "namespace":
			return subString, sNamespace
		case "name":
			return subString, sName
		case "uid":
			return subString, sUID
		case "apiGroup":
			return subString, sAPIGroup
		case "apiVersion":
			return subString, sObjAPIVersion
		}
	case copyResponseStatus:
		switch string(k) {
		case "code":
			return subCode, 0
		case "reason":
			return subString, sStatusReason
		case "message":
			return subString, sStatusMessage
		}
	case copyAnnotations:
		switch string(k) {
		case "authorization.k8s.io/decision":
			return subString, sDecision
		case "authorization.k8s.io/reason":
			return subString, sAuthzReason
		}
	}
	return subNone, 0
}

// direct normalizes rec on the direct road and reports whether it could;
// when it could not, nothing was written and the general road takes over.
func (n *Normalizer) direct(record []byte) bool {
	rec := trimSpace(record)
	if len(rec) < 2 || rec[0] != '{' {
		return false
	}
	d := &n.d
	d.reset()
	d.src = rec
	// Only format ecs reads the copies, and only event.original of a
	// hooked event renders the event from d.text.
	d.omit = n.opt.Format == ECS && !(n.opt.EventOriginal && n.hooked())
	ok := n.walkEvent(rec) && n.directEvent(rec)
	d.src = nil // the caller's memory: not kept past the call
	if !ok {
		n.bodies, n.bodyBuf, n.names = n.bodies[:0], n.bodyBuf[:0], n.names[:0]
	}
	return ok
}

// walkEvent walks the event object rec.
func (n *Normalizer) walkEvent(src []byte) bool {
	d := &n.d
	i := skipWS(src, 1)
	if i < len(src) && src[i] == '}' {
		return false // {} is not an event: the general road says why
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return false
		}
		ms := len(d.text)
		j, ok := n.dstring(src, i)
		if !ok {
			return false
		}
		top, slot := topMember(d.text[ms+1 : len(d.text)-1])
		i = skipWS(src, j)
		if i >= len(src) || src[i] != ':' {
			return false
		}
		if d.omit {
			// Omit mode keeps only the copies' values and the strings
			// that needed rewriting: nothing renders the members.
			d.text = d.text[:ms]
		} else {
			d.text = append(d.text, ':')
		}
		i = skipWS(src, i+1)
		if i >= len(src) {
			return false
		}
		m := dmember{body: -1, top: top, slot: slot}
		switch top {
		case tmContainer:
			return false
		case tmString:
			if !d.once(uint(slot)) || src[i] != '"' {
				return false
			}
			vs := len(d.text)
			j, ok = n.dstring(src, i)
			d.setStr(int(slot), i+1, j-1, vs)
			if d.omit && d.last { // written as it is in src
				d.text = d.text[:vs]
				d.canon[slot] = span{int32(i), int32(j)}
				d.canonSrc |= 1 << slot
			}
		case tmObject:
			if !d.once(16 + uint(slot)) {
				return false
			}
			vs := len(d.text)
			if slot == copySourceIPs {
				j, ok = n.dstrings(src, i, listIPs)
			} else {
				j, ok = n.dobject(src, i, slot)
			}
			d.objs[slot] = span{int32(vs), int32(len(d.text))}
			d.hasOb |= 1 << slot
		case tmBody:
			if !d.once(32 + uint(slot)) {
				return false
			}
			j, ok = n.scanBody(src, i)
			m.body = int32(len(n.bodies) - 1)
			if slot == 0 {
				d.req = len(n.bodies) - 1
			} else {
				d.resp = len(n.bodies) - 1
			}
		default:
			j, ok = n.dvalue(src, i, 1, false)
		}
		if !ok {
			return false
		}
		if !d.omit {
			m.s, m.e = int32(ms), int32(len(d.text))
			d.members = append(d.members, m)
		}
		i = skipWS(src, j)
		if i >= len(src) {
			return false
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
			continue
		case '}':
			return skipWS(src, i+1) == len(src)
		}
		return false
	}
}

// once marks a top-level member as met and reports whether it was the first.
func (d *directState) once(bit uint) bool {
	if d.seen&(1<<bit) != 0 {
		return false
	}
	d.seen |= 1 << bit
	return true
}

// setStr notes string slot slot: its value is src[s:e] as written, and
// d.text from vs on holds it as the writer writes it.
func (d *directState) setStr(slot, s, e, vs int) {
	d.strs[slot] = span{int32(s), int32(e)}
	d.canon[slot] = span{int32(vs), int32(len(d.text))}
	d.have |= 1 << slot
	if d.last {
		d.plain |= 1 << slot
	}
}

// In omit mode (format ecs, when nothing renders the event from d.text),
// the object members are copied the way kubernetes.audit holds them, as
// copyOmit and copyUser write them from a tree: empty strings, nulls,
// members with an empty key and containers left empty are taken back as
// they are written (d.empty tells the caller), and '.' becomes '_' in the
// keys of annotations and of a UserInfo's extra.

// member starts a member or an element of a container holding cnt so far:
// its comma, and where to take it back from.
func (d *directState) member(cnt int) int {
	m := len(d.text)
	if cnt > 0 {
		d.text = append(d.text, ',')
	}
	return m
}

// kept ends a member started at m: taken back in omit mode when its value
// (or key) was empty; it reports whether the member stays.
func (d *directState) kept(m int, emptyKey bool) bool {
	if d.omit && (d.empty || emptyKey) {
		d.text = d.text[:m]
		return false
	}
	return true
}

// closed ends a container started at start with cnt members.
func (d *directState) closed(start, cnt int, end byte) {
	if d.omit && cnt == 0 {
		d.text = d.text[:start]
		d.empty = true
		return
	}
	d.text = append(d.text, end)
	d.empty = false
}

// key copies an object key at src[i] up to its value and returns the
// value's index and the key's canonical text (aliasing d.text; dotKey
// changes it once the caller has compared it).
func (n *Normalizer) key(src []byte, i int) (int, []byte, bool) {
	d := &n.d
	if i >= len(src) || src[i] != '"' {
		return 0, nil, false
	}
	ks := len(d.text)
	j, ok := n.dstring(src, i)
	if !ok {
		return 0, nil, false
	}
	ke := len(d.text) - 1
	if isBodyName(d.text[ks+1 : ke]) {
		return 0, nil, false
	}
	i = skipWS(src, j)
	if i >= len(src) || src[i] != ':' {
		return 0, nil, false
	}
	d.text = append(d.text, ':') // may move d.text: k is sliced after
	i = skipWS(src, i+1)
	if i >= len(src) {
		return 0, nil, false
	}
	return i, d.text[ks+1 : ke], true
}

// dotKey makes '.' '_' in a key key returned, in omit mode.
func (d *directState) dotKey(k []byte) {
	if d.omit {
		dotsToUnderscores(k)
	}
}

// dobject copies the object member c at src[i] and notes the members the
// mapping reads in it: the first of each name, as fastjson's Get finds them.
func (n *Normalizer) dobject(src []byte, i int, c uint8) (int, bool) {
	d := &n.d
	if src[i] != '{' {
		return 0, false
	}
	start := len(d.text)
	d.text = append(d.text, '{')
	i = skipWS(src, i+1)
	cnt := 0
	if i < len(src) && src[i] == '}' {
		d.closed(start, cnt, '}')
		return i + 1, true
	}
	var met uint8
	for {
		m := d.member(cnt)
		vi, k, ok := n.key(src, i)
		if !ok {
			return 0, false
		}
		i = vi
		emptyKey := len(k) == 0
		extra := (c == copyUser || c == copyImpersonated) && string(k) == "extra"
		kind, slot := subMember(c, k)
		if c == copyAnnotations {
			d.dotKey(k)
		}
		bit := uint8(1) << kind
		if kind == subString {
			bit = 0 // each slot its own first
			if d.have&(1<<slot) != 0 {
				kind = subNone
			}
		}
		if met&bit != 0 {
			kind = subNone
		}
		met |= bit
		var j int
		switch kind {
		case subString:
			if src[i] != '"' {
				return 0, false
			}
			vs := len(d.text)
			j, ok = n.dstring(src, i)
			d.setStr(int(slot), i+1, j-1, vs)
			d.empty = len(d.text)-vs == 2
		case subGroups:
			list := listGroups
			if c == copyImpersonated {
				list = listImpGroups
			}
			j, ok = n.dstrings(src, i, list)
		case subCode:
			if src[i] == '"' || src[i] == '{' || src[i] == '[' {
				return 0, false
			}
			vs := len(d.text)
			if j, ok = n.dvalue(src, i, 2, false); ok {
				d.code = -1
				if v, isInt := plainInt(d.text[vs:]); isInt {
					d.code = v
				}
			}
		default:
			j, ok = n.dvalue(src, i, 2, extra)
		}
		if !ok {
			return 0, false
		}
		if d.kept(m, emptyKey) {
			cnt++
		}
		i = skipWS(src, j)
		if i >= len(src) {
			return 0, false
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
			continue
		case '}':
			d.closed(start, cnt, '}')
			return i + 1, true
		}
		return 0, false
	}
}

// dstrings copies an array of strings, noting each in list l.
func (n *Normalizer) dstrings(src []byte, i int, l int) (int, bool) {
	d := &n.d
	if src[i] != '[' {
		return 0, false
	}
	start := len(d.text)
	d.text = append(d.text, '[')
	i = skipWS(src, i+1)
	cnt := 0
	if i < len(src) && src[i] == ']' {
		d.closed(start, cnt, ']')
		return i + 1, true
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return 0, false
		}
		m := d.member(cnt)
		j, ok := n.dstring(src, i)
		if !ok {
			return 0, false
		}
		d.lists[l] = append(d.lists[l], span{int32(i + 1), int32(j - 1)})
		d.listPlain[l] = d.listPlain[l] && d.last
		d.empty = j-i == 2
		if d.kept(m, false) {
			cnt++
		}
		i = skipWS(src, j)
		if i >= len(src) {
			return 0, false
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
			continue
		case ']':
			d.closed(start, cnt, ']')
			return i + 1, true
		}
		return 0, false
	}
}

// dvalue copies any JSON value at src[i], canonically, to d.text; dots
// asks for '_' in the keys of its own members (omit mode only).
func (n *Normalizer) dvalue(src []byte, i, depth int, dots bool) (int, bool) {
	d := &n.d
	if i >= len(src) {
		return 0, false
	}
	d.empty = false
	switch c := src[i]; c {
	case '"':
		vs := len(d.text)
		j, ok := n.dstring(src, i)
		d.empty = len(d.text)-vs == 2
		return j, ok
	case '{', '[':
		if depth >= maxDirectDepth {
			return 0, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		start := len(d.text)
		d.text = append(d.text, c)
		i = skipWS(src, i+1)
		cnt := 0
		if i < len(src) && src[i] == end {
			d.closed(start, cnt, end)
			return i + 1, true
		}
		for {
			m := d.member(cnt)
			emptyKey := false
			if c == '{' {
				vi, k, ok := n.key(src, i)
				if !ok {
					return 0, false
				}
				i, emptyKey = vi, len(k) == 0
				if dots {
					d.dotKey(k)
				}
			}
			j, ok := n.dvalue(src, i, depth+1, false)
			if !ok {
				return 0, false
			}
			if d.kept(m, emptyKey) {
				cnt++
			}
			i = skipWS(src, j)
			if i >= len(src) {
				return 0, false
			}
			if src[i] == ',' {
				i = skipWS(src, i+1)
				continue
			}
			if src[i] == end {
				d.closed(start, cnt, end)
				return i + 1, true
			}
			return 0, false
		}
	case 't', 'f', 'n':
		lit := litTrue
		if c == 'f' {
			lit = litFalse
		} else if c == 'n' {
			lit = litNull
			d.empty = true
		}
		if len(src)-i < len(lit) || string(src[i:i+len(lit)]) != string(lit) {
			return 0, false
		}
		d.text = append(d.text, lit...)
		return i + len(lit), true
	}
	j := numberEnd(src, i)
	if j == i {
		return 0, false
	}
	d.text = append(d.text, src[i:j]...)
	return j, true
}

// dstring copies the string at src[i] (its opening quote) to d.text as the
// writer would write its value: as is when nothing in it needs a look.
func (n *Normalizer) dstring(src []byte, i int) (int, bool) {
	k, esc := skipString(src[i+1:])
	j := i + 1 + k
	if !esc && j < len(src) && src[j] == '"' {
		n.d.text = appendShort(n.d.text, src, i, j+1)
		n.d.last = true
		return j + 1, true
	}
	n.d.last = false
	if j < len(src) && src[j] == '"' && sameEscapes(src[i+1:j]) {
		// Only escapes the writer writes the same way (an RBAC reason's
		// \"): the text is already what appendQuoted would make of it.
		n.d.text = append(n.d.text, src[i:j+1]...)
		return j + 1, true
	}
	return n.dstringSlow(src, i, j)
}

// sameEscapes reports whether every escape of a string's content (holding
// only the two-byte escapes skipString passes) is one appendEscaped writes
// as it is: \" \\ \n \r \t, not \/ \b \f.
func sameEscapes(s []byte) bool {
	for {
		k := indexByte(s, '\\')
		if k < 0 || k+1 >= len(s) {
			return true
		}
		switch s[k+1] {
		case '"', '\\', 'n', 'r', 't':
			s = s[k+2:]
		default:
			return false
		}
	}
}

// dstringSlow handles a string with escapes, control characters or
// non-ASCII bytes: escapes are checked strictly (a lone surrogate sends the
// record to the general road, whose unescaping differs there), then the
// value is unescaped and written escaped, exactly as a fastjson string
// value goes through appendQuoted.
func (n *Normalizer) dstringSlow(src []byte, i, j int) (int, bool) {
	for j < len(src) {
		switch c := src[j]; {
		case c == '"':
			d := &n.d
			d.tmp = unescape(d.tmp[:0], src[i+1:j])
			d.text = appendQuoted(d.text, d.tmp)
			return j + 1, true
		case c == '\\':
			if j+1 >= len(src) {
				return 0, false
			}
			switch src[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				r, ok := hex4(src[j+2:])
				if !ok || r >= 0xd800 && r < 0xe000 {
					return 0, false
				}
				j += 6
			default:
				return 0, false
			}
		default: // a control character or a non-ASCII byte: appendQuoted sees to it
			j++
		}
		j = nextSpecial(src, j)
	}
	return 0, false
}

// appendShort appends src[i:j]; a short run is moved as two words, with
// no call, when both sides have room for 16 bytes (the bytes past j are
// overwritten later or cut off).
func appendShort(dst, src []byte, i, j int) []byte {
	if l := len(dst); j-i <= 16 && i+16 <= len(src) && cap(dst)-l >= 16 {
		d := dst[l : l+16]
		binary.LittleEndian.PutUint64(d, le64(src[i:]))
		binary.LittleEndian.PutUint64(d[8:], le64(src[i+8:]))
		return dst[:l+j-i]
	}
	return append(dst, src[i:j]...)
}

// isBodyName reports whether a canonical key is a body key.
func isBodyName(k []byte) bool {
	return string(k) == "requestObject" || string(k) == "responseObject"
}

// plainInt reads a number that is a plain integer of at most 18 digits, as
// event.intOf does.
func plainInt(s []byte) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

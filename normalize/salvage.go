package normalize

import (
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/valyala/fastjson"
)

// The safe road (see the package doc): what the parsers refuse never
// leaves as its text. salvageRecord finds the JSON values of the record by
// counting brackets outside strings (nextValue, salvSkip; a byte-order mark
// or other bytes between values are passed); a value that is complete and
// is not the text the parsers refused goes back to the normal roads
// (subRecord), and a value they refuse too is salvaged (salvageValue): a
// list is taken item by item, each item alone; an object has the top-level
// members the mapping reads read (salvageObject) and turned into a compact
// event (salvagedText) that goes through the policy, redaction and the
// writers like any event. Bodies are never read. What holds no event at
// all becomes a pipeline_error document with the text's length and
// SHA-256, not its content (unparsed, pipeline_error.go).
//
// The scan is bounded: each level looks at every byte a constant number of
// times, levels are bounded by maxNesting, strings are unescaped once, at
// most maxSalvagedAnnotations annotations are kept, and nothing is
// recursive but the levels. It reads a string only when it ends, so a
// token cut by truncation is not read; and it stops at the first byte out
// of place where a member or separator should be, as at the end of a
// truncated record: past a stray byte, a value's text could be read as a
// key, so nothing after it is trusted.
//
// Which value it takes when a member is given twice is the general road's
// (event.extract): at the top level the last one; inside user,
// impersonatedUser, objectRef and responseStatus the first one of each name,
// keys compared unescaped (as fastjson's Get does once the keys are
// unescaped, unescapeKeys); kind, items and records the first, as value
// (split.go) reads them. An object member given twice takes the second
// whole, unless the second is not an object, which extract ignores too.
// TestSalvageAgrees holds the two to that on every fixture event.

// SalvagedAnnotation marks a salvaged event in format raw, its value saying
// why the event could not be read; format ecs sets labels.salvaged: true and
// error.message.
const SalvagedAnnotation = "k8saudit.io/salvaged"

// maxSalvagedAnnotations bounds the annotations a salvaged event keeps.
const maxSalvagedAnnotations = 64

// itemSpan is one value of a list container: rec[s:e], complete when it
// ends in the record.
type itemSpan struct {
	s, e     int
	complete bool
}

// salvageState is the salvage scan's state, reused across records.
type salvageState struct {
	buf     []byte         // unescaped values
	str     [nSlots]span   // string slots (direct.go's), in buf
	have    uint32         // the slots set
	kindMet bool           // a kind member was met, of any type
	kind    []byte         // the first kind member's value when a string (as Get finds it), in buf after the scan
	lists   [nLists][]span // groups, impersonated groups, source IPs, in buf
	obs     uint8          // the objects met (copy* bits)
	code    int64          // responseStatus.code, -1 when absent
	ann     []span         // annotations: key, value, key, value, … in buf
	kindAt  span           // kind, in buf
	// items and records: the first member of each name was met, and
	// when it is an array, its values in items[from:to] (to < 0: not one).
	itemsMet, recordsMet bool
	itemsAt, recordsAt   span
	items                []itemSpan // the values of lists, stacked (see salvageValue)
	base                 int        // where the current record's values start in items

	complete bool // the object ended
	bad      int  // the byte out of place the scan stopped at, or -1
	deep     int  // the deepest nesting met in a skipped value

	keyBuf []byte
	text   []byte // the salvaged event as JSON
	msg    []byte // why, for error.message
	p      fastjson.Parser
}

func (v *salvageState) reset() {
	v.buf, v.have, v.kindMet, v.obs, v.code = v.buf[:0], 0, false, 0, -1
	for l := range v.lists {
		v.lists[l] = v.lists[l][:0]
	}
	v.ann, v.complete, v.bad, v.deep = v.ann[:0], false, -1, 0
	v.kind, v.kindAt = nil, span{-1, 0}
	v.itemsMet, v.recordsMet, v.itemsAt, v.recordsAt = false, false, span{0, -1}, span{0, -1}
	v.items = v.items[:v.base]
}

// salvageRecord takes rec, a record or part of one that the parsers
// refused (known: the exact text they refused, nil when unknown), value by
// value. parse false keeps the parsers out (a caller holds a tree of
// theirs).
func (n *Normalizer) salvageRecord(rec, known []byte, depth int, parse bool) {
	found := false
	for i := 0; ; {
		j := nextValue(rec, i)
		if j >= len(rec) {
			break
		}
		end, complete, _ := salvSkip(rec, j)
		part := rec[j:end]
		found = true
		refused := len(known) == len(part) && j == 0 && len(part) > 0 && &known[0] == &part[0]
		if complete && !refused && parse && depth < maxNesting {
			n.subRecord(part, depth+1)
		} else {
			n.salvageValue(part, depth, parse)
		}
		i = end
	}
	if !found {
		n.unparsed(rec, errNoValue, -1)
	}
}

// subRecord sends a complete value of a refused record down the normal
// roads, and to the salvage when they refuse it too.
func (n *Normalizer) subRecord(rec []byte, depth int) {
	v, marked, err := n.parse(&n.p, &n.st.stripped, rec)
	if err != nil {
		n.salvageRecord(rec, rec, depth, true)
		return
	}
	n.value(v, rec, depth, false, marked)
}

// salvageValue salvages the value part ('{' or '['), which the parsers
// refused or which ends with the record.
func (n *Normalizer) salvageValue(part []byte, depth int, parse bool) {
	if part[0] == '[' {
		if depth >= maxNesting {
			n.unparsed(part, errNesting, -1)
			return
		}
		n.salvageRecord(part[1:], nil, depth+1, parse)
		return
	}
	v := &n.sv
	n.salvageObject(part)
	if v.kindAt.s >= 0 {
		v.kind = v.buf[v.kindAt.s:v.kindAt.e]
	}
	// The list shapes, decided as value (split.go) decides them.
	list := span{0, -1}
	switch {
	case (len(v.kind) == 0 || string(v.kind) == "EventList") && v.itemsAt.e >= 0:
		list = v.itemsAt
	case len(v.kind) == 0 && v.recordsAt.e >= 0:
		list = v.recordsAt
	}
	if list.e == list.s {
		// A refused list with no item: nothing else says it was there.
		n.unparsed(part, errEmptyList, -1)
		return
	}
	if list.e >= 0 {
		if depth >= maxNesting {
			n.unparsed(part, errNesting, -1)
			return
		}
		// The values stay on the stack while each is taken: a value's
		// own salvage pushes above them.
		base := v.base
		v.base = len(v.items)
		for k := int(list.s); k < int(list.e); k++ {
			it := v.items[k]
			item := part[it.s:it.e]
			if it.complete && parse {
				n.subRecord(item, depth+1)
			} else {
				n.salvageValue(item, depth+1, parse)
			}
		}
		v.base, v.items = base, v.items[:base]
		return
	}
	n.salvageReason(part)
	if v.kindMet && string(v.kind) != "Event" ||
		!isEvent(v.kind, v.slot(sAuditID), v.slot(sVerb), v.slot(sRequestURI), v.slot(sAPIVersion)) {
		n.unparsedMsg(part, v.msg)
		return
	}
	n.emitSalvaged(part)
}

// nextValue returns the index of the next '{' or '[' of rec from i outside
// a string, or len(rec).
func nextValue(rec []byte, i int) int {
	for i < len(rec) {
		switch rec[i] {
		case '{', '[':
			return i
		case '"':
			if i = jsonskip.StringEnd(rec, i+1); i < 0 {
				return len(rec)
			}
			continue
		}
		i++
	}
	return i
}

// salvSkip finds the end of the value at rec[i] without reading it: a
// string to its closing quote, a container to its closing bracket by
// counting brackets outside strings (any depth, no stack), a scalar to the
// next delimiter. complete is false when the record ends first; depth is
// the deepest nesting met.
func salvSkip(rec []byte, i int) (end int, complete bool, depth int) {
	switch rec[i] {
	case '"':
		if j := jsonskip.StringEnd(rec, i+1); j >= 0 {
			return j, true, 0
		}
		return len(rec), false, 0
	case '{', '[':
		d := 0
		for i < len(rec) {
			switch rec[i] {
			case '"':
				j := jsonskip.StringEnd(rec, i+1)
				if j < 0 {
					return len(rec), false, depth
				}
				i = j
				continue
			case '{', '[':
				if d++; d > depth {
					depth = d
				}
			case '}', ']':
				if d--; d == 0 {
					return i + 1, true, depth
				}
			}
			i++
		}
		return len(rec), false, depth
	}
	j := i
	for j < len(rec) && rec[j] != ',' && rec[j] != '}' && rec[j] != ']' && !isSpace(rec[j]) {
		j++
	}
	return j, j < len(rec), 0
}

// salvString returns the content of the string at rec[i] (its opening
// quote) and the index after it; ok false when it does not end.
func salvString(rec []byte, i int) (s, e, end int, ok bool) {
	j := jsonskip.StringEnd(rec, i+1)
	if j < 0 {
		return 0, 0, len(rec), false
	}
	return i + 1, j - 1, j, true
}

// slot returns the value of string slot s (nil when unset).
func (v *salvageState) slot(s int) []byte {
	if v.have&(1<<s) == 0 {
		return nil
	}
	sp := v.str[s]
	return v.buf[sp.s:sp.e:sp.e]
}

// add unescapes rec[s:e] into buf and returns its span.
func (v *salvageState) add(rec []byte, s, e int) span {
	st := len(v.buf)
	v.buf = unescape(v.buf, rec[s:e])
	return span{int32(st), int32(len(v.buf))}
}

// setStr sets string slot s to the string at rec[i] when it ends.
func (v *salvageState) setStr(rec []byte, i, s int) (int, bool) {
	cs, ce, end, ok := salvString(rec, i)
	if ok {
		v.str[s] = v.add(rec, cs, ce)
		v.have |= 1 << s
	}
	return end, ok
}

// garbage notes that rec[i] is not JSON where it stands; the scan stops
// there, as at the end of a truncated record: after a byte out of place, a
// string may be read as what it is not (a value's text as a key), so
// nothing after it is trusted.
func (v *salvageState) garbage(i int) bool {
	if v.bad < 0 {
		v.bad = i
	}
	return false
}

// skip passes the value at rec[i]; ok false when the record ends in it or
// there is no value there.
func (v *salvageState) skip(rec []byte, i int) (int, bool) {
	end, complete, d := salvSkip(rec, i)
	if d > v.deep {
		v.deep = d
	}
	if end == i {
		return end, v.garbage(i)
	}
	return end, complete
}

// members walks the object at rec[i] ('{'): f gets each member's key
// (unescaped, valid until the next call), its text's span, and the index
// of its value, and returns the index after the value and whether to go
// on. members returns the index after the object and whether it ended
// (false: the record ended, or held a byte out of place, in it).
func (v *salvageState) members(rec []byte, i int, f func(k []byte, ks, ke, vi int) (int, bool)) (int, bool) {
	if i = skipWS(rec, i+1); i < len(rec) && rec[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(rec) {
			return i, false
		}
		if rec[i] != '"' {
			return i, v.garbage(i)
		}
		ks, ke, j, ok := salvString(rec, i)
		if !ok {
			return j, false
		}
		if j = skipWS(rec, j); j >= len(rec) {
			return j, false
		}
		if rec[j] != ':' {
			return j, v.garbage(j)
		}
		if j = skipWS(rec, j+1); j >= len(rec) {
			return j, false
		}
		k := rec[ks:ke]
		if hasBackslash(k) {
			v.keyBuf = unescape(v.keyBuf[:0], k)
			k = v.keyBuf
		}
		if j, ok = f(k, ks, ke, j); !ok {
			return j, false
		}
		if i = skipWS(rec, j); i >= len(rec) {
			return i, false
		}
		switch rec[i] {
		case ',':
			i = skipWS(rec, i+1)
		case '}':
			return i + 1, true
		default:
			return i, v.garbage(i)
		}
	}
}

// elements walks the array at rec[i] ('[') as members walks an object.
func (v *salvageState) elements(rec []byte, i int, f func(vi int) (int, bool)) (int, bool) {
	if i = skipWS(rec, i+1); i < len(rec) && rec[i] == ']' {
		return i + 1, true
	}
	for {
		if i >= len(rec) {
			return i, false
		}
		j, ok := f(i)
		if !ok {
			return j, false
		}
		if i = skipWS(rec, j); i >= len(rec) {
			return i, false
		}
		switch rec[i] {
		case ',':
			i = skipWS(rec, i+1)
		case ']':
			return i + 1, true
		default:
			return i, v.garbage(i)
		}
	}
}

// salvageObject reads the top-level members of the object rec[0:] ('{').
func (n *Normalizer) salvageObject(rec []byte) {
	v := &n.sv
	v.reset()
	_, v.complete = v.members(rec, 0, func(k []byte, ks, ke, i int) (int, bool) {
		top, slot := topMember(k)
		switch {
		case top == tmString:
			first := slot == sKind && !v.kindMet
			v.kindMet = v.kindMet || slot == sKind
			if rec[i] == '"' {
				end, ok := v.setStr(rec, i, int(slot))
				if ok && first {
					v.kindAt = v.str[slot]
				}
				return end, ok
			}
			end, ok := v.skip(rec, i)
			if ok {
				v.have &^= 1 << slot // the last one is not a string: absent
			}
			return end, ok
		case top == tmObject && slot == copySourceIPs:
			// A list that does not end is not read: only complete values.
			if rec[i] == '[' {
				return n.salvList(rec, i, listIPs)
			}
			end, ok := v.skip(rec, i)
			if ok {
				v.lists[listIPs] = v.lists[listIPs][:0]
			}
			return end, ok
		case top == tmObject && rec[i] == '{':
			v.obs |= 1 << slot
			if slot == copyAnnotations {
				return n.salvAnnotations(rec, i)
			}
			return n.salvSub(rec, i, slot)
		case top == tmContainer && (k[0] == 'i' && !v.itemsMet || k[0] == 'r' && !v.recordsMet):
			// items or records: the first, as fastjson's Get finds it.
			at := &v.itemsAt
			if k[0] == 'i' {
				v.itemsMet = true
			} else {
				v.recordsMet, at = true, &v.recordsAt
			}
			if rec[i] != '[' {
				return v.skip(rec, i)
			}
			from := len(v.items)
			end, ok := n.salvItems(rec, i)
			*at = span{int32(from), int32(len(v.items))}
			return end, ok
		}
		return v.skip(rec, i) // bodies (never read), other members
	})
}

// salvList reads an array of strings into list l (replacing it); entries
// of another type are passed, as appendStrings does.
func (n *Normalizer) salvList(rec []byte, i, l int) (int, bool) {
	v := &n.sv
	v.lists[l] = v.lists[l][:0]
	return v.elements(rec, i, func(i int) (int, bool) {
		if rec[i] != '"' {
			return v.skip(rec, i)
		}
		s, e, end, ok := salvString(rec, i)
		if ok {
			v.lists[l] = append(v.lists[l], v.add(rec, s, e))
		}
		return end, ok
	})
}

// salvSub reads the object member c (user, impersonatedUser, objectRef,
// responseStatus) at rec[i]: the first member of each name it reads, as
// fastjson's Get finds it. responseStatus's reason and message are not
// read: error.message of a salvaged event says why it was salvaged.
func (n *Normalizer) salvSub(rec []byte, i int, c uint8) (int, bool) {
	v := &n.sv
	// A second member of the same name replaces the first whole.
	for s := 0; s < nSlots; s++ {
		if k, sl := slotCopy(s); k && sl == c {
			v.have &^= 1 << s
		}
	}
	switch c {
	case copyUser:
		v.lists[listGroups] = v.lists[listGroups][:0]
	case copyImpersonated:
		v.lists[listImpGroups] = v.lists[listImpGroups][:0]
	case copyResponseStatus:
		v.code = -1
	}
	var met uint32 // the slots met, and bit nSlots: groups, nSlots+1: code
	return v.members(rec, i, func(k []byte, _, _, i int) (int, bool) {
		kind, slot := subMember(c, k)
		bit := uint32(1) << slot
		switch kind {
		case subGroups:
			bit = 1 << nSlots
		case subCode:
			bit = 1 << (nSlots + 1)
		case subString:
			if c == copyResponseStatus {
				kind = subNone
			}
		}
		first := kind != subNone && met&bit == 0
		met |= bit
		switch {
		case first && kind == subString && rec[i] == '"':
			return v.setStr(rec, i, int(slot))
		case first && kind == subGroups && rec[i] == '[':
			l := listGroups
			if c == copyImpersonated {
				l = listImpGroups
			}
			return n.salvList(rec, i, l)
		case first && kind == subCode:
			end, ok := v.skip(rec, i)
			if ok && rec[i] != '"' && rec[i] != '{' && rec[i] != '[' {
				if code, isInt := plainInt(rec[i:end]); isInt {
					v.code = code
				}
			}
			return end, ok
		}
		return v.skip(rec, i)
	})
}

// slotCopy says which object member a string slot belongs to.
func slotCopy(s int) (bool, uint8) {
	switch s {
	case sUserName, sUserUID:
		return true, copyUser
	case sImpName, sImpUID:
		return true, copyImpersonated
	case sResource, sSubresource, sNamespace, sName, sUID, sAPIGroup, sObjAPIVersion:
		return true, copyObjectRef
	case sStatusReason, sStatusMessage:
		return true, copyResponseStatus
	}
	return false, 0
}

// salvAnnotations reads the string members of annotations (replacing
// those met before), at most maxSalvagedAnnotations.
func (n *Normalizer) salvAnnotations(rec []byte, i int) (int, bool) {
	v := &n.sv
	v.ann = v.ann[:0]
	return v.members(rec, i, func(_ []byte, ks, ke, i int) (int, bool) {
		if rec[i] != '"' {
			return v.skip(rec, i)
		}
		s, e, end, ok := salvString(rec, i)
		if ok && len(v.ann) < 2*maxSalvagedAnnotations && ke > ks {
			v.ann = append(v.ann, v.add(rec, ks, ke), v.add(rec, s, e))
		}
		return end, ok
	})
}

// salvItems notes the values of an items (or records) array that are
// objects or arrays; the others are not events.
func (n *Normalizer) salvItems(rec []byte, i int) (int, bool) {
	v := &n.sv
	return v.elements(rec, i, func(i int) (int, bool) {
		end, complete, d := salvSkip(rec, i)
		if d > v.deep {
			v.deep = d
		}
		if rec[i] == '{' || rec[i] == '[' {
			v.items = append(v.items, itemSpan{i, end, complete})
		}
		if end == i {
			return end, v.garbage(i)
		}
		return end, complete
	})
}

// salvageReason writes why rec could not be read to n.sv.msg.
func (n *Normalizer) salvageReason(rec []byte) {
	v := &n.sv
	m := v.msg[:0]
	switch {
	case v.bad >= 0:
		m = append(m, "invalid JSON at byte "...)
		m = strconv.AppendInt(m, int64(v.bad), 10)
	case !v.complete:
		m = append(m, "truncated: the record ends at byte "...)
		m = strconv.AppendInt(m, int64(len(rec)), 10)
		m = append(m, " inside its JSON"...)
	case v.deep+1 > maxScanDepth:
		m = append(m, "nested deeper than "...)
		m = strconv.AppendInt(m, maxScanDepth, 10)
		m = append(m, " levels outside the bodies"...)
	default:
		m = append(m, "invalid JSON"...)
	}
	v.msg = m
}

// emitSalvaged writes the document of the event salvaged from rec: its
// members as an event (salvagedText), through the policy, redaction and
// the writers.
func (n *Normalizer) emitSalvaged(rec []byte) {
	v := &n.sv
	v.text = n.salvagedText(v.text[:0], n.opt.Format == Raw)
	tree, err := v.p.ParseBytes(v.text)
	if err != nil { // cannot happen: salvagedText writes JSON
		n.unparsedMsg(rec, v.msg)
		return
	}
	n.salvaging, n.salvRaw = true, rec
	n.event(tree, v.text, false)
	n.salvaging, n.salvRaw = false, nil
}

// salvagedText appends the salvaged event: the members found, in the
// order the API server writes them, and with marker (format raw) the
// annotation SalvagedAnnotation.
func (n *Normalizer) salvagedText(dst []byte, marker bool) []byte {
	v := &n.sv
	dst = append(dst, '{')
	first := true
	sep := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":`...)
	}
	str := func(k string, s int) {
		if v.have&(1<<s) != 0 {
			sep(k)
			dst = jsonw.AppendQuoted(dst, v.slot(s))
		}
	}
	list := func(k string, l int) {
		sep(k)
		dst = append(dst, '[')
		for j, sp := range v.lists[l] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = jsonw.AppendQuoted(dst, v.buf[sp.s:sp.e])
		}
		dst = append(dst, ']')
	}
	obj := func(k string, c uint8, slots ...struct {
		k string
		s int
	}) {
		if v.obs&(1<<c) == 0 {
			return
		}
		sep(k)
		dst = append(dst, '{')
		inner := first
		first = true
		for _, m := range slots {
			str(m.k, m.s)
		}
		switch c {
		case copyUser, copyImpersonated:
			l := listGroups
			if c == copyImpersonated {
				l = listImpGroups
			}
			if len(v.lists[l]) > 0 {
				list("groups", l)
			}
		case copyResponseStatus:
			if v.code >= 0 || v.code < -1 {
				sep("code")
				dst = strconv.AppendInt(dst, v.code, 10)
			}
		}
		first = inner
		dst = append(dst, '}')
	}
	type m = struct {
		k string
		s int
	}
	str("kind", sKind)
	str("apiVersion", sAPIVersion)
	str("level", sLevel)
	str("auditID", sAuditID)
	str("stage", sStage)
	str("requestURI", sRequestURI)
	str("verb", sVerb)
	obj("user", copyUser, m{"username", sUserName}, m{"uid", sUserUID})
	obj("impersonatedUser", copyImpersonated, m{"username", sImpName}, m{"uid", sImpUID})
	if len(v.lists[listIPs]) > 0 {
		list("sourceIPs", listIPs)
	}
	str("userAgent", sUserAgent)
	obj("objectRef", copyObjectRef, m{"resource", sResource}, m{"namespace", sNamespace}, m{"name", sName},
		m{"uid", sUID}, m{"apiGroup", sAPIGroup}, m{"apiVersion", sObjAPIVersion}, m{"subresource", sSubresource})
	obj("responseStatus", copyResponseStatus)
	str("requestReceivedTimestamp", sRequestReceived)
	str("stageTimestamp", sStageTS)
	str("timestamp", sLegacyTS)
	if v.obs&(1<<copyAnnotations) != 0 || marker {
		sep("annotations")
		dst = append(dst, '{')
		for j := 0; j+1 < len(v.ann); j += 2 {
			if j > 0 {
				dst = append(dst, ',')
			}
			k, x := v.ann[j], v.ann[j+1]
			dst = jsonw.AppendQuoted(dst, v.buf[k.s:k.e])
			dst = append(dst, ':')
			dst = jsonw.AppendQuoted(dst, v.buf[x.s:x.e])
		}
		if marker {
			if len(v.ann) > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `"`+SalvagedAnnotation+`":`...)
			dst = jsonw.AppendQuoted(dst, v.msg)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

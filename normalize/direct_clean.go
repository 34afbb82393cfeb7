package normalize

import "github.com/k8saudit/k8saudit/internal/jsonskip"

// Copies kept as their own text. In omit mode an object member's copy is
// most often its own text with a few edits: a member with an empty value
// left out (responseStatus's "metadata":{}), dots made '_' in annotation
// keys and in a UserInfo's extra keys. For those the walk copies nothing:
// srcObject checks the member's text, notes what dobject notes, and records
// the edits; the writer applies them as it copies the span (appendEdited).
// Anything else (whitespace, a string the writer would write otherwise,
// invalid JSON) rewinds what the check noted and lets dobject copy the
// member as before. The two give the same bytes, which TestDirectRoadAgrees,
// FuzzDirectRoad and TestSrcCopiesAgree hold them to.

// edit is one change to a copy's text: bytes [s, e) left out, or, with e
// < 0, the '.' at s made '_'. A copy's edits are in order and do not
// overlap; positions are relative to the copy's start.
type edit struct{ s, e int32 }

// noted is what the check notes, to rewind when it gives way.
type noted struct {
	have, plain, canonSrc uint32
	code                  int64
	lists                 [nLists]int
	listPlain             [nLists]bool
	edits                 int
}

func (d *directState) note() noted {
	s := noted{have: d.have, plain: d.plain, canonSrc: d.canonSrc, code: d.code, listPlain: d.listPlain, edits: len(d.edits)}
	for l := range d.lists {
		s.lists[l] = len(d.lists[l])
	}
	return s
}

func (d *directState) rewind(s noted) {
	d.have, d.plain, d.canonSrc, d.code, d.listPlain = s.have, s.plain, s.canonSrc, s.code, s.listPlain
	for l := range d.lists {
		d.lists[l] = d.lists[l][:s.lists[l]]
	}
	d.edits = d.edits[:s.edits]
}

// srcObject is dobject (dstrings for sourceIPs) for a member whose copy is
// its own text with edits: it returns the index after it and whether the
// copy is empty (left out), and clean false when the member must be copied
// (nothing noted then). The edits are d.edits from the count before the
// call, made relative to i.
func (n *Normalizer) srcObject(src []byte, i int, c uint8) (j int, empty, clean bool) {
	d := &n.d
	saved := d.note()
	if c == copySourceIPs {
		j, empty, clean = n.srcStrings(src, i, listIPs)
	} else {
		j, empty, clean = n.srcMembers(src, i, c)
	}
	if !clean {
		d.rewind(saved)
		return 0, false, false
	}
	for k := saved.edits; k < len(d.edits); k++ {
		d.edits[k].s -= int32(i)
		if d.edits[k].e >= 0 {
			d.edits[k].e -= int32(i)
		}
	}
	return j, empty, true
}

// members tracks the members of a container as the check goes, to record
// the cut of each member its copy leaves out, comma included, as the
// walk's member, kept and closed would take it back.
type members struct {
	start int // d.edits at the container's start
	kept  int
	comma int // the comma before the current member
}

// endMember ends a member started at ms whose value ends at j (src[j] is
// the next ',' or the closer); mark is d.edits at its start.
func (d *directState) endMember(m *members, ms, mark, j int, cut bool, src []byte) {
	if !cut {
		m.kept++
		return
	}
	d.edits = d.edits[:mark] // its own edits go with it
	switch {
	case m.kept > 0:
		d.edits = append(d.edits, edit{int32(m.comma), int32(j)})
	case src[j] == ',':
		d.edits = append(d.edits, edit{int32(ms), int32(j + 1)})
	default:
		d.edits = append(d.edits, edit{int32(ms), int32(j)})
	}
}

// closedSrc ends a container: it is empty when no member stays, and then
// its members' edits go, for the container's own cut.
func (d *directState) closedSrc(m *members) bool {
	if m.kept == 0 {
		d.edits = d.edits[:m.start]
		return true
	}
	return false
}

// dotEdits records the dots of a key whose text starts at s.
func (d *directState) dotEdits(s int, k []byte) {
	for p, ch := range k {
		if ch == '.' {
			d.edits = append(d.edits, edit{int32(s + p), -1})
		}
	}
}

// srcMembers checks the object member c at src[i] as dobject walks it and
// returns the index after it and whether its copy is empty; ok false when
// it must be copied.
func (n *Normalizer) srcMembers(src []byte, i int, c uint8) (int, bool, bool) {
	d := &n.d
	if src[i] != '{' || i+1 >= len(src) {
		return 0, false, false
	}
	if src[i+1] == '}' {
		return i + 2, true, true
	}
	if src[i+1] != '"' {
		return 0, false, false // whitespace
	}
	i++
	m := members{start: len(d.edits)}
	var met uint8
	for {
		ms, mark := i, len(d.edits)
		vi, k, ok := srcKey(src, i)
		if !ok {
			return 0, false, false
		}
		if c == copyAnnotations {
			d.dotEdits(ms+1, k)
		}
		i = vi
		extra := (c == copyUser || c == copyImpersonated) && string(k) == "extra"
		kind, slot := subMember(c, k)
		kind = d.firstOf(kind, slot, &met)
		var j int
		var empty bool
		switch kind {
		case subString:
			if src[i] != '"' {
				return 0, false, false
			}
			var plain bool
			if j, plain, ok = srcString(src, i); !ok {
				return 0, false, false
			}
			d.last = plain
			d.setStr(int(slot), i+1, j-1, 0)
			d.canon[slot] = span{int32(i), int32(j)}
			d.canonSrc |= 1 << slot
			empty = j-i == 2
		case subGroups:
			list := listGroups
			if c == copyImpersonated {
				list = listImpGroups
			}
			j, empty, ok = n.srcStrings(src, i, list)
		case subCode:
			if src[i] == '"' || src[i] == '{' || src[i] == '[' {
				return 0, false, false
			}
			if j, empty, ok = srcValue(d, src, i, 2, false); ok {
				d.code = -1
				if v, isInt := plainInt(src[i:j]); isInt {
					d.code = v
				}
			}
		default:
			j, empty, ok = srcValue(d, src, i, 2, extra)
		}
		if !ok || j >= len(src) || src[j] != ',' && src[j] != '}' {
			return 0, false, false
		}
		d.endMember(&m, ms, mark, j, empty || len(k) == 0, src)
		if src[j] == '}' {
			return j + 1, d.closedSrc(&m), true
		}
		m.comma, i = j, j+1
	}
}

// srcKey checks a key at src[i] that its copy writes as it is (plain, not
// a body's) with its value right after the colon, and returns the value's
// index and the key.
func srcKey(src []byte, i int) (int, []byte, bool) {
	if i >= len(src) || src[i] != '"' {
		return 0, nil, false
	}
	j, ok := plainEnd(src, i)
	if !ok || j+1 >= len(src) || src[j] != ':' {
		return 0, nil, false
	}
	k := src[i+1 : j-1]
	if isBodyName(k) || isSpace(src[j+1]) {
		return 0, nil, false
	}
	return j + 1, k, true
}

// srcString checks a string at src[i] that the writer writes as it is:
// plain, or with only the escapes the writer writes the same way.
func srcString(src []byte, i int) (j int, plain, ok bool) {
	if k, short := jsonskip.ShortString(src, i+1); short {
		return i + 2 + k, true, true
	}
	k, esc := jsonskip.SkipString(src[i+1:])
	if j = i + 1 + k; j >= len(src) || src[j] != '"' {
		return 0, false, false
	}
	if !esc {
		return j + 1, true, true
	}
	return j + 1, false, sameEscapes(src[i+1 : j])
}

// srcStrings is dstrings for a list whose copy is its own text with edits.
func (n *Normalizer) srcStrings(src []byte, i int, l int) (int, bool, bool) {
	d := &n.d
	if src[i] != '[' || i+1 >= len(src) {
		return 0, false, false
	}
	if src[i+1] == ']' {
		return i + 2, true, true
	}
	i++
	m := members{start: len(d.edits)}
	for {
		if src[i] != '"' {
			return 0, false, false
		}
		j, plain, ok := srcString(src, i)
		if !ok || j >= len(src) || src[j] != ',' && src[j] != ']' {
			return 0, false, false
		}
		d.lists[l] = append(d.lists[l], span{int32(i + 1), int32(j - 1)})
		d.listPlain[l] = d.listPlain[l] && plain
		d.endMember(&m, i, len(d.edits), j, j-i == 2, src)
		if src[j] == ']' {
			return j + 1, d.closedSrc(&m), true
		}
		m.comma, i = j, j+1
		if i >= len(src) {
			return 0, false, false
		}
	}
}

// srcValue is dvalue for a value whose copy is its own text with edits;
// dots: the keys of its own members get their dots made '_'.
func srcValue(d *directState, src []byte, i, depth int, dots bool) (int, bool, bool) {
	if i >= len(src) {
		return 0, false, false
	}
	switch c := src[i]; c {
	case '"':
		j, _, ok := srcString(src, i)
		return j, j-i == 2, ok
	case '{', '[':
		if depth >= maxDirectDepth || i+1 >= len(src) {
			return 0, false, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if src[i+1] == end {
			return i + 2, true, true
		}
		i++
		m := members{start: len(d.edits)}
		for {
			ms, mark := i, len(d.edits)
			emptyKey := false
			if c == '{' {
				j, k, ok := srcKey(src, i)
				if !ok {
					return 0, false, false
				}
				if dots {
					d.dotEdits(ms+1, k)
				}
				i, emptyKey = j, len(k) == 0
			}
			j, empty, ok := srcValue(d, src, i, depth+1, false)
			if !ok || j >= len(src) || src[j] != ',' && src[j] != end {
				return 0, false, false
			}
			d.endMember(&m, ms, mark, j, empty || emptyKey, src)
			if src[j] == end {
				return j + 1, d.closedSrc(&m), true
			}
			m.comma, i = j, j+1
			if i >= len(src) || isSpace(src[i]) {
				return 0, false, false
			}
		}
	case 't', 'f', 'n':
		j, ok := literalEnd(src, i)
		return j, c == 'n', ok
	}
	j := jsonskip.NumberEnd(src, i)
	return j, false, j > i
}

// appendEdited appends text with its edits applied (see edit).
func appendEdited(dst, text []byte, edits []edit) []byte {
	base, at := len(dst), int32(0)
	for _, ed := range edits {
		if ed.e >= 0 {
			dst = append(dst, text[at:ed.s]...)
			at = ed.e
		}
	}
	dst = append(dst, text[at:]...)
	// The dots, where the cuts before them moved them.
	var shift int32
	for _, ed := range edits {
		if ed.e >= 0 {
			shift += ed.e - ed.s
			continue
		}
		dst[base+int(ed.s-shift)] = '_'
	}
	return dst
}

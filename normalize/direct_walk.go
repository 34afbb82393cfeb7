package normalize

import (
	"encoding/binary"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// Copying the values of a walked record (direct.go): objects the mapping
// reads members of, string lists, any other value, strings.

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

// dotKey makes every "." of a key (as key returned it) "_", in omit mode.
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
		kind = d.firstOf(kind, slot, &met)
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

// firstOf returns kind for the first member of its kind (a string slot:
// of its slot) in an object whose members met so far are met, and subNone
// for a later one: the mapping reads the first, as fastjson's Get finds it.
func (d *directState) firstOf(kind, slot uint8, met *uint8) uint8 {
	bit := uint8(1) << kind
	if kind == subString {
		bit = 0 // each slot its own first
		if d.have&(1<<slot) != 0 {
			return subNone
		}
	}
	if *met&bit != 0 {
		return subNone
	}
	*met |= bit
	return kind
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
		j, ok := literalEnd(src, i)
		if !ok {
			return 0, false
		}
		d.empty = c == 'n'
		d.text = append(d.text, src[i:j]...)
		return j, true
	}
	j := jsonskip.NumberEnd(src, i)
	if j == i {
		return 0, false
	}
	d.text = append(d.text, src[i:j]...)
	return j, true
}

// literalEnd returns the index after the literal true, false or null at
// src[i], whose first byte is 't', 'f' or 'n'.
func literalEnd(src []byte, i int) (int, bool) {
	lit := litTrue
	if src[i] == 'f' {
		lit = litFalse
	} else if src[i] == 'n' {
		lit = litNull
	}
	if len(src)-i < len(lit) || string(src[i:i+len(lit)]) != string(lit) {
		return 0, false
	}
	return i + len(lit), true
}

// dstring copies the string at src[i] (its opening quote) to d.text as the
// writer would write its value: as is when nothing in it needs a look.
func (n *Normalizer) dstring(src []byte, i int) (int, bool) {
	if k, ok := jsonskip.ShortString(src, i+1); ok {
		j := i + 1 + k
		n.d.text = appendShort(n.d.text, src, i, j+1)
		n.d.last = true
		return j + 1, true
	}
	k, esc := jsonskip.SkipString(src[i+1:])
	j := i + 1 + k
	if !esc && j < len(src) && src[j] == '"' {
		n.d.text = appendShort(n.d.text, src, i, j+1)
		n.d.last = true
		return j + 1, true
	}
	n.d.last = false
	if j < len(src) && src[j] == '"' && sameEscapes(src[i+1:j]) {
		// Only escapes the writer writes the same way (an RBAC reason's
		// \"): the text is already what jsonw.AppendQuoted would make of it.
		n.d.text = append(n.d.text, src[i:j+1]...)
		return j + 1, true
	}
	return n.dstringSlow(src, i, j)
}

// plainEnd returns the index after the string at src[i] (its opening
// quote) when nothing in its content needs a look (no escape, no control
// or non-ASCII byte), so that its text is already as the writer writes it;
// ok false says nothing about the string.
func plainEnd(src []byte, i int) (int, bool) {
	if k, ok := jsonskip.ShortString(src, i+1); ok {
		return i + 2 + k, true
	}
	k, esc := jsonskip.SkipString(src[i+1:])
	if j := i + 1 + k; !esc && j < len(src) && src[j] == '"' {
		return j + 1, true
	}
	return 0, false
}

// sameEscapes reports whether every escape of a string's content (holding
// only the two-byte escapes jsonskip.SkipString passes) is one jsonw.AppendEscaped writes
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
// value goes through jsonw.AppendQuoted.
func (n *Normalizer) dstringSlow(src []byte, i, j int) (int, bool) {
	for j < len(src) {
		switch c := src[j]; {
		case c == '"':
			d := &n.d
			d.tmp = unescape(d.tmp[:0], src[i+1:j])
			d.text = jsonw.AppendQuoted(d.text, d.tmp)
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
		default: // a control character or a non-ASCII byte: jsonw.AppendQuoted sees to it
			j++
		}
		j = jsonw.NextSpecial(src, j)
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

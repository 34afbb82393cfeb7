package normalize

import "bytes"

// The direct road. A record that is one audit event object (the tail input's
// every line), or an EventList that starts with its kind (the webhook
// backend's batch, each item walked in turn), is read in a single walk over
// its bytes, without fastjson: bodies go through the body scanner (scan.go)
// as on the stripped road, and everything else is validated and copied in
// canonical compact form (every string escaped as the writer escapes it) to
// Normalizer.d.text, while the members the mapping reads are noted as spans
// of the input. The writers then copy spans instead of walking a tree and
// re-escaping its strings. In format ecs (omit mode, see direct_walk.go)
// only what a writer reads is kept: kubernetes.audit's copies of the object
// members as spans of the input with edits (direct_clean.go) or, when they
// need more, copied without their empty values, and the strings the walk
// had to rewrite; the others are read from the input itself.
//
// The road gives way to the general one (split.go) as soon as a record is
// anything else: not an object, another list or envelope, a member the
// mapping reads given twice or with an unexpected JSON type, a body key out
// of its place, a lone surrogate or a bad escape, a number JSON does not
// allow, nesting past maxDirectDepth, or a record that is not an audit event
// at all. Both roads write the same bytes for what they both accept (a test
// holds them to it: TestDirectRoadAgrees), so the fallback only costs time.

// maxDirectDepth bounds the walk's recursion; deeper records take the
// general road.
const maxDirectDepth = 64

type span struct{ s, e int32 }

// dmember is one top-level member: text[s:e] is `"key":value`, or `"key":`
// for a body, whose text is body number body.
type dmember struct {
	s, e int32
	body int32 // -1 for other members
	top  uint8 // tm*
	slot uint8 // its string slot or copy
	odd  bool  // under a key the Event does not define (see eventMember)
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
	objs      [nCopies]span // the copies' values in text, or in src (objSrc)
	hasOb     uint8         // the copies set
	objSrc    uint8         // the copies that are their own text in src
	edits     []edit        // the edits of those copies (direct_clean.go)
	editOff   [nCopies]span // each one's in edits
	seen      uint64        // top-level members met, to refuse a second one
	odd       bool          // a member is odd (see eventMember)
	code      int64
	req       int
	resp      int

	unesc   []byte // unescaped values of strings with escapes
	uoff    [nSlots]span
	listBuf [nLists][]byte // the same for list entries
	cp      []byte         // the copies without their empty values
	cpOff   [nCopies]span

	// copyEvery: every object member is copied by the walk, none kept as its own
	// text (srcObject). Only a test sets it, to hold srcObject's copies to the
	// walk's: a step inside the walk has no other way in.
	copyEvery bool
}

func (d *directState) reset() {
	d.text, d.members = d.text[:0], d.members[:0]
	d.have, d.plain, d.hasOb, d.objSrc, d.seen, d.canonSrc, d.odd = 0, 0, 0, 0, 0, 0, false
	for i := range d.lists {
		d.lists[i], d.listPlain[i] = d.lists[i][:0], true
	}
	d.code, d.req, d.resp = -1, -1, -1
	d.unesc, d.cp, d.edits = d.unesc[:0], d.cp[:0], d.edits[:0]
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
	var ok bool
	if bytes.HasPrefix(rec, eventListHead) {
		ok = n.directList(rec)
	} else {
		var end int
		end, ok = n.walkEvent(rec)
		ok = ok && skipWS(rec, end) == len(rec) && n.directEvent(rec, rec)
	}
	d.src = nil // the caller's memory: not kept past the call
	if !ok {
		// Nothing written stays, not even a list's first items.
		n.bodies, n.bodyBuf, n.names = n.bodies[:0], n.bodyBuf[:0], n.names[:0]
		n.w.B, n.spans, n.meta, n.hk.dropped = n.w.B[:0], n.spans[:0], n.meta[:0], 0
	}
	return ok
}

// eventListHead is how the API server's webhook backend starts a batch.
var eventListHead = []byte(`{"kind":"EventList"`)

// directList normalizes an EventList that starts with eventListHead (as the
// general road does: each item of items its own event, every other member
// only checked), each item walked as a record of its own; event.original
// of an item is rendered, as the general road renders it from a tree.
func (n *Normalizer) directList(rec []byte) bool {
	d := &n.d
	d.omit = n.opt.Format == ECS && !n.opt.EventOriginal
	items := false
	i := len(eventListHead)
	for {
		i = skipWS(rec, i)
		if i >= len(rec) {
			return false
		}
		switch rec[i] {
		case ',':
			i = skipWS(rec, i+1)
		case '}':
			return items && skipWS(rec, i+1) == len(rec)
		default:
			return false
		}
		j, ok := plainEnd(rec, i)
		if !ok {
			return false
		}
		k := rec[i+1 : j-1]
		if i = skipWS(rec, j); i >= len(rec) || rec[i] != ':' {
			return false
		}
		if i = skipWS(rec, i+1); i >= len(rec) {
			return false
		}
		switch string(k) {
		case "kind":
			return false // a second kind: the general road reads the first
		case "items":
			if items {
				return false
			}
			items = true
			if i, ok = n.directItems(rec, i); !ok {
				return false
			}
		default:
			d.reset()
			if i, ok = n.dvalue(rec, i, 1, false); !ok {
				return false
			}
		}
	}
}

// directItems walks the items array at rec[i] and returns the index after
// it.
func (n *Normalizer) directItems(rec []byte, i int) (int, bool) {
	d := &n.d
	if rec[i] != '[' {
		return 0, false
	}
	if i = skipWS(rec, i+1); i < len(rec) && rec[i] == ']' {
		return i + 1, true
	}
	for {
		if i >= len(rec) || rec[i] != '{' {
			return 0, false
		}
		item := rec[i:]
		d.reset()
		d.src = item
		end, ok := n.walkEvent(item)
		if !ok || !n.directEvent(item[:end], nil) {
			return 0, false
		}
		if i = skipWS(rec, i+end); i >= len(rec) {
			return 0, false
		}
		switch rec[i] {
		case ',':
			i = skipWS(rec, i+1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// walkEvent walks the event object at the start of src and returns the
// index after it.
func (n *Normalizer) walkEvent(src []byte) (int, bool) {
	d := &n.d
	i := skipWS(src, 1)
	if i < len(src) && src[i] == '}' {
		return 0, false // {} is not an event: the general road says why
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return 0, false
		}
		// In omit mode a plain key is classified where it is: nothing
		// renders the members.
		ms := len(d.text)
		j, ok := 0, false
		var k []byte
		if d.omit {
			if j, ok = plainEnd(src, i); ok {
				k = src[i+1 : j-1]
			}
		}
		if !ok {
			if j, ok = n.dstring(src, i); !ok {
				return 0, false
			}
			k = d.text[ms+1 : len(d.text)-1]
		}
		top, slot := topMember(k)
		odd := top == tmOther // not an Event member (eventMember); k is taken back below in omit mode
		i = skipWS(src, j)
		if i >= len(src) || src[i] != ':' {
			return 0, false
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
			return 0, false
		}
		m := dmember{body: -1, top: top, slot: slot}
		switch top {
		case tmContainer:
			return 0, false
		case tmString:
			if !d.once(uint(slot)) || src[i] != '"' {
				return 0, false
			}
			vs := len(d.text)
			if d.omit {
				// A string the writer writes as it is in src: not copied.
				var plain bool
				if j, plain, ok = srcString(src, i); ok {
					d.last = plain
					d.setStr(int(slot), i+1, j-1, vs)
					d.canon[slot] = span{int32(i), int32(j)}
					d.canonSrc |= 1 << slot
					break
				}
			}
			j, ok = n.dstring(src, i)
			d.setStr(int(slot), i+1, j-1, vs)
			if d.omit && d.last { // written as it is in src
				d.text = d.text[:vs]
				d.canon[slot] = span{int32(i), int32(j)}
				d.canonSrc |= 1 << slot
			}
		case tmObject:
			if !d.once(16 + uint(slot)) {
				return 0, false
			}
			d.hasOb |= 1 << slot
			if d.omit && !d.copyEvery {
				es := len(d.edits)
				var empty bool
				if j, empty, ok = n.srcObject(src, i, slot); ok {
					d.objs[slot] = span{int32(i), int32(j)}
					if empty {
						d.objs[slot] = span{}
					}
					d.objSrc |= 1 << slot
					d.editOff[slot] = span{int32(es), int32(len(d.edits))}
					break
				}
			}
			vs := len(d.text)
			if slot == copySourceIPs {
				j, ok = n.dstrings(src, i, listIPs)
			} else {
				j, ok = n.dobject(src, i, slot)
			}
			d.objs[slot] = span{int32(vs), int32(len(d.text))}
		case tmBody:
			if !d.once(32 + uint(slot)) {
				return 0, false
			}
			j, ok = n.scanBody(src, i)
			m.body = int32(len(n.bodies) - 1)
			if slot == 0 {
				d.req = len(n.bodies) - 1
			} else {
				d.resp = len(n.bodies) - 1
			}
		default:
			m.odd, d.odd = odd, d.odd || odd
			vs := len(d.text)
			j, ok = n.dvalue(src, i, 1, false)
			if d.omit {
				d.text = d.text[:vs] // read by no writer
			}
		}
		if !ok {
			return 0, false
		}
		if !d.omit {
			m.s, m.e = int32(ms), int32(len(d.text))
			d.members = append(d.members, m)
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
			return i + 1, true
		}
		return 0, false
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

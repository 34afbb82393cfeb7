package normalize

import (
	"math/bits"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// Turning a walked record (direct.go) into the event the writers read, and
// the renderings of it that the general road makes from a tree.

// directEvent checks that the walked event src is an audit event (as
// eventCheck does), fills n.ev from the walk and writes its document; false
// sends the record to the general road. original is the event's text when
// the record is that event (event.original copies it), nil for an item of a
// list (event.original is rendered, as the general road renders it).
func (n *Normalizer) directEvent(src, original []byte) bool {
	d := &n.d
	e := &n.ev
	e.reset(nil, true)
	e.direct = true

	// Values: the input's text, unescaped where it holds an escape. unesc
	// is filled first and sliced after, since it may move as it grows. In
	// omit mode the authorization reason and the status message, often
	// escaped (an RBAC reason quotes its binding), are only ever written,
	// from their canonical text (strSlot): they keep the input's text.
	// Only the slots set are visited, and only those not plain can hold an
	// escape.
	escaped := d.have &^ d.plain
	if d.omit {
		escaped &^= 1<<sAuthzReason | 1<<sStatusMessage
	}
	for set := escaped; set != 0; set &= set - 1 {
		s := bits.TrailingZeros32(set)
		sp := d.strs[s]
		if v := src[sp.s:sp.e]; hasBackslash(v) {
			st := len(d.unesc)
			d.unesc = unescape(d.unesc, v)
			d.uoff[s] = span{int32(st), int32(len(d.unesc))}
		} else {
			escaped &^= 1 << s
		}
	}
	var vals [nSlots][]byte
	for set := d.have; set != 0; set &= set - 1 {
		s := bits.TrailingZeros32(set)
		if escaped&(1<<s) != 0 {
			u := d.uoff[s]
			vals[s] = d.unesc[u.s:u.e:u.e]
		} else {
			sp := d.strs[s]
			vals[s] = src[sp.s:sp.e:sp.e]
		}
	}
	if d.have&(1<<sKind) != 0 && string(vals[sKind]) != "Event" {
		return false // the general road writes why
	}
	if !isEvent(vals[sKind], vals[sAuditID], vals[sVerb], vals[sRequestURI], vals[sAPIVersion]) {
		return false
	}
	e.userGroups = n.listValues(e.userGroups, src, listGroups)
	e.impGroups = n.listValues(e.impGroups, src, listImpGroups)
	e.ipList = n.listValues(e.ipList, src, listIPs)

	e.kind, e.apiVersion, e.level = vals[sKind], vals[sAPIVersion], vals[sLevel]
	e.auditID, e.stage, e.requestURI = vals[sAuditID], vals[sStage], vals[sRequestURI]
	e.verb, e.userAgent = vals[sVerb], vals[sUserAgent]
	e.requestReceived, e.stageTS, e.legacyTS = vals[sRequestReceived], vals[sStageTS], vals[sLegacyTS]
	e.userName, e.userUID, e.impName, e.impUID = vals[sUserName], vals[sUserUID], vals[sImpName], vals[sImpUID]
	e.resource, e.subresource, e.namespace = vals[sResource], vals[sSubresource], vals[sNamespace]
	e.name, e.uid, e.apiGroup, e.objAPIVersion = vals[sName], vals[sUID], vals[sAPIGroup], vals[sObjAPIVersion]
	e.statusReason, e.statusMessage = vals[sStatusReason], vals[sStatusMessage]
	e.decision, e.authzReason = vals[sDecision], vals[sAuthzReason]
	e.code, e.req, e.resp = d.code, d.req, d.resp
	e.hasObjectRef = d.hasOb&(1<<copyObjectRef) != 0
	e.plain, e.canonOK = d.plain, d.have
	e.groupsPlain, e.impGroupsPlain = d.listPlain[listGroups], d.listPlain[listImpGroups]
	e.odd = d.odd

	if n.opt.Format == ECS {
		n.directCopies(e)
	}
	n.emit(e, original)
	return true
}

// listValues appends the values of list l. Entries with an escape are
// rare: each gets its own copy in listBuf[l], made before any is sliced.
func (n *Normalizer) listValues(dst [][]byte, src []byte, l int) [][]byte {
	d := &n.d
	list := d.lists[l]
	if d.listPlain[l] { // no entry has an escape
		for _, sp := range list {
			dst = append(dst, src[sp.s:sp.e:sp.e])
		}
		return dst
	}
	buf := d.listBuf[l][:0]
	defer func() { d.listBuf[l] = buf }()
	for k, sp := range list {
		if v := src[sp.s:sp.e]; hasBackslash(v) {
			st := len(buf)
			buf = unescape(buf, v)
			list[k] = span{-int32(st) - 1, int32(len(buf))}
		}
	}
	for _, sp := range list {
		if sp.s < 0 {
			st := -sp.s - 1
			dst = append(dst, buf[st:sp.e:sp.e])
			continue
		}
		dst = append(dst, src[sp.s:sp.e:sp.e])
	}
	return dst
}

// directCopies writes the copies kubernetes.audit holds, empty values left
// out, as copyOmit and copyUser write them from a tree: in omit mode the
// walk wrote them so, otherwise omitCopy writes them from the exact text.
func (n *Normalizer) directCopies(e *event) {
	d := &n.d
	for c := 0; c < nCopies; c++ {
		d.cpOff[c] = span{-1, 0}
		if d.hasOb&(1<<c) == 0 {
			continue
		}
		if d.omit {
			text := d.text
			if d.objSrc&(1<<c) != 0 {
				text = d.src
				eo := d.editOff[c]
				e.copyEdits[c] = d.edits[eo.s:eo.e:eo.e]
			}
			if o := d.objs[c]; o.e > o.s {
				e.copies[c] = text[o.s:o.e:o.e]
			}
			continue
		}
		dots := dotsNone
		switch c {
		case copyUser, copyImpersonated:
			dots = dotsExtra
		case copyAnnotations:
			dots = dotsTop
		}
		st := len(d.cp)
		var wrote bool
		d.cp, _, wrote = omitCopy(d.cp, d.text[d.objs[c].s:d.objs[c].e], 0, dots)
		if wrote {
			d.cpOff[c] = span{int32(st), int32(len(d.cp))}
		}
	}
	if d.omit {
		return
	}
	for c := 0; c < nCopies; c++ {
		if o := d.cpOff[c]; o.s >= 0 {
			e.copies[c] = d.cp[o.s:o.e:o.e]
		}
	}
}

// How omitCopy treats keys: as they are, with '.' made '_' in the keys of
// the value's own members (annotations), or that in the members of its
// "extra" member (a UserInfo).
const (
	dotsNone = iota
	dotsTop
	dotsExtra
)

// omitCopy appends the canonical compact JSON value src[i:] without its
// empty values (empty strings, nulls, members with an empty key, and
// objects and arrays left empty), returning the index after the value and
// whether anything was written.
func omitCopy(dst, src []byte, i int, dots int) ([]byte, int, bool) {
	switch c := src[i]; c {
	case '"':
		j := jsonskip.StringEnd(src, i+1)
		if j == i+2 {
			return dst, j, false
		}
		return append(dst, src[i:j]...), j, true
	case 'n':
		return dst, i + 4, false
	case 't':
		return append(dst, "true"...), i + 4, true
	case 'f':
		return append(dst, "false"...), i + 5, true
	case '{', '[':
		start := len(dst)
		dst = append(dst, c)
		i++
		wrote := false
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		for src[i] != end {
			m := len(dst)
			if wrote {
				dst = append(dst, ',')
			}
			child := dotsNone
			emptyKey := false
			if c == '{' {
				j := jsonskip.StringEnd(src, i+1)
				k := src[i:j]
				emptyKey = len(k) == 2
				ks := len(dst)
				dst = append(dst, k...)
				switch {
				case dots == dotsTop:
					dotsToUnderscores(dst[ks+1 : len(dst)-1])
				case dots == dotsExtra && string(k) == `"extra"`:
					child = dotsTop
				}
				dst = append(dst, ':')
				i = j + 1
			}
			var ok bool
			dst, i, ok = omitCopy(dst, src, i, child)
			if !ok || emptyKey {
				dst = dst[:m]
			} else {
				wrote = true
			}
			if src[i] == ',' {
				i++
			}
		}
		if !wrote {
			return dst[:start], i + 1, false
		}
		return append(dst, end), i + 1, true
	}
	j := i
	for j < len(src) && src[j] != ',' && src[j] != '}' && src[j] != ']' {
		j++
	}
	return append(dst, src[i:j]...), j, true
}

// dotsToUnderscores replaces '.' in an escaped key, escapes left alone.
func dotsToUnderscores(k []byte) {
	if !hasBackslash(k) { // the usual key: a plain loop the compiler makes fast
		for i, c := range k {
			if c == '.' {
				k[i] = '_'
			}
		}
		return
	}
	for i := 0; i < len(k); i++ {
		switch k[i] {
		case '\\':
			i++
		case '.':
			k[i] = '_'
		}
	}
}

// renderDirect appends the event as the general road's appendValue renders
// its tree: members in input order, bodies from the body table (left out
// when over the limit).
func (n *Normalizer) renderDirect(dst []byte) []byte {
	d := &n.d
	dst = append(dst, '{')
	first := true
	for _, m := range d.members {
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, d.text[m.s:m.e]...)
		if m.body >= 0 {
			var ok bool
			if dst, ok = n.appendBodyIdx(dst, int(m.body)); !ok {
				dst = dst[:mark]
				continue
			}
		}
		first = false
	}
	return append(dst, '}')
}

// appendEventDirect is appendEvent for a walked record.
func (n *Normalizer) appendEventDirect(dst []byte, e *event, marker bool) []byte {
	d := &n.d
	marker = marker && n.red.any
	dst = append(dst, '{')
	first := true
	annotated := false
	for _, m := range d.members {
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		switch {
		case m.top == tmBody:
			idx, keep := e.req, n.hk.keepReq
			if m.slot == 1 {
				idx, keep = e.resp, n.hk.keepResp
			}
			if !keep || idx < 0 {
				dst = dst[:mark]
				continue
			}
			dst = append(dst, d.text[m.s:m.e]...)
			var ok bool
			if dst, ok = n.appendBodyIdx(dst, idx); !ok {
				dst = dst[:mark]
				continue
			}
		case m.top == tmString && m.slot == sLevel && n.hk.levelSet:
			dst = append(dst, `"level":`...)
			dst = jsonw.AppendQuoted(dst, e.level)
		case m.top == tmString && m.slot == sRequestURI && n.red.uriRedacted:
			dst = append(dst, `"requestURI":`...)
			dst = jsonw.AppendQuoted(dst, e.requestURI)
		case m.odd:
			dst = dst[:mark] // see eventMember
			continue
		case m.top == tmObject && m.slot == copyAnnotations && marker:
			annotated = true
			dst = appendMarkerMember(append(dst, d.text[m.s:m.e-1]...))
		default:
			dst = append(dst, d.text[m.s:m.e]...)
		}
		first = false
	}
	return appendMarkerAnnotations(dst, marker && !annotated, first)
}

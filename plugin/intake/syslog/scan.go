package syslog

import (
	"bytes"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
)

// A short walk over the top-level members of an ECS document finds the objects the
// header needs (event, user) and kubernetes.audit.stage without reading the rest: the
// bodies under kubernetes.audit, the bulk of a large document, are never scanned. It
// gives up (ok false, and the caller parses the whole document) at anything it does
// not expect, which never happens with the normalizer's compact output.

// objIter walks the members of one JSON object.
type objIter struct {
	doc   []byte
	i     int // after next: the start of the member's value
	bad   bool
	first bool
}

func openObj(doc []byte, i int) objIter {
	if i < 0 || i >= len(doc) || doc[i] != '{' {
		return objIter{bad: true}
	}
	return objIter{doc: doc, i: i + 1, first: true}
}

// next moves to the next member and returns its key (escapes are not expected in our
// keys: one gives up); ok is false at the end of the object or on a surprise (bad).
func (it *objIter) next() (key []byte, ok bool) {
	d, i := it.doc, it.i
	if it.bad || i >= len(d) {
		it.bad = true
		return nil, false
	}
	if d[i] == '}' {
		return nil, false
	}
	if !it.first {
		if d[i] != ',' {
			it.bad = true
			return nil, false
		}
		i++
	}
	it.first = false
	if i >= len(d) || d[i] != '"' {
		it.bad = true
		return nil, false
	}
	e := bytes.IndexByte(d[i+1:], '"')
	if e < 0 {
		it.bad = true
		return nil, false
	}
	key = d[i+1 : i+1+e]
	i += e + 2
	if bytes.IndexByte(key, '\\') >= 0 || i >= len(d) || d[i] != ':' {
		it.bad = true
		return nil, false
	}
	it.i = i + 1
	return key, true
}

// skip moves past the current member's value and returns it.
func (it *objIter) skip() []byte {
	start := it.i
	end := jsonskip.Value(it.doc, start)
	if end < 0 {
		it.bad = true
		return nil
	}
	it.i = end
	return it.doc[start:end]
}

// member finds key among the members of the object at doc[i] and returns the start of
// its value, or -1.
func member(doc []byte, i int, key string) int {
	it := openObj(doc, i)
	for {
		k, ok := it.next()
		if !ok {
			return -1
		}
		if string(k) == key {
			return it.i
		}
		if it.skip() == nil {
			return -1
		}
	}
}

// ecsSpans returns the event and user objects of an ECS document and its
// kubernetes.audit.stage string without escapes (nil when absent); ok is false for
// anything else (a raw event, a surprise), which the caller parses whole.
func ecsSpans(doc []byte) (ev, user, stage []byte, ok bool) {
	it := openObj(doc, 0)
	kube := -1
loop:
	for {
		k, more := it.next()
		if !more {
			break
		}
		switch string(k) {
		case "kubernetes":
			kube = it.i
			break loop
		case "kind", "apiVersion", "auditID", "verb", "stage": // a raw event
			return nil, nil, nil, false
		case "event":
			ev = it.skip()
		case "user":
			user = it.skip()
		default:
			it.skip()
		}
	}
	if it.bad || len(ev) == 0 || ev[0] != '{' || (user != nil && (len(user) == 0 || user[0] != '{')) {
		return nil, nil, nil, false
	}
	if kube >= 0 {
		if a := member(doc, kube, "audit"); a >= 0 {
			if s := member(doc, a, "stage"); s >= 0 {
				e := jsonskip.Value(doc, s)
				if e < 0 || doc[s] != '"' || bytes.IndexByte(doc[s:e], '\\') >= 0 {
					return nil, nil, nil, false
				}
				stage = doc[s+1 : e-1]
			}
		}
	}
	return ev, user, stage, true
}

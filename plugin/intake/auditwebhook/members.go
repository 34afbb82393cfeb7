package auditwebhook

import "github.com/k8saudit/k8saudit/internal/jsonskip"

// An item of the list must decode strictly as an audit.k8s.io/v1 Event. Events logged by
// API servers before 1.9 (and v1beta1 ones) carry two members today's type lacks:
// metadata (an ObjectMeta) and timestamp, and no requestReceivedTimestamp or
// stageTimestamp. The API server's own conversion drops metadata and timestamp; here the
// timestamp is kept as requestReceivedTimestamp and stageTimestamp where those are
// missing (written with microseconds, as MicroTime reads them), so that the receiver
// still has the event's time. Any other member the type lacks is dropped the same way.
// The documents are the normalizer's compact JSON; a document this reader cannot walk is
// sent as it is (the receiver decides), never cut.

// eventMembers are the members of the audit.k8s.io/v1 Event type.
var eventMembers = map[string]bool{
	"kind": true, "apiVersion": true, "level": true, "auditID": true, "stage": true,
	"requestURI": true, "verb": true, "user": true, "impersonatedUser": true,
	"sourceIPs": true, "userAgent": true, "objectRef": true, "responseStatus": true,
	"requestObject": true, "responseObject": true, "requestReceivedTimestamp": true,
	"stageTimestamp": true, "annotations": true,
}

// shape is what a first walk of a document found.
type shape struct {
	ok                 bool // the document is an object this reader walks to its end
	foreign            bool // it has a member the Event type lacks
	received, stageTS  bool // it has requestReceivedTimestamp, stageTimestamp
	legacyAt, legacyTo int  // the legacy timestamp's string value, quotes included (0, 0: none)
}

// member is one top-level member: doc[start:end] is key, colon and value; the key's
// text is doc[start+1 : keyEnd-1].
type member struct{ start, keyEnd, valStart, end int }

// next reads the member at i (just after '{' or ','); ok false: not walkable.
func next(doc []byte, i int) (m member, after int, ok bool) {
	if i >= len(doc) || doc[i] != '"' {
		return m, 0, false
	}
	m.start = i
	if m.keyEnd = jsonskip.String(doc, i); m.keyEnd < 0 || m.keyEnd >= len(doc) || doc[m.keyEnd] != ':' {
		return m, 0, false
	}
	m.valStart = m.keyEnd + 1
	if m.end = jsonskip.Value(doc, m.valStart); m.end < 0 || m.end >= len(doc) {
		return m, 0, false
	}
	return m, m.end, doc[m.end] == ',' || doc[m.end] == '}'
}

// walk reads a document's top-level members.
func walk(doc []byte) shape {
	var s shape
	if len(doc) < 2 || doc[0] != '{' || doc[len(doc)-1] != '}' {
		return s
	}
	if len(doc) == 2 {
		s.ok = true
		return s
	}
	for i := 1; ; {
		m, after, ok := next(doc, i)
		if !ok {
			return shape{}
		}
		switch key := doc[m.start+1 : m.keyEnd-1]; {
		case string(key) == "requestReceivedTimestamp":
			s.received = true
		case string(key) == "stageTimestamp":
			s.stageTS = true
		case !eventMembers[string(key)]:
			s.foreign = true
			if string(key) == "timestamp" && doc[m.valStart] == '"' && microLen(doc[m.valStart:m.end]) > 0 {
				s.legacyAt, s.legacyTo = m.valStart, m.end
			}
		}
		if doc[after] == '}' {
			s.ok = after == len(doc)-1
			return s
		}
		i = after + 1
	}
}

// itemLen is the length appendItem writes for doc.
func itemLen(doc []byte) int {
	s := walk(doc)
	if !s.ok || !s.foreign {
		return len(doc)
	}
	n, kept := 2, 0
	add := func(l int) {
		if kept > 0 {
			n++
		}
		n += l
		kept++
	}
	for i := 1; len(doc) > 2; {
		m, after, _ := next(doc, i)
		if eventMembers[string(doc[m.start+1:m.keyEnd-1])] {
			add(m.end - m.start)
		}
		if doc[after] == '}' {
			break
		}
		i = after + 1
	}
	if s.legacyTo > 0 {
		v := microLen(doc[s.legacyAt:s.legacyTo])
		if !s.received {
			add(len(`"requestReceivedTimestamp":`) + v)
		}
		if !s.stageTS {
			add(len(`"stageTimestamp":`) + v)
		}
	}
	return n
}

// appendItem appends doc as an Event the type decodes strictly (see above).
func appendItem(dst, doc []byte) []byte {
	s := walk(doc)
	if !s.ok || !s.foreign {
		return append(dst, doc...)
	}
	dst = append(dst, '{')
	kept := 0
	sep := func() {
		if kept > 0 {
			dst = append(dst, ',')
		}
		kept++
	}
	for i := 1; len(doc) > 2; {
		m, after, _ := next(doc, i)
		if eventMembers[string(doc[m.start+1:m.keyEnd-1])] {
			sep()
			dst = append(dst, doc[m.start:m.end]...)
		}
		if doc[after] == '}' {
			break
		}
		i = after + 1
	}
	if s.legacyTo > 0 {
		v := doc[s.legacyAt:s.legacyTo]
		if !s.received {
			sep()
			dst = appendMicro(append(dst, `"requestReceivedTimestamp":`...), v)
		}
		if !s.stageTS {
			sep()
			dst = appendMicro(append(dst, `"stageTimestamp":`...), v)
		}
	}
	return append(dst, '}')
}

// A legacy timestamp is RFC 3339 with any number of fractional digits (or none);
// MicroTime reads exactly six. microParts splits the quoted value q into what comes
// before the fraction, the fraction's digits and the zone; ok false: not such a time.
func microParts(q []byte) (head, frac, zone []byte, ok bool) {
	if len(q) < len(`"2006-01-02T15:04:05Z"`) || q[0] != '"' || q[len(q)-1] != '"' {
		return nil, nil, nil, false
	}
	v := q[1 : len(q)-1]
	const secEnd = len("2006-01-02T15:04:05")
	for i := 0; i < secEnd; i++ {
		c := v[i]
		switch i {
		case 4, 7:
			ok = c == '-'
		case 10:
			ok = c == 'T'
		case 13, 16:
			ok = c == ':'
		default:
			ok = c >= '0' && c <= '9'
		}
		if !ok {
			return nil, nil, nil, false
		}
	}
	head, rest := v[:secEnd], v[secEnd:]
	if len(rest) > 0 && rest[0] == '.' {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		frac, rest = rest[1:j], rest[j:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && isDigits(rest[1:3]) && isDigits(rest[4:6]):
	default:
		return nil, nil, nil, false
	}
	return head, frac, rest, true
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// microLen is the length of appendMicro's output for q (0: q is not such a time).
func microLen(q []byte) int {
	head, _, zone, ok := microParts(q)
	if !ok {
		return 0
	}
	return 2 + len(head) + 7 + len(zone)
}

// appendMicro appends q with exactly six fractional digits (cut or padded).
func appendMicro(dst, q []byte) []byte {
	head, frac, zone, _ := microParts(q)
	dst = append(append(append(dst, '"'), head...), '.')
	for i := 0; i < 6; i++ {
		if i < len(frac) {
			dst = append(dst, frac[i])
		} else {
			dst = append(dst, '0')
		}
	}
	return append(append(dst, zone...), '"')
}

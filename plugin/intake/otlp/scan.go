package otlp

import (
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// scan walks one document (a JSON object) once, writing it as an OTLP AnyValue map
// (kvlistValue) and noting the fields the attributes and the severity come from. It
// keeps slices of the document only: nothing is allocated. Every byte of the document
// may be attacker-written: a token the walker does not accept makes body return false,
// and the document goes as a string.
type scan struct {
	doc   []byte
	i     int
	path  [maxPath][]byte // object keys from the root, as tokens (quotes included)
	attrs [nAttrs][]byte  // string tokens of the attribute values, quotes included
	// alert: event.kind is alert; score: event.severity; failed: a refused or failed request.
	alert, failed bool
	score         int64
}

const (
	maxDepth = 64 // deeper documents go as a string: the walk recurses
	maxPath  = 3  // the deepest attribute source is orchestrator.cluster.name
)

// attr indexes the record attributes.
type attr uint8

const (
	aNamespace attr = iota
	aCluster
	aUser
	aMethod
	aURLPath
	aSource
	nAttrs
)

var attrNames = [nAttrs]string{"k8s.namespace.name", "k8s.cluster.name", "user.name", "http.request.method", "url.path", "source.address"}

// Severity numbers and texts of the OpenTelemetry log data model.
type sev uint8

const (
	sevInfo sev = iota
	sevWarn
	sevError
	sevFatal
)

var (
	sevNumber = [...]string{"9", "13", "17", "21"}
	sevNum    = [...]uint64{9, 13, 17, 21}
	sevText   = [...]string{"INFO", "WARN", "ERROR", "FATAL"}
)

// severity: a detection's severity for an alert (detect's scores: critical 99, high 73),
// WARN for a refused or failed request, INFO otherwise.
func (s *scan) severity() sev {
	switch {
	case s.alert && s.score >= 99:
		return sevFatal
	case s.alert && s.score >= 73:
		return sevError
	case s.alert, s.failed:
		return sevWarn
	}
	return sevInfo
}

// body writes the whole document as an AnyValue; false when it is not a JSON object the
// walker reads (w's output is then to be discarded).
func (s *scan) body(w *writer) bool {
	s.ws()
	if s.i >= len(s.doc) || s.doc[s.i] != '{' {
		return false
	}
	if !s.value(w, 0, 0, -1) {
		return false
	}
	s.ws()
	return s.i == len(s.doc)
}

func (s *scan) ws() {
	for s.i < len(s.doc) {
		switch s.doc[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value writes the value at s.i. plen is how many keys of s.path lead to it (-1: not
// tracked: too deep, or inside an array element); elem is its index in an array (-1: a
// member of an object).
func (s *scan) value(w *writer, depth, plen, elem int) bool {
	if s.i >= len(s.doc) {
		return false
	}
	switch c := s.doc[s.i]; {
	case c == '{':
		return s.object(w, depth, plen, elem)
	case c == '[':
		return s.array(w, depth, plen, elem)
	case c == '"':
		tok, plain, ok := s.str()
		if !ok {
			return false
		}
		w.str(tok, plain)
		s.leaf(plen, elem, tok, true)
		return true
	case c == '-' || c >= '0' && c <= '9':
		tok, isInt, ok := s.num()
		if !ok {
			return false
		}
		w.number(tok, isInt)
		s.leaf(plen, elem, tok, false)
		return true
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.doc)-s.i >= len(lit) && string(s.doc[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			if lit == "null" {
				w.null()
			} else {
				w.boolean(lit == "true")
			}
			return true
		}
	}
	return false
}

func (s *scan) object(w *writer, depth, plen, elem int) bool {
	if depth >= maxDepth {
		return false
	}
	s.i++
	m := w.beginObject()
	s.ws()
	if s.i < len(s.doc) && s.doc[s.i] == '}' {
		s.i++
		w.endObject(m)
		return true
	}
	for first := true; ; first = false {
		s.ws()
		if s.i >= len(s.doc) || s.doc[s.i] != '"' {
			return false
		}
		key, plain, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.doc) || s.doc[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		mm := w.beginMember(key, plain, first)
		cp := -1
		if elem < 0 && plen >= 0 && plen < maxPath {
			s.path[plen] = key
			cp = plen + 1
		}
		if !s.value(w, depth+1, cp, -1) {
			return false
		}
		w.endMember(mm)
		s.ws()
		if s.i >= len(s.doc) {
			return false
		}
		switch s.doc[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			w.endObject(m)
			return true
		default:
			return false
		}
	}
}

func (s *scan) array(w *writer, depth, plen, elem int) bool {
	if depth >= maxDepth {
		return false
	}
	if elem >= 0 {
		plen = -1 // an array in an array: no attribute comes from it
	}
	s.i++
	m := w.beginArray()
	s.ws()
	if s.i < len(s.doc) && s.doc[s.i] == ']' {
		s.i++
		w.endArray(m)
		return true
	}
	for k := 0; ; k++ {
		s.ws()
		em := w.beginElem(k == 0)
		if !s.value(w, depth+1, plen, k) {
			return false
		}
		w.endElem(em)
		s.ws()
		if s.i >= len(s.doc) {
			return false
		}
		switch s.doc[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			w.endArray(m)
			return true
		default:
			return false
		}
	}
}

// str reads a string token, quotes included; plain: it has no escape (its content is its
// text). It refuses what a JSON decoder would: a control character, an unknown escape,
// invalid UTF-8.
func (s *scan) str() (tok []byte, plain, ok bool) {
	start := s.i
	s.i++
	ascii := true
	plain = true
	for {
		// Skip 16 bytes at a time to the next byte that matters; non-ASCII text is
		// checked once, as a whole, at the end.
		s.i = jsonw.NextSpecial(s.doc, s.i)
		if s.i >= len(s.doc) {
			return nil, false, false
		}
		c := s.doc[s.i]
		switch {
		case c == '"':
			s.i++
			tok := s.doc[start:s.i]
			return tok, plain, ascii || utf8.Valid(tok)
		case c < ' ':
			return nil, false, false
		case c == '\\':
			plain = false
			if s.i+1 >= len(s.doc) {
				return nil, false, false
			}
			switch s.doc[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if _, ok := jsonw.Hex4(s.doc[s.i+2:]); !ok {
					return nil, false, false
				}
				s.i += 6
			default:
				return nil, false, false
			}
		default:
			ascii = false
			s.i++
		}
	}
}

// num reads a number token by JSON's grammar. isInt: no fraction or exponent and at most
// 18 digits, so it fits an int64 (intValue); other numbers go as doubleValue.
func (s *scan) num() (tok []byte, isInt, ok bool) {
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.doc) && s.doc[s.i] >= '0' && s.doc[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.doc[s.i] == '-' {
		s.i++
	}
	intStart := s.i
	n := digits()
	if n == 0 || n > 1 && s.doc[intStart] == '0' {
		return nil, false, false
	}
	isInt = n <= 18
	if s.i < len(s.doc) && s.doc[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, false, false
		}
		isInt = false
	}
	exp := 0 // the exponent's value, capped
	if s.i < len(s.doc) && (s.doc[s.i] == 'e' || s.doc[s.i] == 'E') {
		s.i++
		neg := false
		if s.i < len(s.doc) && (s.doc[s.i] == '+' || s.doc[s.i] == '-') {
			neg = s.doc[s.i] == '-'
			s.i++
		}
		expStart := s.i
		if digits() == 0 {
			return nil, false, false
		}
		for _, c := range s.doc[expStart:s.i] {
			exp = min(exp*10+int(c-'0'), 1<<20)
		}
		if neg {
			exp = -exp
		}
		isInt = false
	}
	// A number of 1e308 or more is past (or at the edge of) float64's range: no
	// doubleValue holds it (a receiver refuses it in JSON, protobuf could only say Inf),
	// so the document goes as a string. The value is below 10^(n+exp): n-1+exp under 308
	// is in range whatever the digits.
	if !isInt && n-1+exp >= 308 {
		return nil, false, false
	}
	return s.doc[start:s.i], isInt, true
}

// is reports whether the path to a value is exactly names.
func (s *scan) is(plen int, names ...string) bool {
	if plen != len(names) {
		return false
	}
	for k, n := range names {
		p := s.path[k]
		if len(p) != len(n)+2 || string(p[1:len(p)-1]) != n {
			return false
		}
	}
	return true
}

// leaf notes a scalar that an attribute or the severity comes from: ECS paths, and the
// raw audit event's for format raw (a raw event has no ECS object at the root, an ECS
// document none of the raw keys there: its raw copy is under kubernetes.audit).
func (s *scan) leaf(plen, elem int, tok []byte, isStr bool) {
	switch {
	case plen <= 0:
		return
	case elem >= 0:
		switch {
		case isStr && s.is(plen, "event", "type") && string(tok) == `"denied"`:
			s.failed = true
		case isStr && elem == 0 && s.is(plen, "sourceIPs"):
			s.set(aSource, tok)
		}
	case !isStr:
		switch {
		case s.is(plen, "event", "severity"):
			s.score = atoi(tok)
		case s.is(plen, "responseStatus", "code"):
			s.failed = s.failed || atoi(tok) >= 400
		}
	case plen == 2:
		switch {
		case s.is(plen, "orchestrator", "namespace"), s.is(plen, "objectRef", "namespace"):
			s.set(aNamespace, tok)
		case s.is(plen, "user", "name"), s.is(plen, "user", "username"):
			s.set(aUser, tok)
		case s.is(plen, "url", "path"):
			s.set(aURLPath, tok)
		case s.is(plen, "source", "address"):
			s.set(aSource, tok)
		case s.is(plen, "event", "kind"), s.is(plen, "k8saudit", "kind"):
			s.alert = string(tok) == `"alert"`
		case s.is(plen, "k8saudit", "severity"):
			s.score = labelScore(tok)
		case s.is(plen, "event", "outcome"):
			s.failed = s.failed || string(tok) == `"failure"`
		}
	case plen == 3:
		switch {
		case s.is(plen, "orchestrator", "cluster", "name"):
			s.set(aCluster, tok)
		case s.is(plen, "http", "request", "method"):
			s.set(aMethod, tok)
		}
	}
}

func (s *scan) set(a attr, tok []byte) {
	if s.attrs[a] == nil {
		s.attrs[a] = tok
	}
}

// atoi reads an integer token (a fraction or exponent ends it; 0 when none).
func atoi(tok []byte) int64 {
	if len(tok) > 0 && tok[0] == '-' {
		return 0
	}
	var v int64
	for _, c := range tok {
		if c < '0' || c > '9' {
			break
		}
		if v > 1<<40 {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// labelScore is the score of a detection severity label (format raw's k8saudit.severity),
// as detect.Severity.Score gives it to ECS's event.severity.
func labelScore(tok []byte) int64 {
	switch string(tok) {
	case `"critical"`:
		return 99
	case `"high"`:
		return 73
	case `"medium"`:
		return 47
	case `"low"`:
		return 21
	}
	return 1
}

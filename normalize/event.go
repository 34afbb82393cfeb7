package normalize

import (
	"github.com/k8saudit/k8saudit/normalize/internal/redact"
	"github.com/valyala/fastjson"
)

// event holds what the ECS mapping reads from one audit event, extracted in a
// single pass over its top-level keys. Byte slices point into the parser's
// memory; *fastjson.Value fields are nil when absent. Every field is checked
// for its JSON type: a field of the wrong type counts as absent.
type event struct {
	v      *fastjson.Value
	marked bool // v comes from a stripped parse: bodies are markers (strip.go)

	kind, apiVersion, level, auditID, stage, requestURI, verb, userAgent []byte

	user, impersonated *fastjson.Value // objects
	userName, userUID  []byte
	userGroups         [][]byte // the string entries of user.groups
	impName, impUID    []byte
	impGroups          [][]byte

	sourceIPs *fastjson.Value // array
	ipList    [][]byte        // its string entries

	// direct: e comes from the direct road (direct.go); v and every
	// *fastjson.Value above are nil, and copies holds, for each object
	// member kubernetes.audit copies, the text copyOmit would write (nil
	// when absent or empty) once copyEdits are applied (direct_clean.go).
	direct    bool
	copies    [nCopies][]byte
	copyEdits [nCopies][]edit
	plain     uint32 // the string slots (direct.go) whose value needs no escaping
	// groupsPlain, impGroupsPlain: no entry of that list needs escaping.
	groupsPlain, impGroupsPlain bool
	// canonOK: the string slots whose value the walk wrote, quoted and
	// escaped, to Normalizer.d.text (directState.canon).
	canonOK uint32

	objectRef    *fastjson.Value
	hasObjectRef bool // objectRef is an object
	// For redaction (package redact, class.go): dup, a top-level member the mapping
	// reads was given twice (the direct road refuses such events); refClass,
	// the classes of the objectRefs before the last.
	dup                                         bool
	refClass                                    uint8
	seenTop                                     [4]uint32 // the top-level members met, by topMember
	resource, subresource, namespace, name, uid []byte
	apiGroup, objAPIVersion                     []byte

	responseStatus *fastjson.Value
	code           int64 // -1 when absent
	statusReason   []byte
	statusMessage  []byte

	// A body is either a marker's index in Normalizer.bodies (req, resp;
	// -1 when none) or, in an unmarked tree, a value.
	requestObject, responseObject *fastjson.Value
	req, resp                     int

	requestReceived, stageTS, legacyTS []byte // as written
	annotations, metadata              *fastjson.Value
	decision, authzReason              []byte

	num []byte // scratch for number text, kept across events

	odd bool // a top-level member is odd (see eventMember)
}

func (e *event) reset(v *fastjson.Value, marked bool) {
	*e = event{v: v, marked: marked, code: -1, req: -1, resp: -1, num: e.num[:0],
		userGroups: e.userGroups[:0], impGroups: e.impGroups[:0], ipList: e.ipList[:0]}
}

// extract fills e from the event object v. A member given twice counts
// once, the last one winning.
func (e *event) extract(v *fastjson.Value, marked bool) {
	e.reset(v, marked)
	o, _ := v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		t, s := topMember(k)
		if t != tmOther && t != tmMeta {
			if e.seenTop[t-1]&(1<<s) != 0 {
				e.dup = true
			}
			e.seenTop[t-1] |= 1 << s
		}
		switch t {
		case tmString:
			*e.strSlot(s) = stringOf(x)
		case tmObject:
			e.object(s, x)
		case tmBody:
			if s == 0 {
				e.requestObject, e.req = e.body(x)
			} else {
				e.responseObject, e.resp = e.body(x)
			}
		case tmMeta:
			e.metadata = x
		default:
			e.odd = true // a member the Event does not define (see eventMember)
		}
	})
}

// strSlot is the field of e that holds top-level string slot s.
func (e *event) strSlot(s uint8) *[]byte {
	switch s {
	case sKind:
		return &e.kind
	case sAPIVersion:
		return &e.apiVersion
	case sLevel:
		return &e.level
	case sAuditID:
		return &e.auditID
	case sStage:
		return &e.stage
	case sRequestURI:
		return &e.requestURI
	case sVerb:
		return &e.verb
	case sUserAgent:
		return &e.userAgent
	case sRequestReceived:
		return &e.requestReceived
	case sStageTS:
		return &e.stageTS
	}
	return &e.legacyTS // sLegacyTS, the last top-level string slot
}

// object reads the top-level object member c (a copy: user,
// impersonatedUser, sourceIPs, objectRef, responseStatus, annotations).
func (e *event) object(c uint8, x *fastjson.Value) {
	if c == copySourceIPs {
		e.sourceIPs = arrayOf(x)
		e.ipList = appendStrings(e.ipList[:0], x)
		return
	}
	if x.Type() != fastjson.TypeObject {
		return
	}
	unescapeKeys(x)
	switch c {
	case copyUser:
		e.user = x
		e.userName = stringOf(x.Get("username"))
		e.userUID = stringOf(x.Get("uid"))
		e.userGroups = appendStrings(e.userGroups[:0], x.Get("groups"))
	case copyImpersonated:
		e.impersonated = x
		e.impName = stringOf(x.Get("username"))
		e.impUID = stringOf(x.Get("uid"))
		e.impGroups = appendStrings(e.impGroups[:0], x.Get("groups"))
	case copyObjectRef:
		if e.hasObjectRef { // a second one: the first's class still counts
			e.refClass |= redact.RefClass(e.apiGroup, e.resource, e.subresource)
		}
		e.objectRef, e.hasObjectRef = x, true
		e.resource = stringOf(x.Get("resource"))
		e.subresource = stringOf(x.Get("subresource"))
		e.namespace = stringOf(x.Get("namespace"))
		e.name = stringOf(x.Get("name"))
		e.uid = stringOf(x.Get("uid"))
		e.apiGroup = stringOf(x.Get("apiGroup"))
		e.objAPIVersion = stringOf(x.Get("apiVersion"))
	case copyResponseStatus:
		e.responseStatus = x
		e.code = -1 // a second responseStatus replaces the first whole
		if c, ok := e.intOf(x.Get("code")); ok {
			e.code = c
		}
		e.statusReason = stringOf(x.Get("reason"))
		e.statusMessage = stringOf(x.Get("message"))
	case copyAnnotations:
		e.annotations = x
		e.decision = stringOf(x.Get("authorization.k8s.io/decision"))
		e.authzReason = stringOf(x.Get("authorization.k8s.io/reason"))
	}
}

// unescapeKeys makes fastjson compare the keys of the object x unescaped
// from the first Get on: its Get otherwise first looks for the key as
// written, so that of {"user\u006eame":"a","username":"b"} it finds "b"
// before any Visit and "a" after one. Unescaped, Get finds the first
// member of that name, as the direct road and the salvage read it.
func unescapeKeys(x *fastjson.Value) {
	if o, err := x.Object(); err == nil {
		o.Visit(func([]byte, *fastjson.Value) {})
	}
}

// body resolves a body member: a marker's index, or the value itself in an
// unmarked tree (index -1).
func (e *event) body(x *fastjson.Value) (*fastjson.Value, int) {
	if !e.marked || x.Type() != fastjson.TypeNumber {
		return x, -1
	}
	i, _ := e.intOf(x)
	return nil, int(i)
}

// isPlain reports whether the value of string slot s needs no escaping.
func (e *event) isPlain(s int) bool { return e.plain&(1<<s) != 0 }

// appendStrings appends the string entries of an array (none when v is
// not one).
func appendStrings(dst [][]byte, v *fastjson.Value) [][]byte {
	if v == nil || v.Type() != fastjson.TypeArray {
		return dst
	}
	for _, x := range v.GetArray() {
		if s := stringOf(x); s != nil {
			dst = append(dst, s)
		}
	}
	return dst
}

func arrayOf(v *fastjson.Value) *fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil
	}
	return v
}

// intOf reads a JSON number that is a plain integer (no fraction or exponent,
// at most 18 digits). fastjson's own conversions allocate an error on failure.
func (e *event) intOf(v *fastjson.Value) (int64, bool) {
	if v == nil || v.Type() != fastjson.TypeNumber {
		return 0, false
	}
	e.num = v.MarshalTo(e.num[:0])
	return plainInt(e.num)
}

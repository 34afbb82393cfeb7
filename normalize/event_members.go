package normalize

// The event model's one member table: the audit Event's members the mapping
// reads, by slot (strings), copy (the object members kubernetes.audit copies)
// and list, and the functions that classify a key. Every road (the direct walk,
// event.extract on the fastjson road, the salvage) classifies a key here and
// switches on what it returns, never on the name; event.go holds what was found.

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
	tmMeta      // metadata (v1beta1): an Event member no road reads
)

// Lists of strings the mapping reads.
const (
	listGroups = iota
	listImpGroups
	listIPs
	nLists
)

// topMember classifies a top-level key (canonical, unquoted). It is the one
// table of the audit Event's top-level member names: every road (the direct
// walk, event.extract on the fastjson road, the salvage) and eventMember
// classify a key here, and switch on what it returns, never on the name.
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
	case "metadata":
		return tmMeta, 0
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

// eventMember reports whether k names a member of an audit.k8s.io Event
// (v1, or v1beta1's metadata and timestamp). A top-level member under any
// other key is "odd": it is left out of an event rendered through the
// per-event hook (format raw, event.original), since no redaction can know
// what it holds: it may be a body or a requestURI under a damaged key
// ("request\u0000Object" holding a Secret, ",requestURI" a token), or
// whatever a collector added.
func eventMember(k []byte) bool {
	top, _ := topMember(k)
	return top != tmOther && top != tmContainer
}

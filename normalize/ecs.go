package normalize

import (
	"bytes"

	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/normalize/internal/docwriter"
	"github.com/k8saudit/k8saudit/normalize/internal/timestamp"
	"github.com/valyala/fastjson"
)

// event writes the document for one audit event in the configured format.
// e, filled by extract, is the parsed event: a per-event hook (policy,
// redaction) belongs between extract and the writers.
func (n *Normalizer) event(v *fastjson.Value, original []byte, marked bool) {
	e := &n.ev
	e.extract(v, marked)
	n.emit(e, original)
}

// emit writes the document of the event e, filled by extract or by the
// direct road; original is its text when the input holds it as is.
func (n *Normalizer) emit(e *event, original []byte) {
	hooked := n.opt.Policy != nil || n.red.on
	if hooked && !n.hook(e) {
		return // dropped by the policy
	}
	if n.opt.Detect != nil && !n.detect(e) {
		return // not an alert, and only alerts are shipped
	}
	start := len(n.w.B)
	var ts int64
	if n.opt.Format == Raw {
		ts = n.timestamp(e)
		switch {
		case hooked:
			n.w.B = n.appendEvent(n.w.B, e, true)
		case e.direct:
			n.w.B = n.renderDirect(n.w.B)
		default:
			n.w.B = n.appendValue(n.w.B, e.v, e.marked, false)
		}
		n.w.B = n.appendDetectionRaw(n.w.B, start)
	} else {
		ts = n.writeECS(e, original)
	}
	idStart := len(n.meta)
	n.meta = append(n.meta, e.auditID...)
	stStart := len(n.meta)
	n.meta = append(n.meta, e.stage...)
	n.spans = append(n.spans, docSpan{
		start: start, end: len(n.w.B),
		idStart: idStart, idEnd: stStart,
		stStart: stStart, stEnd: len(n.meta),
		time:     ts,
		redacted: n.redactedIn(hooked),
		salvaged: n.salvaging,
		alert:    n.alert(),
		rules:    n.ruleBits(),
	})
}

// timestamp resolves @timestamp: stageTimestamp, then
// requestReceivedTimestamp, then the v1beta1 timestamp, then the record time
// (0 = none). A value that does not parse counts as absent.
func (n *Normalizer) timestamp(e *event) int64 {
	if t, ok := timestamp.Parse(e.stageTS); ok {
		return t
	}
	if t, ok := timestamp.Parse(e.requestReceived); ok {
		return t
	}
	if t, ok := timestamp.Parse(e.legacyTS); ok {
		return t
	}
	return n.recordTime
}

// Outcomes, event.type values by verb, and HTTP methods by verb.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
	outcomeUnknown = "unknown"
)

func verbType(verb []byte) string {
	switch string(verb) {
	case "create":
		return "creation"
	case "delete", "deletecollection":
		return "deletion"
	case "update", "patch":
		return "change"
	case "get", "list", "watch":
		return "access"
	}
	return "info"
}

// verbMethod derives http.request.method from the verb: the audit event does
// not record the real method (a watch is a GET with ?watch=true, a create
// may be a POST to a subresource), so this is the method the verb implies.
func verbMethod(verb []byte) string {
	switch string(verb) {
	case "get", "list", "watch":
		return "GET"
	case "create":
		return "POST"
	case "update":
		return "PUT"
	case "patch":
		return "PATCH"
	case "delete", "deletecollection":
		return "DELETE"
	}
	return ""
}

// iamResource reports whether a resource is about identities and their
// rights: event.category then holds iam besides api.
func iamResource(r []byte) bool {
	switch string(r) {
	case "roles", "clusterroles", "rolebindings", "clusterrolebindings",
		"serviceaccounts", "certificatesigningrequests", "tokenreviews":
		return true
	}
	return bytes.HasSuffix(r, []byte("subjectaccessreviews"))
}

// outcome follows the response code, and only without one the authorization
// decision: a request can be allowed and still fail (404, 409, 500), so
// Sekoia's copy of the decision into event.outcome is not followed.
func outcome(e *event) string {
	switch {
	case e.code >= 400:
		return outcomeFailure
	case e.code >= 100:
		return outcomeSuccess
	}
	switch string(e.decision) {
	case "forbid":
		return outcomeFailure
	case "allow":
		if string(e.stage) != "RequestReceived" {
			return outcomeSuccess
		}
	}
	return outcomeUnknown
}

// decisionType is the event.type entry of the authorization decision:
// denied whenever the response is 401 or 403 (the authenticator, the
// authorizer or an admission webhook refused the request: a SIEM rule on
// denied must see every refusal, annotation or not, and API servers before
// 1.19 write none), else allowed or denied from the annotation.
func decisionType(e *event) string {
	if e.code == 401 || e.code == 403 {
		return "denied"
	}
	switch string(e.decision) {
	case "allow":
		return "allowed"
	case "forbid":
		return "denied"
	}
	return ""
}

// cuts says what a document leaves out to stay within MaxEventBytes.
type cuts struct {
	noResp, noReq bool // leave out responseObject, requestObject
	origMax       int  // bytes of event.original kept
	origCut       bool // origMax was lowered to fit
}

// writeECS writes the ECS document and returns its @timestamp. A document
// over MaxEventBytes is written again with less, in this order:
// responseObject (the largest body as a rule), requestObject, then the end
// of event.original. Only oversized events pay for the second writing.
func (n *Normalizer) writeECS(e *event, original []byte) int64 {
	start := len(n.w.B)
	c := cuts{origMax: n.maxEvent}
	for {
		n.w.B = n.w.B[:start]
		ts := n.writeECSOnce(e, original, &c)
		size := len(n.w.B) - start
		switch {
		case size <= n.maxEvent:
		case n.doc.wroteResp && !c.noResp:
			c.noResp = true
			continue
		case n.doc.wroteReq && !c.noReq:
			c.noReq = true
			continue
		case n.doc.origLen > 0 && !c.origCut:
			c.origCut = true
			c.origMax = max(0, n.doc.origLen-(size-n.maxEvent))
			continue
		}
		return ts
	}
}

// writeECSOnce writes the ECS document with the cuts c.
func (n *Normalizer) writeECSOnce(e *event, original []byte, c *cuts) int64 {
	w := &n.w
	n.doc.truncated = c.noResp || c.noReq
	n.doc.wroteReq, n.doc.wroteResp, n.doc.origLen = false, false, 0
	w.Begin()

	// Each timestamp is parsed once; @timestamp is one of them (see
	// timestamp), written from its text.
	end, endOK := timestamp.Parse(e.stageTS)
	start, startOK := timestamp.Parse(e.requestReceived)
	var ts int64
	var tsText []byte
	switch {
	case endOK:
		ts, tsText = end, e.stageTS
	case startOK:
		ts, tsText = start, e.requestReceived
	default:
		ts, tsText = n.timestamp(e), e.legacyTS
		if ts == n.recordTime {
			tsText = nil
		}
	}
	if ts != 0 {
		w.TimeText(kAtTimestamp, ts, tsText)
	}

	// event.*
	out := outcome(e)
	w.Open(kEvent)
	n.writeEventKind()
	// No event.code: ECS means a code naming the kind of event (a Windows
	// Event ID); an audit event has none, and its auditID is event.id.
	n.strSlot(kID, e.auditID, sAuditID)
	n.strSlot(kAction, e.verb, sVerb)
	w.OpenArr(kCategory)
	w.ConstElem("api")
	if iamResource(e.resource) {
		w.ConstElem("iam")
	}
	w.CloseArr()
	w.OpenArr(kType)
	w.ConstElem(verbType(e.verb))
	if d := decisionType(e); d != "" {
		w.ConstElem(d)
	}
	w.CloseArr()
	w.StrConst(kOutcome, out)
	if startOK {
		w.TimeText(kStart, start, e.requestReceived)
	}
	if endOK {
		w.TimeText(kEnd, end, e.stageTS)
	}
	if startOK && endOK && end >= start {
		w.Int(kDuration, end-start)
	}
	n.strSlot(kReason, e.authzReason, sAuthzReason)
	if n.salvaging && n.opt.KeepUnparsedText {
		// Asked for: the text the event was salvaged from, unread.
		kept, cut := boundUTF8(n.salvRaw, min(n.maxOriginal, c.origMax))
		n.doc.truncated = n.doc.truncated || cut
		n.doc.origLen = len(kept)
		w.Str(kOriginal, kept)
	} else if n.opt.EventOriginal {
		switch {
		case n.hooked() && n.modified(e):
			// Never ship an original that still holds what the policy
			// or redaction took out.
			n.doc.scratch = n.appendEvent(n.doc.scratch[:0], e, false)
			original = n.doc.scratch
		case original == nil && e.direct:
			n.doc.scratch = n.renderDirect(n.doc.scratch[:0])
			original = n.doc.scratch
		case original == nil:
			n.doc.scratch = n.appendValue(n.doc.scratch[:0], e.v, e.marked, false)
			original = n.doc.scratch
		}
		kept, cut := boundUTF8(original, c.origMax)
		n.doc.truncated = n.doc.truncated || cut
		n.doc.origLen = len(kept)
		w.Str(kOriginal, kept)
	}
	w.Close()

	// user.*: the authenticated caller; the impersonated identity is
	// user.effective (Sekoia puts it in user.name, which hides who acted).
	w.Open(kUser)
	n.strSlot(kName, e.userName, sUserName)
	n.strSlot(kID, e.userUID, sUserUID)
	// Groups are user.group.name (ECS): user.roles would be rights, and
	// a Kubernetes group grants none by itself (the bindings do).
	w.Open(kGroup)
	n.writeStrings(kName, e.userGroups, e.groupsPlain)
	w.Close()
	w.Open(kEffective)
	n.strSlot(kName, e.impName, sImpName)
	n.strSlot(kID, e.impUID, sImpUID)
	w.Open(kGroup)
	n.writeStrings(kName, e.impGroups, e.impGroupsPlain)
	w.Close()
	w.Close()
	w.Close()

	// source.* and related.*
	n.collectIPs(e)
	// A valid IP needs no escaping (validIP: digits, hex, '.', ':').
	if len(n.doc.ips) > 0 {
		w.Open(kSource)
		w.StrAs(kIP, n.doc.ips[0], true)
		w.StrAs(kAddress, n.doc.ips[0], true)
		w.Close()
	}
	w.Open(kRelated)
	w.OpenArr(kIP)
	for _, ip := range n.doc.ips {
		w.PlainElem(ip)
	}
	w.CloseArr()
	n.doc.users = n.doc.users[:0]
	var usersPlain uint8 // the entries of n.doc.users that need no escaping
	for _, u := range [...]struct {
		v    []byte
		slot int
	}{{e.userName, sUserName}, {e.userUID, sUserUID}, {e.impName, sImpName}, {e.impUID, sImpUID}} {
		before := len(n.doc.users)
		if n.doc.users = appendUnique(n.doc.users, u.v); len(n.doc.users) > before && e.isPlain(u.slot) {
			usersPlain |= 1 << before
		}
	}
	w.OpenArr(kUser)
	for k, u := range n.doc.users {
		if usersPlain&(1<<k) != 0 {
			w.PlainElem(u)
		} else {
			w.StrElem(u)
		}
	}
	w.CloseArr()
	w.Close()

	// user_agent.*
	if len(e.userAgent) > 0 {
		ua := parseUserAgent(e.userAgent)
		w.Open(kUserAgentECS)
		n.strSlot(kOriginal, e.userAgent, sUserAgent)
		w.StrAs(kName, ua.name, e.isPlain(sUserAgent))
		w.StrAs(kVersion, ua.version, e.isPlain(sUserAgent))
		w.Open(kOS)
		w.StrAs(kName, ua.os, e.isPlain(sUserAgent))
		w.Close()
		w.Close()
	}

	// url.*
	if len(e.requestURI) > 0 {
		path, query := e.requestURI, []byte(nil)
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			path, query = path[:i], path[i+1:]
		}
		w.Open(kURL)
		n.strSlot(kOriginal, e.requestURI, sRequestURI)
		w.StrAs(kPath, path, e.isPlain(sRequestURI))
		w.StrAs(kQuery, query, e.isPlain(sRequestURI))
		w.Close()
	}

	// http.*
	w.Open(kHTTP)
	if m := verbMethod(e.verb); m != "" {
		w.Open(kRequest)
		w.StrConst(kMethod, m)
		w.Close()
	}
	if e.code > 0 {
		w.Open(kResponse)
		w.Int(kStatusCode, e.code)
		w.Close()
	}
	w.Close()

	// error.* on failures only: a 2xx status carries no error. A
	// salvaged event (which has no status reason or message) says there
	// why it was salvaged.
	if out == outcomeFailure || n.salvaging {
		w.Open(kError)
		n.strSlot(kCode, e.statusReason, sStatusReason)
		n.strSlot(kMessage, e.statusMessage, sStatusMessage)
		if n.salvaging {
			w.Key(kMessage)
			w.B = append(w.B, `"salvaged from a record that could not be parsed: `...)
			w.B = jsonw.AppendEscaped(w.B, n.sv.msg)
			w.B = append(w.B, '"')
		}
		w.Close()
	}

	// orchestrator.*
	w.Open(kOrchestrator)
	n.writeOrchestratorBase()
	n.strSlot(kNamespace, e.namespace, sNamespace)
	w.Open(kResource)
	n.strSlot(kType, e.resource, sResource)
	if len(e.subresource) > 0 && len(e.resource) > 0 {
		w.Key(kSubtype)
		w.B = append(w.B, '"')
		w.B = n.appendSlot(w.B, e.resource, sResource)
		w.B = append(w.B, '/')
		w.B = n.appendSlot(w.B, e.subresource, sSubresource)
		w.B = append(w.B, '"')
	}
	if len(e.name) > 0 {
		n.strSlot(kName, e.name, sName)
	} else {
		name := n.bodyName(e.responseObject, e.resp)
		if len(name) == 0 {
			name = n.bodyName(e.requestObject, e.req)
		}
		w.Str(kName, name)
	}
	n.strSlot(kID, e.uid, sUID)
	w.Close()
	if len(e.objAPIVersion) > 0 {
		w.Key(kAPIVersionECS)
		w.B = append(w.B, '"')
		if len(e.apiGroup) > 0 {
			w.B = n.appendSlot(w.B, e.apiGroup, sAPIGroup)
			w.B = append(w.B, '/')
		}
		w.B = n.appendSlot(w.B, e.objAPIVersion, sObjAPIVersion)
		w.B = append(w.B, '"')
	}
	w.Close()

	// container.image.name (pod create only) and k8saudit.images (every
	// request naming images): see fields_container.go.
	if !n.collectImagesText(e) {
		n.collectImages(n.requestTree(e))
	}
	if len(n.doc.imgs) > 0 && podCreate(e) {
		w.Open(kContainer)
		w.Open(kImage)
		n.writeImages(kName)
		w.Close()
		w.Close()
	}

	n.writeAudit(e, c)

	if len(n.doc.imgs) > 0 {
		w.Open(kK8saudit)
		n.writeImages(kImages)
		w.Close()
	}

	if n.doc.truncated || n.red.any || n.salvaging || n.alert() {
		w.Open(kLabels)
		n.writeSeverityLabel()
		if n.doc.truncated {
			w.BoolTrue(kTruncated)
		}
		if n.red.any {
			w.BoolTrue(kRedacted)
		}
		if n.salvaging {
			w.BoolTrue(kSalvaged)
		}
		w.Close()
	}
	n.writeDetectionECS()
	w.End()
	return ts
}

// strSlot writes k: v for the value of string slot slot, copying the text
// the walk wrote when there is one.
func (n *Normalizer) strSlot(k *docwriter.Key, v []byte, slot int) {
	if len(v) == 0 {
		return
	}
	if n.ev.canonOK&(1<<slot) != 0 {
		c, text := n.d.canon[slot], n.d.text
		if n.d.canonSrc&(1<<slot) != 0 {
			text = n.d.src
		}
		n.w.Key(k)
		n.w.B = appendShort(n.w.B, text, int(c.s), int(c.e))
		return
	}
	n.w.Str(k, v)
}

// appendSlot appends the value v of string slot slot, escaped unless it
// needs no escaping.
func (n *Normalizer) appendSlot(dst, v []byte, slot int) []byte {
	if n.ev.isPlain(slot) {
		return append(dst, v...)
	}
	return jsonw.AppendEscaped(dst, v)
}

// writeOrchestratorBase writes the members every document's orchestrator has.
func (n *Normalizer) writeOrchestratorBase() {
	if n.orchBase == "" {
		var w docwriter.Writer
		w.Begin() // the members are taken without the object's '{'
		w.StrConst(kType, "kubernetes")
		if len(n.clusterName) > 0 {
			w.Open(kCluster)
			w.Str(kName, n.clusterName)
			w.Close()
		}
		n.orchBase, n.orchCount = string(w.B[1:]), w.Count()
	}
	n.w.Members(n.orchBase, n.orchCount)
}

// writeStrings writes the non-empty strings of a list as member k; plain:
// none needs escaping.
func (n *Normalizer) writeStrings(k *docwriter.Key, a [][]byte, plain bool) {
	if len(a) == 0 {
		return
	}
	w := &n.w
	w.OpenArr(k)
	for _, x := range a {
		if plain && len(x) > 0 {
			w.Elem()
			w.B = append(w.B, '"')
			w.B = append(w.B, x...)
			w.B = append(w.B, '"')
			continue
		}
		w.StrElem(x)
	}
	w.CloseArr()
}

// collectIPs keeps the syntactically valid, distinct entries of sourceIPs.
func (n *Normalizer) collectIPs(e *event) {
	n.doc.ips = n.doc.ips[:0]
	for _, ip := range e.ipList {
		if validIP(ip) {
			n.doc.ips = appendUnique(n.doc.ips, ip)
		}
	}
}

// appendUnique appends s unless it is empty or already present; the lists
// are a handful of entries, so a linear scan beats any set.
func appendUnique(list [][]byte, s []byte) [][]byte {
	if len(s) == 0 {
		return list
	}
	for _, x := range list {
		if bytes.Equal(x, s) {
			return list
		}
	}
	return append(list, s)
}

// docState is what the writers keep while one document is written.
type docState struct {
	ips   [][]byte // valid source IPs of the event
	users [][]byte // related.user candidates
	imgs  [][]byte // container images

	scratch   []byte // a rendered value serving as an original text
	truncated bool   // a body or the original was cut from the current document

	wroteReq, wroteResp bool // the current document holds that body
	origLen             int  // bytes of event.original in it
}

package normalize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/normalize/internal/timestamp"
)

// The reference normalizer: the ECS mapping written the slow, obvious way on
// encoding/json, for a differential test of the fast one (strip, the body
// scanner, fastjson, the writer). It decodes into an ordered tree (key order
// and duplicates kept, numbers as written) and builds each document as
// map[string]any; documents are compared as decoded JSON values, so key order
// and escaping may differ, meaning may not. The leaf parsers (parseTimestamp,
// validIP, parseUserAgent, boundUTF8) are shared: they have their own tests,
// and the point here is the JSON machinery around them. Records that
// encoding/json rejects (fastjson accepts a little more) are not compared.

type refKind int

const (
	refNull refKind = iota
	refBool
	refNum
	refStr
	refArr
	refObj
)

type refNode struct {
	kind  refKind
	b     bool
	s     string // string value, or number text
	elems []*refNode
	keys  []string
	vals  []*refNode
}

func refParse(b []byte) (*refNode, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := refDecode(d)
	if err != nil {
		return nil, err
	}
	// Anything after the value, valid JSON or not ("[]A"), is trailing data.
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func refDecode(d *json.Decoder) (*refNode, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		if t == '[' {
			n := &refNode{kind: refArr}
			for d.More() {
				e, err := refDecode(d)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
			_, err := d.Token()
			return n, err
		}
		n := &refNode{kind: refObj}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := refDecode(d)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k.(string))
			n.vals = append(n.vals, v)
		}
		_, err := d.Token()
		return n, err
	case string:
		return &refNode{kind: refStr, s: t}, nil
	case json.Number:
		return &refNode{kind: refNum, s: string(t)}, nil
	case bool:
		return &refNode{kind: refBool, b: t}, nil
	}
	return &refNode{kind: refNull}, nil
}

// get returns the first member k of an object (fastjson's Get).
func (n *refNode) get(k string) *refNode {
	if n == nil || n.kind != refObj {
		return nil
	}
	for i, key := range n.keys {
		if key == k {
			return n.vals[i]
		}
	}
	return nil
}

func (n *refNode) str() string {
	if n == nil || n.kind != refStr {
		return ""
	}
	return n.s
}

// value renders n as a plain Go value; dropManaged leaves out managedFields
// in objects under a "metadata" key; omit leaves out empty values; dots
// makes '.' '_' in the keys of n's own members.
func (n *refNode) value(dropManaged, inMeta, omit, dots bool) (any, bool) {
	switch n.kind {
	case refNull:
		return nil, !omit
	case refBool:
		return n.b, true
	case refNum:
		return json.Number(n.s), true
	case refStr:
		return n.s, !omit || n.s != ""
	case refArr:
		a := []any{}
		for _, e := range n.elems {
			if v, ok := e.value(dropManaged, false, omit, false); ok {
				a = append(a, v)
			}
		}
		return a, !omit || len(a) > 0
	}
	m := map[string]any{}
	for i, k := range n.keys {
		if dropManaged && inMeta && k == "managedFields" {
			continue
		}
		if omit && k == "" {
			continue
		}
		v, ok := n.vals[i].value(dropManaged, k == "metadata", omit, false)
		if !ok {
			continue
		}
		if dots {
			k = strings.ReplaceAll(k, ".", "_")
		}
		m[k] = v
	}
	return m, !omit || len(m) > 0
}

// compact renders n as compact JSON text (for event.original of list items).
func (n *refNode) compact() string {
	v, _ := n.value(false, false, false, false)
	b, _ := json.Marshal(v)
	return string(b)
}

type refNormalizer struct {
	o    Options
	docs []map[string]any
	skip bool // a record encoding/json cannot read
}

// refNormalize returns the documents for one record, or ok false when the
// record is out of the reference's reach.
func refNormalize(o Options, record []byte, recordTime int64) ([]map[string]any, bool) {
	r := &refNormalizer{o: o}
	if o.MaxOriginalBytes == 0 {
		r.o.MaxOriginalBytes = DefaultMaxOriginalBytes
	}
	rec := bytes.TrimSpace(record)
	if len(rec) == 0 {
		r.errorDoc(string(record), recordTime)
		return r.docs, true
	}
	v, err := refParse(rec)
	if err != nil {
		return nil, false
	}
	r.value(v, string(rec), true, 0, false, recordTime)
	return r.docs, !r.skip
}

func (r *refNormalizer) value(v *refNode, original string, hasOriginal bool, depth int, inner bool, rt int64) {
	orig := func() string {
		if hasOriginal {
			return original
		}
		return v.compact()
	}
	if depth > maxNesting {
		r.errorDoc(orig(), rt)
		return
	}
	switch v.kind {
	case refArr:
		for _, e := range v.elems {
			r.value(e, "", false, depth+1, inner, rt)
		}
		return
	case refObj:
	default:
		r.errorDoc(orig(), rt)
		return
	}
	kind := v.get("kind").str()
	if kind == "" || kind == "EventList" {
		if items := v.get("items"); items != nil && items.kind == refArr {
			r.value(items, "", false, depth, inner, rt)
			return
		}
	}
	if kind == "" {
		if recs := v.get("records"); recs != nil && recs.kind == refArr {
			r.value(recs, "", false, depth, inner, rt)
			return
		}
		if log := v.get("properties").get("log"); log != nil {
			switch log.kind {
			case refStr:
				if inner {
					r.errorDoc(orig(), rt)
					return
				}
				text := strings.TrimSpace(log.s)
				ev, err := refParse([]byte(text))
				if err != nil {
					r.skip = true
					return
				}
				r.value(ev, text, true, depth+1, true, rt)
			case refObj, refArr:
				r.value(log, "", false, depth+1, inner, rt)
			default:
				r.errorDoc(orig(), rt)
			}
			return
		}
	}
	ok := false
	switch {
	case v.get("kind") != nil && kind != "Event":
	case v.get("auditID").str() != "":
		ok = true
	case v.get("verb").str() != "" && (v.get("requestURI").str() != "" || kind == "Event"):
		ok = true
	case kind != "" && strings.HasPrefix(v.get("apiVersion").str(), "audit.k8s.io/") && len(v.get("apiVersion").str()) > 13:
		ok = true
	}
	if !ok {
		r.errorDoc(orig(), rt)
		return
	}
	r.event(v, orig, rt)
}

// set puts v at a dotted path, creating objects on the way.
func set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func setStr(m map[string]any, path, s string) {
	if s != "" {
		set(m, path, s)
	}
}

func (r *refNormalizer) errorDoc(original string, rt int64) {
	m := map[string]any{}
	if rt != 0 {
		set(m, "@timestamp", string(timestamp.Append(nil, rt)))
	}
	set(m, "event.kind", "pipeline_error")
	set(m, "event.module", "kubernetes")
	set(m, "event.dataset", "kubernetes.audit_logs")
	// The hash and length are of the text fastjson renders, whose escaping
	// may differ: compared as present only (canonicalMap).
	set(m, "event.hash", "(any)")
	set(m, "labels.original_bytes", "(any)")
	if r.o.KeepUnparsedText {
		cut, truncated := boundUTF8([]byte(original), r.o.MaxOriginalBytes)
		setStr(m, "event.original", validUTF8(cut))
		if truncated {
			set(m, "labels.truncated", true)
		}
	}
	set(m, "error.message", "(any)")
	set(m, "orchestrator.type", "kubernetes")
	setStr(m, "orchestrator.cluster.name", r.o.ClusterName)
	r.docs = append(r.docs, m)
}

type refEvent struct {
	kind, apiVersion, level, auditID, stage, requestURI, verb, userAgent string
	user, imp, sourceIPs, objectRef, responseStatus, annotations         *refNode
	req, resp                                                            *refNode
	code                                                                 int64
	reason, message, decision, authzReason                               string
	received, stageTS, legacyTS                                          string
}

func refInt(n *refNode) (int64, bool) {
	if n == nil || n.kind != refNum {
		return 0, false
	}
	s := strings.TrimPrefix(n.s, "-")
	if s == "" || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, _ := strconv.ParseInt(n.s, 10, 64)
	return v, true
}

func (r *refNormalizer) event(v *refNode, orig func() string, rt int64) {
	e := refEvent{code: -1}
	for i, k := range v.keys {
		x := v.vals[i]
		switch k {
		case "kind":
			e.kind = x.str()
		case "apiVersion":
			e.apiVersion = x.str()
		case "level":
			e.level = x.str()
		case "auditID":
			e.auditID = x.str()
		case "stage":
			e.stage = x.str()
		case "requestURI":
			e.requestURI = x.str()
		case "verb":
			e.verb = x.str()
		case "userAgent":
			e.userAgent = x.str()
		case "user":
			if x.kind == refObj {
				e.user = x
			}
		case "impersonatedUser":
			if x.kind == refObj {
				e.imp = x
			}
		case "sourceIPs":
			e.sourceIPs = nil
			if x.kind == refArr {
				e.sourceIPs = x
			}
		case "objectRef":
			if x.kind == refObj {
				e.objectRef = x
			}
		case "responseStatus":
			if x.kind == refObj {
				e.responseStatus = x
				if c, ok := refInt(x.get("code")); ok {
					e.code = c
				}
				e.reason, e.message = x.get("reason").str(), x.get("message").str()
			}
		case "requestObject":
			e.req = x
		case "responseObject":
			e.resp = x
		case "requestReceivedTimestamp":
			e.received = x.str()
		case "stageTimestamp":
			e.stageTS = x.str()
		case "timestamp":
			e.legacyTS = x.str()
		case "annotations":
			if x.kind == refObj {
				e.annotations = x
				e.decision = x.get("authorization.k8s.io/decision").str()
				e.authzReason = x.get("authorization.k8s.io/reason").str()
			}
		}
	}
	ts := func(s string) (int64, bool) { return timestamp.Parse([]byte(s)) }
	m := map[string]any{}
	var t int64
	if x, ok := ts(e.stageTS); ok {
		t = x
	} else if x, ok := ts(e.received); ok {
		t = x
	} else if x, ok := ts(e.legacyTS); ok {
		t = x
	} else {
		t = rt
	}
	if r.o.Format == Raw {
		val, _ := v.value(false, false, false, false)
		for k, x := range val.(map[string]any) {
			m[k] = x
		}
		r.docs = append(r.docs, m)
		return
	}
	if t != 0 {
		set(m, "@timestamp", string(timestamp.Append(nil, t)))
	}
	set(m, "event.kind", "event")
	set(m, "event.module", "kubernetes")
	set(m, "event.dataset", "kubernetes.audit_logs")
	setStr(m, "event.id", e.auditID)
	setStr(m, "event.action", e.verb)
	resource, subresource := "", ""
	if e.objectRef != nil {
		resource, subresource = e.objectRef.get("resource").str(), e.objectRef.get("subresource").str()
	}
	cat := []any{"api"}
	if iamResource([]byte(resource)) {
		cat = append(cat, "iam")
	}
	set(m, "event.category", cat)
	typ := []any{verbType([]byte(e.verb))}
	switch {
	case e.code == 401 || e.code == 403:
		typ = append(typ, "denied")
	case e.decision == "allow":
		typ = append(typ, "allowed")
	case e.decision == "forbid":
		typ = append(typ, "denied")
	}
	set(m, "event.type", typ)
	out := outcomeUnknown
	switch {
	case e.code >= 400:
		out = outcomeFailure
	case e.code >= 100:
		out = outcomeSuccess
	case e.decision == "forbid":
		out = outcomeFailure
	case e.decision == "allow" && e.stage != "RequestReceived":
		out = outcomeSuccess
	}
	set(m, "event.outcome", out)
	start, okS := ts(e.received)
	end, okE := ts(e.stageTS)
	if okS {
		set(m, "event.start", string(timestamp.Append(nil, start)))
	}
	if okE {
		set(m, "event.end", string(timestamp.Append(nil, end)))
	}
	if okS && okE && end >= start {
		set(m, "event.duration", json.Number(strconv.FormatInt(end-start, 10)))
	}
	setStr(m, "event.reason", e.authzReason)
	if r.o.EventOriginal {
		setStr(m, "event.original", orig())
	}
	strs := func(a *refNode) []any {
		var out []any
		if a != nil && a.kind == refArr {
			for _, x := range a.elems {
				if s := x.str(); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	var userName, userID, impName, impID string
	if e.user != nil {
		userName, userID = e.user.get("username").str(), e.user.get("uid").str()
		setStr(m, "user.name", userName)
		setStr(m, "user.id", userID)
		if g := strs(e.user.get("groups")); g != nil {
			set(m, "user.group.name", g)
		}
	}
	if e.imp != nil {
		impName, impID = e.imp.get("username").str(), e.imp.get("uid").str()
		setStr(m, "user.effective.name", impName)
		setStr(m, "user.effective.id", impID)
		if g := strs(e.imp.get("groups")); g != nil {
			set(m, "user.effective.group.name", g)
		}
	}
	unique := func(list []any, s string) []any {
		if s == "" {
			return list
		}
		for _, x := range list {
			if x == s {
				return list
			}
		}
		return append(list, s)
	}
	var ips []any
	for _, s := range strs(e.sourceIPs) {
		if validIP([]byte(s.(string))) {
			ips = unique(ips, s.(string))
		}
	}
	if len(ips) > 0 {
		set(m, "source.ip", ips[0])
		set(m, "source.address", ips[0])
		set(m, "related.ip", ips)
	}
	var users []any
	for _, u := range []string{userName, userID, impName, impID} {
		users = unique(users, u)
	}
	if len(users) > 0 {
		set(m, "related.user", users)
	}
	if e.userAgent != "" {
		ua := parseUserAgent([]byte(e.userAgent))
		set(m, "user_agent.original", e.userAgent)
		setStr(m, "user_agent.name", string(ua.name))
		setStr(m, "user_agent.version", string(ua.version))
		setStr(m, "user_agent.os.name", string(ua.os))
	}
	if e.requestURI != "" {
		path, query, _ := strings.Cut(e.requestURI, "?")
		set(m, "url.original", e.requestURI)
		setStr(m, "url.path", path)
		setStr(m, "url.query", query)
	}
	if meth := verbMethod([]byte(e.verb)); meth != "" {
		set(m, "http.request.method", meth)
	}
	if e.code > 0 {
		set(m, "http.response.status_code", json.Number(strconv.FormatInt(e.code, 10)))
	}
	if out == outcomeFailure {
		setStr(m, "error.code", e.reason)
		setStr(m, "error.message", e.message)
	}
	set(m, "orchestrator.type", "kubernetes")
	setStr(m, "orchestrator.cluster.name", r.o.ClusterName)
	if e.objectRef != nil {
		o := e.objectRef
		setStr(m, "orchestrator.namespace", o.get("namespace").str())
		setStr(m, "orchestrator.resource.type", resource)
		if resource != "" && subresource != "" {
			set(m, "orchestrator.resource.subtype", resource+"/"+subresource)
		}
		setStr(m, "orchestrator.resource.id", o.get("uid").str())
		if av := o.get("apiVersion").str(); av != "" {
			if g := o.get("apiGroup").str(); g != "" {
				av = g + "/" + av
			}
			set(m, "orchestrator.api_version", av)
		}
	}
	name := e.objectRef.get("name").str()
	if name == "" {
		name = e.resp.get("metadata").get("name").str()
	}
	if name == "" {
		name = e.req.get("metadata").get("name").str()
	}
	setStr(m, "orchestrator.resource.name", name)
	var imgs []any
	if e.req != nil && e.req.kind == refObj {
		for _, spec := range []*refNode{e.req.get("spec"), e.req.get("spec").get("template").get("spec"),
			e.req.get("spec").get("jobTemplate").get("spec").get("template").get("spec")} {
			if spec == nil || spec.kind != refObj {
				continue
			}
			for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
				l := spec.get(list)
				if l == nil || l.kind != refArr {
					continue
				}
				for _, c := range l.elems {
					if c.kind == refObj {
						imgs = unique(imgs, c.get("image").str())
					}
				}
			}
		}
	}
	if len(imgs) > 0 {
		set(m, "k8saudit.images", imgs)
		if e.verb == "create" && resource == "pods" && subresource == "" && e.objectRef.get("apiGroup").str() == "" {
			set(m, "container.image.name", imgs)
		}
	}
	a := map[string]any{}
	for k, s := range map[string]string{"kind": e.kind, "apiVersion": e.apiVersion, "level": e.level,
		"auditID": e.auditID, "stage": e.stage, "requestURI": e.requestURI, "verb": e.verb, "userAgent": e.userAgent,
		"requestReceivedTimestamp": e.received, "stageTimestamp": e.stageTS, "timestamp": e.legacyTS} {
		setStr(a, k, s)
	}
	omit := func(k string, n *refNode, dots bool) {
		if n == nil {
			return
		}
		if v, ok := n.value(false, false, true, dots); ok {
			a[k] = v
		}
	}
	for _, u := range []struct {
		k string
		n *refNode
	}{{"user", e.user}, {"impersonatedUser", e.imp}} {
		if u.n == nil {
			continue
		}
		um := map[string]any{}
		for i, k := range u.n.keys {
			if k == "" {
				continue
			}
			if v, ok := u.n.vals[i].value(false, false, true, k == "extra"); ok {
				um[k] = v
			}
		}
		a[u.k] = um // an empty user object is left out below
		if len(um) == 0 {
			delete(a, u.k)
		}
	}
	omit("sourceIPs", e.sourceIPs, false)
	omit("objectRef", e.objectRef, false)
	omit("responseStatus", e.responseStatus, false)
	omit("annotations", e.annotations, true)
	for _, b := range []struct {
		k string
		n *refNode
	}{{"requestObject", e.req}, {"responseObject", e.resp}} {
		if b.n == nil {
			continue
		}
		shape := false
		switch b.n.kind {
		case refObj:
			shape = len(b.n.keys) > 0
		case refArr:
			shape = len(b.n.elems) > 0
			for _, x := range b.n.elems {
				shape = shape && x.kind == refObj
			}
		}
		if shape {
			a[b.k], _ = b.n.value(true, false, false, false)
		}
	}
	if len(a) > 0 {
		set(m, "kubernetes.audit", a)
	}
	r.docs = append(r.docs, m)
}

// canonical decodes a document for comparison: numbers as json.Number,
// event.original decoded when it is JSON (its escaping may differ), and
// error.message replaced (the texts come from different parsers).
func canonical(doc []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return canonicalMap(m), nil
}

func canonicalMap(m map[string]any) map[string]any {
	if ev, ok := m["event"].(map[string]any); ok {
		if o, ok := ev["original"].(string); ok {
			if v, err := refParse([]byte(o)); err == nil {
				x, _ := v.value(false, false, false, false)
				ev["original"] = x
			}
		}
	}
	if e, ok := m["error"].(map[string]any); ok && m["event"].(map[string]any)["kind"] == "pipeline_error" {
		e["message"] = "(any)"
		m["event"].(map[string]any)["hash"] = "(any)"
		if l, ok := m["labels"].(map[string]any); ok {
			l["original_bytes"] = "(any)"
		}
	}
	return m
}

// diffDocs compares the fast documents with the reference's.
func diffDocs(fast []Doc, ref []map[string]any) error {
	if len(fast) != len(ref) {
		return fmt.Errorf("%d documents, reference %d", len(fast), len(ref))
	}
	for i, d := range fast {
		got, err := canonical(d.JSON)
		if err != nil {
			return fmt.Errorf("document %d: %v", i, err)
		}
		rb, _ := json.Marshal(ref[i])
		want, _ := canonical(rb)
		if !reflect.DeepEqual(got, want) {
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			return fmt.Errorf("document %d differs:\n fast %s\n ref  %s", i, gb, wb)
		}
	}
	return nil
}

// validUTF8 replaces each invalid byte by U+FFFD, as the writer does.
func validUTF8(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		sb.WriteRune(r) // RuneError for an invalid byte
		b = b[size:]
	}
	return sb.String()
}

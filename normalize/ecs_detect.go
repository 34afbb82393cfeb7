package normalize

import (
	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/normalize/internal/docwriter"
	"github.com/valyala/fastjson"
)

// Detections (package detect) on the event being written: the per-event
// stage runs after the policy and redaction hook, on the fields the
// normalizer extracted and the bodies it scanned (the body text is read
// even when the policy leaves the body out of the document: detection sees
// the event as the API server wrote it, the intake as the policy allows).
// What a match writes is the catalogue's own constant text (ids, names,
// ATT&CK), never a value of the event, so nothing secret can leave through
// a detection.

// detectState is the Normalizer's per-event detection scratch.
type detectState struct {
	f       detect.Fields
	m       detect.Matches
	treeReq []byte // an unmarked tree's body rendered as text
	treeRsp []byte
	seen    []string // writeDistinct's scratch
}

// Keys of the detection fields.
var (
	kSeverity     = docwriter.NewKey("severity")
	kRule         = docwriter.NewKey("rule")
	kRuleset      = docwriter.NewKey("ruleset")
	kReference    = docwriter.NewKey("reference")
	kThreat       = docwriter.NewKey("threat")
	kFramework    = docwriter.NewKey("framework")
	kTactic       = docwriter.NewKey("tactic")
	kTechnique    = docwriter.NewKey("technique")
	kSubtechnique = docwriter.NewKey("subtechnique")
	kTags         = docwriter.NewKey("tags")
)

// detect evaluates the engine on e; false means the event is not written
// (Options.DetectAlertsOnly and no match), counted by Dropped.
func (n *Normalizer) detect(e *event) bool {
	d := &n.det
	f := &d.f
	f.Reset()
	f.Stage, f.Verb, f.Decision, f.Code = e.stage, e.verb, e.decision, e.code
	f.Level, f.AuditID = e.level, e.auditID
	f.User, f.Groups = e.userName, e.userGroups // borrowed, as every slice
	f.Impersonated = e.impersonated != nil || len(e.impName) > 0 || len(e.impGroups) > 0
	f.ImpUser, f.ImpGroups = e.impName, e.impGroups
	f.Resource, f.Subresource, f.Namespace, f.Name, f.APIGroup = e.resource, e.subresource, e.namespace, e.name, e.apiGroup
	f.RequestURI, f.UserAgent = e.requestURI, e.userAgent
	f.SourceIPs = e.ipList
	if n.opt.Detect.WantsTime(e.code, e.decision, e.resource, e.verb) {
		f.Time = n.timestamp(e) // the stateful rules' clock
	}
	f.Request = n.detectBody(e.requestObject, e.req, &d.treeReq)
	f.Response = n.detectBody(e.responseObject, e.resp, &d.treeRsp)
	n.opt.Detect.Evaluate(f, &d.m)
	if d.m.Len() == 0 && n.opt.DetectAlertsOnly {
		n.drop(DroppedNotAlert)
		return false
	}
	return true
}

// detectBody returns a body's text: a scanned body's sanitized text, or
// an unmarked tree rendered into buf (the old road only).
func (n *Normalizer) detectBody(v *fastjson.Value, idx int, buf *[]byte) []byte {
	if idx >= 0 {
		b := n.bodyAt(idx)
		if b == nil || b.over {
			return nil
		}
		return n.bodyText(b)
	}
	if v == nil || n.opt.Detect == nil || !detect.MayReadBody(n.det.f.Resource) {
		return nil
	}
	*buf = n.appendValue((*buf)[:0], v, false, false)
	return *buf
}

// detectKind is event.kind: alert when a rule matched.
func (n *Normalizer) alert() bool { return n.opt.Detect != nil && n.det.m.Len() > 0 }

// ruleBits is Doc.Rules: the matched rules as a bitmask, 0 without a match.
func (n *Normalizer) ruleBits() uint64 {
	if !n.alert() {
		return 0
	}
	return n.det.m.Bits()
}

// writeEventKind writes event.kind, module and dataset, and with a match
// event.severity (the highest matched).
func (n *Normalizer) writeEventKind() {
	w := &n.w
	if !n.alert() {
		w.Members(`"kind":"event","module":"kubernetes","dataset":"kubernetes.audit_logs"`, 3)
		return
	}
	w.Members(`"kind":"alert","module":"kubernetes","dataset":"kubernetes.audit_logs"`, 3)
	w.Int(kSeverity, n.det.m.Max().Score())
}

// writeSeverityLabel writes labels.severity, the label of event.severity.
func (n *Normalizer) writeSeverityLabel() {
	if n.alert() {
		n.w.StrConst(kSeverity, n.det.m.Max().String())
	}
}

// writeDetectionECS writes rule.*, threat.* and tags of the matches:
// parallel arrays in rule (one entry per matched rule), the distinct
// tactics, techniques and sub-techniques in threat, the distinct tags.
func (n *Normalizer) writeDetectionECS() {
	if !n.alert() {
		return
	}
	w, m := &n.w, &n.det.m
	w.Open(kRule)
	w.OpenArr(kID)
	for i := 0; i < m.Len(); i++ {
		w.ConstElem(m.Rule(i).ID)
	}
	w.CloseArr()
	w.OpenArr(kName)
	for i := 0; i < m.Len(); i++ {
		w.ConstElem(m.Rule(i).Name)
	}
	w.CloseArr()
	w.StrConst(kRuleset, detect.Ruleset)
	w.OpenArr(kReference)
	for i := 0; i < m.Len(); i++ {
		w.ConstElem(m.Rule(i).Reference)
	}
	w.CloseArr()
	w.Close()

	w.Open(kThreat)
	w.StrConst(kFramework, "MITRE ATT&CK")
	w.Open(kTactic)
	n.writeDistinct(kID, dTacticID)
	n.writeDistinct(kName, dTacticName)
	w.Close()
	w.Open(kTechnique)
	n.writeDistinct(kID, dTechID)
	n.writeDistinct(kName, dTechName)
	w.Open(kSubtechnique)
	n.writeDistinct(kID, dSubID)
	n.writeDistinct(kName, dSubName)
	w.Close()
	w.Close()
	w.Close()

	n.writeDistinct(kTags, dTags)
}

// What writeDistinct lists of each matched rule.
const (
	dTacticID = iota
	dTacticName
	dTechID
	dTechName
	dSubID
	dSubName
	dTags
)

// ruleStrings returns the count of what in r, and its j-th entry with j >= 0.
func ruleStrings(r *detect.Rule, what, j int) (int, string) {
	switch what {
	case dTacticID, dTacticName:
		if j < 0 {
			return len(r.Tactics), ""
		}
		if what == dTacticID {
			return 0, r.Tactics[j].ID
		}
		return 0, r.Tactics[j].Name
	case dTags:
		if j < 0 {
			return len(r.Tags), ""
		}
		return 0, r.Tags[j]
	}
	if j < 0 {
		return len(r.Techniques), ""
	}
	t := &r.Techniques[j]
	switch what {
	case dTechID:
		return 0, t.ID
	case dTechName:
		return 0, t.Name
	case dSubID:
		return 0, t.SubID
	}
	return 0, t.SubName
}

// writeDistinct writes k: the distinct non-empty strings of what over
// the matched rules, in order (an array left out when empty).
func (n *Normalizer) writeDistinct(k *docwriter.Key, what int) {
	w, m := &n.w, &n.det.m
	seen := n.det.seen[:0]
	w.OpenArr(k)
	for i := 0; i < m.Len(); i++ {
		r := m.Rule(i)
		cnt, _ := ruleStrings(r, what, -1)
	next:
		for j := 0; j < cnt; j++ {
			_, s := ruleStrings(r, what, j)
			if s == "" {
				continue
			}
			for _, x := range seen {
				if x == s {
					continue next
				}
			}
			seen = append(seen, s)
			w.ConstElem(s)
		}
	}
	w.CloseArr()
	n.det.seen = seen[:0]
}

// appendDetectionRaw adds the k8saudit side object to a format raw event
// written at dst[start:]: {"kind":"alert","severity":…,"rules":[{"id",
// "name","severity","ruleset","reference","tactics","techniques"}]}.
func (n *Normalizer) appendDetectionRaw(dst []byte, start int) []byte {
	if !n.alert() || len(dst) <= start+1 || dst[len(dst)-1] != '}' {
		return dst
	}
	m := &n.det.m
	dst = dst[:len(dst)-1]
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, `"k8saudit":{"kind":"alert","severity":"`...)
	dst = append(dst, m.Max().String()...)
	dst = append(dst, `","rules":[`...)
	for i := 0; i < m.Len(); i++ {
		r := m.Rule(i)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":"`...)
		dst = append(dst, r.ID...)
		dst = append(dst, `","name":"`...)
		dst = append(dst, r.Name...)
		dst = append(dst, `","severity":"`...)
		dst = append(dst, m.Severity(i).String()...)
		dst = append(dst, `","ruleset":"`+detect.Ruleset+`","reference":"`...)
		dst = append(dst, r.Reference...)
		dst = append(dst, `","tactics":[`...)
		for j, t := range r.Tactics {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = append(dst, t.ID...)
			dst = append(dst, '"')
		}
		dst = append(dst, `],"techniques":[`...)
		for j, t := range r.Techniques {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			if t.SubID != "" {
				dst = append(dst, t.SubID...)
			} else {
				dst = append(dst, t.ID...)
			}
			dst = append(dst, '"')
		}
		dst = append(dst, `]}`...)
	}
	return append(dst, `]}}`...)
}

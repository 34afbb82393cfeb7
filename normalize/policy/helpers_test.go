package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

// mustParse compiles a policy made of a header and rule snippets (each a
// YAML list item, indented as under "rules:").
func mustParse(t testing.TB, header string, rules ...string) *Policy {
	t.Helper()
	src := "apiVersion: audit.k8s.io/v1\nkind: Policy\n" + header + "rules:\n" + strings.Join(rules, "")
	p, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse:\n%s\nerror: %v", src, err)
	}
	return p
}

// req is a readable request description; attrs turns it into Attributes.
type req struct {
	user        string
	groups      []string
	verb        string
	ns          string
	group       string
	resource    string
	subresource string
	name        string
	resourceReq bool
	path        string
	stage       string
	level       string
}

func (r req) attrs() *Attributes {
	a := &Attributes{
		User:            b(r.user),
		Verb:            b(r.verb),
		APIGroup:        b(r.group),
		Resource:        b(r.resource),
		Subresource:     b(r.subresource),
		Namespace:       b(r.ns),
		Name:            b(r.name),
		ResourceRequest: r.resourceReq,
		Path:            b(r.path),
		Stage:           b(r.stage),
		EventLevel:      b(r.level),
	}
	for _, g := range r.groups {
		a.Groups = append(a.Groups, []byte(g))
	}
	return a
}

// b gives nil for "" so that empty fields look as they do when a field is
// absent from an event.
func b(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// testEvent is the part of an audit event the tests need, read with
// encoding/json (the plugin uses fastjson; tests need not).
type testEvent struct {
	AuditID    string `json:"auditID"`
	Level      string `json:"level"`
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	Verb       string `json:"verb"`
	User       struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ImpersonatedUser *struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"impersonatedUser"`
	ObjectRef *struct {
		APIGroup    string `json:"apiGroup"`
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	RequestObject  json.RawMessage `json:"requestObject"`
	ResponseObject json.RawMessage `json:"responseObject"`
}

// attrs maps an event to Attributes the way the normalizer is meant to:
// user (never impersonatedUser), objectRef, requestURI up to '?'.
func (e *testEvent) attrs() *Attributes {
	path, _, _ := strings.Cut(e.RequestURI, "?")
	r := req{
		user: e.User.Username, groups: e.User.Groups, verb: e.Verb,
		path: path, stage: e.Stage, level: e.Level,
	}
	if o := e.ObjectRef; o != nil {
		r.resourceReq = true
		r.group, r.resource, r.subresource, r.ns, r.name = o.APIGroup, o.Resource, o.Subresource, o.Namespace, o.Name
	}
	return r.attrs()
}

func parseEvents(t testing.TB, data []byte) []testEvent {
	t.Helper()
	var out []testEvent
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e testEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		out = append(out, e)
	}
	return out
}

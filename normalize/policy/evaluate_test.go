package policy

import (
	"encoding/json"
	"testing"
)

// The shipper can only lower a level: the event's own level caps the rule's.
func TestEventLevelCaps(t *testing.T) {
	p := mustParse(t, "",
		"- level: RequestResponse\n  verbs: [create]\n",
		"- level: Request\n  verbs: [update]\n",
		"- level: None\n  verbs: [delete]\n",
	)
	cases := []struct {
		verb, eventLevel string
		want             Level
	}{
		{"create", "RequestResponse", LevelRequestResponse},
		{"create", "Request", LevelRequest},
		{"create", "Metadata", LevelMetadata}, // has no bodies anyway
		{"create", "None", LevelNone},
		{"create", "", LevelRequestResponse},         // unknown: no cap
		{"create", "metadata", LevelRequestResponse}, // not a level (case matters): no cap
		{"update", "RequestResponse", LevelRequest},
		{"update", "Metadata", LevelMetadata},
		{"delete", "RequestResponse", LevelNone},
	}
	for _, c := range cases {
		d := p.Evaluate(req{verb: c.verb, level: c.eventLevel}.attrs())
		if d.Level != c.want || d.Drop != (c.want == LevelNone) {
			t.Errorf("%s at %q: got %v drop %v, want %v", c.verb, c.eventLevel, d.Level, d.Drop, c.want)
		}
	}
}

func TestDecisionFields(t *testing.T) {
	p := mustParse(t, "omitStages: [Panic]\nomitManagedFields: true\n",
		"- level: None\n  users: [system:kube-proxy]\n",
		"- level: Request\n  verbs: [patch]\n  omitStages: [RequestReceived]\n  omitManagedFields: false\n",
	)
	cases := []struct {
		name string
		r    req
		want Decision
	}{
		{"rule 0", req{user: "system:kube-proxy", verb: "watch"}, Decision{Level: LevelNone, Drop: true, OmitManagedFields: true, OmitStages: set(PA), Rule: 0}},
		{"rule 1", req{user: "u", verb: "patch", stage: "ResponseComplete"}, Decision{Level: LevelRequest, OmitStages: set(RR, PA), Rule: 1}},
		{"rule 1 omitted stage", req{user: "u", verb: "patch", stage: "RequestReceived"}, Decision{Level: LevelRequest, Drop: true, OmitStages: set(RR, PA), Rule: 1}},
		{"rule 1 policy-omitted stage", req{user: "u", verb: "patch", stage: "Panic"}, Decision{Level: LevelRequest, Drop: true, OmitStages: set(RR, PA), Rule: 1}},
		{"rule 1 unknown stage kept", req{user: "u", verb: "patch", stage: "Bogus"}, Decision{Level: LevelRequest, OmitStages: set(RR, PA), Rule: 1}},
		{"rule 1 no stage kept", req{user: "u", verb: "patch"}, Decision{Level: LevelRequest, OmitStages: set(RR, PA), Rule: 1}},
		{"no match", req{user: "u", verb: "get"}, Decision{Level: LevelNone, Drop: true, OmitManagedFields: true, OmitStages: set(PA), Rule: -1}},
	}
	for _, c := range cases {
		if got := p.Evaluate(c.r.attrs()); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

// users and userGroups are the authenticated user's, not impersonatedUser's:
// the API server checks the policy before impersonation takes effect.
func TestImpersonatedUserIgnored(t *testing.T) {
	const line = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","verb":"get",` +
		`"requestURI":"/api/v1/namespaces/default/pods","user":{"username":"admin","groups":["system:masters"]},` +
		`"impersonatedUser":{"username":"alice","groups":["devs"]},"objectRef":{"resource":"pods","namespace":"default"}}`
	var e testEvent
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, "",
		"- level: None\n  users: [alice]\n",
		"- level: None\n  userGroups: [devs]\n",
		"- level: Metadata\n  users: [admin]\n  userGroups: ['system:masters']\n",
	)
	if d := p.Evaluate(e.attrs()); d.Rule != 2 || d.Level != LevelMetadata {
		t.Errorf("got %+v, want rule 2 (the authenticated user)", d)
	}
}

// A failed authentication logs "user":{}: no user.
func TestEmptyUserObject(t *testing.T) {
	const line = `{"level":"Metadata","stage":"ResponseStarted","verb":"get","requestURI":"/api","user":{},"responseStatus":{"code":401}}`
	var e testEvent
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, "",
		"- level: None\n  users: ['']\n",
		"- level: None\n  userGroups: ['']\n",
		"- level: Metadata\n  nonResourceURLs: [/api]\n",
	)
	if d := p.Evaluate(e.attrs()); d.Rule != 2 {
		t.Errorf("got %+v, want rule 2", d)
	}
}

func TestLevelHelpers(t *testing.T) {
	for l, want := range map[Level][2]bool{
		LevelNone: {false, false}, LevelMetadata: {false, false},
		LevelRequest: {true, false}, LevelRequestResponse: {true, true},
	} {
		if got := [2]bool{l.KeepsRequestBody(), l.KeepsResponseBody()}; got != want {
			t.Errorf("%v: %v, want %v", l, got, want)
		}
		if back, ok := ParseLevel([]byte(l.String())); !ok || back != l {
			t.Errorf("%v does not round-trip", l)
		}
	}
	if LevelNone >= LevelMetadata || LevelMetadata >= LevelRequest || LevelRequest >= LevelRequestResponse {
		t.Error("levels are not ordered")
	}
	for s := RR; s <= PA; s++ {
		if back, ok := ParseStage([]byte(s.String())); !ok || back != s {
			t.Errorf("%v does not round-trip", s)
		}
	}
	if got := set(PA, RR).String(); got != "RequestReceived,Panic" {
		t.Errorf("StageSet.String = %q", got)
	}
}

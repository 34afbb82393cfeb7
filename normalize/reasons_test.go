package normalize

import (
	"bytes"
	"slices"
	"testing"

	"github.com/k8saudit/k8saudit/detect"
)

// TestDropReasons: every dropped event names the policy rule that dropped it (its index
// in the file), no rule, or detect_alerts_only; the metrics count drops by them.
func TestDropReasons(t *testing.T) {
	lines := secretLines(t)
	create, getLine := lines[0], lines[4]
	received := bytes.Replace(create, []byte(`"stage":"ResponseComplete"`), []byte(`"stage":"RequestReceived"`), 1)
	list := append(append(append([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`), getLine...), ','), append(create, ']', '}')...)
	cases := []struct {
		name, policy string
		line         []byte
		want         []DropReason
	}{
		{"first rule", "rules:\n- level: None\n  verbs: [get]\n- level: RequestResponse\n", getLine, []DropReason{0}},
		{"kept", "rules:\n- level: None\n  verbs: [get]\n- level: RequestResponse\n", create, nil},
		{"second rule in a list", "rules:\n- level: RequestResponse\n  verbs: [create]\n- level: None\n", list, []DropReason{1}},
		{"no rule matches", "rules:\n- level: Metadata\n  verbs: [delete]\n", create, []DropReason{DroppedNoRule}},
		{"omitted stage, rule matched", "omitStages: [RequestReceived]\nrules:\n- level: Metadata\n  verbs: [get]\n- level: RequestResponse\n", received, []DropReason{1}},
		{"both items", "rules:\n- level: None\n  verbs: [create]\n- level: None\n  verbs: [get]\n", list, []DropReason{1, 0}},
	}
	for _, c := range cases {
		n := New(Options{Policy: mustPolicy(t, c.policy), Redact: true})
		n.Normalize(c.line, 1)
		if got := n.DropReasons(); !slices.Equal(got, c.want) || n.Dropped() != len(c.want) {
			t.Errorf("%s: reasons %v (Dropped %d), want %v", c.name, got, n.Dropped(), c.want)
		}
	}
	// detect_alerts_only: an event no rule matches is left out for that reason; the
	// next record starts with no reasons.
	n := New(Options{Redact: true, Detect: detect.New(detect.Options{}), DetectAlertsOnly: true})
	n.Normalize(getLine, 1)
	if got := n.DropReasons(); !slices.Equal(got, []DropReason{DroppedNotAlert}) {
		t.Errorf("alerts only: reasons %v, want [%d]", got, DroppedNotAlert)
	}
	n.Normalize([]byte(`not json`), 1)
	if got := n.DropReasons(); len(got) != 0 {
		t.Errorf("a record without drops kept the last one's reasons: %v", got)
	}
}

// TestRedactedIn: a document says where its secrets were replaced: the requestURI's
// query, a body, or both.
func TestRedactedIn(t *testing.T) {
	lines := secretLines(t)
	bodyOnly, uriOnly := lines[0], lines[7]
	both := bytes.Replace(bodyOnly, []byte(`"requestURI":"`), []byte(`"requestURI":"/x?access_token=AT-1&`), 1)
	if bytes.Equal(both, bodyOnly) {
		t.Fatal("fixture line 0 has no requestURI to extend")
	}
	for _, f := range []Format{ECS, Raw} {
		n := New(withFormat(redactOpts, f, false))
		for _, c := range []struct {
			name string
			line []byte
			want RedactedIn
		}{
			{"body", bodyOnly, RedactedBody},
			{"uri", uriOnly, RedactedURI},
			{"both", both, RedactedURI | RedactedBody},
			{"nothing", []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/pods?limit=5","verb":"list","user":{"username":"bob"}}`), 0},
		} {
			docs := n.Normalize(c.line, 1)
			if len(docs) != 1 {
				t.Fatalf("%v %s: %d documents", f, c.name, len(docs))
			}
			if d := docs[0]; d.RedactedIn != c.want || d.Redacted != (c.want != 0) {
				t.Errorf("%v %s: RedactedIn %b Redacted %v, want %b", f, c.name, d.RedactedIn, d.Redacted, c.want)
			}
		}
	}
}

package normalize

import "testing"

// TestEventMembers holds topMember, the one table of top-level member names, to the
// audit.k8s.io Event: every field of v1 (and v1beta1's metadata and timestamp) is an
// Event member, the containers of several events and anything else are not.
func TestEventMembers(t *testing.T) {
	for _, k := range []string{"kind", "apiVersion", "level", "auditID", "stage", "requestURI",
		"verb", "user", "impersonatedUser", "sourceIPs", "userAgent", "objectRef",
		"responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp",
		"stageTimestamp", "annotations", "metadata", "timestamp"} {
		if !eventMember([]byte(k)) {
			t.Errorf("%q: not an Event member", k)
		}
		if top, _ := topMember([]byte(k)); top == tmOther || top == tmContainer {
			t.Errorf("%q: classified %d", k, top)
		}
	}
	for _, k := range []string{"items", "records", "properties", "request\x00Object", "Kind", "", "log"} {
		if eventMember([]byte(k)) {
			t.Errorf("%q: taken for an Event member", k)
		}
	}
}

package policy

import (
	"os"
	"testing"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// The OpenShift cluster-logging-operator's API audit filter test: five real
// events in, what its policy keeps of them out (testdata/README.md; the two
// logs are in the repository's testdata/fixtures/real). For each input event
// our Decision must agree with the want file: absent means dropped; present
// means kept at the level it shows, with requestObject and responseObject
// exactly when that level keeps them.
func TestOpenShiftCLOFixture(t *testing.T) {
	in := readEvents(t, testfix.Path(t, "real", "openshift-clo_apiaudit_audit.log"))
	want := map[string]testEvent{}
	for _, e := range readEvents(t, testfix.Path(t, "real", "openshift-clo_apiaudit_audit-want.log")) {
		want[e.AuditID] = e
	}
	if len(in) != 5 || len(want) != 4 {
		t.Fatalf("fixture changed: %d events in, %d out", len(in), len(want))
	}
	p, err := Load("testdata/openshift-clo-apiaudit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range in {
		d := p.Evaluate(e.attrs())
		w, kept := want[e.AuditID]
		if kept == d.Drop {
			t.Errorf("%s (%s %s by %s): drop %v, CLO kept it: %v", e.AuditID, e.Verb, e.RequestURI, e.User.Username, d.Drop, kept)
			continue
		}
		if !kept {
			continue
		}
		if d.Level.String() != w.Level {
			t.Errorf("%s: level %v, CLO %s", e.AuditID, d.Level, w.Level)
		}
		// What stripping by d.Level leaves, against what CLO left.
		gotReq := len(e.RequestObject) > 0 && d.Level.KeepsRequestBody()
		gotResp := len(e.ResponseObject) > 0 && d.Level.KeepsResponseBody()
		if gotReq != (len(w.RequestObject) > 0) || gotResp != (len(w.ResponseObject) > 0) {
			t.Errorf("%s: bodies request %v response %v, CLO request %v response %v",
				e.AuditID, gotReq, gotResp, len(w.RequestObject) > 0, len(w.ResponseObject) > 0)
		}
	}
}

// Disagreement, on purpose: CLO's rules copied literally. CLO reads
// "*apiserver" as a glob (its extension of the policy); Kubernetes, and so
// this package, read '*' in users as a literal character. The
// system:apiserver get that CLO keeps at RequestResponse then falls to the
// "drop other get requests" rule here. The other four events agree.
func TestOpenShiftCLOVerbatimGlob(t *testing.T) {
	p, err := Load("testdata/openshift-clo-apiaudit-verbatim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings()) != 1 {
		t.Errorf("want one warning about the literal '*', got %q", p.Warnings())
	}
	in := readEvents(t, testfix.Path(t, "real", "openshift-clo_apiaudit_audit.log"))
	if e := in[0]; e.User.Username != "system:apiserver" || e.Verb != "get" {
		t.Fatalf("fixture changed: first event %s by %s", e.Verb, e.User.Username)
	}
	if d := p.Evaluate(in[0].attrs()); !d.Drop || d.Rule != 1 {
		t.Errorf("system:apiserver get: %+v; want dropped by rule 1 (Kubernetes semantics)", d)
	}
	for _, e := range in[1:] {
		want := LevelMetadata
		switch e.Verb {
		case "get":
			want = LevelNone
		case "patch":
			want = LevelRequest
		}
		if d := p.Evaluate(e.attrs()); d.Level != want {
			t.Errorf("%s: %v, want %v", e.AuditID, d.Level, want)
		}
	}
}

func readEvents(t testing.TB, path string) []testEvent {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseEvents(t, data)
}

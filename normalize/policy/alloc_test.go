package policy

import (
	"path/filepath"
	"testing"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// gceMix is a spread of events for gce.yaml: some dropped by the first
// rules, some reaching the last one (the longest path), the real OpenShift
// events, and each Attributes shape (no user, no objectRef, subresource).
func gceMix(t testing.TB) (*Policy, []*Attributes) {
	p, err := Load(filepath.Join(confDir, "gce.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var mix []*Attributes
	for _, e := range readEvents(t, testfix.Path(t, "real", "openshift-clo_apiaudit_audit.log")) {
		mix = append(mix, e.attrs())
	}
	for _, r := range fixtures {
		r.stage, r.level = "ResponseComplete", "RequestResponse"
		mix = append(mix, r.attrs())
	}
	mix = append(mix,
		req{user: "system:kube-proxy", groups: []string{"system:authenticated"}, verb: "watch", resource: "endpoints", resourceReq: true, stage: "ResponseStarted", level: "Request"}.attrs(),
		req{user: "alice", groups: []string{"oidc:devs", "system:authenticated"}, verb: "create", group: "example.com", resource: "widgets", ns: "default", name: "w", resourceReq: true, stage: "ResponseComplete", level: "RequestResponse"}.attrs(),
		req{user: "alice", groups: []string{"oidc:devs", "system:authenticated"}, verb: "get", path: "/openapi/v3", stage: "ResponseComplete", level: "Metadata"}.attrs(),
		req{user: "system:node:n1", groups: []string{"system:nodes", "system:authenticated"}, verb: "patch", resource: "pods", subresource: "status", ns: "default", name: "p", resourceReq: true, stage: "ResponseComplete", level: "RequestResponse"}.attrs(),
	)
	return p, mix
}

// Evaluate allocates nothing, on any path through a realistic policy.
func TestEvaluateAllocs(t *testing.T) {
	p, mix := gceMix(t)
	for i, a := range mix {
		if n := testing.AllocsPerRun(100, func() { p.Evaluate(a) }); n != 0 {
			t.Errorf("event %d: %v allocations per Evaluate, want 0", i, n)
		}
	}
}

// ns/event for gce.yaml over the mix.
func BenchmarkEvaluateGCE(b *testing.B) {
	p, mix := gceMix(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Evaluate(mix[i])
		i++
		if i == len(mix) {
			i = 0
		}
	}
}

// The longest path: a custom resource falls through all 17 rules.
func BenchmarkEvaluateGCEWorst(b *testing.B) {
	p, mix := gceMix(b)
	a := mix[len(mix)-3]
	if d := p.Evaluate(a); d.Rule != p.Len()-1 {
		b.Fatalf("not the last rule: %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(a)
	}
}

package policy

import (
	"fmt"
	"strings"
	"testing"
)

// This file restates docs/audit-policy-cases.md: sections A–F
// are the upstream checker_test.go expectations (kubernetes/apiserver @
// 24a394e5), section G the cases derived from checker.go ("derived").

// A. Fixture requests.
var (
	tim      = req{user: "tim@k8s.io", groups: []string{"humans", "developers"}}
	fixtures = map[string]req{
		"namespaced": with(tim, func(r *req) {
			r.verb, r.ns, r.resource, r.name, r.resourceReq = "get", "default", "pods", "busybox", true
			r.path = "/api/v1/namespaces/default/pods/busybox"
		}),
		"cluster": with(tim, func(r *req) {
			r.verb, r.group, r.resource, r.name, r.resourceReq = "get", "rbac.authorization.k8s.io", "clusterroles", "edit", true
			r.path = "/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit"
		}),
		"nonResource": with(tim, func(r *req) {
			r.verb, r.path = "get", "/logs/kubelet.log"
		}),
		"subresource": with(tim, func(r *req) {
			r.verb, r.ns, r.resource, r.subresource, r.name, r.resourceReq = "get", "default", "pods", "log", "busybox", true
			r.path = "/api/v1/namespaces/default/pods/busybox"
		}),
		"Unauthorized": {
			verb: "get", ns: "default", resource: "pods", name: "busybox", resourceReq: true,
			path: "/api/v1/namespaces/default/pods/busybox",
		},
		"ClusterRoleUpdate": with(tim, func(r *req) {
			r.verb, r.group, r.resource, r.subresource, r.name, r.resourceReq = "update", "rbac.authorization.k8s.io", "clusterroles", "status", "somerole", true
			r.path = "/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/somerole"
		}),
	}
)

func with(r req, f func(*req)) req { f(&r); return r }

// B. Fixture rules, as YAML list items.
var fixtureRules = map[string]string{
	"default":                           "- level: Metadata\n",
	"create":                            "- level: Request\n  verbs: [create]\n",
	"tims":                              "- level: Metadata\n  users: [tim@k8s.io]\n",
	"humans":                            "- level: Metadata\n  userGroups: [humans]\n",
	"serviceAccounts":                   "- level: Request\n  userGroups: ['system:serviceaccounts']\n",
	"getPods":                           "- level: RequestResponse\n  verbs: [get]\n  resources: [{group: '', resources: [pods]}]\n",
	"getPodLogs":                        "- level: Request\n  verbs: [get]\n  resources: [{group: '', resources: [pods/log]}]\n",
	"getPodWildcardMatching":            "- level: Request\n  verbs: [get]\n  resources: [{group: '', resources: ['*']}]\n",
	"getPodResourceWildcardMatching":    "- level: Request\n  verbs: [get]\n  resources: [{group: '', resources: ['*/log']}]\n",
	"getPodSubResourceWildcardMatching": "- level: Request\n  verbs: [get]\n  resources: [{group: '', resources: ['pods/*']}]\n",
	"getClusterRoles":                   "- level: RequestResponse\n  verbs: [get]\n  resources: [{group: rbac.authorization.k8s.io, resources: [clusterroles]}]\n  namespaces: ['']\n",
	"getGroupWildCardMatchingWithSubresourceWildcardMatching": "- level: RequestResponse\n  verbs: [update]\n  resources: [{group: '*', resources: ['*/status']}]\n",
	"getLogs":              "- level: RequestResponse\n  verbs: [get]\n  nonResourceURLs: ['/logs*']\n",
	"getMetrics":           "- level: Request\n  verbs: [get]\n  nonResourceURLs: [/metrics]\n",
	"clusterRoleEdit":      "- level: Request\n  resources: [{group: rbac.authorization.k8s.io, resources: [clusterroles], resourceNames: [edit]}]\n",
	"omit RequestReceived": "- level: Request\n  omitStages: [RequestReceived]\n",
	"only audit panic":     "- level: Request\n  omitStages: [RequestReceived, ResponseStarted, ResponseComplete]\n",
}

func policyOf(t testing.TB, policyOmit string, ids ...string) *Policy {
	t.Helper()
	rules := make([]string, len(ids))
	for i, id := range ids {
		r, ok := fixtureRules[id]
		if !ok {
			t.Fatalf("no rule %q", id)
		}
		rules[i] = r
	}
	header := ""
	if policyOmit != "" {
		header = "omitStages: [" + policyOmit + "]\n"
	}
	return mustParse(t, header, rules...)
}

const (
	RR = StageRequestReceived
	RS = StageResponseStarted
	RC = StageResponseComplete
	PA = StagePanic
)

func set(stages ...Stage) StageSet {
	var s StageSet
	for _, st := range stages {
		s = s.With(st)
	}
	return s
}

// C. Level expectations, each run with policy omitStages nil and
// {RequestReceived, ResponseStarted}; the returned omitStages is the
// policy's in both (no fixture rule in C has its own).
func TestUpstreamLevels(t *testing.T) {
	type tc struct {
		rules []string
		want  Level
	}
	R := func(ids ...string) []string { return ids }
	cases := map[string][]tc{
		"namespaced": {
			{R("default"), LevelMetadata},
			{R("create"), LevelNone},
			{R("tims"), LevelMetadata},
			{R("humans"), LevelMetadata},
			{R("serviceAccounts"), LevelNone},
			{R("getPods"), LevelRequestResponse},
			{R("getClusterRoles"), LevelNone},
			{R("getLogs"), LevelNone},
			{R("getMetrics"), LevelNone},
			{R("getMetrics", "serviceAccounts", "default"), LevelMetadata},
			{R("getMetrics", "getPods", "default"), LevelRequestResponse},
			{R("getPodLogs", "getPods"), LevelRequestResponse},
		},
		"cluster": {
			{R("default"), LevelMetadata},
			{R("create"), LevelNone},
			{R("tims"), LevelMetadata},
			{R("humans"), LevelMetadata},
			{R("serviceAccounts"), LevelNone},
			{R("getPods"), LevelNone},
			{R("getClusterRoles"), LevelRequestResponse},
			{R("clusterRoleEdit", "getClusterRoles"), LevelRequest},
			{R("getLogs"), LevelNone},
			{R("getMetrics"), LevelNone},
			{R("getMetrics", "serviceAccounts", "default"), LevelMetadata},
			{R("getMetrics", "getClusterRoles", "default"), LevelRequestResponse},
			{R("getPodLogs", "getPods"), LevelNone},
		},
		"nonResource": {
			{R("default"), LevelMetadata},
			{R("create"), LevelNone},
			{R("tims"), LevelMetadata},
			{R("humans"), LevelMetadata},
			{R("serviceAccounts"), LevelNone},
			{R("getPods"), LevelNone},
			{R("getClusterRoles"), LevelNone},
			{R("getLogs"), LevelRequestResponse},
			{R("getMetrics"), LevelNone},
			{R("getMetrics", "serviceAccounts", "default"), LevelMetadata},
			{R("getLogs", "getClusterRoles", "default"), LevelRequestResponse},
			{R("getPodLogs", "getPods"), LevelNone},
		},
		"subresource": {
			{R("getPodLogs", "getPods"), LevelRequest},
			{R("getPodWildcardMatching"), LevelRequest},
			{R("getPodResourceWildcardMatching"), LevelRequest},
			{R("getPodSubResourceWildcardMatching"), LevelRequest},
		},
		"Unauthorized": {
			{R("tims"), LevelNone},
			{R("tims", "default"), LevelMetadata},
			{R("humans"), LevelNone},
			{R("humans", "default"), LevelMetadata},
		},
		"ClusterRoleUpdate": {
			{R("getGroupWildCardMatchingWithSubresourceWildcardMatching"), LevelRequestResponse},
		},
	}
	for _, policyOmit := range []string{"", "RequestReceived, ResponseStarted"} {
		wantOmit := StageSet(0)
		if policyOmit != "" {
			wantOmit = set(RR, RS)
		}
		for fx, list := range cases {
			for _, c := range list {
				name := fmt.Sprintf("omit[%s]/%s/%s", policyOmit, fx, strings.Join(c.rules, ","))
				t.Run(name, func(t *testing.T) {
					p := policyOf(t, policyOmit, c.rules...)
					d := p.Evaluate(fixtures[fx].attrs())
					if d.Level != c.want || d.OmitStages != wantOmit || d.Drop != (c.want == LevelNone) {
						t.Errorf("got level %v omit {%v} drop %v; want %v {%v} drop %v",
							d.Level, d.OmitStages, d.Drop, c.want, wantOmit, c.want == LevelNone)
					}
				})
			}
		}
	}
}

// D. omitStages: a rule's own united with the policy's.
func TestUpstreamOmitStages(t *testing.T) {
	cases := []struct {
		policyOmit string
		fixture    string
		rules      []string
		level      Level
		omit       StageSet
	}{
		{"", "namespaced", []string{"omit RequestReceived", "getPods", "default"}, LevelRequest, set(RR)},
		{"", "cluster", []string{"omit RequestReceived", "getPods", "default"}, LevelRequest, set(RR)},
		{"", "nonResource", []string{"omit RequestReceived", "getPods", "default"}, LevelRequest, set(RR)},
		{"", "namespaced", []string{"only audit panic", "getPods", "default"}, LevelRequest, set(RR, RS, RC)},
		{"", "cluster", []string{"only audit panic", "getPods", "default"}, LevelRequest, set(RR, RS, RC)},
		{"", "nonResource", []string{"only audit panic", "getPods", "default"}, LevelRequest, set(RR, RS, RC)},
		{"RequestReceived, ResponseStarted", "namespaced", []string{"omit RequestReceived", "getPods", "default"}, LevelRequest, set(RR, RS)},
		{"RequestReceived, ResponseStarted", "cluster", []string{"omit RequestReceived", "getPods", "default"}, LevelRequest, set(RR, RS)},
		{"RequestReceived, ResponseStarted", "namespaced", []string{"only audit panic", "getPods", "default"}, LevelRequest, set(RR, RS, RC)},
		{"RequestReceived, ResponseStarted", "cluster", []string{"only audit panic", "getPods", "default"}, LevelRequest, set(RR, RS, RC)},
		{"RequestReceived, ResponseStarted", "nonResource", []string{"default", "omit RequestReceived", "getPods"}, LevelMetadata, set(RR, RS)},
		{"RequestReceived, ResponseStarted", "nonResource", []string{"only audit panic", "getPods", "default"}, LevelRequest, set(RR, RS, RC)},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("omit[%s]/%s/%s", c.policyOmit, c.fixture, strings.Join(c.rules, ",")), func(t *testing.T) {
			p := policyOf(t, c.policyOmit, c.rules...)
			a := fixtures[c.fixture].attrs()
			d := p.Evaluate(a)
			if d.Level != c.level || d.OmitStages != c.omit {
				t.Fatalf("got %v {%v}, want %v {%v}", d.Level, d.OmitStages, c.level, c.omit)
			}
			// And what that means for events of each stage.
			for st := RR; st <= PA; st++ {
				a.Stage = []byte(st.String())
				if got := p.Evaluate(a).Drop; got != c.omit.Has(st) {
					t.Errorf("stage %v: drop %v, want %v", st, got, c.omit.Has(st))
				}
			}
		})
	}
}

// D. TestUnionStages: the union is a set union (duplicates collapse).
func TestUnionStages(t *testing.T) {
	cases := []struct{ s1, s2, want []Stage }{
		{nil, nil, nil},
		{[]Stage{RR}, nil, []Stage{RR}},
		{[]Stage{RR}, []Stage{RR}, []Stage{RR}},
		{[]Stage{RR}, []Stage{RS}, []Stage{RR, RS}},
		{[]Stage{RR, RR}, []Stage{RR, RR}, []Stage{RR}},
		{[]Stage{RR, RS}, []Stage{PA, RR}, []Stage{RR, RS, PA}},
		{nil, []Stage{RR}, []Stage{RR}},
	}
	names := func(ss []Stage) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.String())
		}
		return strings.Join(out, ", ")
	}
	for _, c := range cases {
		// Through the loader, the way unions really happen.
		p := mustParse(t, "omitStages: ["+names(c.s1)+"]\n", "- level: Metadata\n  omitStages: ["+names(c.s2)+"]\n")
		if got := p.Evaluate(&Attributes{}).OmitStages; got != set(c.want...) {
			t.Errorf("{%s} ∪ {%s} = {%v}, want {%v}", names(c.s1), names(c.s2), got, set(c.want...))
		}
	}
}

// E. omitManagedFields: the rule's when set, else the policy's.
func TestUpstreamOmitManagedFields(t *testing.T) {
	cases := []struct {
		policy, rule string // "" = unset
		want         bool
	}{
		{"false", "", false},
		{"true", "", true},
		{"true", "false", false},
		{"false", "true", true},
	}
	a := &Attributes{Verb: []byte("get")} // no user, no resource information
	for _, c := range cases {
		rule := "- level: RequestResponse\n  verbs: [get]\n"
		if c.rule != "" {
			rule += "  omitManagedFields: " + c.rule + "\n"
		}
		p := mustParse(t, "omitManagedFields: "+c.policy+"\n", rule)
		d := p.Evaluate(a)
		if d.Level != LevelRequestResponse || d.OmitManagedFields != c.want {
			t.Errorf("policy %s rule %q: got %v %v, want RequestResponse %v", c.policy, c.rule, d.Level, d.OmitManagedFields, c.want)
		}
		// No match: the policy's value, level None.
		if d := p.Evaluate(&Attributes{Verb: []byte("list")}); d.Level != LevelNone || d.OmitManagedFields != (c.policy == "true") {
			t.Errorf("policy %s, no match: got %v %v", c.policy, d.Level, d.OmitManagedFields)
		}
	}
}

// F. Valid policies (validation_test.go) load.
func TestUpstreamValid(t *testing.T) {
	for name, rules := range map[string]string{
		"catch-all":      "- level: Metadata\n",
		"userGroups":     "- level: Metadata\n  userGroups: [role1, role2]\n",
		"verbs+res+ns":   "- level: Request\n  verbs: [get]\n  resources: [{group: '', resources: [pods]}]\n  namespaces: [default]\n",
		"nonResourceURL": "- level: Metadata\n  nonResourceURLs: ['/logs*', '/healthz*', /metrics, '*']\n",
		"rule omit":      "- level: Metadata\n  omitStages: [RequestReceived]\n",
		"group star":     "- level: Metadata\n  resources: [{group: '*'}]\n",
		"group core":     "- level: Metadata\n  resources: [{group: ''}]\n",
	} {
		t.Run(name, func(t *testing.T) { mustParse(t, "omitStages: [RequestReceived]\n", rules) })
	}
}

// F. "A resources entry {group: ""} with no resources = all core-group resources."
func TestGroupWithoutResources(t *testing.T) {
	p := mustParse(t, "", "- level: Request\n  resources: [{group: ''}]\n")
	for _, r := range []req{
		fixtures["namespaced"], fixtures["subresource"],
	} {
		if d := p.Evaluate(r.attrs()); d.Level != LevelRequest {
			t.Errorf("%+v: %v", r, d.Level)
		}
	}
	if d := p.Evaluate(fixtures["cluster"].attrs()); d.Level != LevelNone {
		t.Errorf("rbac group matched the core group: %v", d.Level)
	}
}

// G. Derived from checker.go.
func TestDerived(t *testing.T) {
	pods := fixtures["namespaced"]
	podsLog := fixtures["subresource"]
	podsExec := with(podsLog, func(r *req) { r.subresource = "exec" })
	deployments := with(pods, func(r *req) { r.group, r.resource = "apps", "deployments" })
	list := with(pods, func(r *req) { r.verb, r.name = "list", "" })
	listByName := with(pods, func(r *req) { r.verb = "list" }) // fieldSelector metadata.name=busybox
	createPod := with(pods, func(r *req) { r.verb, r.stage = "create", "ResponseComplete" })
	eviction := with(pods, func(r *req) { r.verb, r.subresource = "create", "eviction" })
	clusterPods := with(list, func(r *req) { r.ns = "" })
	namespaceFoo := with(pods, func(r *req) { r.resource, r.ns, r.name = "namespaces", "foo", "foo" })
	nonRes := func(path string) req { return req{user: "tim@k8s.io", verb: "get", path: path} }
	noUser := req{verb: "get", ns: "default", resource: "pods", name: "busybox", resourceReq: true}

	cases := []struct {
		name  string
		rule  string
		r     req
		match bool
	}{
		{"1 pods/* matches plain pods", "resources: [{resources: ['pods/*']}]", pods, true},
		{"1 pods/* matches pods/log", "resources: [{resources: ['pods/*']}]", podsLog, true},
		{"2 */* matches no resource", "resources: [{group: '*', resources: ['*/*']}]", pods, false},
		{"2 */* matches no subresource", "resources: [{group: '*', resources: ['*/*']}]", podsLog, false},
		{"3 * in verbs is literal", "verbs: ['*']", pods, false},
		{"3 * in users is literal", "users: ['*']", pods, false},
		{"3 * in userGroups is literal", "userGroups: ['*']", pods, false},
		{"3 * in namespaces is literal", "namespaces: ['*']", pods, false},
		{"4 no group = core, not apps", "resources: [{resources: [deployments]}]", deployments, false},
		{"4 group * = every group", "resources: [{group: '*', resources: [deployments]}]", deployments, true},
		{"4 explicit group", "resources: [{group: apps, resources: [deployments]}]", deployments, true},
		{"5 resourceNames vs list (name empty)", "resources: [{resources: [pods], resourceNames: [busybox]}]", list, false},
		{"5 resourceNames [''] vs list", "resources: [{resources: [pods], resourceNames: ['']}]", list, true},
		{"5 list with metadata.name fieldSelector", "resources: [{resources: [pods], resourceNames: [busybox]}]", listByName, true},
		{"6 create: name not known at evaluation", "resources: [{resources: [pods], resourceNames: [busybox]}]", createPod, false},
		{"6 create of a subresource has a name", "resources: [{resources: [pods/eviction], resourceNames: [busybox]}]", eviction, true},
		{"7 [''] matches a cluster-wide list", "namespaces: ['']", clusterPods, true},
		{"7 [''] does not match a namespaced request", "namespaces: ['']", pods, false},
		{"7 namespaces objects: ns is the name", "namespaces: [foo]\n  resources: [{resources: [namespaces]}]", namespaceFoo, true},
		{"8 namespaces-only rule, resource request", "namespaces: [default]", podsExec, true},
		{"8 namespaces-only rule, non-resource request", "namespaces: ['']", nonRes("/healthz"), false},
		{"9 * any path", "nonResourceURLs: ['*']", nonRes("/anything/at/all"), true},
		{"9 * not a resource request", "nonResourceURLs: ['*']", pods, false},
		{"9 /healthz* /healthz", "nonResourceURLs: ['/healthz*']", nonRes("/healthz"), true},
		{"9 /healthz* /healthz/etcd", "nonResourceURLs: ['/healthz*']", nonRes("/healthz/etcd"), true},
		{"9 /healthz* /healthzfoo (no segment boundary)", "nonResourceURLs: ['/healthz*']", nonRes("/healthzfoo"), true},
		{"9 /healthz* not /health", "nonResourceURLs: ['/healthz*']", nonRes("/health"), false},
		{"9 exact is exact", "nonResourceURLs: [/metrics]", nonRes("/metrics/cadvisor"), false},
		{"10 no user, rule without users", "verbs: [get]", noUser, true},
		{"10 no user, users rule", "users: ['']", noUser, false},
		{"11 * matches subresources", "resources: [{resources: ['*']}]", podsExec, true},
		{"11 pods does not match pods/exec", "resources: [{resources: [pods]}]", podsExec, false},
		{"11 pods/log does not match pods/exec", "resources: [{resources: [pods/log]}]", podsExec, false},
		{"11 */exec", "resources: [{resources: ['*/exec']}]", podsExec, true},
		{"11 */exec not plain pods", "resources: [{resources: ['*/exec']}]", pods, false},
		{"12 groups are OR'd", "resources: [{group: rbac.authorization.k8s.io, resources: [roles]}, {group: apps, resources: [deployments]}]", deployments, true},
		{"12 resources are OR'd", "resources: [{group: apps, resources: [statefulsets, deployments]}]", deployments, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, "", "- level: Request\n  "+c.rule+"\n")
			d := p.Evaluate(c.r.attrs())
			if got := d.Level == LevelRequest; got != c.match {
				t.Errorf("derived: match %v, want %v (decision %+v)", got, c.match, d)
			}
		})
	}
}

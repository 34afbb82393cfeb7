package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const confDir = "../../conf/policies"

// Every shipped policy loads, without warnings, and has a comment header.
func TestConfPolicies(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(confDir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no policies in %s: %v", confDir, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if w := p.Warnings(); len(w) > 0 {
				t.Errorf("warnings: %q", w)
			}
			data, _ := os.ReadFile(f)
			if !strings.HasPrefix(string(data), "# "+filepath.Base(f)+" — ") {
				t.Errorf("no documenting header starting with %q", "# "+filepath.Base(f)+" — ")
			}
			t.Log(p)
		})
	}
}

// What each shipped policy does with typical events.
func TestConfBehaviour(t *testing.T) {
	node := req{user: "system:node:n1", groups: []string{"system:nodes", "system:authenticated"}}
	alice := req{user: "alice", groups: []string{"system:authenticated"}}
	res := func(u req, verb, group, resource, sub, ns string) req {
		u.verb, u.group, u.resource, u.subresource, u.ns, u.resourceReq = verb, group, resource, sub, ns, true
		u.stage, u.level = "ResponseComplete", "RequestResponse"
		return u
	}
	nonRes := func(u req, path string) req {
		u.verb, u.path, u.stage, u.level = "get", path, "ResponseComplete", "RequestResponse"
		return u
	}
	proxy := req{user: "system:kube-proxy", groups: []string{"system:authenticated"}}
	kcm := req{user: "system:kube-controller-manager", groups: []string{"system:authenticated"}}
	drop := LevelNone
	cases := map[string][]struct {
		what string
		r    req
		want Level
	}{
		"metadata.yaml": {
			{"pod create", res(alice, "create", "", "pods", "", "default"), LevelMetadata},
			{"secret get", res(alice, "get", "", "secrets", "", "default"), LevelMetadata},
			{"healthz", nonRes(alice, "/healthz"), LevelMetadata},
		},
		"gce.yaml": {
			{"kube-proxy watch endpoints", res(proxy, "watch", "", "endpoints", "", ""), drop},
			{"node get own node", res(node, "get", "", "nodes", "", ""), drop},
			{"healthz", nonRes(alice, "/healthz/etcd"), drop},
			{"version", nonRes(alice, "/version"), drop},
			{"event create", res(alice, "create", "", "events", "", "default"), drop},
			{"kcm get endpoints kube-system", res(kcm, "get", "", "endpoints", "", "kube-system"), drop},
			{"kcm get endpoints elsewhere", res(kcm, "get", "", "endpoints", "", "default"), LevelRequest},
			{"node patch pod status", res(node, "patch", "", "pods", "status", "default"), LevelRequest},
			{"secret get", res(alice, "get", "", "secrets", "", "default"), LevelMetadata},
			{"secret create", res(alice, "create", "", "secrets", "", "default"), LevelMetadata},
			{"token request", res(alice, "create", "", "serviceaccounts", "token", "default"), LevelMetadata},
			{"tokenreview", res(alice, "create", "authentication.k8s.io", "tokenreviews", "", ""), LevelMetadata},
			{"pod list", res(alice, "list", "", "pods", "", "default"), LevelRequest},
			{"deployment patch", res(alice, "patch", "apps", "deployments", "", "default"), LevelRequestResponse},
			{"pod exec", res(alice, "create", "", "pods", "exec", "default"), LevelRequestResponse},
			{"custom resource", res(alice, "create", "example.com", "widgets", "", "default"), LevelMetadata},
			{"other URL", nonRes(alice, "/metrics"), LevelMetadata},
		},
		"low-cost.yaml": {
			{"any get", res(alice, "get", "apps", "deployments", "", "default"), drop},
			{"secret list", res(alice, "list", "", "secrets", "", "default"), drop},
			{"node watch", res(node, "watch", "", "pods", "", ""), drop},
			{"healthz", nonRes(alice, "/healthz"), drop},
			{"kube-proxy anything", res(proxy, "create", "", "pods", "", "x"), drop},
			{"kcm anything", res(kcm, "update", "", "serviceaccounts", "", "x"), drop},
			{"scheduler binding", res(req{user: "system:kube-scheduler"}, "create", "", "pods", "binding", "x"), drop},
			{"node heartbeat", res(node, "patch", "", "nodes", "status", ""), drop},
			{"lease renewal", res(node, "update", "coordination.k8s.io", "leases", "", "kube-node-lease"), drop},
			{"lease create", res(alice, "create", "coordination.k8s.io", "leases", "", "default"), LevelMetadata},
			{"event", res(alice, "create", "events.k8s.io", "events", "", "default"), drop},
			{"core event", res(alice, "patch", "", "events", "", "default"), drop},
			{"node patches pod status", res(node, "patch", "", "pods", "status", "default"), LevelMetadata},
			{"secret create", res(alice, "create", "", "secrets", "", "default"), LevelMetadata},
			{"configmap update", res(alice, "update", "", "configmaps", "", "default"), LevelMetadata},
			{"tokenreview", res(alice, "create", "authentication.k8s.io", "tokenreviews", "", ""), LevelMetadata},
			{"pod exec", res(alice, "create", "", "pods", "exec", "default"), LevelMetadata},
			{"clusterrolebinding create", res(alice, "create", "rbac.authorization.k8s.io", "clusterrolebindings", "", ""), LevelMetadata},
		},
	}
	for file, list := range cases {
		p, err := Load(filepath.Join(confDir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if d := p.Evaluate(c.r.attrs()); d.Level != c.want {
				t.Errorf("%s: %s: got %v (rule %d), want %v", file, c.what, d.Level, d.Rule, c.want)
			}
		}
	}
}

// low-cost.yaml's OPTIONAL rules, once uncommented, load and keep secret
// reads by people but not by nodes.
func TestLowCostOptionalRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(confDir, "low-cost.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "  # OPTIONAL"):
			in = true
		case in && strings.HasPrefix(line, "  # "):
			line = "  " + strings.TrimPrefix(line, "  # ")
		default:
			in = false
		}
		out = append(out, line)
	}
	p, err := Parse("low-cost+optional.yaml", []byte(strings.Join(out, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	secretGet := func(u string, groups ...string) *Attributes {
		return req{user: u, groups: groups, verb: "get", resource: "secrets", ns: "default", name: "s", resourceReq: true}.attrs()
	}
	if d := p.Evaluate(secretGet("alice", "system:authenticated")); d.Level != LevelMetadata {
		t.Errorf("person reading a secret: %v", d.Level)
	}
	if d := p.Evaluate(secretGet("system:node:n1", "system:nodes")); d.Level != LevelNone {
		t.Errorf("node reading a secret: %v", d.Level)
	}
	if p.Len() != 9 {
		t.Errorf("%d rules, want 9 (2 uncommented)", p.Len())
	}
}

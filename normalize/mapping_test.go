package normalize

import (
	"encoding/json"
	"strings"
	"testing"
)

// ev builds an audit event from a base and extra top-level members.
func ev(extra string) string {
	base := `"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-1","stage":"ResponseComplete"`
	if extra == "" {
		return "{" + base + "}"
	}
	return "{" + base + "," + extra + "}"
}

func normOne(t *testing.T, o Options, rec string, recordTime int64) (Doc, map[string]any) {
	t.Helper()
	docs := New(o).Normalize([]byte(rec), recordTime)
	if len(docs) != 1 {
		t.Fatalf("got %d docs for %s", len(docs), rec)
	}
	return docs[0], decode(t, docs[0].JSON)
}

// expect compares paths of a decoded document; nil wants the path absent.
func expect(t *testing.T, m map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got := get(m, path)
		if w == nil {
			if got != nil {
				t.Errorf("%s = %s, want absent", path, mustJSON(got))
			}
			continue
		}
		if mustJSON(got) != mustJSON(w) {
			t.Errorf("%s = %s, want %s", path, mustJSON(got), mustJSON(w))
		}
	}
}

func TestMapping(t *testing.T) {
	const rt = int64(1700000000000000001)
	cases := []struct {
		name string
		rec  string
		want map[string]any
	}{
		// @timestamp chain
		{"ts stage", ev(`"stageTimestamp":"2024-01-02T03:04:05.123456Z","requestReceivedTimestamp":"2024-01-02T03:04:05Z","timestamp":"2020-01-01T00:00:00Z"`),
			map[string]any{"@timestamp": "2024-01-02T03:04:05.123456000Z", "event.start": "2024-01-02T03:04:05.000000000Z",
				"event.end": "2024-01-02T03:04:05.123456000Z", "event.duration": 123456000}},
		{"ts received", ev(`"requestReceivedTimestamp":"2024-01-02T03:04:05.5+01:00","timestamp":"2020-01-01T00:00:00Z"`),
			map[string]any{"@timestamp": "2024-01-02T02:04:05.500000000Z", "event.end": nil, "event.duration": nil}},
		{"ts legacy v1beta1", ev(`"timestamp":"2018-10-25T14:09:12Z"`),
			map[string]any{"@timestamp": "2018-10-25T14:09:12.000000000Z", "event.start": nil}},
		{"ts record time", ev(``), map[string]any{"@timestamp": "2023-11-14T22:13:20.000000001Z"}},
		{"ts unparsable falls through", ev(`"stageTimestamp":"yesterday","requestReceivedTimestamp":"2024-01-02T03:04:05Z"`),
			map[string]any{"@timestamp": "2024-01-02T03:04:05.000000000Z"}},
		{"negative duration left out", ev(`"stageTimestamp":"2024-01-02T03:04:04Z","requestReceivedTimestamp":"2024-01-02T03:04:05Z"`),
			map[string]any{"event.duration": nil, "event.start": "2024-01-02T03:04:05.000000000Z"}},

		// outcome
		{"outcome 200", ev(`"responseStatus":{"code":200}`), map[string]any{"event.outcome": "success", "error": nil}},
		{"outcome 101", ev(`"responseStatus":{"code":101}`), map[string]any{"event.outcome": "success"}},
		{"outcome 404 allowed", ev(`"responseStatus":{"code":404,"reason":"NotFound","message":"x not found"},"annotations":{"authorization.k8s.io/decision":"allow"}`),
			map[string]any{"event.outcome": "failure", "error.code": "NotFound", "error.message": "x not found", "event.type": []string{"info", "allowed"}}},
		{"outcome forbid no code", ev(`"annotations":{"authorization.k8s.io/decision":"forbid"}`), map[string]any{"event.outcome": "failure", "event.type": []string{"info", "denied"}}},
		{"outcome allow no code", ev(`"annotations":{"authorization.k8s.io/decision":"allow"}`), map[string]any{"event.outcome": "success"}},
		{"outcome allow at RequestReceived", `{"auditID":"a","stage":"RequestReceived","annotations":{"authorization.k8s.io/decision":"allow"}}`, map[string]any{"event.outcome": "unknown"}},
		{"outcome nothing", ev(``), map[string]any{"event.outcome": "unknown", "http.response": nil}},

		// event.type and http.request.method per verb
		{"verb create", ev(`"verb":"create"`), map[string]any{"event.type": []string{"creation"}, "http.request.method": "POST", "event.action": "create"}},
		{"verb delete", ev(`"verb":"delete"`), map[string]any{"event.type": []string{"deletion"}, "http.request.method": "DELETE"}},
		{"verb deletecollection", ev(`"verb":"deletecollection"`), map[string]any{"event.type": []string{"deletion"}, "http.request.method": "DELETE"}},
		{"verb update", ev(`"verb":"update"`), map[string]any{"event.type": []string{"change"}, "http.request.method": "PUT"}},
		{"verb patch", ev(`"verb":"patch"`), map[string]any{"event.type": []string{"change"}, "http.request.method": "PATCH"}},
		{"verb get", ev(`"verb":"get"`), map[string]any{"event.type": []string{"access"}, "http.request.method": "GET"}},
		{"verb list", ev(`"verb":"list"`), map[string]any{"event.type": []string{"access"}, "http.request.method": "GET"}},
		{"verb watch", ev(`"verb":"watch"`), map[string]any{"event.type": []string{"access"}, "http.request.method": "GET"}},
		{"verb impersonate", ev(`"verb":"impersonate"`), map[string]any{"event.type": []string{"info"}, "http.request": nil}},

		// categories
		{"category api", ev(`"objectRef":{"resource":"pods"}`), map[string]any{"event.category": []string{"api"}}},
		{"category clusterrolebindings", ev(`"objectRef":{"resource":"clusterrolebindings"}`), map[string]any{"event.category": []string{"api", "iam"}}},
		{"category serviceaccounts token", ev(`"objectRef":{"resource":"serviceaccounts","subresource":"token"}`),
			map[string]any{"event.category": []string{"api", "iam"}, "orchestrator.resource.subtype": "serviceaccounts/token"}},
		{"category selfsubjectaccessreviews", ev(`"objectRef":{"resource":"selfsubjectaccessreviews"}`), map[string]any{"event.category": []string{"api", "iam"}}},
		{"category csr", ev(`"objectRef":{"resource":"certificatesigningrequests"}`), map[string]any{"event.category": []string{"api", "iam"}}},
		{"category tokenreviews", ev(`"objectRef":{"resource":"tokenreviews"}`), map[string]any{"event.category": []string{"api", "iam"}}},

		// source IPs
		{"invalid IPs skipped", ev(`"sourceIPs":["99.999.999.999","01.2.3.4","fe80::1%eth0","","not-an-ip","10.0.0.1","2001:db8::1","10.0.0.1"]`),
			map[string]any{"source.ip": "10.0.0.1", "source.address": "10.0.0.1", "related.ip": []string{"10.0.0.1", "2001:db8::1"}}},
		{"no valid IP", ev(`"sourceIPs":["300.1.1.1"]`), map[string]any{"source": nil, "related": nil}},
		{"sourceIPs wrong type", ev(`"sourceIPs":"10.0.0.1"`), map[string]any{"source": nil, "kubernetes.audit.sourceIPs": nil}},

		// URL
		{"url split", ev(`"requestURI":"/api/v1/pods?watch=true&x=a%3Fb"`),
			map[string]any{"url.original": "/api/v1/pods?watch=true&x=a%3Fb", "url.path": "/api/v1/pods", "url.query": "watch=true&x=a%3Fb"}},
		{"url empty query", ev(`"requestURI":"/healthz?"`), map[string]any{"url.path": "/healthz", "url.query": nil}},

		// users and impersonation
		{"impersonation", ev(`"user":{"username":"admin","uid":"u1","groups":["system:masters",""]},"impersonatedUser":{"username":"bob","uid":"u2","groups":["g"]}`),
			map[string]any{"user.name": "admin", "user.id": "u1", "user.group.name": []string{"system:masters"},
				"user.effective.name": "bob", "user.effective.id": "u2", "user.effective.group.name": []string{"g"},
				"related.user": []string{"admin", "u1", "bob", "u2"}}},
		{"related.user dedup", ev(`"user":{"username":"bob"},"impersonatedUser":{"username":"bob"}`), map[string]any{"related.user": []string{"bob"}}},
		{"empty user", ev(`"user":{}`), map[string]any{"user": nil, "related": nil, "kubernetes.audit.user": nil}},
		{"user wrong type", ev(`"user":"admin"`), map[string]any{"user": nil, "kubernetes.audit.user": nil}},

		// orchestrator
		{"orchestrator core", ev(`"objectRef":{"resource":"pods","namespace":"ns","name":"p","uid":"U","apiVersion":"v1","apiGroup":""}`),
			map[string]any{"orchestrator.type": "kubernetes", "orchestrator.namespace": "ns", "orchestrator.resource.type": "pods",
				"orchestrator.resource.name": "p", "orchestrator.resource.id": "U", "orchestrator.api_version": "v1", "orchestrator.resource.subtype": nil}},
		{"orchestrator group", ev(`"objectRef":{"resource":"deployments","apiGroup":"apps","apiVersion":"v1"}`),
			map[string]any{"orchestrator.api_version": "apps/v1"}},
		{"name from responseObject", ev(`"objectRef":{"resource":"pods"},"responseObject":{"metadata":{"name":"resp"}},"requestObject":{"metadata":{"name":"req"}}`),
			map[string]any{"orchestrator.resource.name": "resp"}},
		{"name from requestObject", ev(`"objectRef":{"resource":"pods"},"requestObject":{"metadata":{"name":"req"}}`),
			map[string]any{"orchestrator.resource.name": "req"}},
		{"cluster name", ev(``), map[string]any{"orchestrator.cluster.name": "prod"}},

		// bodies
		{"json patch requestObject", ev(`"verb":"patch","requestObject":[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/x","value":""}]`),
			map[string]any{"kubernetes.audit.requestObject": []any{map[string]any{"op": "replace", "path": "/spec/replicas", "value": 3},
				map[string]any{"op": "add", "path": "/x", "value": ""}}, "container": nil, "orchestrator.resource.name": nil}},
		{"scalar requestObject", ev(`"requestObject":"text"`), map[string]any{"kubernetes.audit.requestObject": nil}},
		{"array of scalars requestObject", ev(`"requestObject":[1,2]`), map[string]any{"kubernetes.audit.requestObject": nil}},
		{"managedFields dropped", ev(`"responseObject":{"metadata":{"name":"n","managedFields":[{"manager":"m"}]},"spec":{"managedFields":1}}`),
			map[string]any{"kubernetes.audit.responseObject": map[string]any{"metadata": map[string]any{"name": "n"}, "spec": map[string]any{"managedFields": 1}}}},

		// annotations and the audit copy
		{"annotations", ev(`"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: ok","pod-security.kubernetes.io/enforce-policy":"privileged:latest","empty":""}`),
			map[string]any{"event.reason": "RBAC: ok", "kubernetes.audit.annotations": map[string]any{
				"authorization_k8s_io/decision": "allow", "authorization_k8s_io/reason": "RBAC: ok",
				"pod-security_kubernetes_io/enforce-policy": "privileged:latest"}}},
		{"empty reason left out", ev(`"annotations":{"authorization.k8s.io/reason":""}`), map[string]any{"event.reason": nil, "kubernetes.audit.annotations": nil}},
		{"responseStatus metadata {} dropped", ev(`"responseStatus":{"metadata":{},"code":200}`),
			map[string]any{"kubernetes.audit.responseStatus": map[string]any{"code": 200}, "http.response.status_code": 200}},

		// user agent
		{"user agent kubectl", ev(`"userAgent":"kubectl/v1.29.1 (darwin/arm64) kubernetes/bc401b9"`),
			map[string]any{"user_agent.original": "kubectl/v1.29.1 (darwin/arm64) kubernetes/bc401b9", "user_agent.name": "kubectl",
				"user_agent.version": "v1.29.1", "user_agent.os.name": "darwin"}},
		{"user agent browser", ev(`"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit"`),
			map[string]any{"user_agent.name": "Mozilla", "user_agent.version": "5.0", "user_agent.os": nil}},
		{"user agent bare", ev(`"userAgent":"Go-http-client"`), map[string]any{"user_agent.name": "Go-http-client", "user_agent.version": nil}},

		// containers: every image a request names is k8saudit.images;
		// container.image.name only for a pod create (containers about to run)
		{"pod images", ev(`"verb":"create","objectRef":{"resource":"pods","namespace":"ns","apiVersion":"v1"},"requestObject":{"kind":"Pod","spec":{"initContainers":[{"image":"init:1"}],"containers":[{"image":"nginx"},{"image":"nginx"},{"name":"noimage"},"junk"],"ephemeralContainers":[{"image":"busybox"}]}}`),
			map[string]any{"container.image.name": []string{"nginx", "init:1", "busybox"}, "k8saudit.images": []string{"nginx", "init:1", "busybox"}}},
		{"pod update images", ev(`"verb":"update","objectRef":{"resource":"pods","namespace":"ns","apiVersion":"v1"},"requestObject":{"kind":"Pod","spec":{"containers":[{"image":"nginx:2"}]}}`),
			map[string]any{"container": nil, "k8saudit.images": []string{"nginx:2"}}},
		{"pod subresource images", ev(`"verb":"create","objectRef":{"resource":"pods","subresource":"ephemeralcontainers","apiVersion":"v1"},"requestObject":{"kind":"Pod","spec":{"containers":[{"image":"a"}]}}`),
			map[string]any{"container": nil, "k8saudit.images": []string{"a"}}},
		{"pods of another group", ev(`"verb":"create","objectRef":{"resource":"pods","apiGroup":"metrics.k8s.io","apiVersion":"v1beta1"},"requestObject":{"spec":{"containers":[{"image":"a"}]}}`),
			map[string]any{"container": nil, "k8saudit.images": []string{"a"}}},
		{"deployment images", ev(`"verb":"create","objectRef":{"resource":"deployments","apiGroup":"apps","apiVersion":"v1"},"requestObject":{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"image":"app:2"}]}}}}`),
			map[string]any{"container": nil, "k8saudit.images": []string{"app:2"}}},
		{"patched deployment images", ev(`"verb":"patch","objectRef":{"resource":"deployments","apiGroup":"apps","apiVersion":"v1"},"requestObject":{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"evil:1"}]}}}}`),
			map[string]any{"container": nil, "k8saudit.images": []string{"evil:1"}}},
		{"cronjob images", ev(`"requestObject":{"kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"image":"job:3"}]}}}}}}`),
			map[string]any{"container": nil, "k8saudit.images": []string{"job:3"}}},
		{"images in response ignored", ev(`"verb":"create","objectRef":{"resource":"pods"},"responseObject":{"spec":{"containers":[{"image":"x"}]}}`),
			map[string]any{"container": nil, "k8saudit": nil}},

		// event.type denied: from the decision annotation, else from a 401/403
		{"403 without decision", ev(`"verb":"get","responseStatus":{"code":403,"reason":"Forbidden"}`),
			map[string]any{"event.type": []string{"access", "denied"}, "event.outcome": "failure", "error.code": "Forbidden"}},
		{"401 without decision", ev(`"verb":"list","responseStatus":{"code":401}`),
			map[string]any{"event.type": []string{"access", "denied"}, "event.outcome": "failure"}},
		{"404 without decision", ev(`"verb":"get","responseStatus":{"code":404}`),
			map[string]any{"event.type": []string{"access"}, "event.outcome": "failure"}},
		// authorized, then refused by admission: a refusal all the same (issue 19)
		{"403 with allow decision", ev(`"verb":"create","responseStatus":{"code":403},"annotations":{"authorization.k8s.io/decision":"allow"}`),
			map[string]any{"event.type": []string{"creation", "denied"}, "event.outcome": "failure"}},
		{"200 with forbid decision", ev(`"verb":"get","responseStatus":{"code":200},"annotations":{"authorization.k8s.io/decision":"forbid"}`),
			map[string]any{"event.type": []string{"access", "denied"}, "event.outcome": "success"}},

		// v1beta1 without stage
		{"v1beta1 no stage", `{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","timestamp":"2018-10-25T14:09:12Z","auditID":"b1","verb":"get","requestURI":"/api"}`,
			map[string]any{"event.id": "b1", "kubernetes.audit.stage": nil, "kubernetes.audit.apiVersion": "audit.k8s.io/v1beta1", "@timestamp": "2018-10-25T14:09:12.000000000Z"}},
		// minimal events are still events
		{"no auditID", `{"verb":"get","requestURI":"/x"}`, map[string]any{"event.kind": "event", "event.id": nil}},
		{"kind and apiVersion only", `{"kind":"Event","apiVersion":"audit.k8s.io/v1"}`, map[string]any{"event.kind": "event"}},
		{"kind Event and verb only", `{"kind":"Event","verb":"create","user":{"username":"eve"},"objectRef":{"resource":"secrets"}}`,
			map[string]any{"event.kind": "event", "event.action": "create", "user.name": "eve", "orchestrator.resource.type": "secrets"}},

		// fixed members
		{"fixed", ev(``), map[string]any{"event.kind": "event", "event.module": "kubernetes", "event.dataset": "kubernetes.audit_logs",
			"event.id": "id-1", "event.code": nil, "kubernetes.audit.level": "Metadata", "labels": nil, "event.original": nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, m := normOne(t, Options{ClusterName: map[bool]string{true: "prod"}[c.name == "cluster name"]}, c.rec, rt)
			if d.Error {
				t.Fatalf("pipeline_error: %s", d.JSON)
			}
			expect(t, m, c.want)
			if c.name != "cluster name" && get(m, "orchestrator.cluster") != nil {
				t.Errorf("cluster present without ClusterName")
			}
		})
	}
}

func TestDocMeta(t *testing.T) {
	d, _ := normOne(t, Options{}, ev(`"stageTimestamp":"1970-01-01T00:00:01.000000002Z"`), 5)
	if string(d.AuditID) != "id-1" || string(d.Stage) != "ResponseComplete" || d.Time != 1000000002 || d.Error {
		t.Fatalf("meta = %q %q %d %v", d.AuditID, d.Stage, d.Time, d.Error)
	}
	d, m := normOne(t, Options{}, `{"auditID":"x"}`, 0)
	if d.Time != 0 || get(m, "@timestamp") != nil {
		t.Fatalf("no time: %d %s", d.Time, d.JSON)
	}
}

func TestEventOriginal(t *testing.T) {
	rec := "  " + ev(`"verb":"get"`) + "\n"
	_, m := normOne(t, Options{EventOriginal: true}, rec, 1)
	expect(t, m, map[string]any{"event.original": strings.TrimSpace(rec)})
	// An EventList item has no text of its own: it is rendered compactly.
	docs := New(Options{EventOriginal: true}).Normalize([]byte(`{"kind":"EventList","items":[ {"auditID" : "a"} ]}`), 1)
	if len(docs) != 1 {
		t.Fatal(len(docs))
	}
	expect(t, decode(t, docs[0].JSON), map[string]any{"event.original": `{"auditID":"a"}`})
}

func TestShapes(t *testing.T) {
	e1 := ev(`"auditID":"a1"`)
	e2 := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a2","stage":"ResponseStarted"}`
	str2, _ := json.Marshal(e2)
	cases := []struct {
		name   string
		rec    string
		ids    []string
		errors int
	}{
		{"single", e2, []string{"a2"}, 0},
		{"EventList", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + e2 + `,` + e2 + `]}`, []string{"a2", "a2"}, 0},
		{"EventList bad item", `{"kind":"EventList","items":[` + e2 + `,{"foo":1},` + e2 + `]}`, []string{"a2", "", "a2"}, 1},
		{"empty EventList", `{"kind":"EventList","items":[]}`, nil, 0},
		{"array", `[` + e2 + `,` + e2 + `]`, []string{"a2", "a2"}, 0},
		{"AKS string", `{"category":"kube-audit","properties":{"log":` + string(str2) + `}}`, []string{"a2"}, 0},
		{"AKS object", `{"category":"kube-audit-admin","properties":{"log":` + e2 + `}}`, []string{"a2"}, 0},
		{"AKS bad string", `{"category":"kube-audit","properties":{"log":"{not json"}}`, []string{""}, 1},
		{"AKS number", `{"category":"kube-audit","properties":{"log":5}}`, []string{""}, 1},
		{"Azure records", `{"records":[{"category":"kube-audit","properties":{"log":` + string(str2) + `}},{"properties":{"log":` + string(str2) + `}}]}`, []string{"a2", "a2"}, 0},
		{"not JSON", `this is not json`, []string{""}, 1},
		{"truncated JSON", e1[:20], []string{""}, 1},
		{"empty", "  \n", []string{""}, 1},
		{"number", `42`, []string{""}, 1},
		{"kind not Event", `{"kind":0}`, []string{""}, 1},
		{"other kind", `{"kind":"Pod","auditID":"x"}`, []string{""}, 1},
		{"no audit fields", `{"hello":"world"}`, []string{""}, 1},
		{"deep nesting", `[[[[[[` + e2 + `]]]]]]`, []string{""}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs := New(Options{}).Normalize([]byte(c.rec), 7)
			if len(docs) != len(c.ids) {
				t.Fatalf("got %d docs, want %d", len(docs), len(c.ids))
			}
			errs := 0
			for i, d := range docs {
				if !json.Valid(d.JSON) {
					t.Fatalf("invalid JSON %s", d.JSON)
				}
				if string(d.AuditID) != c.ids[i] {
					t.Errorf("doc %d auditID %q want %q", i, d.AuditID, c.ids[i])
				}
				if d.Error {
					errs++
					m := decode(t, d.JSON)
					expect(t, m, map[string]any{"event.kind": "pipeline_error", "event.module": "kubernetes",
						"event.dataset": "kubernetes.audit_logs", "@timestamp": "1970-01-01T00:00:00.000000007Z"})
					if msg, _ := get(m, "error.message").(string); msg == "" {
						t.Errorf("no error.message: %s", d.JSON)
					}
					if d.Time != 7 {
						t.Errorf("error Time %d", d.Time)
					}
				}
			}
			if errs != c.errors {
				t.Errorf("%d errors, want %d", errs, c.errors)
			}
		})
	}
}

func TestPipelineErrorBounded(t *testing.T) {
	// 'é' is 2 bytes: a 5-byte bound must not split the third one.
	rec := "ééééé not json"
	keep := Options{MaxOriginalBytes: 5, KeepUnparsedText: true}
	d, m := normOne(t, keep, rec, 0)
	if !d.Error || d.Time != 0 {
		t.Fatalf("doc %+v", d)
	}
	expect(t, m, map[string]any{"event.original": "éé", "labels.truncated": true, "@timestamp": nil,
		"labels.original_bytes": len(rec)})
	if msg := get(m, "error.message").(string); !strings.HasPrefix(msg, "invalid JSON: ") {
		t.Errorf("message %q", msg)
	}
	_, m = normOne(t, Options{KeepUnparsedText: true}, "{\"a\":\xff", 0)
	expect(t, m, map[string]any{"event.original": "{\"a\":\ufffd", "labels.truncated": nil})
	// Default bound: 16 KiB.
	big := strings.Repeat("x", 20000)
	_, m = normOne(t, Options{KeepUnparsedText: true}, big, 0)
	if got := len(get(m, "event.original").(string)); got != DefaultMaxOriginalBytes {
		t.Errorf("original length %d", got)
	}
}

func TestBodyCap(t *testing.T) {
	big := strings.Repeat("a", DefaultMaxEventBytes)
	_, m := normOne(t, Options{}, ev(`"requestObject":{"data":"`+big+`"},"responseObject":{"metadata":{"name":"n"}}`), 0)
	expect(t, m, map[string]any{"kubernetes.audit.requestObject": nil, "labels.truncated": true,
		"kubernetes.audit.responseObject": map[string]any{"metadata": map[string]any{"name": "n"}}})
}

func TestRawFormat(t *testing.T) {
	e2 := `{"kind":"Event", "auditID":"a2","stage":"ResponseComplete","stageTimestamp":"2024-01-02T03:04:05Z","n":1.5e3,"x":NaN,"s":"\u00e9\t"}`
	docs := New(Options{Format: Raw}).Normalize([]byte(`{"kind":"EventList","items":[`+e2+`]}`), 0)
	if len(docs) != 1 {
		t.Fatal(len(docs))
	}
	want := `{"kind":"Event","auditID":"a2","stage":"ResponseComplete","stageTimestamp":"2024-01-02T03:04:05Z","n":1.5e3,"x":"NaN","s":"é\t"}`
	if string(docs[0].JSON) != want {
		t.Errorf("got  %s\nwant %s", docs[0].JSON, want)
	}
	if string(docs[0].AuditID) != "a2" || string(docs[0].Stage) != "ResponseComplete" || docs[0].Time != 1704164645000000000 {
		t.Errorf("meta %q %q %d", docs[0].AuditID, docs[0].Stage, docs[0].Time)
	}
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"ecs": ECS, "ECS": ECS, " raw ": Raw} {
		if f, err := ParseFormat(s); err != nil || f != want {
			t.Errorf("%q: %v %v", s, f, err)
		}
	}
	if _, err := ParseFormat("json"); err == nil {
		t.Error("json accepted")
	}
	if ECS.String() != "ecs" || Raw.String() != "raw" {
		t.Error("String")
	}
}

// TestReuse: documents of one call stay intact within the call, and a
// Normalizer gives the same bytes for the same input every time.
func TestReuse(t *testing.T) {
	n := New(Options{})
	rec := []byte(`[` + ev(`"auditID":"x1"`) + `,{"properties":{"log":"{\"auditID\":\"x2\",\"stage\":\"S2\"}"}},{"properties":{"log":"{\"auditID\":\"x3\"}"}}]`)
	first := n.Normalize(rec, 1)
	var saved []string
	for _, d := range first {
		saved = append(saved, string(d.JSON)+"|"+string(d.AuditID)+"|"+string(d.Stage))
	}
	if len(saved) != 3 || !strings.Contains(saved[1], "|x2|S2") || !strings.Contains(saved[2], "|x3|") {
		t.Fatalf("saved %v", saved)
	}
	for i := 0; i < 3; i++ {
		for j, d := range n.Normalize(rec, 1) {
			if got := string(d.JSON) + "|" + string(d.AuditID) + "|" + string(d.Stage); got != saved[j] {
				t.Fatalf("run %d doc %d differs", i, j)
			}
		}
	}
}

package syslog

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/internal/testfix"
	"github.com/k8saudit/k8saudit/normalize"
)

// fixtureLogs are line-oriented audit logs of the repository's fixtures: real API
// servers' events, detections included (the Falco cases).
var fixtureLogs = [][]string{
	{"real", "audit2rbac_testdata_demo.log"},
	{"real", "openshift-clo_apiaudit_vrl_audit_in.log"},
	{"real", "kube-oidc-proxy_issue70_401_anonymous.jsonl"},
	{"elastic", "test-audit.log"},
	{"falco", "create_cluster_role_wildcard_verbs.json"},
	{"falco", "attach_pod.json"},
	{"falco", "create_nginx_pod_privileged.json"},
	{"falco", "create_kube_system_secret.json"},
}

// realDocs normalizes the fixtures with every detection on, in format f, and returns
// the documents (copied) in order.
func realDocs(tb testing.TB, f normalize.Format) [][]byte {
	tb.Helper()
	n := normalize.New(normalize.Options{Format: f, ClusterName: "test", Redact: true,
		Detect: detect.New(detect.Options{Rules: detect.AllRules()})})
	var out [][]byte
	for _, parts := range fixtureLogs {
		for _, line := range bytes.Split(testfix.Read(tb, parts...), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			for _, d := range n.Normalize(line, 1700000000123456789) {
				out = append(out, bytes.Clone(d.JSON))
			}
		}
	}
	if len(out) < 100 {
		tb.Fatalf("only %d documents from the fixtures", len(out))
	}
	return out
}

// bigDoc returns an ECS document of about size bytes: a real event whose request body
// carries a large ConfigMap, normalized like any other.
func bigDoc(tb testing.TB, i, size int) []byte {
	tb.Helper()
	val := strings.Repeat("x", size)
	ev := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"big-%04d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/configmaps","verb":"create","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"configmaps","namespace":"default","name":"big","apiVersion":"v1"},"responseStatus":{"code":201},"requestObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"big"},"data":{"blob":%q}},"requestReceivedTimestamp":"2025-03-04T06:22:18.819232Z","stageTimestamp":"2025-03-04T06:22:18.822532Z"}`, i, val)
	n := normalize.New(normalize.Options{Format: normalize.ECS, MaxEventBytes: 4 << 20})
	docs := n.Normalize([]byte(ev), 1)
	if len(docs) != 1 || len(docs[0].JSON) < size {
		tb.Fatalf("big document: %d docs", len(docs))
	}
	return bytes.Clone(docs[0].JSON)
}

package normalize

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/detect"
)

// falcoLine reads the first line of a Falco trace copied into detect's
// testdata (the repository's own copy).
func falcoLine(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "detect", "testdata", "falco", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitN(bytes.TrimSpace(b), []byte("\n"), 2)[0]
}

func allRules() *detect.Engine { return detect.New(detect.Options{Rules: detect.AllRules()}) }

// TestDetectECS: a privileged pod (Falco's trace) becomes an alert with
// the rule, threat and tags fields; an unprivileged one stays an event
// with none of them; on every road.
func TestDetectECS(t *testing.T) {
	for _, noDirect := range []bool{false, true} {
		n := road(New(Options{Detect: detect.New(detect.Options{})}), !noDirect)
		docs := n.Normalize(falcoLine(t, "create_nginx_pod_privileged.json"), testRecordTime)
		if len(docs) != 1 {
			t.Fatalf("%d docs", len(docs))
		}
		m := decode(t, docs[0].JSON)
		for path, want := range map[string]any{
			"event.kind":                           "alert",
			"event.severity":                       float64(73),
			"labels.severity":                      "high",
			"rule.ruleset":                         "k8s-audit-edge",
			"threat.framework":                     "MITRE ATT&CK",
			"event.module":                         "kubernetes",
			"orchestrator.resource.type":           "pods",
			"kubernetes.audit.objectRef.namespace": "default",
		} {
			if got := get(m, path); got != want {
				t.Errorf("road direct=%v: %s = %v, want %v", !noDirect, path, got, want)
			}
		}
		for path, want := range map[string]string{
			"rule.id":               "K8S-010",
			"rule.name":             "Privileged container",
			"rule.reference":        "https://attack.mitre.org/techniques/T1610/",
			"threat.tactic.id":      "TA0002,TA0004",
			"threat.tactic.name":    "Execution,Privilege Escalation",
			"threat.technique.id":   "T1610,T1611",
			"threat.technique.name": "Deploy Container,Escape to Host",
			"tags":                  "k8s-audit-edge,attack.execution,attack.privilege_escalation,attack.t1610,attack.t1611",
		} {
			if got := joined(get(m, path)); got != want {
				t.Errorf("%s = %q, want %q", path, got, want)
			}
		}
		if get(m, "threat.technique.subtechnique") != nil {
			t.Errorf("a subtechnique where the rule names none")
		}

		docs = n.Normalize(falcoLine(t, "create_nginx_pod_unprivileged.json"), testRecordTime)
		m = decode(t, docs[0].JSON)
		if get(m, "event.kind") != "event" || get(m, "rule") != nil || get(m, "threat") != nil || get(m, "tags") != nil ||
			get(m, "labels") != nil || get(m, "event.severity") != nil {
			t.Errorf("unprivileged pod: %s", docs[0].JSON)
		}
	}
}

func joined(v any) string {
	a, _ := v.([]any)
	var s []string
	for _, x := range a {
		s = append(s, x.(string))
	}
	return strings.Join(s, ",")
}

// TestDetectSubtechniqueAndSeveral: several rules on one event (an exec
// reading the service-account token also is an exec) and a sub-technique.
func TestDetectSubtechniqueAndSeveral(t *testing.T) {
	line := bytes.Replace(falcoLine(t, "exec_pod.json"), []byte(`exec?command=`),
		[]byte(`exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&x=`), 1)
	if bytes.Equal(line, falcoLine(t, "exec_pod.json")) {
		t.Fatal("fixture changed: no exec?command=")
	}
	n := New(Options{Detect: detect.New(detect.Options{})})
	m := decode(t, n.Normalize(line, testRecordTime)[0].JSON)
	if got := joined(get(m, "rule.id")); got != "K8S-001,K8S-004" {
		t.Fatalf("rule.id %q", got)
	}
	if got := joined(get(m, "threat.technique.subtechnique.id")); got != "T1552.001,T1552.007" {
		t.Errorf("subtechnique.id %q", got)
	}
	if got := get(m, "labels.severity"); got != "high" {
		t.Errorf("labels.severity %v", got)
	}
	// The second stage of the same request does not alert again.
	line2 := bytes.Replace(line, []byte(`"ResponseStarted"`), []byte(`"ResponseComplete"`), 1)
	m = decode(t, n.Normalize(line2, testRecordTime)[0].JSON)
	if get(m, "event.kind") != "event" {
		t.Errorf("second stage alerted again: %v", get(m, "rule.id"))
	}
}

// TestDetectRawAndAlertsOnly: format raw carries a k8saudit side object;
// alert-only ships matches only, counting the rest as dropped.
func TestDetectRawAndAlertsOnly(t *testing.T) {
	n := New(Options{Format: Raw, Detect: detect.New(detect.Options{}), DetectAlertsOnly: true})
	docs := n.Normalize(falcoLine(t, "create_nginx_pod_hostnetwork.json"), testRecordTime)
	if len(docs) != 1 {
		t.Fatalf("%d docs", len(docs))
	}
	m := decode(t, docs[0].JSON)
	if get(m, "k8saudit.kind") != "alert" || get(m, "k8saudit.severity") != "medium" || get(m, "auditID") == nil {
		t.Fatalf("raw: %s", docs[0].JSON)
	}
	r := get(m, "k8saudit.rules").([]any)[0].(map[string]any)
	if r["id"] != "K8S-013" || r["name"] != "hostNetwork pod" || r["ruleset"] != "k8s-audit-edge" || joined(r["techniques"]) != "T1611,T1610" {
		t.Errorf("raw rule %v", r)
	}
	docs = n.Normalize(falcoLine(t, "create_nginx_pod_unprivileged.json"), testRecordTime)
	if len(docs) != 0 || n.Dropped() != 1 {
		t.Errorf("alerts only: %d docs, %d dropped", len(docs), n.Dropped())
	}
}

// TestDetectNoSecretInOutput: a detection on a Secret event (a secret read
// with curl) writes no more of the event than the plain document, and the
// secret value stays redacted.
func TestDetectNoSecretInOutput(t *testing.T) {
	ev := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/default/secrets/db","verb":"get","user":{"username":"alice"},"sourceIPs":["10.0.0.9"],` +
		`"userAgent":"curl/8.0","objectRef":{"resource":"secrets","namespace":"default","name":"db","apiVersion":"v1"},` +
		`"responseStatus":{"code":200},"responseObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"c3VwZXJzZWNyZXQ="}},` +
		`"stageTimestamp":"2024-01-01T00:00:00Z","annotations":{"authorization.k8s.io/decision":"allow"}}`
	n := New(Options{Redact: true, Detect: detect.New(detect.Options{})})
	doc := n.Normalize([]byte(ev), testRecordTime)[0].JSON
	m := decode(t, doc)
	if joined(get(m, "rule.id")) != "K8S-038" {
		t.Errorf("rule.id %v", get(m, "rule.id"))
	}
	if bytes.Contains(doc, []byte("c3VwZXJzZWNyZXQ=")) {
		t.Errorf("secret value shipped: %s", doc)
	}
}

// TestDetectZeroAllocs: with every rule on, normalizing any fixture event
// again allocates nothing, in both formats.
func TestDetectZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	files := loadFixtures(t)
	for _, o := range []Options{
		{Format: ECS, Redact: true, Detect: allRules()},
		{Format: Raw, Detect: allRules()},
	} {
		n := New(o)
		alerts := 0 // on the first pass: the auditID memory keeps later ones quiet
		for pass := 0; pass < 2; pass++ {
			for _, f := range files {
				for _, r := range f.records {
					for _, d := range n.Normalize(r, testRecordTime) {
						if pass == 0 && (bytes.Contains(d.JSON, []byte(`"kind":"alert"`)) || bytes.Contains(d.JSON, []byte(`"k8saudit":`))) {
							alerts++
						}
					}
				}
			}
		}
		for _, f := range files {
			for i, r := range f.records {
				docs := n.Normalize(r, testRecordTime)
				if len(docs) == 1 && docs[0].Error {
					continue
				}
				allocs := testing.AllocsPerRun(5, func() { n.Normalize(r, testRecordTime) })
				if allocs != 0 {
					t.Errorf("%v %s record %d: %.1f allocs per run", o.Format, f.name, i, allocs)
				}
			}
		}
		if alerts < 10 {
			t.Errorf("%v: %d alerts among the fixtures", o.Format, alerts)
		}
	}
}

// TestDetectAlertPathZeroAllocs: the events that alert, written again and
// again (without their auditID, so that the memory of alerted auditIDs
// does not silence them), allocate nothing either, in both formats.
func TestDetectAlertPathZeroAllocs(t *testing.T) {
	dir := filepath.Join("..", "detect", "testdata", "falco")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	auditID := regexp.MustCompile(`"auditID":"[^"]*",?`)
	for _, format := range []Format{ECS, Raw} {
		n := New(Options{Format: format, Redact: true, Detect: allRules()})
		checked := 0
		for _, en := range entries {
			if !strings.HasSuffix(en.Name(), ".json") {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(dir, en.Name()))
			for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
				line = auditID.ReplaceAll(line, nil)
				docs := n.Normalize(line, testRecordTime)
				if len(docs) != 1 || !(bytes.Contains(docs[0].JSON, []byte(`"kind":"alert"`)) || bytes.Contains(docs[0].JSON, []byte(`"k8saudit":`))) {
					continue
				}
				n.Normalize(line, testRecordTime)
				checked++
				if a := testing.AllocsPerRun(5, func() { n.Normalize(line, testRecordTime) }); a != 0 {
					t.Errorf("%v %s: %.1f allocs per run", format, en.Name(), a)
				}
			}
		}
		if checked < 20 {
			t.Errorf("%v: only %d alerting events", format, checked)
		}
	}
}

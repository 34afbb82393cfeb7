package normalize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/internal/testfix"
	"github.com/k8saudit/k8saudit/normalize/internal/timestamp"
)

// Fixtures are the repository's testdata/fixtures (provenance in its README),
// found by internal/testfix; a test reading them calls needFixtures first.
var fixtureRoot = testfix.Root()

// testRecordTime is the Fluent Bit record time used by fixture tests.
const testRecordTime = int64(1700000000123456789)

// fixtureFile is one fixture file split into records.
type fixtureFile struct {
	name    string // golden name: <dir>_<file>
	records [][]byte
}

// needFixtures fails the test when the fixtures folder was not found: it is part
// of the repository, so its absence is a broken checkout, never a reason to skip.
func needFixtures(t testing.TB) {
	t.Helper()
	testfix.Dir(t)
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// loadFixtures returns every fixture file, in a stable order: line-oriented
// files (.log, .jsonl, Falco's .json) record per line, pretty-printed .json
// files of real/ as one record, Sekoia cases as their input.message.
func loadFixtures(t testing.TB) []fixtureFile {
	t.Helper()
	needFixtures(t)
	var files []fixtureFile
	add := func(dir string, match func(string) bool, split func(string, []byte) [][]byte) {
		entries, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || !match(e.Name()) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(fixtureRoot, dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, fixtureFile{name: dir + "_" + e.Name(), records: split(e.Name(), b)})
		}
	}
	lines := func(_ string, b []byte) [][]byte { return splitLines(b) }
	add("real", func(n string) bool {
		return strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".jsonl") || strings.HasSuffix(n, ".json")
	}, func(n string, b []byte) [][]byte {
		if strings.HasSuffix(n, ".json") {
			return [][]byte{b}
		}
		return splitLines(b)
	})
	add("elastic", func(n string) bool { return n == "test-audit.log" || n == "test-kube-audit.log" }, lines)
	add("sekoia", func(n string) bool { return strings.HasSuffix(n, ".json") }, func(n string, b []byte) [][]byte {
		var c struct {
			Input struct {
				Message string `json:"message"`
			} `json:"input"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("sekoia/%s: %v", n, err)
		}
		return [][]byte{[]byte(c.Input.Message)}
	})
	add("falco", func(n string) bool { return strings.HasSuffix(n, ".json") }, lines)
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files
}

// realLines returns the lines of real/*.log and real/*.jsonl.
func realLines(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range loadFixtures(t) {
		if strings.HasPrefix(f.name, "real_") && !strings.HasSuffix(f.name, ".json") {
			out = append(out, f.records...)
		}
	}
	return out
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return m
}

// get walks a dotted path through decoded ECS (keys are nested objects).
func get(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur, ok = mm[k]
		if !ok {
			return nil
		}
	}
	return cur
}

func TestRealFixtures(t *testing.T) {
	lines := realLines(t)
	// The brief counted 147 lines; the .log/.jsonl files hold 156 (the 9
	// lines of openshift-clo_apiaudit_vrl_audit_out_exporter.log come on top
	// of 37+1+4+5+100).
	if len(lines) != 156 {
		t.Fatalf("real .log/.jsonl lines = %d, want 156", len(lines))
	}
	n := New(Options{ClusterName: "test"})
	byID := map[string]map[string]any{}
	for i, l := range lines {
		docs := n.Normalize(l, testRecordTime)
		if len(docs) == 0 {
			t.Fatalf("line %d: no document", i)
		}
		for _, d := range docs {
			if !json.Valid(d.JSON) {
				t.Fatalf("line %d: invalid JSON %s", i, d.JSON)
			}
			if d.Error {
				t.Fatalf("line %d: pipeline_error %s", i, d.JSON)
			}
			m := decode(t, d.JSON)
			if got := get(m, "event.id"); got != string(d.AuditID) {
				t.Fatalf("line %d: event.id %v, Doc.AuditID %q", i, got, d.AuditID)
			}
			if got := get(m, "kubernetes.audit.stage"); got != nil && got != string(d.Stage) {
				t.Fatalf("line %d: stage %v, Doc.Stage %q", i, got, d.Stage)
			}
			if ts, _ := get(m, "@timestamp").(string); ts != string(timestamp.Append(nil, d.Time)) {
				t.Fatalf("line %d: @timestamp %q, Doc.Time %d", i, ts, d.Time)
			}
			byID[string(d.AuditID)] = m
		}
	}

	checks := []struct {
		id     string
		fields map[string]any
	}{
		{"b5306e8b-b8f4-4be9-9d11-c1355e3eae74", map[string]any{ // kube-oidc-proxy anonymous 401
			"@timestamp":                "2025-04-15T09:42:52.366550000Z",
			"event.start":               "2025-04-15T09:42:52.366451000Z",
			"event.duration":            99000.0,
			"event.outcome":             "failure",
			"user":                      nil, // user: {} has nothing to map
			"source.ip":                 "192.168.0.142",
			"related.ip":                []any{"192.168.0.142", "192.168.1.207"},
			"http.response.status_code": 401.0,
			"http.request.method":       "GET",
			"error.message":             "Authentication failed, no credentials provided",
			"user_agent.name":           "curl",
			"user_agent.version":        "8.13.0",
			"url.path":                  "/",
			"orchestrator.cluster.name": "test",
		}},
		{"d857fef6-5a24-4889-9597-ffbcb6108444", map[string]any{ // audit2rbac impersonation, legacy timestamp
			"@timestamp":               "2017-09-11T19:55:34.000000000Z",
			"user.name":                "system:admin",
			"user.group.name":          []any{"system:masters", "system:authenticated"},
			"user.effective.name":      "bob",
			"related.user":             []any{"system:admin", "bob"},
			"event.outcome":            "failure",
			"event.type":               []any{"access", "denied"}, // a 403 from an API server that wrote no decision
			"error.code":               "Forbidden",
			"url.path":                 "/api/v1/namespaces/default/pods",
			"url.query":                "includeUninitialized=true",
			"orchestrator.namespace":   "default",
			"orchestrator.api_version": "v1",
			"source.ip":                "::1",
		}},
	}
	for _, c := range checks {
		m, ok := byID[c.id]
		if !ok {
			t.Fatalf("event %s not found", c.id)
		}
		for path, want := range c.fields {
			got := get(m, path)
			if want == nil {
				if got != nil {
					t.Errorf("%s %s = %v, want absent", c.id, path, got)
				}
				continue
			}
			if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
				t.Errorf("%s %s = %s, want %s", c.id, path, gb, mustJSON(want))
			}
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestInvalidIPFixture: the LOG-5607 sample has sourceIPs ["99.999.999.999"]:
// no source.ip, no related.ip, the event itself kept.
func TestInvalidIPFixture(t *testing.T) {
	needFixtures(t)
	b, err := os.ReadFile(filepath.Join(fixtureRoot, "real", "openshift-clo_log5607_sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	docs := New(Options{}).Normalize(b, testRecordTime)
	if len(docs) != 1 || docs[0].Error {
		t.Fatalf("docs = %d", len(docs))
	}
	m := decode(t, docs[0].JSON)
	for path, want := range map[string]any{
		"source":                        nil,
		"related.ip":                    nil,
		"kubernetes.audit.sourceIPs":    []any{"99.999.999.999"},
		"event.id":                      "60f68506-a3fd-43fc-a715-8c678a8ccf1b",
		"event.action":                  "update",
		"event.type":                    []any{"change", "allowed"},
		"orchestrator.resource.type":    "configurationpolicies",
		"orchestrator.resource.subtype": "configurationpolicies/status",
		"orchestrator.resource.id":      "001b043c-ce9b-4bda-9092-97db0f249748",
		"orchestrator.api_version":      "policy.open-cluster-management.io/v1",
		"http.request.method":           "PUT",
		"user_agent.os.name":            "linux",
		"user_agent.name":               "config-policy-controller",
	} {
		got := get(m, path)
		if want == nil {
			if got != nil {
				t.Errorf("%s = %v, want absent", path, got)
			}
			continue
		}
		if mustJSON(got) != mustJSON(want) {
			t.Errorf("%s = %s, want %s", path, mustJSON(got), mustJSON(want))
		}
	}
}

// TestAllFixturesValid runs every fixture record through both formats.
func TestAllFixturesValid(t *testing.T) {
	for _, format := range []Format{ECS, Raw} {
		n := New(Options{Format: format, ClusterName: "test", EventOriginal: true})
		events, errs := 0, 0
		for _, f := range loadFixtures(t) {
			for i, r := range f.records {
				docs := n.Normalize(r, testRecordTime)
				if len(docs) == 0 {
					t.Fatalf("%s record %d: no document", f.name, i)
				}
				for _, d := range docs {
					if len(d.JSON) == 0 || !json.Valid(d.JSON) {
						t.Fatalf("%s record %d: invalid JSON %s", f.name, i, d.JSON)
					}
					if d.Error {
						errs++
					} else {
						events++
					}
				}
			}
		}
		// Pipeline errors: Falco's malformed {"kind": 0}, Elastic's GKE
		// LogEntry, and the OTLP export of real/ (not an audit shape).
		if errs != 3 {
			t.Errorf("%v: %d pipeline errors, want 3", format, errs)
		}
		t.Logf("%v: %d event documents, %d pipeline errors", format, events, errs)
	}
}

package dashboards

import (
	"bytes"
	"strings"
	"testing"
)

// The checkers must fail: each case breaks the committed file in one way and expects an
// error naming it, so that a green TestSavedObjects or TestGrafana means something.

func TestSavedObjectChecksCatch(t *testing.T) {
	fields := emittedFields(t)
	cases := []struct {
		name, file, old, new, want string
		d                          dialect
	}{
		{"unknown field", kibanaFile, `\"field\":\"orchestrator.resource.subtype\"`, `\"field\":\"orchestrator.resource.sub_type\"`, "not emitted", kibana},
		{"moved field", kibanaFile, `\"field\":\"user.name\"`, `\"field\":\"user.roles\"`, "not emitted", kibana},
		{"unknown column", kibanaFile, `"columns":["rule.id"`, `"columns":["rule.identifier"`, "not emitted", kibana},
		{"query literal typo", kibanaFile, `\"pods/`, `\"pod/`, "none of", kibana},
		{"query field typo", kibanaFile, `event.kind:alert`, `event.kinds:alert`, "not emitted", kibana},
		{"numeric compare on text", kibanaFile, `event.duration >= `, `event.action >= `, "not a number", kibana},
		{"unresolved reference", kibanaFile, `"id":"k8saudit-secrets","name"`, `"id":"k8saudit-secret","name"`, "does not resolve", kibana},
		{"duplicate id", kibanaFile, `"id":"k8saudit-search-slow"`, `"id":"k8saudit-search-all"`, "not unique", kibana},
		{"7.x panel reference in 8.x", kibanaFile, `"name":"3:panel_3"`, `"name":"panel_3"`, "no reference named", kibana},
		{"text field aggregated", opensearchFile, `source.ip.keyword`, `source.ip`, "text field", opensearch},
		{"keyword on a number", opensearchFile, `\"field\":\"http.response.status_code\"`, `\"field\":\"http.response.status_code.keyword\"`, "not a string", opensearch},
		{"8.x object in OpenSearch", opensearchFile, `"migrationVersion":{"search":"7.9.3"}`, `"typeMigrationVersion":"8.0.0"`, "migrationVersion", opensearch},
	}
	for _, c := range cases {
		b := readFile(t, c.file)
		broken := bytes.Replace(b, []byte(c.old), []byte(c.new), -1)
		if bytes.Equal(b, broken) {
			t.Fatalf("%s: %q not in %s", c.name, c.old, c.file)
		}
		objs, err := parseNDJSON(broken)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		errs := checkSavedObjects(objs, fields, c.d)
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e.Error(), c.want)
		}
		if !found {
			t.Errorf("%s: no error containing %q (got %v)", c.name, c.want, errs)
		}
	}
}

func TestGrafanaChecksCatch(t *testing.T) {
	metrics := knownMetrics(t)
	cases := []struct{ name, old, new, want string }{
		{"unknown metric", `k8saudit_retries_total`, `k8saudit_retry_total`, "unknown metric k8saudit_retry_total"},
		{"metric on no panel", `k8saudit_retries_total`, `k8saudit_records_total`, "k8saudit_retries_total is on no panel"},
		{"selector without output", `k8saudit_inflight_requests{output=~\"$output\"}`, `k8saudit_inflight_requests`, "not filtered by $output"},
		{"label the metric lacks", `sum by (code_class)`, `sum by (rule)`, "carries rule"},
		{"histogram without suffix", `k8saudit_request_duration_seconds_bucket`, `k8saudit_request_duration_seconds`, "used without _bucket"},
		{"fixed datasource", `"uid": "${datasource}"`, `"uid": "prometheus"`, "datasource"},
	}
	for _, c := range cases {
		b := readFile(t, grafanaFile)
		broken := bytes.Replace(b, []byte(c.old), []byte(c.new), -1)
		if bytes.Equal(b, broken) {
			t.Fatalf("%s: %q not in %s", c.name, c.old, grafanaFile)
		}
		errs := checkGrafana(broken, metrics)
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e.Error(), c.want)
		}
		if !found {
			t.Errorf("%s: no error containing %q (got %v)", c.name, c.want, errs)
		}
	}
}

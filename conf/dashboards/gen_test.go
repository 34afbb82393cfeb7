package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the dashboards in conf/dashboards from gen_test.go")

// The audit dashboards are described once here and written in two dialects: Kibana 8.x
// (saved-objects export, data view on the data stream logs-kubernetes.audit-*, whose
// built-in logs-*-* template maps strings as keyword) and OpenSearch Dashboards (7.10
// export format, index pattern k8saudit-*, default dynamic mapping: a string field is
// text with a .keyword sub-field, so terms aggregations use the sub-field).

const (
	dataViewID       = "k8saudit-audit-data-view"
	kibanaTitle      = "logs-kubernetes.audit-*"
	opensearchTitle  = "k8saudit-*"
	indexRefName     = "kibanaSavedObjectMeta.searchSourceJSON.index"
	kibanaFile       = "kibana/k8saudit-audit.ndjson"
	opensearchFile   = "opensearch/k8saudit-audit.ndjson"
	grafanaFile      = "grafana/k8saudit-metrics.json"
	denyQuery        = `event.type:denied or event.outcome:failure`
	execQuery        = `orchestrator.resource.subtype:("pods/exec" or "pods/attach" or "pods/portforward")`
	rbacQuery        = `orchestrator.resource.type:(roles or rolebindings or clusterroles or clusterrolebindings) and not event.action:(get or list or watch)`
	secretsQuery     = `orchestrator.resource.type:secrets`
	slowQuery        = `event.duration >= 1000000000`
	alertQuery       = `event.kind:alert`
	durationFormatNS = "nanoseconds"
)

// notString: the fields that are not strings in the documents (numbers, dates); terms on
// them need no .keyword in OpenSearch.
var notString = map[string]bool{"@timestamp": true, "event.duration": true, "http.response.status_code": true, "event.severity": true}

type agg struct {
	typ, schema, field string
	size               int
	orderBy            string // terms: the metric agg id to order by
}

type vis struct {
	id, title, kind, query string // kind: table or histogram
	aggs                   []agg
}

type search struct {
	id, title, query string
	columns          []string
	sort             [2]string
}

var count = agg{typ: "count", schema: "metric"}

func terms(field string, size int) agg {
	return agg{typ: "terms", schema: "bucket", field: field, size: size, orderBy: "1"}
}

var visualizations = []vis{
	{"k8saudit-activity", "K8s audit: activity by outcome", "histogram", "", []agg{count,
		{typ: "date_histogram", schema: "segment", field: "@timestamp"},
		{typ: "terms", schema: "group", field: "event.outcome", size: 5, orderBy: "1"}}},
	{"k8saudit-who-did-what", "K8s audit: who did what (user x verb x resource)", "table", "",
		[]agg{count, terms("user.name", 20), terms("event.action", 10), terms("orchestrator.resource.type", 10)}},
	{"k8saudit-denied-failed", "K8s audit: denied and failed requests", "table", denyQuery,
		[]agg{count, terms("user.name", 20), terms("http.response.status_code", 10), terms("event.action", 10), terms("orchestrator.resource.type", 10)}},
	{"k8saudit-exec-attach", "K8s audit: exec, attach, port-forward", "table", execQuery,
		[]agg{count, terms("user.name", 20), terms("orchestrator.resource.subtype", 3), terms("orchestrator.namespace", 20), terms("orchestrator.resource.name", 20)}},
	{"k8saudit-rbac-changes", "K8s audit: changes to RBAC", "table", rbacQuery,
		[]agg{count, terms("user.name", 20), terms("event.action", 10), terms("orchestrator.resource.type", 4), terms("orchestrator.resource.name", 20)}},
	{"k8saudit-secrets", "K8s audit: secrets access", "table", secretsQuery,
		[]agg{count, terms("user.name", 20), terms("event.action", 10), terms("orchestrator.namespace", 20), terms("orchestrator.resource.name", 20)}},
	{"k8saudit-slow", "K8s audit: slowest requests (event.duration)", "table", "",
		[]agg{count, {typ: "max", schema: "metric", field: "event.duration"}, {typ: "avg", schema: "metric", field: "event.duration"},
			{typ: "terms", schema: "bucket", field: "event.action", size: 10, orderBy: "2"},
			{typ: "terms", schema: "bucket", field: "orchestrator.resource.type", size: 10, orderBy: "2"}}},
	{"k8saudit-user-agents", "K8s audit: top user agents", "table", "",
		[]agg{count, terms("user_agent.original", 20)}},
	{"k8saudit-source-ips", "K8s audit: top source IPs", "table", "",
		[]agg{count, terms("source.ip", 20), terms("user.name", 5)}},
	{"k8saudit-detections", "K8s audit: detections by rule", "table", alertQuery,
		[]agg{count, terms("rule.id", 50), terms("rule.name", 50), terms("labels.severity", 5), terms("threat.technique.id", 10)}},
	{"k8saudit-detections-time", "K8s audit: detections over time", "histogram", alertQuery, []agg{count,
		{typ: "date_histogram", schema: "segment", field: "@timestamp"},
		{typ: "terms", schema: "group", field: "rule.id", size: 10, orderBy: "1"}}},
}

var eventColumns = []string{"user.name", "event.action", "orchestrator.resource.type", "orchestrator.namespace", "orchestrator.resource.name", "event.outcome", "http.response.status_code", "source.ip"}

var searches = []search{
	{"k8saudit-search-all", "K8s audit: all events", "", eventColumns, [2]string{"@timestamp", "desc"}},
	{"k8saudit-search-denied-failed", "K8s audit: denied and failed requests", denyQuery,
		[]string{"user.name", "event.action", "orchestrator.resource.type", "orchestrator.namespace", "http.response.status_code", "kubernetes.audit.responseStatus.reason", "source.ip"}, [2]string{"@timestamp", "desc"}},
	{"k8saudit-search-exec-attach", "K8s audit: exec, attach, port-forward", execQuery,
		[]string{"user.name", "orchestrator.resource.subtype", "orchestrator.namespace", "orchestrator.resource.name", "url.query", "source.ip"}, [2]string{"@timestamp", "desc"}},
	{"k8saudit-search-rbac-changes", "K8s audit: changes to RBAC", rbacQuery,
		[]string{"user.name", "event.action", "orchestrator.resource.type", "orchestrator.namespace", "orchestrator.resource.name", "event.outcome"}, [2]string{"@timestamp", "desc"}},
	{"k8saudit-search-secrets", "K8s audit: secrets access", secretsQuery,
		[]string{"user.name", "event.action", "orchestrator.namespace", "orchestrator.resource.name", "event.outcome", "source.ip"}, [2]string{"@timestamp", "desc"}},
	{"k8saudit-search-slow", "K8s audit: slow requests (1 s or more)", slowQuery,
		[]string{"event.duration", "user.name", "event.action", "orchestrator.resource.type", "url.path", "user_agent.original"}, [2]string{"event.duration", "desc"}},
	{"k8saudit-search-detections", "K8s audit: detections", alertQuery,
		[]string{"rule.id", "rule.name", "labels.severity", "threat.technique.id", "user.name", "event.action", "orchestrator.resource.type", "orchestrator.namespace"}, [2]string{"@timestamp", "desc"}},
}

// dashboardPanels: the audit dashboard, visualizations then the detections search.
var dashboardPanels = []struct{ typ, id string }{
	{"visualization", "k8saudit-activity"}, {"visualization", "k8saudit-detections-time"},
	{"visualization", "k8saudit-who-did-what"}, {"visualization", "k8saudit-denied-failed"},
	{"visualization", "k8saudit-exec-attach"}, {"visualization", "k8saudit-rbac-changes"},
	{"visualization", "k8saudit-secrets"}, {"visualization", "k8saudit-slow"},
	{"visualization", "k8saudit-user-agents"}, {"visualization", "k8saudit-source-ips"},
	{"visualization", "k8saudit-detections"}, {"search", "k8saudit-search-detections"},
}

const dashboardID = "k8saudit-audit-dashboard"

// mustJSON marshals without HTML escaping, so that a query's >= stays readable.
func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func keywordField(f string, opensearch bool) string {
	if opensearch && !notString[f] {
		return f + ".keyword"
	}
	return f
}

func searchSource(query string, withIndex bool) map[string]any {
	ss := map[string]any{"query": map[string]any{"query": query, "language": "kuery"}, "filter": []any{}}
	if withIndex {
		ss["indexRefName"] = indexRefName
	}
	return map[string]any{"searchSourceJSON": mustJSON(ss)}
}

func visParams(kind string) map[string]any {
	if kind == "table" {
		return map[string]any{"perPage": 10, "showPartialRows": false, "showMetricsAtAllLevels": false, "showTotal": false, "totalFunc": "sum", "percentageCol": ""}
	}
	return map[string]any{
		"type": "histogram", "addTooltip": true, "addLegend": true, "legendPosition": "right", "times": []any{}, "addTimeMarker": false,
		"grid":          map[string]any{"categoryLines": false},
		"labels":        map[string]any{"show": false},
		"thresholdLine": map[string]any{"show": false, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
		"categoryAxes": []any{map[string]any{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": true, "style": map[string]any{},
			"scale": map[string]any{"type": "linear"}, "labels": map[string]any{"show": true, "filter": true, "truncate": 100}, "title": map[string]any{}}},
		"valueAxes": []any{map[string]any{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": true, "style": map[string]any{},
			"scale": map[string]any{"type": "linear", "mode": "normal"}, "labels": map[string]any{"show": true, "rotate": 0, "filter": false, "truncate": 100},
			"title": map[string]any{"text": "Count"}}},
		"seriesParams": []any{map[string]any{"show": true, "type": "histogram", "mode": "stacked", "data": map[string]any{"label": "Count", "id": "1"},
			"valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": true, "lineWidth": 2, "showCircles": true}},
	}
}

func visState(v vis, opensearch bool) string {
	var aggs []any
	for i, a := range v.aggs {
		p := map[string]any{}
		switch a.typ {
		case "terms":
			p = map[string]any{"field": keywordField(a.field, opensearch), "size": a.size, "order": "desc", "orderBy": a.orderBy,
				"otherBucket": false, "otherBucketLabel": "Other", "missingBucket": false, "missingBucketLabel": "Missing"}
		case "date_histogram":
			p = map[string]any{"field": a.field, "interval": "auto", "min_doc_count": 1, "extended_bounds": map[string]any{}}
		case "max", "avg":
			p = map[string]any{"field": a.field}
		}
		aggs = append(aggs, map[string]any{"id": fmt.Sprint(i + 1), "enabled": true, "type": a.typ, "schema": a.schema, "params": p})
	}
	return mustJSON(map[string]any{"title": v.title, "type": v.kind, "aggs": aggs, "params": visParams(v.kind)})
}

func indexRef() []any {
	return []any{map[string]any{"id": dataViewID, "name": indexRefName, "type": "index-pattern"}}
}

// savedObjects returns the NDJSON of one dialect.
func savedObjects(opensearch bool) []byte {
	var objs []map[string]any
	wrap := func(typ, id string, attrs map[string]any, refs []any) {
		if refs == nil {
			refs = []any{}
		}
		o := map[string]any{"type": typ, "id": id, "attributes": attrs, "references": refs}
		if opensearch {
			o["migrationVersion"] = map[string]any{typ: map[string]string{"index-pattern": "7.6.0", "search": "7.9.3", "visualization": "7.10.0", "dashboard": "7.9.3"}[typ]}
		} else {
			o["coreMigrationVersion"] = "8.8.0"
			o["typeMigrationVersion"] = map[string]string{"index-pattern": "8.0.0", "search": "8.0.0", "visualization": "8.5.0", "dashboard": "8.7.0"}[typ]
			o["managed"] = false
		}
		objs = append(objs, o)
	}

	title := kibanaTitle
	if opensearch {
		title = opensearchTitle
	}
	// event.duration is in nanoseconds: shown as a duration. OpenSearch Dashboards (forked
	// at 7.10) predates the humanizePrecise output format.
	durationParams := map[string]any{"inputFormat": durationFormatNS, "outputFormat": "humanizePrecise", "outputPrecision": 1}
	if opensearch {
		durationParams = map[string]any{"inputFormat": durationFormatNS, "outputFormat": "humanize"}
	}
	dv := map[string]any{
		"title": title, "timeFieldName": "@timestamp", "fields": "[]",
		"fieldFormatMap": mustJSON(map[string]any{"event.duration": map[string]any{"id": "duration", "params": durationParams}}),
	}
	if !opensearch {
		dv["name"] = "Kubernetes audit (k8saudit)"
		dv["runtimeFieldMap"], dv["sourceFilters"], dv["typeMeta"], dv["allowNoIndex"] = "{}", "[]", "{}", true
	}
	wrap("index-pattern", dataViewID, dv, nil)

	for _, s := range searches {
		a := map[string]any{"title": s.title, "description": "", "columns": s.columns, "sort": [][]string{{s.sort[0], s.sort[1]}},
			"kibanaSavedObjectMeta": searchSource(s.query, true)}
		if opensearch {
			a["hits"], a["version"] = 0, 1
		} else {
			a["grid"], a["hideChart"], a["isTextBasedQuery"] = map[string]any{}, false, false
		}
		wrap("search", s.id, a, indexRef())
	}
	for _, v := range visualizations {
		wrap("visualization", v.id, map[string]any{"title": v.title, "description": "", "version": 1, "uiStateJSON": "{}",
			"visState": visState(v, opensearch), "kibanaSavedObjectMeta": searchSource(v.query, true)}, indexRef())
	}

	var panels, refs []any
	for i, p := range dashboardPanels {
		idx := fmt.Sprint(i + 1)
		w, x := 24, 24*(i%2)
		panel := map[string]any{"type": p.typ, "panelIndex": idx, "embeddableConfig": map[string]any{},
			"gridData": map[string]any{"x": x, "y": 15 * (i / 2), "w": w, "h": 15, "i": idx}}
		if opensearch {
			name := fmt.Sprintf("panel_%d", i)
			panel["panelRefName"], panel["version"] = name, "7.10.2"
			refs = append(refs, map[string]any{"name": name, "type": p.typ, "id": p.id})
		} else {
			name := "panel_" + idx
			panel["panelRefName"], panel["version"] = name, "8.8.0"
			refs = append(refs, map[string]any{"name": idx + ":" + name, "type": p.typ, "id": p.id})
		}
		panels = append(panels, panel)
	}
	wrap("dashboard", dashboardID, map[string]any{
		"title": "Kubernetes audit (k8saudit)", "description": "Kubernetes API-server audit events normalized to ECS by k8saudit: who did what, denied and failed requests, exec/attach/port-forward, RBAC changes, secrets access, slow requests, user agents, source IPs, detections.",
		"panelsJSON": mustJSON(panels), "optionsJSON": mustJSON(map[string]any{"useMargins": true, "hidePanelTitles": false}),
		"timeRestore": true, "timeFrom": "now-24h", "timeTo": "now", "refreshInterval": map[string]any{"pause": true, "value": 0},
		"version": 1, "kibanaSavedObjectMeta": searchSource("", false),
	}, refs)

	var out bytes.Buffer
	for _, o := range objs {
		out.WriteString(mustJSON(o))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// TestGenerated: the committed dashboards are what this file describes (run with -update
// to rewrite them after a change here).
func TestGenerated(t *testing.T) {
	for path, want := range map[string][]byte{
		kibanaFile:     savedObjects(false),
		opensearchFile: savedObjects(true),
		grafanaFile:    grafanaDashboard(),
	} {
		if *update {
			if err := os.WriteFile(filepath.FromSlash(path), want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatalf("%v (run go test ./conf/dashboards -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from gen_test.go (run go test ./conf/dashboards -update)", path)
		}
	}
}

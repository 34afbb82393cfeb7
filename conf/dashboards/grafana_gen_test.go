package dashboards

import (
	"bytes"
	"encoding/json"
)

// The Grafana dashboard on the plugin's Prometheus metrics (testdata/metrics.txt):
// datasource and output variables; every selector carries output=~"$output".

const sel = `{output=~"$output"}`

type gpanel struct {
	title, kind, unit, desc string      // kind: timeseries or stat
	exprs                   [][2]string // expression, legend
}

func rate(m string) string { return "rate(" + m + sel + "[$__rate_interval])" }

var grafanaRows = []struct {
	title  string
	panels []gpanel
}{
	{"Flow", []gpanel{
		{"Records in, documents out", "timeseries", "ops", "Records read from Fluent Bit's chunks and documents the normalizer produced, per second.", [][2]string{
			{"sum by (output) (" + rate("k8saudit_records_total") + ")", "records {{output}}"},
			{"sum by (output) (" + rate("k8saudit_documents_total") + ")", "documents {{output}}"}}},
		{"Delivered and dead-lettered", "timeseries", "ops", "Documents the intake accepted, documents rejected for good (dead letter), and accepted documents the intake said it dropped (OTLP partial success), per second.", [][2]string{
			{"sum by (output, intake) (" + rate("k8saudit_delivered_total") + ")", "delivered {{output}} {{intake}}"},
			{"sum by (output, intake) (" + rate("k8saudit_dead_lettered_total") + ")", "dead-lettered {{output}} {{intake}}"},
			{"sum by (output, intake) (" + rate("k8saudit_partial_rejected_total") + ")", "dropped by the intake {{output}} {{intake}}"}}},
		{"Oldest undelivered document", "timeseries", "s", "Age of the oldest document handed to delivery and not yet delivered: a growing line means the intake is not keeping up.", [][2]string{
			{"max by (output) (k8saudit_oldest_undelivered_seconds" + sel + ")", "{{output}}"}}},
		{"Dead-lettered by reason (range)", "stat", "short", "Documents rejected for good over the dashboard's time range: too_large, refused (the whole request), refused_item (a per-document answer).", [][2]string{
			{"sum by (reason) (increase(k8saudit_dead_lettered_total" + sel + "[$__range]))", "{{reason}}"}}},
	}},
	{"Intake", []gpanel{
		{"Requests by answer", "timeseries", "reqps", "Requests sent to the intake by answer class (2xx 3xx 4xx 5xx error).", [][2]string{
			{"sum by (code_class) (" + rate("k8saudit_requests_total") + ")", "{{code_class}}"}}},
		{"Retries", "timeseries", "reqps", "Repeated attempts per second.", [][2]string{
			{"sum by (output) (" + rate("k8saudit_retries_total") + ")", "{{output}}"}}},
		{"Request duration", "timeseries", "s", "One request, send to answer: p50 and p99.", [][2]string{
			{"histogram_quantile(0.5, sum by (le) (" + rate("k8saudit_request_duration_seconds_bucket") + "))", "p50"},
			{"histogram_quantile(0.99, sum by (le) (" + rate("k8saudit_request_duration_seconds_bucket") + "))", "p99"}}},
		{"Documents per request", "timeseries", "short", "Batch size: mean and p99.", [][2]string{
			{"sum(" + rate("k8saudit_batch_documents_sum") + ") / sum(" + rate("k8saudit_batch_documents_count") + ")", "mean"},
			{"histogram_quantile(0.99, sum by (le) (" + rate("k8saudit_batch_documents_bucket") + "))", "p99"}}},
		{"Requests in flight", "timeseries", "short", "Requests sent and not yet answered.", [][2]string{
			{"sum by (output) (k8saudit_inflight_requests" + sel + ")", "{{output}}"}}},
		{"Bytes and compression", "timeseries", "Bps", "Request bodies before compression and on the wire.", [][2]string{
			{"sum by (output) (" + rate("k8saudit_bytes_raw_total") + ")", "raw {{output}}"},
			{"sum by (output) (" + rate("k8saudit_bytes_sent_total") + ")", "sent {{output}}"}}},
	}},
	{"Normalizer", []gpanel{
		{"Pipeline errors, salvaged, unreadable chunks", "timeseries", "ops", "Records the normalizer could not read as events (pipeline_error documents), events read by its safe road, chunks not read to the end.", [][2]string{
			{"sum by (output) (" + rate("k8saudit_pipeline_errors_total") + ")", "pipeline errors {{output}}"},
			{"sum by (output) (" + rate("k8saudit_salvaged_total") + ")", "salvaged {{output}}"},
			{"sum by (output) (" + rate("k8saudit_unreadable_chunks_total") + ")", "unreadable chunks {{output}}"}}},
		{"Dropped by policy, redacted", "timeseries", "ops", "Events left out by policy_file or detect_alerts_only; documents with secret material replaced.", [][2]string{
			{"sum by (output) (" + rate("k8saudit_policy_dropped_total") + ")", "policy dropped {{output}}"},
			{"sum by (output) (" + rate("k8saudit_redacted_total") + ")", "redacted {{output}}"}}},
		{"Policy drops by reason", "timeseries", "ops", "Events left out, by the policy_file rule that dropped them (rule_<n>: the n-th rule of the file), no_rule (none matched), detect_alerts_only.", [][2]string{
			{"sum by (reason) (" + rate("k8saudit_policy_dropped_total") + ")", "{{reason}}"}}},
		{"Redactions by where", "timeseries", "ops", "Documents with secret material replaced in the requestURI's query (uri) or in a request or response object (body).", [][2]string{
			{"sum by (kind) (" + rate("k8saudit_redactions_total") + ")", "{{kind}}"}}},
	}},
	{"Detections", []gpanel{
		{"Alerts by rule", "timeseries", "short", "Documents a detection matched, per rule id, per interval.", [][2]string{
			{"sum by (rule) (increase(k8saudit_alerts_total" + sel + "[$__rate_interval]))", "{{rule}}"}}},
		{"Alerts by rule (range)", "stat", "short", "Documents each rule matched over the dashboard's time range.", [][2]string{
			{"sum by (rule) (increase(k8saudit_alerts_total" + sel + "[$__range]))", "{{rule}}"}}},
	}},
}

func grafanaDashboard() []byte {
	ds := map[string]any{"type": "prometheus", "uid": "${datasource}"}
	var panels []any
	id, y := 1, 0
	for _, row := range grafanaRows {
		panels = append(panels, map[string]any{"id": id, "type": "row", "title": row.title, "collapsed": false,
			"gridPos": map[string]any{"x": 0, "y": y, "w": 24, "h": 1}, "panels": []any{}})
		id++
		y++
		for i, p := range row.panels {
			var targets []any
			for j, e := range p.exprs {
				targets = append(targets, map[string]any{"refId": string(rune('A' + j)), "datasource": ds, "expr": e[0], "legendFormat": e[1], "range": true})
			}
			panel := map[string]any{"id": id, "type": p.kind, "title": p.title, "description": p.desc, "datasource": ds, "targets": targets,
				"gridPos":     map[string]any{"x": 12 * (i % 2), "y": y + 8*(i/2), "w": 12, "h": 8},
				"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.unit}, "overrides": []any{}},
				"options":     map[string]any{},
			}
			if p.kind == "stat" {
				panel["options"] = map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false}}
			} else {
				panel["options"] = map[string]any{"legend": map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true},
					"tooltip": map[string]any{"mode": "multi", "sort": "desc"}}
			}
			panels = append(panels, panel)
			id++
		}
		y += 8 * ((len(row.panels) + 1) / 2)
	}
	dash := map[string]any{
		"uid": "k8saudit-metrics", "title": "k8saudit: Fluent Bit output plugin", "tags": []string{"k8saudit", "fluent-bit", "kubernetes-audit"},
		"description":   "The k8saudit output plugin's own metrics (metrics_listen /metrics): flow, intake, normalizer, detections.",
		"schemaVersion": 39, "version": 1, "editable": true, "graphTooltip": 1, "refresh": "30s",
		"time": map[string]any{"from": "now-6h", "to": "now"}, "timezone": "",
		"annotations": map[string]any{"list": []any{}},
		"templating": map[string]any{"list": []any{
			map[string]any{"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus", "current": map[string]any{}, "hide": 0, "refresh": 1, "regex": ""},
			map[string]any{"name": "output", "label": "Output", "type": "query", "datasource": ds,
				"query":      map[string]any{"query": "label_values(k8saudit_records_total, output)", "refId": "output"},
				"definition": "label_values(k8saudit_records_total, output)",
				"multi":      true, "includeAll": true, "allValue": ".*", "current": map[string]any{}, "hide": 0, "refresh": 2, "sort": 1, "regex": ""},
		}},
		"panels": panels,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(dash); err != nil {
		panic(err)
	}
	return b.Bytes()
}

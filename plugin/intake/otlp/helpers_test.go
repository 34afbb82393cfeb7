package otlp

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/internal/testfix"
	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// fixtureLogs are real audit logs of the repository's testdata/fixtures (provenance in
// its README): API servers, kube-oidc-proxy, OpenShift, Falco's detection traces.
var fixtureLogs = [][]string{
	{"real", "kube-oidc-proxy_issue70_401_anonymous.jsonl"},
	{"real", "audit2rbac_testdata_demo.log"},
	{"real", "openshift-clo_apiaudit_audit.log"},
	{"elastic", "test-audit.log"},
	{"elastic", "test-kube-audit.log"},
	{"falco", "create_cluster_role_wildcard_verbs.json"},
	{"falco", "attach_pod.json"},
	{"falco", "create_nginx_pod_privileged.json"},
	{"falco", "create_kube_system_secret.json"},
	{"falco", "anonymous_creates_namespace_foo.json"},
}

const recordTime = int64(1700000000123456789)

// realDocs normalizes the fixtures as the plugin does (redaction and every detection
// on, in format f) and returns the documents with the metadata the instance gives them;
// the record time (observedTimeUnixNano) differs per record.
func realDocs(tb testing.TB, f normalize.Format) *deliver.Docs {
	tb.Helper()
	n := normalize.New(normalize.Options{Format: f, ClusterName: "prod-eu", Redact: true,
		Detect: detect.New(detect.Options{Rules: detect.AllRules()})})
	d := &deliver.Docs{}
	rec := 0
	for _, parts := range fixtureLogs {
		for _, line := range bytes.Split(testfix.Read(tb, parts...), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			rec++
			obs := recordTime + int64(rec)*1_000_003
			for _, doc := range n.Normalize(line, obs) {
				d.Append(doc.JSON, deliver.Meta{AuditID: doc.AuditID, Stage: doc.Stage, Time: doc.Time, Observed: obs})
			}
		}
	}
	if d.Len() < 50 {
		tb.Fatalf("only %d documents from the fixtures", d.Len())
	}
	return d
}

// decodeRequest decodes one request body (gzipped or not) with the OpenTelemetry
// Collector's own pdata package, as an OTLP/HTTP receiver does: protobuf, or JSON when
// the body is an object (the receiver's tests check the Content-Type that says which).
func decodeRequest(tb testing.TB, body []byte, encoding string) plog.Logs {
	tb.Helper()
	if encoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	req := plogotlp.NewExportRequest()
	unmarshal := req.UnmarshalProto
	if len(body) > 0 && body[0] == '{' {
		unmarshal = req.UnmarshalJSON
	}
	if err := unmarshal(body); err != nil {
		tb.Fatalf("pdata cannot decode the request: %v\n%.300s", err, body)
	}
	return req.Logs()
}

// records flattens a request's log records, in order.
func records(l plog.Logs) []plog.LogRecord {
	out, _ := recordsWithResources(l)
	return out
}

// recordsWithResources flattens a request's log records and gives each its resource's
// attributes.
func recordsWithResources(l plog.Logs) (recs []plog.LogRecord, res []map[string]any) {
	for i := 0; i < l.ResourceLogs().Len(); i++ {
		rl := l.ResourceLogs().At(i)
		sl := rl.ScopeLogs()
		for j := 0; j < sl.Len(); j++ {
			if sl.At(j).Scope().Name() != "k8saudit" {
				panic("scope " + sl.At(j).Scope().Name())
			}
			lr := sl.At(j).LogRecords()
			for k := 0; k < lr.Len(); k++ {
				recs = append(recs, lr.At(k))
				res = append(res, rl.Resource().Attributes().AsRaw())
			}
		}
	}
	return recs, res
}

// encodings are the intake's two: otlp_encoding protobuf (pb) and json.
var encodings = []struct {
	name        string
	pb          bool
	contentType string
}{{"protobuf", true, "application/x-protobuf"}, {"json", false, "application/json"}}

// jsonValue decodes a document the way its AnyValue must read back: integers that fit
// 18 digits as int64, other numbers as float64.
func jsonValue(tb testing.TB, doc []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("document is not JSON: %v", err)
	}
	return numbers(v)
}

func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") && len(strings.TrimPrefix(s, "-")) <= 18 {
			i, _ := x.Int64()
			return i
		}
		f, _ := x.Float64()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return f
		}
		return f
	}
	return v
}

// lookup reads a dotted path of nested objects.
func lookup(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// wantAttrs are the attributes the README promises for a document, read from the
// document by encoding/json (not by the walker under test).
func wantAttrs(v any) map[string]any {
	out := map[string]any{}
	put := func(k string, x any) {
		if s, ok := x.(string); ok {
			if _, have := out[k]; !have {
				out[k] = s
			}
		}
	}
	put("k8s.namespace.name", lookup(v, "orchestrator", "namespace"))
	put("k8s.namespace.name", lookup(v, "objectRef", "namespace"))
	put("user.name", lookup(v, "user", "name"))
	put("user.name", lookup(v, "user", "username"))
	put("http.request.method", lookup(v, "http", "request", "method"))
	put("url.path", lookup(v, "url", "path"))
	put("source.address", lookup(v, "source", "address"))
	if ips, ok := lookup(v, "sourceIPs").([]any); ok && len(ips) > 0 {
		put("source.address", ips[0])
	}
	return out
}

// wantResource are the resource attributes of a document's record: the configured
// service and host, and the document's cluster.
func wantResource(v any, host string) map[string]any {
	out := map[string]any{"service.name": "kube-apiserver"}
	if host != "" {
		out["host.name"] = host
	}
	if c, ok := lookup(v, "orchestrator", "cluster", "name").(string); ok {
		out["k8s.cluster.name"] = c
	}
	return out
}

// wantSeverity is the README's severity table, read from the decoded document.
func wantSeverity(v any) (plog.SeverityNumber, string) {
	if lookup(v, "event", "kind") == "alert" || lookup(v, "k8saudit", "kind") == "alert" {
		score, _ := lookup(v, "event", "severity").(int64)
		if l, ok := lookup(v, "k8saudit", "severity").(string); ok {
			sev, _ := detect.ParseSeverity(l)
			score = sev.Score()
		}
		switch {
		case score >= 99:
			return plog.SeverityNumberFatal, "FATAL"
		case score >= 73:
			return plog.SeverityNumberError, "ERROR"
		}
		return plog.SeverityNumberWarn, "WARN"
	}
	failed := lookup(v, "event", "outcome") == "failure"
	if ts, ok := lookup(v, "event", "type").([]any); ok {
		for _, t := range ts {
			failed = failed || t == "denied"
		}
	}
	if c, ok := lookup(v, "responseStatus", "code").(int64); ok && c >= 400 {
		failed = true
	}
	if failed {
		return plog.SeverityNumberWarn, "WARN"
	}
	return plog.SeverityNumberInfo, "INFO"
}

// capture is an OTLP/HTTP receiver's request as the test saw it.
type capture struct {
	header http.Header
	body   []byte
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// openHTTP opens the intake on options o through the HTTP core, closed when the test ends.
func openHTTP(t *testing.T, o deliver.Options) intake.Shipper {
	t.Helper()
	s, err := intake.HTTP(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

package otlp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// configure runs the intake's Configure as the config layer does (keys with their
// defaults) and returns the options.
func configure(t *testing.T, url string, keys map[string]string, o deliver.Options) deliver.Options {
	t.Helper()
	o.Intake, o.URL = "otlp", url
	get := func(k string) string {
		if v, ok := keys[k]; ok {
			return v
		}
		for _, d := range Intake.Keys {
			if d.Name == k {
				return d.Default
			}
		}
		return ""
	}
	if _, err := Intake.Configure(get, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func baseOptions() deliver.Options {
	return deliver.Options{Compress: true, TLSVerify: true, Timeout: 10 * time.Second, RetryBudget: 5 * time.Second,
		BackoffInitial: 2 * time.Millisecond, BackoffMax: 20 * time.Millisecond}
}

// receiver is an OTLP/HTTP logs endpoint built on pdata: it decodes every request it
// accepts and keeps the records; script may answer instead (return true: not accepted).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	n      int
	reqs   []capture
	recs   []plog.LogRecord
	res    []map[string]any // each record's resource attributes
	script func(n int, w http.ResponseWriter, r *http.Request) bool
	answer []byte // the body of a 200
	// contentType is what requests must carry (the default: protobuf).
	contentType string
}

func newReceiver(t *testing.T) *receiver {
	rv := &receiver{contentType: "application/x-protobuf"}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		rv.mu.Lock()
		n := rv.n
		rv.n++
		script := rv.script
		rv.mu.Unlock()
		if r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != rv.contentType {
			t.Errorf("request to %s with Content-Type %q", r.URL.Path, r.Header.Get("Content-Type"))
		}
		if script != nil && script(n, w, r) {
			return
		}
		logs := decodeRequest(t, body, r.Header.Get("Content-Encoding"))
		rv.mu.Lock()
		rv.reqs = append(rv.reqs, capture{header: r.Header.Clone(), body: body})
		recs, res := recordsWithResources(logs)
		rv.recs, rv.res = append(rv.recs, recs...), append(rv.res, res...)
		rv.mu.Unlock()
		w.Header().Set("Content-Type", rv.contentType)
		w.WriteHeader(200)
		switch {
		case rv.answer != nil:
			_, _ = w.Write(rv.answer)
		case rv.contentType == "application/json":
			_, _ = io.WriteString(w, "{}")
		} // an empty ExportLogsServiceResponse is no bytes in protobuf
	}))
	t.Cleanup(rv.Close)
	return rv
}

// checkRecords asserts that recs are exactly the documents of d, in order: the body is
// the document, the times, severity and attributes are as the README says.
func checkRecords(t *testing.T, d *deliver.Docs, recs []plog.LogRecord, res []map[string]any, host string) {
	t.Helper()
	if len(recs) != d.Len() {
		t.Fatalf("%d records decoded, want the %d documents", len(recs), d.Len())
	}
	alerts, warns := 0, 0
	for k, r := range recs {
		want := jsonValue(t, d.Doc(k))
		if r.Body().Type() != pcommon.ValueTypeMap {
			t.Fatalf("record %d: body is %s, want a map", k, r.Body().Type())
		}
		if got := r.Body().Map().AsRaw(); !reflect.DeepEqual(any(got), want) {
			t.Fatalf("record %d: body differs from the document\n got %v\nwant %v", k, got, want)
		}
		if int64(r.Timestamp()) != d.Time(k) || d.Time(k) == 0 {
			t.Errorf("record %d: timeUnixNano %d, want the event's time %d", k, r.Timestamp(), d.Time(k))
		}
		if int64(r.ObservedTimestamp()) != d.Observed(k) {
			t.Errorf("record %d: observedTimeUnixNano %d, want the record time %d", k, r.ObservedTimestamp(), d.Observed(k))
		}
		num, text := wantSeverity(want)
		if r.SeverityNumber() != num || r.SeverityText() != text {
			t.Errorf("record %d: severity %v %q, want %v %q", k, r.SeverityNumber(), r.SeverityText(), num, text)
		}
		if num >= plog.SeverityNumberWarn {
			warns++
		}
		if lookup(want, "event", "kind") == "alert" || lookup(want, "k8saudit") != nil {
			alerts++
		}
		if got, wa := r.Attributes().AsRaw(), wantAttrs(want); !reflect.DeepEqual(got, wa) {
			t.Errorf("record %d: attributes %v, want %v", k, got, wa)
		}
		if got, wr := res[k], wantResource(want, host); !reflect.DeepEqual(got, wr) {
			t.Errorf("record %d: resource %v, want %v", k, got, wr)
		}
	}
	if warns == 0 || alerts == 0 {
		t.Errorf("the corpus has %d records at WARN or above and %d alerts: the severity mapping is not exercised", warns, alerts)
	}
}

// The acceptance test: every request the intake sends decodes with the official pdata
// packages into exactly the normalized (policy, redaction, detections) documents.
func TestRequestsDecodeIntoTheEvents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format normalize.Format
	}{{"ecs", normalize.ECS}, {"raw", normalize.Raw}} {
		for _, enc := range encodings {
			t.Run(tc.name+"/"+enc.name, func(t *testing.T) {
				rv := newReceiver(t)
				rv.contentType = enc.contentType
				o := baseOptions()
				o.BatchEvents, o.APIKey = 17, "s3cr3t-t0ken"
				o = configure(t, rv.URL, map[string]string{"otlp_host_name": "node-1", "otlp_encoding": enc.name}, o)
				s := openHTTP(t, o)
				d := realDocs(t, tc.format)
				if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
					t.Fatalf("Deliver = %v", r)
				}
				if want := (d.Len() + 16) / 17; len(rv.reqs) != want {
					t.Errorf("%d requests, want %d", len(rv.reqs), want)
				}
				for _, c := range rv.reqs {
					if c.header.Get("Authorization") != "Bearer s3cr3t-t0ken" || c.header.Get("Content-Encoding") != "gzip" {
						t.Errorf("headers %v", c.header)
					}
				}
				clusters := 0
				for _, r := range rv.res {
					if r["k8s.cluster.name"] == "prod-eu" {
						clusters++
					}
				}
				if tc.format == normalize.ECS && clusters != d.Len() {
					t.Errorf("%d of %d resources name the cluster (cluster_name prod-eu)", clusters, d.Len())
				}
				checkRecords(t, d, rv.recs, rv.res, "node-1")
			})
		}
	}
}

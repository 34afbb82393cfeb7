package normalize

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// bigEvent is an event whose responseObject is about size bytes (a
// ConfigMap whose data holds many entries) and whose requestObject is small.
func bigEvent(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"big-1","stage":"ResponseComplete",`)
	b.WriteString(`"requestURI":"/api/v1/namespaces/ns/configmaps/cm","verb":"get","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],`)
	b.WriteString(`"objectRef":{"resource":"configmaps","namespace":"ns","name":"cm","apiVersion":"v1"},"responseStatus":{"code":200},`)
	b.WriteString(`"requestObject":{"kind":"DeleteOptions","apiVersion":"v1"},`)
	b.WriteString(`"responseObject":{"kind":"ConfigMap","metadata":{"name":"cm"},"data":{`)
	line := strings.Repeat("x", 1000)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteString(strings.Repeat("1", i%7+1))
		b.WriteString(`":"`)
		b.WriteString(line)
		b.WriteByte('"')
	}
	b.WriteString(`}},"requestReceivedTimestamp":"2024-01-02T03:04:05Z","stageTimestamp":"2024-01-02T03:04:06Z"}`)
	return b.Bytes()
}

// TestMaxEventBytes: a 10 MB response body is left out, the document stays
// within the bound with every other field and the marker, and once the
// buffers have grown, normalizing it again allocates nothing.
func TestMaxEventBytes(t *testing.T) {
	rec := bigEvent(10 << 20)
	for _, max := range []int{0, 64 << 10} {
		n := New(Options{ClusterName: "c", MaxEventBytes: max})
		docs := n.Normalize(rec, 1)
		if len(docs) != 1 || docs[0].Error {
			t.Fatalf("docs %d", len(docs))
		}
		limit := max
		if limit == 0 {
			limit = DefaultMaxEventBytes
		}
		if len(docs[0].JSON) > limit {
			t.Errorf("max %d: document is %d bytes", max, len(docs[0].JSON))
		}
		var m map[string]any
		if err := json.Unmarshal(docs[0].JSON, &m); err != nil {
			t.Fatal(err)
		}
		expect(t, m, map[string]any{
			"labels.truncated":                          true,
			"kubernetes.audit.responseObject":           nil,
			"kubernetes.audit.requestObject":            map[string]any{"kind": "DeleteOptions", "apiVersion": "v1"},
			"event.id":                                  "big-1",
			"orchestrator.resource.name":                "cm",
			"http.response.status_code":                 200,
			"kubernetes.audit.stageTimestamp":           "2024-01-02T03:04:06Z",
			"orchestrator.cluster.name":                 "c",
			"kubernetes.audit.user.username":            "alice",
			"kubernetes.audit.objectRef.name":           "cm",
			"kubernetes.audit.responseStatus":           map[string]any{"code": 200},
			"kubernetes.audit.requestReceivedTimestamp": "2024-01-02T03:04:05Z",
		})
		// Memory stays bounded: the body buffer never held the 10 MB body.
		if cap(n.bodyBuf) > 2*limit+4096 || cap(n.w.B) > 2*limit+4096 {
			t.Errorf("max %d: buffers grew to %d and %d bytes", max, cap(n.bodyBuf), cap(n.w.B))
		}
		if allocs := testing.AllocsPerRun(3, func() { n.Normalize(rec, 1) }); allocs != 0 {
			t.Errorf("max %d: %.1f allocs per run", max, allocs)
		}
	}
}

// TestMaxEventBytesOrder: bodies go largest first (responseObject), then
// requestObject, then the end of event.original; each step only as needed.
func TestMaxEventBytesOrder(t *testing.T) {
	body := func(k string, size int) string {
		return `"` + k + `":{"data":{"x":"` + strings.Repeat("y", size) + `"}}`
	}
	rec := ev(`"verb":"get",` + body("requestObject", 3000) + `,` + body("responseObject", 5000))
	for _, c := range []struct {
		max            int
		original       bool
		req, resp, cut bool
	}{
		{20000, false, true, true, false},
		{6000, false, true, false, true},
		{2000, false, false, false, true},
		{20000, true, true, true, false},
		{12000, true, true, false, true},
		{2500, true, false, false, true},
	} {
		d, m := normOne(t, Options{MaxEventBytes: c.max, EventOriginal: c.original}, rec, 1)
		if len(d.JSON) > c.max {
			t.Errorf("%+v: %d bytes", c, len(d.JSON))
		}
		if got := get(m, "kubernetes.audit.requestObject") != nil; got != c.req {
			t.Errorf("%+v: requestObject kept %v", c, got)
		}
		if got := get(m, "kubernetes.audit.responseObject") != nil; got != c.resp {
			t.Errorf("%+v: responseObject kept %v", c, got)
		}
		if got := get(m, "labels.truncated") == true; got != c.cut {
			t.Errorf("%+v: truncated %v", c, got)
		}
		if o, _ := get(m, "event.original").(string); c.original && c.max == 2500 && (len(o) == 0 || len(o) >= len(rec)) {
			t.Errorf("%+v: original %d bytes, want cut", c, len(o))
		}
	}
}

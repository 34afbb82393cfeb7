package deliver

import (
	"encoding/json"
	"net/http"
	"testing"
)

const ddTestKey = "0123456789abcdef0123456789abcdef"

// newDDDouble is a strict Datadog /api/v2/logs: DD-API-KEY, a JSON array of at most 1000
// objects, 5 MB uncompressed (413 above), no log over 1 MB (Datadog would truncate it:
// the plugin must never send one), reserved attributes as configured, a numeric
// timestamp in ms. It answers 202 {} and takes all or nothing.
func newDDDouble(t *testing.T) *double {
	return newDouble(t, &double{
		name: "datadog", path: "/api/v2/logs", maxBody: 5_000_000,
		check: func(r *http.Request) (int, string) {
			if r.Header.Get("DD-API-KEY") != ddTestKey {
				return 403, `{"errors":["Forbidden"]}`
			}
			if r.Header.Get("Content-Type") != "application/json" {
				return 400, `{"errors":["content type"]}`
			}
			return 0, ""
		},
		accept: func(d *double, body []byte, w http.ResponseWriter) {
			var entries []json.RawMessage
			if err := json.Unmarshal(body, &entries); err != nil {
				d.problem("body is not a JSON array: %v", err)
				http.Error(w, `{"errors":["bad payload"]}`, 400)
				return
			}
			if len(entries) > 1000 {
				d.problem("%d entries in one request", len(entries))
				http.Error(w, `{"errors":["too many"]}`, 400)
				return
			}
			ids := make([]int, 0, len(entries))
			for _, e := range entries {
				if len(e) > 1_000_000 {
					d.problem("log of %d bytes: Datadog truncates logs over 1 MB", len(e))
				}
				var m struct {
					DDSource  string   `json:"ddsource"`
					Service   string   `json:"service"`
					DDTags    string   `json:"ddtags"`
					Hostname  string   `json:"hostname"`
					Timestamp *float64 `json:"timestamp"`
					ID        *int     `json:"id"`
				}
				if err := json.Unmarshal(e, &m); err != nil || m.ID == nil {
					d.problem("entry is not an object of the test: %v %.80q", err, e)
					http.Error(w, `{"errors":["bad entry"]}`, 400)
					return
				}
				if m.DDSource != "kubernetes.audit" || m.Service != "kube-apiserver" || m.DDTags != "env:test,team:sec" || m.Hostname != "cp-1" {
					d.problem("reserved attributes %+v", m)
				}
				if m.Timestamp == nil || int64(*m.Timestamp) != (1773478800e9+int64(*m.ID)*1e6)/1e6 {
					d.problem("timestamp %v for document %d", m.Timestamp, *m.ID)
				}
				ids = append(ids, *m.ID)
			}
			d.take(ids...)
			w.WriteHeader(202)
			w.Write([]byte("{}"))
		},
	})
}

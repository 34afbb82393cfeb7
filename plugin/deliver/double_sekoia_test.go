package deliver

import (
	"encoding/json"
	"net/http"
	"testing"
)

const sekoiaTestKey = "4a3bb630-951a-40d9-be5e-5c712b37248e"

// newSekoiaDouble is a strict Sekoia /jsons: X-SEKOIAIO-INTAKE-KEY, a JSON array of JSON
// strings, each an event of at most 250,000 bytes, 10 MiB uncompressed per request (413
// above). It answers {"event_ids":[…]} and takes all or nothing.
func newSekoiaDouble(t *testing.T) *double {
	return newDouble(t, &double{
		name: "sekoia", path: "/jsons", maxBody: 10_485_760,
		check: func(r *http.Request) (int, string) {
			if r.Header.Get("X-SEKOIAIO-INTAKE-KEY") != sekoiaTestKey {
				return 401, `{"message":"invalid intake key"}`
			}
			if r.Header.Get("Content-Type") != "application/json" {
				return 400, `{"message":"content type"}`
			}
			return 0, ""
		},
		accept: func(d *double, body []byte, w http.ResponseWriter) {
			var events []string
			if err := json.Unmarshal(body, &events); err != nil {
				d.problem("body is not a JSON array of strings: %v", err)
				http.Error(w, `{"message":"bad payload"}`, 400)
				return
			}
			ids := make([]int, 0, len(events))
			for _, e := range events {
				if len(e) > 250_000 {
					d.problem("event of %d bytes: Sekoia discards events over 250,000 bytes", len(e))
				}
				id, ok := docID(d.t, []byte(e))
				if !ok {
					d.problem("event is not a JSON object of the test: %.80q", e)
					http.Error(w, `{"message":"bad event"}`, 400)
					return
				}
				ids = append(ids, id)
			}
			d.take(ids...)
			out, _ := json.Marshal(map[string][]string{"event_ids": make([]string, len(ids))})
			w.Write(out)
		},
	})
}

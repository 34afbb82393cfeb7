package mezmo

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// TestDocLenAgreesAndNothingAllocates: DocLen is what AppendDoc writes (documents with
// and without time and auditID, escapes, control bytes, invalid UTF-8), the result is a
// JSON object of the contract's types, and neither allocates.
func TestDocLenAgreesAndNothingAllocates(t *testing.T) {
	d := new(deliver.Docs)
	d.Append([]byte(`{"a":"b"}`), deliver.Meta{AuditID: []byte("id-1"), Stage: []byte("ResponseComplete"), Time: 1700000000123456789})
	d.Append([]byte("{\"x\":\"\\\"q\\\" \u2028 \x01 \xff\"}"), deliver.Meta{})
	d.Append([]byte(`{"kind":"alert"}`), deliver.Meta{AuditID: []byte(`"evil"`), Time: 5e6, Alert: true})
	d.Append([]byte(`{"event":{"kind":"pipeline_error"}}`), deliver.Meta{Time: 1, Error: true})
	fr := newFraming("k8s \"audit\"", "prod")
	buf := make([]byte, 0, 4096)
	for k := 0; k < d.Len(); k++ {
		for _, first := range []bool{true, false} {
			out := fr.AppendDoc(buf[:0], d, k, first)
			if n := fr.DocLen(d, k, first); n != len(out) {
				t.Errorf("doc %d first=%v: DocLen %d, wrote %d: %s", k, first, n, len(out), out)
			}
			if !first {
				out = out[1:]
			}
			var line struct {
				Timestamp *int64         `json:"timestamp"`
				Line      string         `json:"line"`
				App       string         `json:"app"`
				Env       string         `json:"env"`
				Level     string         `json:"level"`
				Meta      map[string]any `json:"meta"`
			}
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&line); err != nil {
				t.Fatalf("doc %d: not a Mezmo line: %v: %s", k, err, out)
			}
			if line.App != `k8s "audit"` || line.Env != "prod" || line.Meta == nil {
				t.Errorf("doc %d: %+v", k, line)
			}
			if want := []string{"INFO", "INFO", "WARN", "ERROR"}[k]; line.Level != want {
				t.Errorf("doc %d: level %q, want %q", k, line.Level, want)
			}
			if (line.Timestamp == nil) != (d.Time(k) < 1e6) {
				t.Errorf("doc %d: timestamp %v for time %d", k, line.Timestamp, d.Time(k))
			}
			if !json.Valid([]byte(line.Line)) && k != 1 {
				t.Errorf("doc %d: the line is not the document: %q", k, line.Line)
			}
			if a := testing.AllocsPerRun(20, func() { fr.AppendDoc(buf[:0], d, k, first); fr.DocLen(d, k, first) }); a != 0 {
				t.Errorf("doc %d: %.1f allocations", k, a)
			}
		}
	}
}

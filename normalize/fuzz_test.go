package normalize

import (
	"encoding/json"
	"os"
	"testing"
)

func FuzzNormalize(f *testing.F) {
	if _, err := os.Stat(fixtureRoot); err == nil {
		for _, file := range loadFixtures(f) {
			for _, r := range file.records {
				f.Add(r)
			}
		}
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"kind":"EventList","items":[{"auditID":"a"},1]}`,
		`{"properties":{"log":"{\"auditID\":\"x\",\"sourceIPs\":[\"::ffff:1.2.3.4\"]}"}}`,
		`{"records":[{"properties":{"log":{"auditID":"y"}}}]}`,
		`{"auditID":"z","responseStatus":{"code":1e400},"requestObject":{"a":NaN,"b":-Inf}}`,
		"{\"auditID\":\"\xff\x00\",\"user\":{\"username\":\"\\ud800\"}}",
	} {
		f.Add([]byte(s))
	}
	ecs := New(Options{ClusterName: "c", EventOriginal: true, MaxOriginalBytes: 64})
	raw := New(Options{Format: Raw, MaxOriginalBytes: 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range []*Normalizer{ecs, raw} {
			docs := n.Normalize(b, 1)
			if len(docs) == 0 && !emptyContainer(b) {
				t.Fatalf("no document for %q", b)
			}
			for _, d := range docs {
				if len(d.JSON) == 0 || !json.Valid(d.JSON) {
					t.Fatalf("invalid document %q for input %q", d.JSON, b)
				}
			}
		}
	})
}

// emptyContainer reports whether b is valid JSON that may legitimately yield
// no document (an empty array or list).
func emptyContainer(b []byte) bool {
	return json.Valid(b)
}

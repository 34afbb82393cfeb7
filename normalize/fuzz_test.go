package normalize

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// FuzzNormalize: for any input bytes, no panic, and every document is valid
// JSON; when encoding/json can read the input, the documents mean what the
// reference normalizer's mean (see reference_test.go).
func FuzzNormalize(f *testing.F) {
	for _, r := range fuzzCorpus(f) {
		f.Add(r)
	}
	ecs := New(Options{ClusterName: "c", EventOriginal: true, MaxOriginalBytes: 64})
	raw := New(Options{Format: Raw, MaxOriginalBytes: 7})
	diff := New(differentialOptions[0])
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range []*Normalizer{ecs, raw} {
			docs := n.Normalize(b, 1)
			if len(docs) == 0 && !json.Valid(b) {
				t.Fatalf("no document for %q", b)
			}
			for _, d := range docs {
				if len(d.JSON) == 0 || !json.Valid(d.JSON) {
					t.Fatalf("invalid document %q for input %q", d.JSON, b)
				}
			}
		}
		checkDifferential(t, diff, differentialOptions[0], b)
	})
}

// parseCorpusFile reads a "go test fuzz v1" file holding one []byte value.
func parseCorpusFile(b []byte) ([]byte, bool) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, false
	}
	v := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
	s, err := strconv.Unquote(v)
	if err != nil {
		return nil, false
	}
	return []byte(s), true
}

package syslog

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzCutJSON: whatever the compact JSON object and the budget, the cut is valid JSON,
// within the budget once the budget can hold the marker, and marked with the size.
func FuzzCutJSON(f *testing.F) {
	f.Add([]byte(`{"a":"x\"y\\","b":[1,{"c":[]},[["d"]]],"e":{"f":{"g":"h]}"}},"i":"\u00e9é"}`), 40)
	f.Add([]byte(`{"k":"\ud83d\ude00\ud83d\ude00","l":[[[[]]]]}`), 30)
	f.Fuzz(func(t *testing.T, in []byte, budget int) {
		if budget < 0 || budget > 1<<16 || fastjson.ValidateBytes(in) != nil || len(bytes.TrimSpace(in)) == 0 || bytes.TrimSpace(in)[0] != '{' {
			return
		}
		var buf bytes.Buffer
		if json.Compact(&buf, in) != nil {
			return
		}
		doc := buf.Bytes()
		out, _ := cutJSON(nil, nil, doc, budget)
		if err := fastjson.ValidateBytes(out); err != nil {
			t.Fatalf("budget %d: %s -> %s: %v", budget, doc, out, err)
		}
		if budget >= 40 && len(out) > budget {
			t.Fatalf("budget %d: %d bytes", budget, len(out))
		}
		if fastjson.MustParseBytes(out).GetInt("k8saudit_truncated") != len(doc) {
			t.Fatalf("marker missing: %s", out)
		}
	})
}

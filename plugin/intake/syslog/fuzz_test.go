package syslog

import (
	"bytes"
	"encoding/json"
	"strconv"
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

// FuzzAppendFrame: whatever the document (the normalizer's are well-formed, but a bug
// there must not become a broken stream), formatting does not panic, the octet count
// is right, and the message stays within max_message_bytes.
func FuzzAppendFrame(f *testing.F) {
	f.Add([]byte(`{"@timestamp":"x","event":{"kind":"alert","severity":99,"id":"a","action":"get","type":["denied"]},"user":{"name":"u\"]"},"kubernetes":{"audit":{"stage":"ResponseComplete"}}}`))
	f.Add([]byte(`{"kind":"Event","auditID":"a","verb":"get","user":{"username":"x"},"responseStatus":{"code":403}}`))
	f.Add([]byte(`{"event":{"action":"x"},"kubernetes":{"audit":{"stage":"a\"b"}}}`))
	s, err := check(Options{Address: "127.0.0.1:514", Hostname: "h", MaxMessageBytes: 2048})
	if err != nil {
		f.Fatal(err)
	}
	fm := newFormatter(&s)
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, _, _ := fm.appendFrame(nil, doc, 1)
		sp := bytes.IndexByte(out, ' ')
		n, err := strconv.Atoi(string(out[:sp]))
		if err != nil || n != len(out)-sp-1 || n > 2048 {
			t.Fatalf("frame %q for %d bytes", out[:sp], len(out)-sp-1)
		}
	})
}

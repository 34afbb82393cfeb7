package auditwebhook

import (
	"encoding/json"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

var docsForFraming = []string{
	`{}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","requestURI":"/x","verb":"get","user":{"username":"u"},"requestReceivedTimestamp":"2024-01-01T00:00:00.123456Z","stageTimestamp":"2024-01-01T00:00:00.223456Z"}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","metadata":{"creationTimestamp":"2017-09-11T19:55:05Z"},"level":"Metadata","timestamp":"2017-09-11T19:55:05Z","auditID":"b","verb":"list"}`,
	`{"timestamp":"2017-09-11T19:55:05.5+02:00","stageTimestamp":"2017-09-11T19:55:06.000000Z"}`,
	`{"timestamp":"not a time","x":{"y":"}\"],{"},"z":[1,{"a":"b"}],"n":-1.5e3,"t":true,"auditID":"c"}`,
	`{"requestObject":{"metadata":{"name":"\"},{"}},"timestamp":"2017-09-11T19:55:05.1234567890Z"}`,
	`{"auditID":"unterminated`,
	`not an object`,
	`{"a":1,}`,
}

func docsOf(list []string) *deliver.Docs {
	d := new(deliver.Docs)
	for _, s := range list {
		d.Append([]byte(s), deliver.Meta{})
	}
	return d
}

// TestDocLenAgreesAndNothingAllocates: DocLen is the length AppendDoc writes, for every
// document, first or not, and neither allocates once dst has room.
func TestDocLenAgreesAndNothingAllocates(t *testing.T) {
	d := docsOf(docsForFraming)
	buf := make([]byte, 0, 1<<16)
	var fr framing
	for k := 0; k < d.Len(); k++ {
		for _, first := range []bool{true, false} {
			out := fr.AppendDoc(buf[:0], d, k, first)
			if n := fr.DocLen(d, k, first); n != len(out) {
				t.Errorf("doc %d first=%v: DocLen %d, AppendDoc wrote %d: %s", k, first, n, len(out), out)
			}
			if a := testing.AllocsPerRun(20, func() { fr.AppendDoc(buf[:0], d, k, first); fr.DocLen(d, k, first) }); a != 0 {
				t.Errorf("doc %d: %.1f allocations", k, a)
			}
		}
	}
}

// TestLegacyMembersBecomeTheEventsOwn: metadata and timestamp are dropped; the timestamp
// stands for a missing requestReceivedTimestamp and stageTimestamp, with six fractional
// digits; what cannot be walked is sent as it is.
func TestLegacyMembersBecomeTheEventsOwn(t *testing.T) {
	cases := map[int]string{
		1: docsForFraming[1],
		2: `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"b","verb":"list","requestReceivedTimestamp":"2017-09-11T19:55:05.000000Z","stageTimestamp":"2017-09-11T19:55:05.000000Z"}`,
		3: `{"stageTimestamp":"2017-09-11T19:55:06.000000Z","requestReceivedTimestamp":"2017-09-11T19:55:05.500000+02:00"}`,
		4: `{"auditID":"c"}`,
		5: `{"requestObject":{"metadata":{"name":"\"},{"}},"requestReceivedTimestamp":"2017-09-11T19:55:05.123456Z","stageTimestamp":"2017-09-11T19:55:05.123456Z"}`,
		6: docsForFraming[6],
		7: docsForFraming[7],
		8: docsForFraming[8],
	}
	d := docsOf(docsForFraming)
	for k, want := range cases {
		if got := string(framing{}.AppendDoc(nil, d, k, true)); got != want {
			t.Errorf("doc %d:\n got %s\nwant %s", k, got, want)
		}
	}
}

// FuzzItem: on any document, DocLen agrees with AppendDoc, and a document that is a JSON
// object stays one.
func FuzzItem(f *testing.F) {
	for _, s := range docsForFraming {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := docsOf([]string{s})
		if d.Len() != 1 {
			return
		}
		out := framing{}.AppendDoc(nil, d, 0, true)
		if n := (framing{}).DocLen(d, 0, true); n != len(out) {
			t.Fatalf("DocLen %d, AppendDoc %d: %q -> %q", n, len(out), s, out)
		}
		var in map[string]json.RawMessage
		if json.Unmarshal(d.Doc(0), &in) == nil && !json.Valid(out) {
			t.Fatalf("a valid object became invalid: %q -> %q", s, out)
		}
	})
}

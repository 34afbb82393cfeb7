package syslog

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/valyala/fastjson"
)

func mustSettings(t testing.TB, o Options) *settings {
	t.Helper()
	if o.Address == "" {
		o.Address = "127.0.0.1:514"
	}
	if o.Hostname == "" {
		o.Hostname = "node-1"
	}
	s, err := check(o)
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

// rfc5424 matches one RFC 5424 message as we write it and captures PRI, SD and MSG.
var rfc5424 = regexp.MustCompile(`^<(\d{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (-|\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\]) (.*)$`)

// TestEveryRealDocumentFormats: each fixture document (ECS and raw) gives one message
// that matches the RFC 5424 grammar, whose body is the document unchanged, in one
// frame whose octet count is right; no raw LF anywhere (newline framing holds).
func TestEveryRealDocumentFormats(t *testing.T) {
	for _, f := range []normalize.Format{normalize.ECS, normalize.Raw} {
		docs := realDocs(t, f)
		fm := newFormatter(mustSettings(t, Options{}))
		alerts := 0
		for _, d := range docs {
			if bytes.IndexByte(d, '\n') >= 0 || bytes.IndexByte(d, '\r') >= 0 {
				t.Fatalf("document with a raw newline: %.200s", d)
			}
			out, cut, fixed := fm.appendFrame(nil, d, 1700000000123456789)
			if cut || fixed {
				t.Fatalf("cut=%v fixed=%v for a %d-byte document", cut, fixed, len(d))
			}
			sp := bytes.IndexByte(out, ' ')
			n, err := strconv.Atoi(string(out[:sp]))
			if err != nil || n != len(out)-sp-1 {
				t.Fatalf("octet count %q for %d bytes", out[:sp], len(out)-sp-1)
			}
			m := rfc5424.FindSubmatch(out[sp+1:])
			if m == nil {
				t.Fatalf("not RFC 5424: %.300s", out[sp+1:])
			}
			if !bytes.Equal(m[8], d) {
				t.Fatalf("body differs from the document")
			}
			if string(m[6]) == "alert" {
				alerts++
				if pri, _ := strconv.Atoi(string(m[1])); pri%8 > sevWarning {
					t.Fatalf("detection at severity %d: %s", pri%8, out[:200])
				}
			}
			if id := fastjson.MustParseBytes(d).GetStringBytes("kubernetes", "audit", "auditID"); len(id) > 0 && f == normalize.ECS &&
				!bytes.Contains(m[7], append(append([]byte(` auditID="`), id...), '"')) {
				t.Fatalf("auditID %s not in the structured data: %s", id, m[7])
			}
		}
		if f == normalize.ECS && alerts == 0 {
			t.Fatal("no detection among the fixtures: the severity of alerts is untested")
		}
	}
}

// TestSeverityClasses: the class of a document decides its PRI, and severity_map and
// facility override it.
func TestSeverityClasses(t *testing.T) {
	cases := []struct {
		doc  string
		want int
	}{
		{`{"event":{"kind":"alert","severity":99,"outcome":"success"}}`, sevCrit},
		{`{"event":{"kind":"alert","severity":73}}`, sevErr},
		{`{"event":{"kind":"alert","severity":21}}`, sevWarning},
		{`{"event":{"kind":"pipeline_error"}}`, sevWarning},
		{`{"event":{"kind":"event","type":["access","denied"],"outcome":"failure"},"kubernetes":{"audit":{"verb":"get"}}}`, sevWarning},
		{`{"event":{"kind":"event","outcome":"failure"},"kubernetes":{"audit":{"verb":"create"}}}`, sevWarning},
		{`{"event":{"kind":"event","outcome":"success"},"kubernetes":{"audit":{"verb":"delete"}}}`, sevNotice},
		{`{"event":{"kind":"event","outcome":"success"},"kubernetes":{"audit":{"verb":"list"}}}`, sevInfo},
		// format raw
		{`{"auditID":"a","verb":"get","responseStatus":{"code":403},"annotations":{"authorization.k8s.io/decision":"forbid"}}`, sevWarning},
		{`{"auditID":"a","verb":"patch","responseStatus":{"code":200}}`, sevNotice},
		{`{"auditID":"a","verb":"get","responseStatus":{"code":200},"k8saudit":{"kind":"alert","severity":"critical"}}`, sevCrit},
		{`{"auditID":"a","verb":"watch","responseStatus":{"code":200}}`, sevInfo},
	}
	fm := newFormatter(mustSettings(t, Options{}))
	for _, c := range cases {
		out, _, _ := fm.appendFrame(nil, []byte(c.doc), 0)
		pri := priOf(t, out)
		if pri != DefaultFacility*8+c.want {
			t.Errorf("%s: PRI %d, want %d", c.doc, pri, DefaultFacility*8+c.want)
		}
	}
	fm = newFormatter(mustSettings(t, Options{Facility: "local3", SeverityMap: "read=debug, critical=emerg"}))
	if pri := priOf(t, must(fm.appendFrame(nil, []byte(cases[len(cases)-1].doc), 0))); pri != 19*8+sevDebug {
		t.Errorf("severity_map read=debug, facility local3: PRI %d", pri)
	}
	if pri := priOf(t, must(fm.appendFrame(nil, []byte(cases[0].doc), 0))); pri != 19*8+sevEmerg {
		t.Errorf("severity_map critical=emerg: PRI %d", pri)
	}
	for _, bad := range []Options{{SeverityMap: "nope=info"}, {SeverityMap: "read=loud"}, {Facility: "local9"},
		{AppName: "a b"}, {AppName: strings.Repeat("a", 49)}, {Hostname: "h\nx"}, {SDID: "meta"}, {SDID: "a b@1"},
		{MaxMessageBytes: 100}, {Transport: "udp"}, {Framing: "none"}, {RFC: "5425"}, {TLSCAFile: "x"}} {
		bad.Address = "127.0.0.1:514"
		if _, err := check(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func must(b []byte, _, _ bool) []byte { return b }

func priOf(t *testing.T, out []byte) int {
	t.Helper()
	msg := out[bytes.IndexByte(out, ' ')+1:]
	end := bytes.IndexByte(msg, '>')
	pri, err := strconv.Atoi(string(msg[1:end]))
	if err != nil || msg[0] != '<' {
		t.Fatalf("no PRI in %.100s", msg)
	}
	return pri
}

// TestHostileFieldsCannotBreakFraming: auditID, user, verb made of quotes, brackets,
// backslashes, CR, LF, NUL, invalid UTF-8 and a megabyte of text stay inside their
// SD-PARAM value (escaped, bounded), and under newline framing the message is one line.
func TestHostileFieldsCannotBreakFraming(t *testing.T) {
	hostile := "a\"]b\\c\r\nd\x00e\x7f\xc2\x85f\u2028g\xff" + strings.Repeat("é", 400)
	doc, _ := json.Marshal(map[string]any{
		"event":      map[string]any{"kind": "event", "outcome": "success"},
		"user":       map[string]any{"name": hostile},
		"kubernetes": map[string]any{"audit": map[string]any{"auditID": hostile, "verb": "get", "stage": "x] [evil@1 a=\"b\""}},
	})
	for _, framing := range []string{"octet", "newline"} {
		fm := newFormatter(mustSettings(t, Options{Framing: framing}))
		out, _, _ := fm.appendFrame(nil, doc, 1)
		msg := out
		if framing == "octet" {
			msg = out[bytes.IndexByte(out, ' ')+1:]
		} else {
			if bytes.IndexByte(out, '\n') != len(out)-1 {
				t.Fatalf("newline framing: LF inside the message")
			}
			msg = out[:len(out)-1]
		}
		m := rfc5424.FindSubmatch(msg)
		if m == nil {
			t.Fatalf("%s: not RFC 5424: %q", framing, msg[:300])
		}
		sd := m[7]
		for _, c := range sd {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control byte %#x in the structured data", c)
			}
		}
		if !bytes.HasPrefix(sd, []byte(`[k8saudit@32473 auditID="a\"\]b\\c??d?e??f?g`+"\ufffdéé")) {
			t.Fatalf("escaping: %q", sd[:80])
		}
		// The grammar above admits one element only; the stage that tried to open a
		// second one is a value, escaped.
		if !bytes.Contains(sd, []byte(` stage="x\] [evil@1 a=\"b\""`)) {
			t.Fatalf("stage not escaped: %q", sd)
		}
		// Each value keeps at most sdValueMax source bytes (é is 2 bytes: no half rune).
		for _, v := range regexp.MustCompile(`="((?:[^"\\]|\\.)*)"`).FindAllSubmatch(sd, -1) {
			if len(v[1]) > 2*sdValueMax {
				t.Fatalf("value of %d bytes", len(v[1]))
			}
			if !strings.HasSuffix(string(v[1]), "é") && len(v[1]) > 100 {
				t.Fatalf("value cut inside a rune: %q", v[1][len(v[1])-4:])
			}
		}
		if !bytes.Equal(m[8], doc) {
			t.Fatal("body changed")
		}
	}
}

// TestCutAtMaxMessageBytes: a document longer than max_message_bytes becomes a message
// of at most that size whose body is valid JSON, starts with the document's first
// members, ends with the marker giving the whole size, and whose SD says truncated=.
func TestCutAtMaxMessageBytes(t *testing.T) {
	docs := append(realDocs(t, normalize.ECS), bigDoc(t, 1, 200<<10))
	for _, max := range []int{2048, 3000, 4096, 100 << 10} {
		fm := newFormatter(mustSettings(t, Options{MaxMessageBytes: max}))
		cuts := 0
		for _, d := range docs {
			out, cut, _ := fm.appendFrame(nil, d, 1)
			msg := out[bytes.IndexByte(out, ' ')+1:]
			if len(msg) > max {
				t.Fatalf("max %d: message of %d bytes", max, len(msg))
			}
			if !cut {
				continue
			}
			cuts++
			m := rfc5424.FindSubmatch(msg)
			if m == nil {
				t.Fatalf("cut message not RFC 5424: %.300s", msg)
			}
			body := m[8]
			if err := fastjson.ValidateBytes(body); err != nil {
				t.Fatalf("max %d: cut body is not JSON: %v\n%s", max, err, body)
			}
			v := fastjson.MustParseBytes(body)
			if got := v.GetInt("k8saudit_truncated"); got != len(d) {
				t.Fatalf("marker %d, want %d", got, len(d))
			}
			if !bytes.Contains(m[7], []byte(`truncated="`+strconv.Itoa(len(d))+`"`)) {
				t.Fatalf("no truncated= in %s", m[7])
			}
			ts := fastjson.MustParseBytes(d).GetStringBytes("@timestamp")
			if len(ts) > 0 && !bytes.Equal(v.GetStringBytes("@timestamp"), ts) {
				t.Fatalf("max %d: @timestamp lost in the cut", max)
			}
			// The ECS members before kubernetes.audit survive any cut of the big
			// document: only its bodies are long.
			if len(d) > 150<<10 && v.Get("event", "outcome") == nil {
				t.Fatalf("max %d: event.outcome lost in the cut: %s", max, body)
			}
			// The big document's body is one long string: the cut keeps its start,
			// so the message fills the limit but for the closing bytes.
			if len(d) > 150<<10 && max > 4096 && len(msg) < max-16 {
				t.Fatalf("max %d: cut to %d bytes, below the limit", max, len(msg))
			}
		}
		if cuts == 0 {
			t.Fatalf("max %d: nothing was cut", max)
		}
	}
}

// TestCutJSONEveryBudget: for every budget, the cut of a nested document is valid JSON
// within the budget.
func TestCutJSONEveryBudget(t *testing.T) {
	doc := []byte(`{"a":"x\"y\\","b":[1,{"c":[]},[["d"]]],"e":{"f":{"g":"h]}"}},"i":"\u00e9é\n","jkl":"\\\"é"}`)
	for budget := 0; budget < len(doc)+10; budget++ {
		out, _ := cutJSON(nil, nil, doc, budget)
		if err := fastjson.ValidateBytes(out); err != nil {
			t.Fatalf("budget %d: %s: %v", budget, out, err)
		}
		if budget >= 30 && len(out) > budget {
			t.Fatalf("budget %d: %d bytes", budget, len(out))
		}
		// A key is never cut: every key of the cut is a key of the document.
		var walk func(v *fastjson.Value)
		walk = func(v *fastjson.Value) {
			switch v.Type() {
			case fastjson.TypeObject:
				o, _ := v.Object()
				o.Visit(func(k []byte, x *fastjson.Value) {
					if !bytes.Contains(doc, append(append([]byte(`"`), k...), `":`...)) && string(k) != "k8saudit_truncated" {
						t.Fatalf("budget %d: key %q is not in the document: %s", budget, k, out)
					}
					walk(x)
				})
			case fastjson.TypeArray:
				for _, x := range v.GetArray() {
					walk(x)
				}
			}
		}
		walk(fastjson.MustParseBytes(out))
	}
}

// TestRFC3164: the BSD format is PRI, a timestamp, the hostname and the tag.
func TestRFC3164(t *testing.T) {
	fm := newFormatter(mustSettings(t, Options{RFC: "3164", Framing: "newline"}))
	out, _, _ := fm.appendFrame(nil, []byte(`{"event":{"kind":"event"}}`), 1700000000123456789)
	want := "<110>Nov 14 22:13:20 node-1 k8saudit: {\"event\":{\"kind\":\"event\"}}\n"
	if string(out) != want {
		t.Fatalf("got %q\nwant %q", out, want)
	}
}

// TestFormatAllocatesNothing: once the buffers have grown, formatting a real document
// allocates nothing.
func TestFormatAllocatesNothing(t *testing.T) {
	docs := realDocs(t, normalize.ECS)
	fm := newFormatter(mustSettings(t, Options{MaxMessageBytes: 4096}))
	var out []byte
	for _, d := range docs {
		out, _, _ = fm.appendFrame(out[:0], d, 1)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		out, _, _ = fm.appendFrame(out[:0], docs[i%len(docs)], 1700000000123456789)
		i++
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per document", allocs)
	}
}

// BenchmarkSyslogFormat formats the fixtures' ECS documents (header, structured data,
// octet-counted frame).
func BenchmarkSyslogFormat(b *testing.B) {
	docs := realDocs(b, normalize.ECS)
	fm := newFormatter(mustSettings(b, Options{}))
	var out []byte
	total := 0
	for _, d := range docs {
		total += len(d)
	}
	b.SetBytes(int64(total / len(docs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, _, _ = fm.appendFrame(out[:0], docs[i%len(docs)], 1700000000123456789)
	}
}

// TestShortRoadAgrees: the fields read by the short walk over an ECS document are the
// ones a full parse reads, for every fixture document (ECS and raw, detections
// included), and the short road is taken for every ECS one.
func TestShortRoadAgrees(t *testing.T) {
	var p, p2, pf fastjson.Parser
	for _, format := range []normalize.Format{normalize.ECS, normalize.Raw} {
		for _, d := range realDocs(t, format) {
			var short, full fields
			readFields(&p, &p2, d, &short)
			readFieldsFull(&pf, d, &full)
			if _, _, _, ok := ecsSpans(d); !ok && format == normalize.ECS {
				t.Fatalf("%v document: short road %v", format, ok)
			}
			for _, pair := range [][2][]byte{{short.auditID, full.auditID}, {short.stage, full.stage}, {short.verb, full.verb},
				{short.user, full.user}, {short.outcome, full.outcome}, {short.kind, full.kind}} {
				if !bytes.Equal(pair[0], pair[1]) {
					t.Fatalf("short road %q, full parse %q in %.300s", pair[0], pair[1], d)
				}
			}
			if short.class != full.class {
				t.Fatalf("class %d vs %d", short.class, full.class)
			}
		}
	}
}

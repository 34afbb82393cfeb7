package normalize

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
)

// TestScanBody holds the body scanner's output byte for byte: whitespace
// left out, escapes kept as written, control characters and invalid UTF-8
// sanitized, metadata.managedFields dropped with its comma wherever it
// stands, and what it notes for the mapping.
func TestScanBody(t *testing.T) {
	for _, c := range []struct {
		in, out string
		name    string
		shape   bool
	}{
		{`{"a":1}`, `{"a":1}`, "", true},
		{`{ "a" : [ 1 , true , null , "x\u003c\"" ] }`, `{"a":[1,true,null,"x\u003c\""]}`, "", true},
		{`{"metadata":{"managedFields":[{"a":1}],"name":"n"}}`, `{"metadata":{"name":"n"}}`, "n", true},
		{`{"metadata":{"name":"n","managedFields":[]}}`, `{"metadata":{"name":"n"}}`, "n", true},
		{`{"metadata":{"uid":"u", "managedFields" : {} , "name":"n"}}`, `{"metadata":{"uid":"u","name":"n"}}`, "n", true},
		{`{"metadata":{"managedFields":1,"managedFields":2}}`, `{"metadata":{}}`, "", true},
		{`{"metadata":{"managedFields":1,"managedFields":2,"a":3}}`, `{"metadata":{"a":3}}`, "", true},
		{`{"spec":{"managedFields":1}}`, `{"spec":{"managedFields":1}}`, "", true},
		{`{"items":[{"metadata":{"managedFields":[1],"name":"i"}}]}`, `{"items":[{"metadata":{"name":"i"}}]}`, "", true},
		{`{"metad\u0061ta":{"n\u0061me":"a\u00e9","managedFields":0}}`, `{"metad\u0061ta":{"n\u0061me":"a\u00e9"}}`, "aé", true},
		{`{"metadata":{"name":1,"name":"late"}}`, `{"metadata":{"name":1,"name":"late"}}`, "", true},
		{`{"metadata":"x","x":{"metadata":{"name":"deep"}}}`, `{"metadata":"x","x":{"metadata":{"name":"deep"}}}`, "", true},
		{"{\"a\":\"\x01\t\xff\xc3\xa9\"}", `{"a":"\u0001\t\ufffdé"}`, "", true},
		{`{}`, `{}`, "", false},
		{`[]`, `[]`, "", false},
		{`[{"op":"add"}]`, `[{"op":"add"}]`, "", true},
		{`[{"op":"add"},1]`, `[{"op":"add"},1]`, "", false},
		{`"s"`, `"s"`, "", false},
		{`-1.5e+3`, `-1.5e+3`, "", false},
	} {
		n := New(Options{})
		end, ok := n.scanBody([]byte(c.in), 0)
		if !ok || end != len(c.in) {
			t.Errorf("%s: ok %v end %d", c.in, ok, end)
			continue
		}
		b := n.bodies[0]
		if got := string(n.bodyText(&b)); got != c.out {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.out)
		}
		if !json.Valid(n.bodyText(&b)) {
			t.Errorf("%s: invalid output", c.in)
		}
		if string(b.name) != c.name || b.shapeOK != c.shape {
			t.Errorf("%s: name %q shape %v", c.in, b.name, b.shapeOK)
		}
	}
	for _, bad := range []string{`{`, `{"a"}`, `{"a":}`, `[1,]`, `{"a":1,}`, `01`, `NaN`, `-Inf`, `"\x"`, `"\u12"`,
		`tru`, `{"a":1]`, `[1}`, `"abc`, `1.`, `.5`, `+1`} {
		n := New(Options{})
		if end, ok := n.scanBody([]byte(bad), 0); ok && end == len(bad) {
			t.Errorf("%q: scanned as valid", bad)
		}
	}
}

// TestStripFallback: a body the strict scanner refuses (NaN, a bad escape)
// sends the record down the unmarked road, with the same documents as ever.
func TestStripFallback(t *testing.T) {
	for _, rec := range []string{
		ev(`"requestObject":{"a":NaN},"responseObject":{"metadata":{"name":"n"}}`),
		ev(`"requestObject":{"a":"\x"}`),
		ev(`"user":{"username":"u","extra":{"requestObject":{"a":"b"}}},"requestObject":{"b":1}`),
		`[` + ev(`"requestObject":{"metadata":{"managedFields":[1],"name":"x"}}`) + `,{"requestObject":{"a":1}}]`,
	} {
		for _, o := range []Options{{}, {Format: Raw}, {EventOriginal: true}} {
			n := New(o)
			for _, d := range n.Normalize([]byte(rec), 1) {
				if !json.Valid(d.JSON) {
					t.Errorf("%s: invalid %s", rec, d.JSON)
				}
			}
		}
	}
	_, m := normOne(t, Options{}, ev(`"requestObject":{"a":NaN},"responseObject":{"metadata":{"name":"n"}}`), 1)
	expect(t, m, map[string]any{"kubernetes.audit.requestObject.a": "NaN", "orchestrator.resource.name": "n"})
	_, m = normOne(t, Options{}, ev(`"user":{"username":"u","extra":{"requestObject":{"a":"b"}}}`), 1)
	expect(t, m, map[string]any{"kubernetes.audit.user.extra.requestObject": map[string]any{"a": "b"}})
	_, m = normOne(t, Options{Format: Raw}, ev(`"requestObject":{"metadata":{"managedFields":[1]}}`), 1)
	expect(t, m, map[string]any{"requestObject": map[string]any{"metadata": map[string]any{"managedFields": []any{1}}}})
}

// normalizeUnmarked normalizes rec the old way: a full fastjson parse, bodies
// as trees (what a record with an invalid body gets).
func normalizeUnmarked(n *Normalizer, rec []byte) []Doc {
	n.reset(testRecordTime)
	r := trimSpace(rec)
	v, err := n.p.ParseBytes(r)
	if err != nil {
		n.salvageRecord(r, r, 0, true)
	} else {
		n.value(v, r, 0, false, false)
	}
	return n.collect()
}

// TestBothRoads: on every fixture and the fuzz corpus, the stripped road
// and the full-parse road give documents of the same meaning.
func TestBothRoads(t *testing.T) {
	corpus := fuzzCorpus(t)
	for _, o := range differentialOptions {
		fast, slow := New(o), New(o)
		for _, rec := range corpus {
			a := fast.Normalize(rec, testRecordTime)
			b := normalizeUnmarked(slow, rec)
			if len(a) != len(b) {
				t.Fatalf("%s: %d and %d documents", rec, len(a), len(b))
			}
			for i := range a {
				ca, err1 := canonical(a[i].JSON)
				cb, err2 := canonical(b[i].JSON)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v %v", rec, err1, err2)
				}
				if mustJSON(ca) != mustJSON(cb) {
					t.Errorf("%v: document %d differs:\n stripped %.500s\n full     %.500s", o.Format, i, a[i].JSON, b[i].JSON)
				}
			}
		}
	}
}

// TestStripDeep: a body key deep in a record is stripped like any other, so
// that a number there is never taken for a marker.
func TestStripDeep(t *testing.T) {
	deep := strings.Repeat("[", 80) + `{"requestObject":{"a":1},"responseObject":7}` + strings.Repeat("]", 80)
	docs := New(Options{KeepUnparsedText: true}).Normalize([]byte(deep), 1)
	if len(docs) != 1 || !docs[0].Error {
		t.Fatalf("docs %d", len(docs))
	}
	m := decode(t, docs[0].JSON)
	if o, _ := get(m, "event.original").(string); !strings.Contains(o, `{"requestObject":{"a":1},"responseObject":7}`) {
		t.Errorf("original %.300s", o)
	}
}

// TestSkipPlainAgrees holds the scanner with plain subtrees taken by
// skipPlain to the scanner taking every container through its stack: the
// same documents for the fixtures, the fuzz corpus and random bodies with
// metadata and managedFields at every depth, whitespace, escapes,
// non-ASCII and control characters, deep nesting and invalid JSON; in both
// formats, with redaction and with a policy that leaves managedFields out.
func TestSkipPlainAgrees(t *testing.T) {
	corpus := append(fuzzCorpus(t), randomBodies(4000)...)
	opts := []Options{{ClusterName: "c"}, {Format: Raw}, {Redact: true}, {Format: Raw, Redact: true, Policy: gcePolicy(t)}}
	for _, o := range opts {
		fast, slow := New(o), New(o)
		slow.sc.noPlain = true
		for _, rec := range corpus {
			a, b := fast.Normalize(rec, testRecordTime), slow.Normalize(rec, testRecordTime)
			if len(a) != len(b) {
				t.Fatalf("%d documents with skipPlain, %d without\nrecord %s", len(a), len(b), rec)
			}
			for i := range a {
				if string(a[i].JSON) != string(b[i].JSON) || a[i].Error != b[i].Error || a[i].Redacted != b[i].Redacted {
					t.Fatalf("document %d differs\n plain %s\n stack %s\nrecord %s", i, a[i].JSON, b[i].JSON, rec)
				}
			}
		}
	}
}

// randomBodies makes events whose bodies are random JSON with the things
// skipPlain must give way on.
func randomBodies(count int) [][]byte {
	r := rand.New(rand.NewPCG(11, 12))
	keys := []string{"metadata", "managedFields", "name", "spec", "containers", "image", "a", "b", "metad\\u0061ta", "kind", "items", "data"}
	scalars := []string{`"v"`, `""`, `1`, `-0.5e3`, `true`, `false`, `null`, `"a\"b\\c\n"`, `"\u00e9\u0041"`, "\"\xc3\xa9\"", "\"\x01\"", "\"\xff\"", `"\x"`, `01`, `"x/y"`}
	spaces := []string{"", "", "", "", "", "", "", " ", "\n"}
	var value func(depth int) string
	value = func(depth int) string {
		sp := spaces[r.IntN(len(spaces))]
		switch k := r.IntN(7); {
		case k < 3 || depth > 6:
			return sp + scalars[r.IntN(len(scalars))]
		case k == 3:
			var b strings.Builder
			b.WriteString("[" + sp)
			for i := range r.IntN(4) {
				if i > 0 {
					b.WriteString("," + spaces[r.IntN(len(spaces))])
				}
				b.WriteString(value(depth + 1))
			}
			return b.String() + "]"
		default:
			var b strings.Builder
			b.WriteString("{" + sp)
			for i := range r.IntN(5) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`"` + keys[r.IntN(len(keys))] + `"` + spaces[r.IntN(len(spaces))] + ":" + value(depth+1))
			}
			return b.String() + "}"
		}
	}
	var out [][]byte
	for _, deep := range []string{`{]`, `[}`, `{"a":1]`, `[1}`, `{"a":1,}`, `[1,]`, `{"a"}`, `{"a":}`, `{"a" :1}`, `[1 ]`,
		`{"metadata":{"managedFields":[1],"name":"x"}}`, `{"m":{"metadata":{"managedFields":1}}}`, `{"metad\u0061ta":{"managedFields":1}}`,
		`["\u00e9","\u12"]`, `["\x"]`, "[\"\x01\"]", "[\"\xff\"]", `[tru]`, `[nul]`, `[-]`, `[01]`, `[1.]`,
		strings.Repeat("[", 310) + strings.Repeat("]", 310)} {
		out = append(out, []byte(`{"auditID":"a","requestObject":{"spec":{"x":`+deep+`}}}`))
	}
	for range count {
		body := value(0)
		if r.IntN(2) == 0 {
			body = `{"metadata":{"name":"n","managedFields":[` + value(2) + `]},"spec":` + value(1) + `,"status":` + value(1) + `}`
		}
		if r.IntN(4) == 0 && len(body) > 2 { // a byte changed or gone: invalid JSON, mostly
			p := 1 + r.IntN(len(body)-2)
			if r.IntN(2) == 0 {
				body = body[:p] + body[p+1:]
			} else {
				body = body[:p] + string("]}[{,:\"\\"[r.IntN(8)]) + body[p+1:]
			}
		}
		field := []string{"requestObject", "responseObject"}[r.IntN(2)]
		out = append(out, []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","verb":"update","objectRef":{"resource":"pods","namespace":"n","name":"p"},"`+field+`":`+body+`}`))
	}
	return out
}

func TestValidNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "1e5": true, "-1.5E-3": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false,
		"NaN": false, "inf": false, "+1": false, "1.2.3": false, "--1": false,
	} {
		if got := jsonskip.ValidNumber([]byte(s)); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}

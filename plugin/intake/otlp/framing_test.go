package otlp

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// hostile are documents an attacker or a broken line could shape: each must frame to a
// request pdata decodes, as a map or, failing that, as one string.
var hostile = []string{
	`{}`,
	`{"a":[]}`,
	`{"a":{},"b":[{}],"c":null,"d":true,"e":false}`,
	`{"n":[0,-1,1.5,-2.5e-3,1E+9,123456789012345678,1234567890123456789,99999999999999999999999]}`,
	`{"s":"\u00e9\"\\\/\b\f\n\r\t\u2028","k\u0041":"é😀"}`,
	` { "sp" : [ 1 , "x" ] } `,
	`{"orchestrator":{"namespace":"a\"b","cluster":{"name":"c"}},"user":{"name":7},"sourceIPs":["1.2.3.4","5.6.7.8"]}`,
	`{"event":{"kind":"alert","severity":99999999999999999999}}`,
	`{"responseStatus":{"code":-500}}`,
	// Not read as a map: sent as a string.
	`{"a":[1E700]}`, // past float64: no doubleValue in either encoding
	`{"a":0.5e400}`,
	`{"a":"\x"}`,
	`{"a":"` + "\x01" + `"}`,
	`{"a":"` + "\xff\xfe" + `"}`,
	`{"a":01}`,
	`{"a":1.}`,
	`{"a":-}`,
	`{"a":tru}`,
	`{"a" 1}`,
	`{"a":1,}`,
	`{"a":[1,]}`,
	`{"a":1}x`,
	`[1,2]`,
	`"str"`,
	``,
	`{"a":"\u12"}`,
	strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70),
	strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70),
}

func docsOf(list ...string) *deliver.Docs {
	d := &deliver.Docs{}
	for i, s := range list {
		d.Append([]byte(s), deliver.Meta{Time: 1700000000000000000 + int64(i), Observed: int64(i)})
	}
	return d
}

// frame builds a whole request body of every document of d.
func frame(f *framing, d *deliver.Docs) []byte {
	b := f.AppendOpen(nil)
	for k := 0; k < d.Len(); k++ {
		b = f.AppendDoc(b, d, k, k == 0)
	}
	return f.AppendClose(b)
}

// DocLen is exactly what AppendDoc writes, first or not, for real documents in both
// formats and for hostile ones; the envelope likewise.
func TestDocLenIsWhatAppendDocWrites(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) { docLenIsWhatAppendDocWrites(t, newFraming("kube-apiserver", "node-\"1\"", enc.pb)) })
	}
}

func docLenIsWhatAppendDocWrites(t *testing.T, f *framing) {
	if n := len(f.AppendOpen(nil)) + len(f.AppendClose(nil)); n != f.EnvelopeLen() {
		t.Errorf("EnvelopeLen %d, envelope %d bytes", f.EnvelopeLen(), n)
	}
	for _, d := range []*deliver.Docs{realDocs(t, normalize.ECS), realDocs(t, normalize.Raw), docsOf(hostile...)} {
		for k := 0; k < d.Len(); k++ {
			for _, first := range []bool{true, false} {
				got := f.AppendDoc([]byte("prefix"), d, k, first)
				if n := f.DocLen(d, k, first); n != len(got)-len("prefix") {
					t.Errorf("doc %d (first %v): DocLen %d, AppendDoc wrote %d: %.200s", k, first, n, len(got)-len("prefix"), d.Doc(k))
				}
			}
		}
	}
}

// The framing allocates nothing: the core sizes dst, and the walk keeps slices of the
// document only.
func TestFramingAllocatesNothing(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) { framingAllocatesNothing(t, newFraming("kube-apiserver", "node-1", enc.pb)) })
	}
}

func framingAllocatesNothing(t *testing.T, f *framing) {
	for _, d := range []*deliver.Docs{realDocs(t, normalize.ECS), docsOf(hostile...)} {
		dst := make([]byte, 0, 8<<20)
		allocs := testing.AllocsPerRun(5, func() {
			dst = f.AppendOpen(dst[:0])
			n := f.EnvelopeLen()
			for k := 0; k < d.Len(); k++ {
				n += f.DocLen(d, k, k == 0)
				dst = f.AppendDoc(dst, d, k, k == 0)
			}
			dst = f.AppendClose(dst)
			if n != len(dst) {
				t.Fatalf("lengths %d, body %d", n, len(dst))
			}
		})
		if allocs != 0 {
			t.Errorf("%.1f allocations per body of %d documents, want 0", allocs, d.Len())
		}
	}
}

// Hostile documents still make a request pdata decodes, one record each: a map when the
// walker reads the document, else the document as one string (with invalid UTF-8
// replaced, as every string the plugin writes).
func TestHostileDocumentsDecode(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) { hostileDocumentsDecode(t, newFraming("kube-apiserver", "", enc.pb)) })
	}
}

func hostileDocumentsDecode(t *testing.T, f *framing) {
	d := docsOf(hostile...)
	recs, res := recordsWithResources(decodeRequest(t, frame(f, d), ""))
	if len(recs) != len(hostile) {
		t.Fatalf("%d records, want %d", len(recs), len(hostile))
	}
	maps := 0
	for k, r := range recs {
		switch r.Body().Type() {
		case pcommon.ValueTypeMap:
			maps++
			if got, want := any(r.Body().Map().AsRaw()), jsonValue(t, d.Doc(k)); !equalJSON(got, want) {
				t.Errorf("doc %d %q: body %v, want %v", k, hostile[k], got, want)
			}
		case pcommon.ValueTypeStr:
			if s := r.Body().Str(); s != strings.Map(func(r rune) rune { return r }, string(d.Doc(k))) { // each invalid byte becomes U+FFFD
				t.Errorf("doc %d: string body %q, want the document %q", k, s, d.Doc(k))
			}
		default:
			t.Errorf("doc %d: body of type %s", k, r.Body().Type())
		}
	}
	if maps != 9 {
		t.Errorf("%d documents read as maps, want the first 9", maps)
	}
	if a := recs[6].Attributes().AsRaw(); a["k8s.namespace.name"] != `a"b` || a["source.address"] != "1.2.3.4" || len(a) != 2 {
		t.Errorf("attributes %v: want the namespace unescaped, the first source IP, and no user.name from a number", a)
	}
	if r := res[6]; r["k8s.cluster.name"] != "c" || r["service.name"] != "kube-apiserver" || len(r) != 2 {
		t.Errorf("resource %v: want the service and the document's cluster (no host.name: none configured)", r)
	}
	if r := res[0]; len(r) != 1 {
		t.Errorf("resource %v of a document without a cluster: want the service only", r)
	}
	if recs[7].SeverityText() != "FATAL" || recs[8].SeverityText() != "INFO" {
		t.Errorf("severities %q %q, want FATAL for an alert with a huge score, INFO for a negative status", recs[7].SeverityText(), recs[8].SeverityText())
	}
}

// equalJSON compares decoded values; numbers beyond int64 read back as float64 on both
// sides.
func equalJSON(a, b any) bool {
	return bytes.Equal(mustJSON(a), mustJSON(b))
}

// Random damage to real documents never makes a request pdata refuses, and the lengths
// agree: the walker either reads a document or sends it as a string.
func TestDamagedDocumentsDecode(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) { damagedDocumentsDecode(t, newFraming("kube-apiserver", "n", enc.pb)) })
	}
}

func damagedDocumentsDecode(t *testing.T, f *framing) {
	src := realDocs(t, normalize.ECS)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`{}[]":,\u0-1.eE+ tfn` + "\x00\xff")
	for round := 0; round < 2000; round++ {
		doc := bytes.Clone(src.Doc(rng.IntN(src.Len())))
		for range 1 + rng.IntN(3) {
			doc[rng.IntN(len(doc))] = alphabet[rng.IntN(len(alphabet))]
		}
		d := docsOf(string(doc))
		if n, b := f.DocLen(d, 0, true), f.AppendDoc(nil, d, 0, true); n != len(b) {
			t.Fatalf("DocLen %d, AppendDoc %d for %q", n, len(b), doc)
		}
		if recs := records(decodeRequest(t, frame(f, d), "")); len(recs) != 1 {
			t.Fatalf("%d records for one document", len(recs))
		}
	}
}

// FuzzFraming: any document (the normalizer's output carries attacker-chosen strings)
// frames to a request pdata decodes into exactly one record, and DocLen agrees with what
// AppendDoc writes (make fuzz).
func FuzzFraming(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	frs := []*framing{newFraming("kube-apiserver", "n", true), newFraming("kube-apiserver", "n", false)}
	f.Fuzz(func(t *testing.T, s string) {
		d := docsOf(s)
		if d.Len() != 1 {
			return
		}
		var bodies [2]any
		for i, fr := range frs {
			for _, first := range []bool{true, false} {
				if n, b := fr.DocLen(d, 0, first), fr.AppendDoc(nil, d, 0, first); n != len(b) {
					t.Fatalf("pb=%v first=%v: DocLen %d, AppendDoc %d for %q", fr.pb, first, n, len(b), s)
				}
			}
			recs := records(decodeRequest(t, frame(fr, d), ""))
			if len(recs) != 1 {
				t.Fatalf("pb=%v: %d records for one document %q", fr.pb, len(recs), s)
			}
			bodies[i] = recs[0].Body().AsRaw()
		}
		// Both encodings carry the same value.
		if fmt.Sprint(bodies[0]) != fmt.Sprint(bodies[1]) {
			t.Fatalf("protobuf body %v, JSON body %v for %q", bodies[0], bodies[1], s)
		}
	})
}

// Lengths that need two and three bytes of varint (protobuf containers of 128 bytes and
// up, 16 KiB and up) at every level: the content moved right by the length's width
// still decodes, and DocLen still agrees.
func TestLargeDocumentsDecode(t *testing.T) {
	big := strings.Repeat("x", 70_000)
	docs := []string{
		`{"a":{"b":{"c":"` + big + `"}},"d":[["` + big[:200] + `"],{"e":"` + big[:20_000] + `"}]}`,
		`{"s":"` + strings.Repeat(`\u00e9`, 30_000) + `"}`,
		`{"orchestrator":{"cluster":{"name":"` + big[:300] + `"}},"user":{"name":"` + big[:129] + `"}}`,
	}
	for _, enc := range encodings {
		f := newFraming("kube-apiserver", "n", enc.pb)
		d := docsOf(docs...)
		for k := range docs {
			if n, b := f.DocLen(d, k, k == 0), f.AppendDoc(nil, d, k, k == 0); n != len(b) {
				t.Errorf("%s doc %d: DocLen %d, AppendDoc %d", enc.name, k, n, len(b))
			}
		}
		recs, res := recordsWithResources(decodeRequest(t, frame(f, d), ""))
		for k, r := range recs {
			if got, want := any(r.Body().Map().AsRaw()), jsonValue(t, d.Doc(k)); !equalJSON(got, want) {
				t.Errorf("%s doc %d: body differs", enc.name, k)
			}
		}
		if len(recs) != 3 || res[2]["k8s.cluster.name"] != big[:300] || recs[2].Attributes().AsRaw()["user.name"] != big[:129] {
			t.Errorf("%s: %d records, resource %v", enc.name, len(recs), res[2])
		}
	}
}

package normalize

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// directOptions are the option sets the two roads are compared under: both
// formats, event.original, a small event bound, redaction, a user path and
// the GCE policy.
func directOptions(t testing.TB) []Options {
	p := gcePolicy(t)
	return []Options{
		{ClusterName: "c"},
		{Format: Raw},
		{EventOriginal: true, MaxOriginalBytes: 64},
		{EventOriginal: true, MaxEventBytes: 2048},
		{Format: Raw, MaxEventBytes: 512},
		{Redact: true, EventOriginal: true},
		{Format: Raw, Redact: true},
		{Redact: true, RedactPaths: []string{"data.password", "spec.token"}, Policy: p, EventOriginal: true},
		{Format: Raw, Redact: true, Policy: p},
	}
}

// checkRoads normalizes rec on both roads and fails on any difference in
// the documents or their metadata. It reports whether the direct road took
// the record.
func checkRoads(t testing.TB, direct *Normalizer, general generalRoad, rec []byte) bool {
	t.Helper()
	got := direct.Normalize(rec, testRecordTime)
	took := direct.tookDirect
	want := general.Normalize(rec, testRecordTime)
	if len(got) != len(want) {
		t.Fatalf("%d documents on the direct road, %d on the general one\nrecord %q", len(got), len(want), rec)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !bytes.Equal(g.JSON, w.JSON) || !bytes.Equal(g.AuditID, w.AuditID) || !bytes.Equal(g.Stage, w.Stage) ||
			g.Time != w.Time || g.Error != w.Error || g.Redacted != w.Redacted {
			t.Fatalf("document %d differs\n direct  %s\n general %s\nrecord %q", i, g.JSON, w.JSON, rec)
		}
	}
	if direct.Dropped() != general.Dropped() {
		t.Fatalf("dropped %d on the direct road, %d on the general one", direct.Dropped(), general.Dropped())
	}
	return took
}

// TestDirectRoadAgrees holds the direct road (direct.go) to the general one
// (TestImagesTextAgrees holds the images read from text to a tree), byte for
// byte, on every fixture, the secret events and the fuzz corpus, in
// every option set; and checks that the direct road takes every real event.
func TestDirectRoadAgrees(t *testing.T) {
	corpus := append(fuzzCorpus(t), secretLines(t)...)
	corpus = append(corpus, directSeeds...)
	for _, o := range directOptions(t) {
		d, g := New(o), generalRoad{New(o)}
		took := 0
		for _, rec := range corpus {
			if checkRoads(t, d, g, rec) {
				took++
			}
		}
		t.Logf("%v redact=%v policy=%v: direct road took %d of %d records", o.Format, o.Redact, o.Policy != nil, took, len(corpus))
	}
	n := New(Options{})
	for _, l := range realLines(t) {
		n.Normalize(l, testRecordTime)
		if !n.tookDirect {
			t.Errorf("a real event took the general road: %.200s", l)
		}
	}
	if docs := n.Normalize(eventListSeed, testRecordTime); !n.tookDirect || len(docs) != 2 {
		t.Error("an EventList took the general road")
	}
}

// eventListSeed is a batch as the webhook backend sends it.
var eventListSeed = []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[{"kind":"Event","auditID":"a","verb":"get","user":{"username":"u"}},{"kind":"Event","auditID":"b","requestObject":{"metadata":{"name":"n","managedFields":[1]}}}]}`)

// directSeeds exercise the direct road's edges: escapes, odd types,
// duplicates, empty values, records it must refuse.
var directSeeds = [][]byte{
	[]byte(`{"auditID":"a\u0026b","verb":"get","requestURI":"/x?a=1\u0026b=2","user":{"username":"u\"q","groups":["g\u00e9",""],"extra":{"a.b/c":["x",""],"e":[]}}}`),
	[]byte(`{"auditID":"a","auditID":"b"}`),
	[]byte(`{"auditID":"a","kind":"EventList","items":[]}`),
	[]byte(`{"auditID":"a","kind":1}`),
	[]byte(`{"auditID":"a","user":{"username":1,"username":"x"}}`),
	[]byte(`{"auditID":"a","user":{"username":"x","username":"y","uid":""}}`),
	[]byte(`{"auditID":"a","responseStatus":{"metadata":{},"code":403,"code":200,"reason":"","details":{"causes":[null,{}]}}}`),
	[]byte(`{"auditID":"a","responseStatus":{"code":1.5}}`),
	[]byte(`{"auditID":"a","responseStatus":{"code":"200"}}`),
	[]byte(`{"auditID":"a","annotations":{"authorization.k8s.io/decision":"allow","":"x","a.b":null,"c.d":"e"}}`),
	[]byte(`{"auditID":"a","sourceIPs":["10.0.0.1","10.0.0.1","x",""]}`),
	[]byte(`{"auditID":"a","sourceIPs":["10.0.0.1",1]}`),
	[]byte(`{"auditID":"a","objectRef":{"resource":"pods","name":"p"},"requestObject":{"metadata":{"name":"q"}},"responseObject":[]}`),
	[]byte(`{"auditID":"a","user":{"requestObject":{"x":1}}}`),
	[]byte(`{"auditID":"a","x":{"y":[{"responseObject":1}]}}`),
	[]byte(`{"auditID":"\ud800"}`),
	[]byte(`{"auditID":"a\x01\xff"}`),
	[]byte(`{"auditID":"a","n":NaN}`),
	[]byte(`{"auditID":"a","n":-0.5e+3,"t":true,"f":false,"z":null}`),
	[]byte(`  {"auditID":"a"} `),
	[]byte(`{"auditID":"a"} x`),
	[]byte(`{"auditID":"a",}`),
	[]byte(`{"a\u0075ditID":"b"}`),
	[]byte(`{"verb":"get","requestURI":"/"}`),
	[]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1"}`),
	[]byte(`{"kind":"Event"}`),
	[]byte(`{"auditID":"a","level":"RequestResponse","objectRef":{"resource":"secrets","namespace":"n","name":"s"},"requestObject":{"kind":"Secret","data":{"k":"djE="}}}`),
	[]byte(`{"auditID":"a","requestURI":"/api?access_token=x","annotations":{}}`),
	[]byte(`{"auditID":"a","impersonatedUser":{"username":"i","groups":["a","b"]},"user":{"username":"u","groups":"x"}}`),
	[]byte(`{"auditID":"a","requestObject":{"a":"` + string(bytes.Repeat([]byte("x"), 3000)) + `"}}`),
	[]byte(`{"auditID":"a","requestObject":{"spec":{"x":[{"image":"no"}],"containers":[{"name":"a","image":"i1"},1,{"image":"i1"},{"image":""},{"image":2}],"initContainers":{"image":"no"},"ephemeralContainers":[{"image":"e"}],"template":{"spec":{"containers":[{"image":"t"}]}},"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"image":"j"},{"image":"i1"}]}}}}}}}`),
	[]byte(`{"auditID":"a","requestObject":{"spec":{"containers":[{"image":"a\u0041"}],"template":{"sp\u0065c":{"containers":[{"image":"t"}]}}}}}`),
	[]byte(`{"auditID":"a","requestObject":{"spec":{"containers":[{"image":"a","image":"b"}],"containers":[{"image":"c"}]}}}`),
	// EventLists, the webhook backend's batches: walked item by item.
	eventListSeed,
	[]byte(`{"kind":"EventList","items":[]}`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a"},{"kind":"Pod"}]}`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a"},{}]}`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a"},1]}`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a"}],"items":[{"auditID":"b"}]}`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a"}],"kind":"Event"}`),
	[]byte(`{"kind":"EventList","metadata":{"x":NaN},"items":[{"auditID":"a"}]}`),
	[]byte(`{"kind":"EventList","metadata":{"requestObject":1},"items":[{"auditID":"a"}]}`),
	[]byte(`{"kind":"EventList", "items" : [ {"auditID":"a"} , {"auditID":"b"} ] } `),
	[]byte(`{"kind":"EventList","items":{"auditID":"a"}}`),
	[]byte(`{"kind":"EventList"}`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a"}]} x`),
	[]byte(`{"kind":"EventList","items":[{"auditID":"a","level":"RequestResponse","objectRef":{"resource":"secrets"},"requestObject":{"kind":"Secret","data":{"k":"djE="}}},{"auditID":"b","requestURI":"/x?token=t"}]}`),
}

// FuzzDirectRoad: for any input, the direct road writes what the general
// road writes.
func FuzzDirectRoad(f *testing.F) {
	for _, r := range fuzzCorpus(f) {
		f.Add(r)
	}
	for _, r := range directSeeds {
		f.Add(r)
	}
	opts := directOptions(f)
	type pair struct {
		direct  *Normalizer
		general generalRoad
	}
	var pairs []pair
	for _, o := range opts {
		pairs = append(pairs, pair{New(o), generalRoad{New(o)}})
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range pairs {
			checkRoads(t, p.direct, p.general, b)
		}
	})
}

// TestSrcCopiesAgree holds the copies kept as their own text with edits
// (direct_clean.go) to the walk's copies, byte for byte: on the fuzz
// corpus, the seeds, and object members made of random members with values
// empty or not at every depth, dotted keys, and text srcObject gives way on.
func TestSrcCopiesAgree(t *testing.T) {
	corpus := append(fuzzCorpus(t), directSeeds...)
	corpus = append(corpus, randomCopies(3000)...)
	for _, o := range []Options{{ClusterName: "c"}, {Redact: true}} {
		src, walk := New(o), New(o)
		copyEveryObject(walk)
		for _, rec := range corpus {
			got, want := src.Normalize(rec, testRecordTime), walk.Normalize(rec, testRecordTime)
			if len(got) != len(want) {
				t.Fatalf("%d documents with source copies, %d without\nrecord %s", len(got), len(want), rec)
			}
			for i := range got {
				if !bytes.Equal(got[i].JSON, want[i].JSON) {
					t.Fatalf("document %d differs\n source %s\n walk   %s\nrecord %s", i, got[i].JSON, want[i].JSON, rec)
				}
			}
		}
	}
}

// randomCopies makes records whose object members hold random members.
func randomCopies(count int) [][]byte {
	r := rand.New(rand.NewPCG(7, 8))
	tops := []string{"user", "impersonatedUser", "sourceIPs", "objectRef", "responseStatus", "annotations"}
	keys := []string{"username", "uid", "groups", "extra", "resource", "name", "namespace", "code", "reason",
		"message", "metadata", "details", "a.b/c", "authorization.k8s.io/decision", "", "x", "requestObject"}
	scalars := []string{`""`, `null`, `"v"`, `"a\"b"`, `"a\/b"`, `"\u00e9"`, `1`, `-2.5`, `true`, `false`, `"x.y"`, `200`, `"allow"`}
	var value func(depth int) string
	value = func(depth int) string {
		switch k := r.IntN(6); {
		case k < 3 || depth > 2:
			return scalars[r.IntN(len(scalars))]
		case k == 3:
			var b strings.Builder
			b.WriteByte('[')
			for i := range r.IntN(4) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(value(depth + 1))
			}
			return b.String() + "]"
		default:
			var b strings.Builder
			b.WriteByte('{')
			for i := range r.IntN(4) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`"` + keys[r.IntN(len(keys))] + `":` + value(depth+1))
			}
			return b.String() + "}"
		}
	}
	var out [][]byte
	for range count {
		top := tops[r.IntN(len(tops))]
		var v string
		if top == "sourceIPs" || r.IntN(8) == 0 {
			v = value(1)
		} else {
			var b strings.Builder
			b.WriteByte('{')
			for i := range r.IntN(5) {
				if i > 0 {
					b.WriteString([]string{",", ",", ",", ", "}[r.IntN(4)])
				}
				b.WriteString(`"` + keys[r.IntN(len(keys))] + `":` + value(1))
			}
			v = b.String() + "}"
		}
		out = append(out, []byte(`{"auditID":"a","verb":"get","`+top+`":`+v+`}`))
	}
	return out
}

package normalize

import (
	"bytes"
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
func checkRoads(t testing.TB, direct, general *Normalizer, rec []byte) bool {
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
// (with container images read from a tree, not collectImagesText), byte for
// byte, on every fixture, the secret events and the fuzz corpus, in
// every option set; and checks that the direct road takes every real event.
func TestDirectRoadAgrees(t *testing.T) {
	corpus := append(fuzzCorpus(t), secretLines(t)...)
	corpus = append(corpus, directSeeds...)
	for _, o := range directOptions(t) {
		d, g := New(o), New(o)
		g.noDirect, g.noImgText = true, true
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
}

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
	var pairs [][2]*Normalizer
	for _, o := range opts {
		d, g := New(o), New(o)
		g.noDirect, g.noImgText = true, true
		pairs = append(pairs, [2]*Normalizer{d, g})
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range pairs {
			checkRoads(t, p[0], p[1], b)
		}
	})
}

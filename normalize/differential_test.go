package normalize

import (
	"os"
	"path/filepath"
	"testing"
)

// differentialOptions are the option sets the fast and reference
// normalizers are compared under.
var differentialOptions = []Options{
	{ClusterName: "c"},
	{EventOriginal: true},
	{Format: Raw},
}

// checkDifferential compares the fast normalizer's documents for one record
// with the reference's; records the reference cannot read are skipped.
func checkDifferential(t testing.TB, n *Normalizer, o Options, rec []byte) bool {
	t.Helper()
	want, ok := refNormalize(o, rec, testRecordTime)
	if !ok {
		return false
	}
	// fastjson refuses what encoding/json accepts in one case: nesting past
	// its MaxDepth (300); a body that deep is cut, the rest salvaged.
	if nesting(rec) > maxScanDepth-2 {
		return false
	}
	got := n.Normalize(rec, testRecordTime)
	if err := diffDocs(got, want); err != nil {
		t.Errorf("%v %s\nrecord %.600s", err, o.Format, rec)
	}
	return true
}

// nesting returns the deepest nesting of brackets outside strings in rec.
func nesting(rec []byte) int {
	deepest := 0
	for i := nextValue(rec, 0); i < len(rec); i = nextValue(rec, i) {
		end, _, d := salvSkip(rec, i)
		deepest = max(deepest, d)
		i = end
	}
	return deepest
}

// fuzzSeeds are FuzzNormalize's seeds besides the fixtures.
var fuzzSeeds = []string{
	``, `{}`, `[]`, `null`, `"x"`, `{"kind":"EventList","items":[{"auditID":"a"},1]}`,
	`{"properties":{"log":"{\"auditID\":\"x\",\"sourceIPs\":[\"::ffff:1.2.3.4\"]}"}}`,
	`{"records":[{"properties":{"log":{"auditID":"y"}}}]}`,
	`{"auditID":"z","responseStatus":{"code":1e400},"requestObject":{"a":NaN,"b":-Inf}}`,
	"{\"auditID\":\"\xff\x00\",\"user\":{\"username\":\"\\ud800\"}}",
	`{"auditID":"m","requestObject":{"metadata":{"managedFields":[1],"name":"n"}},"requestObject":[{"op":"add"}]}`,
	`[{"auditID":"a","responseObject":{"metadata":{"name":"\u0041<b>"}},"user":{"extra":{"requestObject":{"x":1}}}}]`,
	`{"auditID":"p","requestObject":{"spec":{"template":{"spec":{"containers":[{"image":"i"}]}}}}}`,
	"{\"auditID\":\"w\" , \"requestObject\" : { \"a\" : [ 1 , \"\xe9\" ] } }",
	`{"kind":"Event","verb":"delete","user":{"username":"u","groups":["g"]}}`,
	`{"kind":"Event","verb":"get","requestURI":"","auditID":""}`,
	`{"verb":"get","responseStatus":{"code":403}}`,
	`{"auditID":"d","responseStatus":{"code":401},"annotations":{"authorization.k8s.io/decision":""}}`,
	`{"auditID":"c","verb":"create","objectRef":{"resource":"pods","apiGroup":""},"requestObject":{"spec":{"containers":[{"image":"i"}]}}}`,
	`{"auditID":"s","verb":"create","objectRef":{"resource":"pods","subresource":"binding"},"requestObject":{"spec":{"containers":[{"image":"i"}]}}}`,
}

// fuzzCorpus returns the fixtures, the seeds and the stored fuzz corpus.
func fuzzCorpus(t testing.TB) [][]byte {
	var out [][]byte
	if _, err := os.Stat(fixtureRoot); err == nil {
		for _, f := range loadFixtures(t) {
			out = append(out, f.records...)
		}
	}
	for _, s := range fuzzSeeds {
		out = append(out, []byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzNormalize", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1 files hold one []byte("...") line.
		if v, ok := parseCorpusFile(b); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestDifferential holds the fast normalizer to the reference on every
// fixture and the whole fuzz corpus, in each option set.
func TestDifferential(t *testing.T) {
	corpus := fuzzCorpus(t)
	for _, o := range differentialOptions {
		n := New(o)
		compared := 0
		for _, rec := range corpus {
			if checkDifferential(t, n, o, rec) {
				compared++
			}
		}
		t.Logf("%v original=%v: %d of %d records compared", o.Format, o.EventOriginal, compared, len(corpus))
	}
}

package normalize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// Redaction against inputs written to get past it: percent-encoded URI
// parameters, credentials in bodies under any key, escaped keys and kinds,
// keys with dots, token events without objectRef. Every secret below holds
// "LEAK"; hardLeaks looks for it in every form a reader could decode.

// hardLeaks reports whether "LEAK" is in out, in its JSON strings (keys
// and values, decoded), in JSON held by a string (event.original, the
// last-applied annotation) and in their percent-decoded forms.
func hardLeaks(out []byte) bool {
	if bytes.Contains(bytes.ToUpper(out), []byte("LEAK")) {
		return true
	}
	var v any
	if json.Unmarshal(out, &v) != nil {
		return true // not JSON: count it as a leak, the caller shows it
	}
	return leakIn(v, 0)
}

func leakIn(v any, depth int) bool {
	switch x := v.(type) {
	case string:
		s := x
		for range 4 {
			if strings.Contains(strings.ToUpper(s), "LEAK") {
				return true
			}
			d, err := url.PathUnescape(s)
			if err != nil || d == s {
				break
			}
			s = d
		}
		if d, err := base64.StdEncoding.DecodeString(x); err == nil && strings.Contains(strings.ToUpper(string(d)), "LEAK") {
			return true
		}
		var inner any
		if depth < 4 && json.Unmarshal([]byte(x), &inner) == nil {
			if _, isStr := inner.(string); !isStr {
				return leakIn(inner, depth+1)
			}
		}
	case map[string]any:
		for k, e := range x {
			if leakIn(k, depth) || leakIn(e, depth) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if leakIn(e, depth) {
				return true
			}
		}
	}
	return false
}

// hardEvent is an event with requestURI uri (as JSON string content),
// objectRef ref (a JSON object, or "" for none) and the given bodies
// (JSON, or "" for none).
func hardEvent(uri, ref, req, resp string) []byte {
	var b strings.Builder
	b.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete","requestURI":"`)
	b.WriteString(uri)
	b.WriteString(`","verb":"create","user":{"username":"u"},"sourceIPs":["10.0.0.1"]`)
	if ref != "" {
		b.WriteString(`,"objectRef":` + ref)
	}
	b.WriteString(`,"responseStatus":{"metadata":{},"code":201}`)
	if req != "" {
		b.WriteString(`,"requestObject":` + req)
	}
	if resp != "" {
		b.WriteString(`,"responseObject":` + resp)
	}
	b.WriteString(`,"requestReceivedTimestamp":"2024-05-01T10:00:00.000000Z","stageTimestamp":"2024-05-01T10:00:00.100000Z"}`)
	return []byte(b.String())
}

// hardRoads normalizes rec with o in both formats, with event.original, on
// the direct road, the general one and, with a body made invalid (NaN),
// the old one, and returns every document.
func hardRoads(t *testing.T, o Options, rec []byte) [][]byte {
	t.Helper()
	var outs [][]byte
	odd := rec
	if i := bytes.Index(rec, []byte(`"requestObject":{`)); i >= 0 {
		at := i + len(`"requestObject":{`)
		odd = append(append(append([]byte{}, rec[:at]...), `"zz":NaN,`...), rec[at:]...)
	}
	for _, f := range []Format{ECS, Raw} {
		for road := 0; road < 3; road++ {
			oo := withFormat(o, f, true)
			var n normalizer = New(oo)
			in := rec
			switch road {
			case 1:
				n = generalRoad{New(oo)}
			case 2:
				in = odd
			}
			docs := n.Normalize(in, testRecordTime)
			if len(docs) != 1 || docs[0].Error {
				t.Fatalf("%v road %d: %d docs for %s", f, road, len(docs), in)
			}
			if !json.Valid(docs[0].JSON) {
				t.Fatalf("%v road %d: invalid JSON %s", f, road, docs[0].JSON)
			}
			outs = append(outs, docs[0].JSON)
		}
	}
	return outs
}

func checkNoLeak(t *testing.T, o Options, name string, rec []byte) {
	t.Helper()
	for i, out := range hardRoads(t, o, rec) {
		if hardLeaks(out) {
			t.Errorf("%s: output %d leaks:\n%s", name, i, out)
		}
	}
}

// Percent-encoded names, the new names, separators and fragments: every
// credential value goes, in url.original, url.query,
// kubernetes.audit.requestURI, event.original and format raw alike.
func TestRedactURIEncoded(t *testing.T) {
	uris := []string{
		"/api/v1/pods?acc%65ss_token=LEAK1",
		"/api/v1/pods?access%5Ftoken=LEAK1&limit=5",
		"/api/v1/pods?ACCESS%5fTOKEN=LEAK1",
		"/api/v1/pods?acc%2565ss_token=LEAK1", // double-encoded name
		"/api/v1/pods?%74oken=LEAK1",          // every letter may be encoded
		"/api/v1/pods?api_key=LEAK1",
		"/api/v1/pods?apikey=LEAK1",
		"/api/v1/pods?secret=LEAK1",
		"/api/v1/pods?sig=LEAK1",
		"/api/v1/pods?x=1;token=LEAK1",              // ';' separates parameters
		"/api/v1/pods?x=1&token=a&token=LEAK1",      // repeated
		"/api/v1/pods#access_token=LEAK1",           // a fragment
		"/api/v1/pods?x=1#access_token=LEAK1",       // a fragment after a query
		"/api/v1/pods;token=LEAK1/x",                // a path parameter
		"/api/v1/pods?token=%4C%45AK1",              // an encoded value
		"/api/v1/pods?x=1%26token%3DLEAK1",          // an encoded separator inside a value
		"/api/v1/pods?token+=LEAK1",                 // '+' is a space in a query
		"/api/v1/pods?token=LE%G1AK1",               // a malformed escape in the value
		"/api/v1/pods?tok%en=x&token=LEAK1%",        // malformed and trailing '%'
		"/api/v1/pods?github_token=LEAK1",           // a name ending in _token
		"/api/v1/pods?X-Amz-Signature=LEAK1",        // a signature
		"/api/v1/pods?client-secret=LEAK1",          // '-' for '_'
		"/api/v1/pods?password=LEAK1/x?y#z&watch=1", // a value with '/', '?' and '#'
		"/api/v1/pods?key=LEAK1",                    // Google-style API key
		"/api/v1/pods?db_password=LEAK1",            // a name ending in password
		"/api/v1/pods?token=LEAK1\\u0026x=1",        // JSON-escaped '&' in the event
		"/api/v1/pods?t\\u006fken=LEAK1",            // JSON-escaped name
	}
	for _, u := range uris {
		rec := hardEvent(u, `{"resource":"pods","apiVersion":"v1"}`, "", "")
		checkNoLeak(t, Options{Redact: true}, u, rec)
	}
	// url.query and url.path agree with url.original.
	n := New(Options{Redact: true})
	out := n.Normalize(hardEvent("/api/v1/pods?acc%65ss_token=LEAK1&limit=5", `{"resource":"pods"}`, "", ""), testRecordTime)[0]
	m := decode(t, out.JSON)
	want := map[string]string{
		"url.original":                "/api/v1/pods?acc%65ss_token=[REDACTED]&limit=5",
		"url.query":                   "acc%65ss_token=[REDACTED]&limit=5",
		"url.path":                    "/api/v1/pods",
		"kubernetes.audit.requestURI": "/api/v1/pods?acc%65ss_token=[REDACTED]&limit=5",
	}
	for p, w := range want {
		if s, _ := get(m, p).(string); s != w {
			t.Errorf("%s = %q, want %q", p, s, w)
		}
	}
	if !out.Redacted {
		t.Error("Doc.Redacted not set")
	}
}

// Authorization headers and Bearer/Basic credentials in bodies, under any
// key, escaped or not, in objects and arrays, on every road.
func TestRedactBodyCredentials(t *testing.T) {
	ref := `{"resource":"validatingwebhookconfigurations","apiGroup":"admissionregistration.k8s.io","apiVersion":"v1"}`
	bodies := []string{
		`{"headers":{"Authorization":"Bearer LEAK1"}}`,
		`{"headers":{"authorization":["Bearer LEAK1"]}}`,
		`{"headers":{"Proxy-Authorization":"Basic TEVBSzE="}}`,
		`{"headers":{"Authoriz\u0061tion":"LEAK1"}}`,
		`{"a":{"b":{"c":[{"d":"bearer LEAK1"}]}}}`,
		`{"a":{"b":{"c":[{"d":"\u0042earer LEAK1"}]}}}`,
		`{"a":{"b":{"c":["BASIC\tLEAK1"]}}}`,
		`{"x":"  Bearer   LEAK1"}`,
		`{"spec":{"containers":[{"livenessProbe":{"httpGet":{"httpHeaders":[{"name":"Authorization","value":"Bearer LEAK1"}]}}}]}}`,
		`{"AUTHORIZATION":{"scheme":"x","credentials":"LEAK1"}}`,
		`["Bearer LEAK1"]`,
		`"Bearer LEAK1"`,
	}
	for _, body := range bodies {
		for _, side := range []int{0, 1} {
			req, resp := body, ""
			if side == 1 {
				req, resp = `{"kind":"X"}`, body
			}
			checkNoLeak(t, Options{Redact: true}, body, hardEvent("/apis/x", ref, req, resp))
		}
	}
	// Keys stay, and what only looks alike stays too.
	n := New(Options{Redact: true})
	rec := hardEvent("/apis/x", ref, `{"headers":{"Authorization":"Bearer LEAK1","Accept":"Bearer-ish","Basic":"Basically fine","x":"Bearerx y"}}`, "")
	out := n.Normalize(rec, testRecordTime)[0]
	for _, s := range []string{`"Authorization":"[REDACTED]"`, `"Accept":"Bearer-ish"`, `"Basic":"Basically fine"`, `"x":"Bearerx y"`, `"labels":{"redacted":true}`} {
		if !bytes.Contains(out.JSON, []byte(s)) {
			t.Errorf("%s missing in %s", s, out.JSON)
		}
	}
	// Without Redact, nothing changes.
	off := New(Options{})
	if out := off.Normalize(rec, testRecordTime)[0]; bytes.Contains(out.JSON, []byte("REDACTED")) {
		t.Errorf("redacted with redaction off: %s", out.JSON)
	}
}

// A Secret whose kind and keys are JSON-escaped is still a Secret, on every
// road, with or without objectRef.
func TestRedactEscapedSecret(t *testing.T) {
	for _, body := range []string{
		`{"kind":"Secr\u0065t","apiVersion":"v1","d\u0061ta":{"password":"TEVBSzE="}}`,
		`{"kind":"Secret","apiVersion":"v1","stringD\u0061ta":{"p":"LEAK1"}}`,
		`{"kind":"\u0053ecretList","items":[{"d\u0061ta":{"p":"TEVBSzE="}}]}`,
		`{"kind":"ConfigMap","kind":"Secret","data":{"p":"TEVBSzE="}}`,
		`{"kind":"Secret","kind":"ConfigMap","data":{"p":"TEVBSzE="}}`,
		`{"kind":"Secret","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configur\u0061tion":"{\"data\":{\"p\":\"LEAK1\"}}"}}}`,
	} {
		for _, ref := range []string{"", `{"resource":"configmaps","namespace":"x","apiVersion":"v1"}`} {
			checkNoLeak(t, Options{Redact: true}, body, hardEvent("/api/v1/namespaces/x/configmaps", ref, body, body))
		}
	}
}

// TokenRequest and TokenReview are redacted by the body's kind or the
// request path whatever objectRef says, as are Secrets by their path.
func TestRedactTokensWithoutObjectRef(t *testing.T) {
	tokReq := `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","status":{"token":"LEAK1"}}`
	tokRev := `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"LEAK1"}}`
	noKindReq := `{"status":{"token":"LEAK1"}}`
	noKindRev := `{"spec":{"token":"LEAK1"}}`
	secret := `{"data":{"p":"TEVBSzE="}}`
	lie := `{"resource":"configmaps","namespace":"x","apiVersion":"v1"}`
	for _, c := range []struct{ uri, ref, body string }{
		{"/api/v1/namespaces/x/serviceaccounts/y/token", "", tokReq},
		{"/api/v1/namespaces/x/serviceaccounts/y/token", lie, tokReq},
		{"/anything", "", tokReq},
		{"/anything", lie, tokRev},
		{"/api/v1/namespaces/x/serviceaccounts/y/token", "", noKindReq},
		{"/api/v1/namespaces/x/serviceaccounts/y/token", lie, noKindReq},
		{"/api/v1/namespaces/x/serviceaccounts/y/t%6Fken", "", noKindReq},
		{"/apis/authentication.k8s.io/v1/tokenreviews", "", noKindRev},
		{"/apis/authentication.k8s.io/v1/tokenreviews", lie, noKindRev},
		{"/apis/authentication.k8s.io/v1/tokenreviews?timeout=1s", lie, noKindRev},
		{"/api/v1/namespaces/x/secrets/s", lie, secret},
		{"/api/v1/namespaces/x/secrets", "", secret},
		{"/api/v1/secrets?limit=1", "", `{"items":[{"data":{"p":"TEVBSzE="}}]}`},
		{"/api/v1/namespaces/x/secrets#f", lie, secret},
		{"/api/v1/namespaces/x/secrets/", lie, secret},
		{"/api/v1/watch/namespaces/x/secrets", lie, secret},
		{"/api/v1/namespaces/x/%73ecrets/s", lie, secret},
		{"//api/v1//namespaces/x/secrets/s", lie, secret},
	} {
		checkNoLeak(t, Options{Redact: true}, c.uri+" "+c.body, hardEvent(c.uri, c.ref, c.body, c.body))
	}
	// A ConfigMap named "token" or "secrets" is not a token request.
	n := New(Options{Redact: true})
	for _, uri := range []string{"/api/v1/namespaces/x/configmaps/token", "/api/v1/namespaces/x/configmaps/secrets"} {
		out := n.Normalize(hardEvent(uri, lie, `{"data":{"p":"keep"},"status":{"token":"keep"}}`, ""), testRecordTime)[0]
		if bytes.Contains(out.JSON, []byte("REDACTED")) {
			t.Errorf("%s: redacted %s", uri, out.JSON)
		}
	}
}

// redact_paths: a dot inside a key is written \. ; paths match keys however
// the body escapes them.
func TestRedactPathsDottedKeys(t *testing.T) {
	o := Options{RedactPaths: []string{`data.tls\.key`, `a\\b.c`}}
	if err := CheckRedactPaths(o.RedactPaths); err != nil {
		t.Fatal(err)
	}
	body := `{"data":{"tls.key":"LEAK1","tls.crt":"keep","tls":{"key":"keep2"}},"a\\b":{"c":"LEAK2"}}`
	checkNoLeak(t, o, "dotted", hardEvent("/api/v1/namespaces/x/configmaps", `{"resource":"configmaps"}`, body, ""))
	escaped := `{"d\u0061ta":{"tls\u002ekey":"LEAK1"}}`
	checkNoLeak(t, o, "escaped", hardEvent("/api/v1/namespaces/x/configmaps", `{"resource":"configmaps"}`, escaped, ""))
	n := New(o)
	out := n.Normalize(hardEvent("/x", `{"resource":"configmaps"}`, body, ""), testRecordTime)[0].JSON
	for _, s := range []string{`"tls.crt":"keep"`, `"tls":{"key":"keep2"}`, `"tls.key":"[REDACTED]"`} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("%s missing in %s", s, out)
		}
	}
	for _, bad := range []string{`data.x\`, `data.\q`, `data..x`, `.x`} {
		if CheckRedactPaths([]string{bad}) == nil {
			t.Errorf("CheckRedactPaths(%q) accepted", bad)
		}
	}
}

// Members of the event itself written to mislead: escaped top-level keys,
// and members given twice (the API server writes neither; a record from
// elsewhere may). Whichever copy the event takes, none leaks.
func TestRedactMisleadingEvent(t *testing.T) {
	h := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete","verb":"create",`
	for _, rec := range []string{
		h + `"requestURI":"/api/v1/namespaces/x/configmaps","objectRef":{"resource":"secrets","namespace":"x","apiVersion":"v1"},"requ\u0065stObject":{"data":{"p":"TEVBSzE="}}}`,
		h + `"requestURI":"/api/v1/namespaces/x/configmaps","obj\u0065ctRef":{"resource":"secrets","namespace":"x","apiVersion":"v1"},"requestObject":{"data":{"p":"TEVBSzE="}}}`,
		h + `"request\u0055RI":"/api/v1/pods?token=LEAK1"}`,
		h + `"requestURI":"/api/v1/pods","objectRef":{"res\u006furce":"secrets"},"requestObject":{"data":{"p":"TEVBSzE="}}}`,
		h + `"requestURI":"/api/v1/pods?token=LEAK1","requestURI":"/api/v1/pods"}`,
		h + `"requestURI":"/api/v1/pods","requestURI":"/api/v1/pods?token=LEAK1"}`,
		h + `"requestURI":"/api/v1/pods","objectRef":{"resource":"secrets"},"objectRef":{"resource":"pods"},"requestObject":{"data":{"p":"LEAK1"}}}`,
		h + `"requestURI":"/api/v1/pods","objectRef":{"resource":"pods"},"objectRef":{"resource":"secrets"},"requestObject":{"data":{"p":"LEAK1"}}}`,
		h + `"requestURI":"/api/v1/pods","requestObject":{"kind":"Secret","data":{"p":"LEAK1"}},"requestObject":{"kind":"Pod"}}`,
		h + `"requestURI":"/api/v1/pods","requestObject":{"kind":"Pod"},"requestObject":{"kind":"Secret","data":{"p":"LEAK1"}}}`,
		h + `"requestURI":"/api/v1/pods","requestObject":{"x":"Bearer LEAK1"},"requestObject":{"kind":"Pod"}}`,
		h + `"requestURI":"/api/v1/namespaces/x/secrets","requestObject":{"data":{"p":"LEAK1"}},"requestObject":{"kind":"Pod"}}`,
	} {
		checkNoLeak(t, Options{Redact: true}, rec, []byte(rec))
	}
}

// A metadata.name that is redacted (by a path, or as a credential) is not
// written as orchestrator.resource.name either.
func TestRedactedNameNotMapped(t *testing.T) {
	for _, c := range []struct {
		o    Options
		body string
	}{
		{Options{RedactPaths: []string{"metadata.name"}}, `{"metadata":{"name":"LEAK1"}}`},
		{Options{RedactPaths: []string{"metadata"}}, `{"metadata":{"name":"LEAK1"}}`},
		{Options{Redact: true}, `{"metadata":{"name":"Bearer LEAK1"}}`},
	} {
		checkNoLeak(t, c.o, c.body, hardEvent("/api/v1/namespaces/x/configmaps", `{"resource":"configmaps","namespace":"x"}`, c.body, ""))
	}
}

// TestZeroAllocsRedactHard: the events above, redacted, cost no allocation
// once the buffers have grown, in both formats and on both roads.
func TestZeroAllocsRedactHard(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var recs [][]byte
	for _, u := range []string{"/api/v1/pods?acc%2565ss_token=LEAK1&labelSelector=a%3Db", "/api/v1/pods?x=1%26token%3DLEAK1",
		"/api/v1/namespaces/x/serviceaccounts/y/t%6Fken", "/api/v1/pods#access_token=LEAK1", "/api/v1/pods;token=LEAK1/x"} {
		recs = append(recs, hardEvent(u, `{"resource":"pods"}`, `{"a":{"b":[{"Authorization":"Bearer LEAK1","c":"\u0042earer LEAK1"}]}}`,
			`{"kind":"Secr\u0065t","data":{"p":"TEVBSzE="},"status":{"token":"LEAK1"}}`))
	}
	for _, o := range []Options{
		{Redact: true, EventOriginal: true, RedactPaths: []string{`data.tls\.key`}},
		{Format: Raw, Redact: true},
	} {
		for _, noDirect := range []bool{false, true} {
			n := road(New(o), !noDirect)
			for range 2 {
				for _, r := range recs {
					n.Normalize(r, testRecordTime)
				}
			}
			for i, r := range recs {
				if d := n.Normalize(r, testRecordTime); len(d) != 1 || !d[0].Redacted {
					t.Fatalf("record %d: not redacted", i)
				}
				if a := testing.AllocsPerRun(5, func() { n.Normalize(r, testRecordTime) }); a != 0 {
					t.Errorf("%v noDirect=%v record %d: %.1f allocs per run", o.Format, noDirect, i, a)
				}
			}
		}
	}
}

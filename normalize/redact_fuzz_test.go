package normalize

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

// FuzzRedactBody: for any JSON body, with Redact on, the direct and the
// general road, and the scanner with and without skipPlain, write the same
// documents; and read back with encoding/json, no string in the body looks
// like an Authorization value and no Authorization key keeps its value
// (isCredentialText is written apart from package redact).
func FuzzRedactBody(f *testing.F) {
	for _, s := range []string{
		`{"headers":{"Authorization":"Bearer x"}}`, `{"a":["\u0042earer x","basic\ty"]}`,
		`{"AUTHORIZ\u0041TION":{"x":1}}`, `{"a":{"b":{"c":[{"d":" bearer x"}]}}}`, `"Bearer x"`,
		`{"x":"Bearerx","y":"Basic","z":"\u00a0Basic\u00a0y"}`, `{"metadata":{"managedFields":[{"Authorization":"Bearer m"}],"name":"Bearer n"}}`,
		`{"kind":"Secret","data":{"a":"Basic eA=="}}`, `{"spec":{"x":"\ud800Bearer y"}}`,
	} {
		f.Add([]byte(s))
	}
	o := Options{Redact: true, EventOriginal: true}
	direct, general, stack := New(o), generalRoad{New(o)}, New(o)
	stack.sc.noPlain, stack.exact.noPlain = true, true
	raw := New(Options{Format: Raw, Redact: true})
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return
		}
		rec := hardEvent("/api/v1/namespaces/x/configmaps", `{"resource":"configmaps","namespace":"x"}`, string(body), "")
		checkRoads(t, direct, general, rec)
		a, b := direct.Normalize(rec, 1), stack.Normalize(rec, 1)
		if len(a) != len(b) || len(a) == 1 && !bytes.Equal(a[0].JSON, b[0].JSON) {
			t.Fatalf("skipPlain and the stack differ for %q", body)
		}
		for _, c := range []struct {
			n    *Normalizer
			path string
		}{{direct, "kubernetes.audit.requestObject"}, {raw, "requestObject"}} {
			docs := c.n.Normalize(rec, 1)
			if len(docs) != 1 || docs[0].Error {
				continue // a body too deep for the scanner: a pipeline_error
			}
			var m map[string]any
			if err := json.Unmarshal(docs[0].JSON, &m); err != nil {
				t.Fatalf("invalid JSON %s", docs[0].JSON)
			}
			if p := credentialLeft(get(m, c.path)); p != "" {
				t.Fatalf("%s keeps a credential at %s\nbody %s\nout %s", c.path, p, body, docs[0].JSON)
			}
		}
	})
}

// credentialLeft returns where v holds a credential the redaction should
// have replaced, "" when none.
func credentialLeft(v any) string {
	switch x := v.(type) {
	case string:
		if isCredentialText(x) {
			return "(string)"
		}
	case map[string]any:
		for k, e := range x {
			if (strings.EqualFold(k, "authorization") || strings.EqualFold(k, "proxy-authorization")) && e != RedactedValue {
				return k
			}
			if p := credentialLeft(e); p != "" {
				return k + "." + p
			}
		}
	case []any:
		for _, e := range x {
			if p := credentialLeft(e); p != "" {
				return "[]." + p
			}
		}
	}
	return ""
}

// isCredentialText: whitespace, Bearer or Basic in any case, whitespace.
func isCredentialText(s string) bool {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	for _, scheme := range []string{"bearer", "basic"} {
		if len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			rest := []rune(s[len(scheme):])
			return len(rest) > 0 && unicode.IsSpace(rest[0])
		}
	}
	return false
}
